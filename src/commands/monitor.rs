//! MONITOR (Redis's monitorCommand and replicationFeedMonitors, in replication.c): a client
//! that asks to see every command the server runs, as one status line per command.
//!
//! A monitor is an ordinary connection with `Client::monitor` set and its token in
//! `Server::monitors`. `call()` hands each executed command to [`replication_feed_monitors`]
//! after it ran (so SELECT shows the database it selected), except the admin commands and
//! those flagged `skip_monitor`, which Redis keeps out of the stream because they may carry
//! secrets or are too noisy. Commands refused before they ran (unknown, wrong arity, queued
//! inside MULTI) are not shown; a transaction shows MULTI, then its commands as EXEC runs
//! them, then EXEC. Like Redis, a monitor may still PING or RESET but may not touch keys.

use crate::client::{queue_write_on, Client};
use crate::commands::slowlog::REDACTED;
use crate::commands::{acl, flags::*, Command, NO_KEYS};
use crate::server::Server;
use crate::util::now_us;

pub static COMMANDS: &[Command] = &[Command::new(
    "monitor",
    1,
    ADMIN | NOSCRIPT | LOADING | STALE,
    NO_KEYS,
    acl::SLOW,
    monitor_command,
)];

/// MONITOR: from now on the connection receives every command. A second MONITOR is ignored
/// without a reply, as in Redis.
fn monitor_command(srv: &mut Server, c: &mut Client) {
    if !c.may_block() {
        // Inside EXEC: the stream would go to a client that expects the transaction's
        // reply, so Redis refuses it.
        return c
            .reply
            .error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    }
    if c.monitor {
        return;
    }
    c.monitor = true;
    srv.monitors.push(c.token);
    c.reply.ok();
}

/// Stops `c` monitoring (RESET, or the connection closing).
pub fn stop_monitoring(srv: &mut Server, c: &mut Client) {
    if c.monitor {
        c.monitor = false;
        srv.monitors.retain(|&t| t != c.token);
    }
}

/// Sends the command `c` just ran to every monitor, `c` included if it is one (Redis's
/// replicationFeedMonitors). The line is `+<unix time with µs> [<db> <addr>] "arg" ...`,
/// each argument quoted as Redis's sdscatrepr quotes it.
pub fn replication_feed_monitors(srv: &mut Server, c: &mut Client) {
    let now = now_us();
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        now.div_euclid(1_000_000),
        now.rem_euclid(1_000_000),
        c.db,
        c.addr
    )
    .into_bytes();
    for (j, arg) in c.argv.iter().enumerate() {
        line.push(b' ');
        let arg: &[u8] = if c.is_redacted(j) { REDACTED } else { arg };
        cat_repr(&mut line, arg);
    }
    line.extend_from_slice(b"\r\n");
    let Server {
        monitors,
        clients,
        pending_writes,
        ..
    } = srv;
    for &token in monitors.iter() {
        let target = if token == c.token {
            &mut *c
        } else {
            match clients.get_mut(token) {
                Some(Some(m)) => m.as_mut(),
                _ => continue,
            }
        };
        if target.accepts_output() {
            target.reply.raw(&line);
            queue_write_on(pending_writes, target);
        }
    }
}

/// Appends `s` in double quotes with C escapes for `"`, `\`, control characters and
/// non-printable bytes (`\xff`), as Redis's sdscatrepr writes it.
pub fn cat_repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_escapes_as_sdscatrepr() {
        let mut out = Vec::new();
        cat_repr(&mut out, b"a b\"c\\\n\r\t\x07\x08\x00\xff~");
        assert_eq!(out, b"\"a b\\\"c\\\\\\n\\r\\t\\a\\b\\x00\\xff~\"".to_vec());
    }
}
