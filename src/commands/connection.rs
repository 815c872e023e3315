//! Connection commands: PING, ECHO, QUIT, SELECT, HELLO (Redis keeps these in server.c,
//! db.c and networking.c). They act on the calling connection, not on data.

use crate::client::Client;
use crate::commands::server_cmds::{client_set_name_or_reply, REDIS_VERSION};
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
    Command::new(
        "echo",
        2,
        LOADING | STALE | FAST,
        NO_KEYS,
        acl::CONNECTION,
        echo_command,
    ),
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
    Command::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        NO_KEYS,
        acl::CONNECTION,
        hello_command,
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

/// HELLO [protover [AUTH username password] [SETNAME clientname]]: switches the connection's
/// protocol (2 or 3), optionally authenticates and names it, and replies with a map
/// describing the server. Options are all validated before anything changes.
fn hello_command(_srv: &mut Server, c: &mut Client) {
    let mut protocol = c.reply.resp;
    if c.argv.len() >= 2 {
        match parse_i64(c.argv.arg(1)) {
            None => {
                return c
                    .reply
                    .error("ERR Protocol version is not an integer or out of range");
            }
            Some(v) if !(2..=3).contains(&v) => {
                return c.reply.error("NOPROTO unsupported protocol version");
            }
            Some(v) => protocol = v as u8,
        }
    }
    let mut name = None;
    let mut j = 2;
    while j < c.argv.len() {
        let option = c.argv.arg(j);
        let more = c.argv.len() - 1 - j;
        if option.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
            // Until users and passwords exist, the only user is `default` with no password,
            // which accepts any password, as Redis's default user does.
            if !c.argv.arg(j + 1).eq_ignore_ascii_case(b"default") {
                return c
                    .reply
                    .error("WRONGPASS invalid username-password pair or user is disabled.");
            }
            j += 3;
        } else if option.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            name = Some(c.argv.arg_bytes(j + 1));
            j += 2;
        } else {
            let option = String::from_utf8_lossy(option).into_owned();
            return c
                .reply
                .error(&format!("ERR Syntax error in HELLO option '{option}'"));
        }
    }
    if let Some(name) = name {
        if !client_set_name_or_reply(c, &name) {
            return;
        }
    }
    c.reply.resp = protocol;
    c.reply.map_len(7);
    c.reply.bulk(b"server");
    c.reply.bulk(b"redis");
    c.reply.bulk(b"version");
    c.reply.bulk(REDIS_VERSION.as_bytes());
    c.reply.bulk(b"proto");
    c.reply.int(protocol as i64);
    c.reply.bulk(b"id");
    c.reply.int(c.id as i64);
    c.reply.bulk(b"mode");
    c.reply.bulk(b"standalone");
    c.reply.bulk(b"role");
    c.reply.bulk(b"master");
    c.reply.bulk(b"modules");
    c.reply.array_len(0);
}
