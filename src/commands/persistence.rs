//! Persistence commands: BGSAVE (Redis keeps it in rdb.c).
//!
//! The snapshot is written by a forked child ([`crate::persist::bgsave`]); these handlers only
//! decide whether one may start now, later or not at all, and reply as Redis does.

use crate::client::Client;
use crate::commands::{errors, flags::*, Command, NO_KEYS};
use crate::persist::bgsave::rdb_save_background;
use crate::persist::fork::{has_active_child_process, ChildKind};
use crate::server::Server;

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[Command::new(
    "bgsave",
    -1,
    ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
    NO_KEYS,
    0,
    bgsave_command,
)];

/// BGSAVE [SCHEDULE]: starts writing the snapshot from a child process and replies at once
/// (Redis's bgsaveCommand). While another child runs, SCHEDULE defers the save to the cron
/// (`RdbSaveState::bgsave_scheduled`), as does running inside EXEC, where a fork would
/// snapshot half a transaction; without it, the request is refused.
fn bgsave_command(srv: &mut Server, c: &mut Client) {
    let schedule = match c.argv.len() {
        1 => false,
        2 if c.argv.arg(1).eq_ignore_ascii_case(b"schedule") => true,
        _ => return c.reply.error(errors::SYNTAX),
    };
    let in_exec = c.multi.is_some();
    if srv.child.is_some_and(|child| child.kind == ChildKind::Rdb) {
        c.reply.error("ERR Background save already in progress");
    } else if has_active_child_process(srv) || in_exec {
        if schedule || in_exec {
            srv.rdb.bgsave_scheduled = true;
            c.reply.status("Background saving scheduled");
        } else {
            c.reply.error(
                "ERR Another child process is active (AOF?): can't BGSAVE right now. Use \
                 BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
            );
        }
    } else if rdb_save_background(srv) {
        c.reply.status("Background saving started");
    } else {
        c.reply.error("ERR");
    }
}
