//! The slow log and SLOWLOG (Redis's slowlog.c): the most recent commands that took longer
//! than `slowlog-log-slower-than` microseconds to execute, kept in memory for an operator to
//! read.
//!
//! `call()` measures each command's execution (the handler alone: not the time spent reading
//! the request or writing the reply, and not the time a blocked command waited) and offers
//! it to [`slowlog_push_current_command`]. An entry keeps a copy of the arguments, cut the way
//! Redis cuts them so a huge MSET cannot pin megabytes in the log, with the arguments a
//! command redacted (AUTH's password) replaced.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::client::Client;
use crate::commands::{container_command, flags::*, Command, NO_KEYS};
use crate::server::Server;
use crate::util::parse_i64;

/// Most arguments an entry keeps; a longer command keeps the first 31 and a note of how
/// many more there were (Redis's SLOWLOG_ENTRY_MAX_ARGC).
const SLOWLOG_ENTRY_MAX_ARGC: usize = 32;

/// Longest argument an entry keeps, in bytes; the rest is replaced by a note of its length
/// (Redis's SLOWLOG_ENTRY_MAX_STRING).
const SLOWLOG_ENTRY_MAX_STRING: usize = 128;

/// What a redacted argument shows in the slow log and in MONITOR.
pub const REDACTED: &[u8] = b"(redacted)";

/// One logged command (Redis's slowlogEntry).
#[derive(Debug)]
struct SlowlogEntry {
    /// Unique, increasing from server start; SLOWLOG RESET does not restart it.
    id: u64,
    /// Unix time (seconds) when the command ran.
    time: i64,
    /// Execution time in microseconds.
    duration: i64,
    /// The (possibly cut and redacted) arguments.
    argv: Vec<Bytes>,
    /// The client's address and name at the time.
    peer: String,
    name: Bytes,
}

/// The log itself, owned by the `Server`: newest entry first, at most `slowlog-max-len`
/// entries (the limit is applied when an entry is added, as in Redis).
#[derive(Debug, Default)]
pub struct SlowLog {
    entries: VecDeque<SlowlogEntry>,
    next_id: u64,
}

/// Logs the command `c` just ran if it took `duration` µs or more of the configured
/// threshold (Redis's slowlogPushCurrentCommand). A negative threshold disables the log.
pub fn slowlog_push_current_command(srv: &mut Server, c: &Client, duration: i64) {
    let threshold = srv.config.slowlog_log_slower_than;
    if threshold < 0 || duration < threshold {
        return;
    }
    let argv = entry_arguments(c);
    let entry = SlowlogEntry {
        id: srv.slowlog.next_id,
        time: srv.now_ms.div_euclid(1000),
        duration,
        argv,
        peer: c.addr.to_string(),
        name: c.name.clone().unwrap_or_default(),
    };
    let log = &mut srv.slowlog;
    log.next_id += 1;
    log.entries.push_front(entry);
    let max_len = usize::try_from(srv.config.slowlog_max_len).unwrap_or(usize::MAX);
    log.entries.truncate(max_len);
}

/// The arguments as an entry keeps them: at most [`SLOWLOG_ENTRY_MAX_ARGC`], each at most
/// [`SLOWLOG_ENTRY_MAX_STRING`] bytes, redacted ones replaced.
fn entry_arguments(c: &Client) -> Vec<Bytes> {
    let argc = c.argv.len().min(SLOWLOG_ENTRY_MAX_ARGC);
    let mut argv = Vec::with_capacity(argc);
    for (j, arg) in c.argv.iter().enumerate().take(argc) {
        if argc != c.argv.len() && j == argc - 1 {
            let more = c.argv.len() - argc + 1;
            argv.push(Bytes::from(format!("... ({more} more arguments)")));
        } else if c.is_redacted(j) {
            argv.push(Bytes::from_static(REDACTED));
        } else if arg.len() > SLOWLOG_ENTRY_MAX_STRING {
            let mut cut = arg.slice(..SLOWLOG_ENTRY_MAX_STRING).to_vec();
            let more = arg.len() - SLOWLOG_ENTRY_MAX_STRING;
            cut.extend_from_slice(format!("... ({more} more bytes)").as_bytes());
            argv.push(Bytes::from(cut));
        } else {
            // A copy, not a slice of the query buffer: the entry may outlive the buffer by
            // a long time and must not keep the whole request's memory alive.
            argv.push(Bytes::copy_from_slice(arg));
        }
    }
    argv
}

pub static COMMANDS: &[Command] = &[
    Command::new("slowlog", -2, 0, NO_KEYS, 0, container_command)
        .with_subcommands(SLOWLOG_SUBCOMMANDS),
];

/// In the order Redis 7.0's COMMAND INFO lists them.
static SLOWLOG_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "slowlog|len",
        2,
        ADMIN | LOADING | STALE,
        NO_KEYS,
        0,
        slowlog_len_command,
    ),
    Command::new(
        "slowlog|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        0,
        slowlog_help_command,
    ),
    Command::new(
        "slowlog|reset",
        2,
        ADMIN | LOADING | STALE,
        NO_KEYS,
        0,
        slowlog_reset_command,
    ),
    Command::new(
        "slowlog|get",
        -2,
        ADMIN | LOADING | STALE,
        NO_KEYS,
        0,
        slowlog_get_command,
    ),
];

/// SLOWLOG LEN.
fn slowlog_len_command(srv: &mut Server, c: &mut Client) {
    c.reply.int(srv.slowlog.entries.len() as i64);
}

/// SLOWLOG RESET: empties the log; ids go on from where they were.
fn slowlog_reset_command(srv: &mut Server, c: &mut Client) {
    srv.slowlog.entries.clear();
    c.reply.ok();
}

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, all with -1), each as
/// id, time, duration, arguments, client address, client name.
fn slowlog_get_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 3 {
        return crate::commands::subcommand_syntax_error(c);
    }
    let count = if c.argv.len() == 3 {
        match parse_i64(c.argv.arg(2)) {
            Some(n) if n >= -1 => n,
            _ => {
                return c
                    .reply
                    .error("ERR count should be greater than or equal to -1")
            }
        }
    } else {
        10
    };
    let entries = &srv.slowlog.entries;
    let n = if count == -1 {
        entries.len()
    } else {
        entries.len().min(count as usize)
    };
    c.reply.array_len(n);
    for e in entries.iter().take(n) {
        c.reply.array_len(6);
        c.reply.int(e.id as i64);
        c.reply.int(e.time);
        c.reply.int(e.duration);
        c.reply.array_len(e.argv.len());
        for arg in &e.argv {
            c.reply.bulk(arg);
        }
        c.reply.bulk(e.peer.as_bytes());
        c.reply.bulk(&e.name);
    }
}

/// SLOWLOG HELP.
fn slowlog_help_command(_srv: &mut Server, c: &mut Client) {
    c.reply.help(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
}
