//! Persistence commands (Redis keeps them in rdb.c): SAVE writes the RDB snapshot in the
//! foreground, BGSAVE from a forked child ([`crate::persist::bgsave`]). The file format itself
//! is `persist/rdb.rs`; these handlers only decide whether a save may start now, later or not
//! at all, and reply as Redis does.

use crate::client::Client;
use crate::commands::{errors, flags::*, Command, NO_KEYS};
use crate::persist::bgsave::{rdb_save, rdb_save_background};
use crate::persist::fork::{has_active_child_process, ChildKind};
use crate::server::Server;

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command::new(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        NO_KEYS,
        0,
        save_command,
    ),
    Command::new(
        "bgsave",
        -1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        NO_KEYS,
        0,
        bgsave_command,
    ),
];

/// SAVE: a synchronous save; `+OK`, or Redis's bare `-ERR` when it failed (the reason goes
/// to the log). Refused while a BGSAVE child writes the same file.
fn save_command(srv: &mut Server, c: &mut Client) {
    if srv.child.is_some_and(|child| child.kind == ChildKind::Rdb) {
        return c.reply.error("ERR Background save already in progress");
    }
    srv.stats.rdb_saves += 1;
    match rdb_save(srv) {
        Ok(()) => c.reply.ok(),
        Err(_) => c.reply.error("ERR"),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::persist::fork::{kill_child, redis_fork, Forked};

    /// A client on a real loopback connection (the handlers only write into its reply).
    fn client() -> Client {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let sock = std::net::TcpStream::connect(addr).unwrap();
        Client::new(1, 0, Some(mio::net::TcpStream::from_std(sock)), addr)
    }

    fn run(srv: &mut Server, c: &mut Client, args: &[&str]) -> String {
        c.argv.0 = args
            .iter()
            .map(|a| bytes::Bytes::from(a.to_string()))
            .collect();
        bgsave_command(srv, c);
        let reply = String::from_utf8_lossy(c.reply.pending()).into_owned();
        c.reply.consume(c.reply.pending_len());
        reply
    }

    /// With an AOF rewrite child running (which only the AOF work can start from a client),
    /// BGSAVE is refused and BGSAVE SCHEDULE defers the save, in Redis's words.
    #[test]
    fn bgsave_beside_an_aof_child() {
        let mut srv = Server::new(Config::default(), None);
        let mut c = client();
        match redis_fork(&mut srv, ChildKind::Aof).unwrap() {
            Forked::Child => {
                // SAFETY: pause has no preconditions; the child waits to be killed.
                unsafe { libc::pause() };
                crate::persist::fork::exit_from_child(0)
            }
            Forked::Parent(_) => {}
        }
        assert_eq!(
            run(&mut srv, &mut c, &["bgsave"]),
            "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE \
             SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n"
        );
        assert!(!srv.rdb.bgsave_scheduled);
        assert_eq!(
            run(&mut srv, &mut c, &["bgsave", "SCHEDULE"]),
            "+Background saving scheduled\r\n"
        );
        assert!(srv.rdb.bgsave_scheduled);
        kill_child(&mut srv);
        assert_eq!(
            run(&mut srv, &mut c, &["bgsave", "schedule", "x"]),
            "-ERR syntax error\r\n"
        );
    }
}
