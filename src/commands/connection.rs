//! Connection commands: PING, ECHO, QUIT, SELECT (Redis keeps these in server.c and db.c).
//! They act on the calling connection, not on data.

use crate::client::Client;
use crate::commands::{acl, flags::*, Command, NO_KEYS};
use crate::server::Server;
use crate::util::parse_i64;

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command::new(
        "ping",
        -1,
        FAST | SENTINEL,
        NO_KEYS,
        acl::CONNECTION,
        ping_command,
    ),
    Command::new("echo", 2, FAST, NO_KEYS, acl::CONNECTION, echo_command),
    Command::new(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        NO_KEYS,
        acl::CONNECTION,
        quit_command,
    ),
    Command::new(
        "select",
        2,
        LOADING | STALE | FAST,
        NO_KEYS,
        acl::CONNECTION,
        select_command,
    ),
];

/// PING [message]: `+PONG`, or the message as a bulk string.
fn ping_command(_srv: &mut Server, c: &mut Client) {
    match c.argv.len() {
        1 => c.reply.status("PONG"),
        2 => c.reply.bulk(c.argv.arg(1)),
        _ => c
            .reply
            .error("ERR wrong number of arguments for 'ping' command"),
    }
}

/// ECHO message.
fn echo_command(_srv: &mut Server, c: &mut Client) {
    c.reply.bulk(c.argv.arg(1));
}

/// QUIT: `+OK`, then the connection closes once the reply is written (any arguments are
/// ignored, as in Redis 7.0).
fn quit_command(_srv: &mut Server, c: &mut Client) {
    c.reply.ok();
    c.close_after_reply = true;
}

/// SELECT index.
fn select_command(srv: &mut Server, c: &mut Client) {
    match parse_i64(c.argv.arg(1)) {
        None => c.reply.error("ERR value is not an integer or out of range"),
        Some(n) if n < 0 || n >= srv.dbs.len() as i64 => {
            c.reply.error("ERR DB index is out of range")
        }
        Some(n) => {
            c.db = n as usize;
            c.reply.ok();
        }
    }
}
