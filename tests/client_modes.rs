//! CLIENT REPLY, CLIENT PAUSE / UNPAUSE and CLIENT NO-EVICT, replayed as multi-connection
//! scenarios on rredis and on redis-server 7.0 and compared reply by reply
//! (tests/common/scenario.rs).

mod common;

use common::scenario::{same_on_both, Step::*};

#[test]
fn client_reply_off_and_skip_match_redis() {
    let steps = [
        // OFF drops every reply, its own included, until ON; SKIP drops the next one only.
        Send(0, &["CLIENT", "REPLY", "OFF"]),
        Send(0, &["SET", "a", "1"]),
        Send(0, &["GET", "a"]),
        Send(0, &["CLIENT", "REPLY", "SKIP"]),
        Cmd(0, &["CLIENT", "REPLY", "ON"]),
        Cmd(0, &["GET", "a"]),
        Send(0, &["CLIENT", "REPLY", "SKIP"]),
        Send(0, &["INCR", "a"]),
        Cmd(0, &["GET", "a"]),
        // Errors and arity.
        Cmd(0, &["CLIENT", "REPLY", "MAYBE"]),
        Cmd(0, &["CLIENT", "REPLY"]),
        // Push messages are not replies: with replies off, a subscription is still confirmed
        // and its messages still arrive (Redis's CLIENT_PUSHING).
        Send(1, &["CLIENT", "REPLY", "OFF"]),
        Send(1, &["GET", "a"]),
        Send(1, &["SUBSCRIBE", "ch"]),
        Read(1),
        Cmd(2, &["PUBLISH", "ch", "kept"]),
        Read(1),
        // RESET turns replies back on, except when it is the skipped command.
        Cmd(1, &["RESET"]),
        Send(0, &["CLIENT", "REPLY", "SKIP"]),
        Send(0, &["RESET"]),
        Cmd(0, &["PING"]),
        // NO-EVICT: a flag in CLIENT INFO, kept by RESET.
        Cmd(0, &["CLIENT", "NO-EVICT", "ON"]),
        Cmd(0, &["CLIENT", "NO-EVICT", "maybe"]),
        Cmd(0, &["RESET"]),
        Fields(0, &["CLIENT", "INFO"], &["flags"]),
        Cmd(0, &["CLIENT", "NO-EVICT", "OFF"]),
        Fields(0, &["CLIENT", "INFO"], &["flags"]),
    ];
    same_on_both("client_reply_off_and_skip_match_redis", &steps);
}

#[test]
fn client_pause_write_postpones_writes_only() {
    let steps = [
        Cmd(0, &["SET", "k", "v"]),
        Cmd(0, &["SET", "short", "v", "PX", "1"]),
        Cmd(0, &["CLIENT", "PAUSE", "100000", "WRITE"]),
        // A write waits (and the PING behind it), a read is served.
        Send(1, &["SET", "k", "new"]),
        Send(1, &["PING"]),
        Blocked(1),
        Cmd(2, &["GET", "k"]),
        Fields(2, &["CLIENT", "LIST", "ID", "$ID1"], &["flags", "cmd"]),
        // PUBLISH may replicate: it waits too; so does EXEC of a queued write, and so does
        // queueing it.
        Send(3, &["PUBLISH", "ch", "m"]),
        Blocked(2),
        // An expired key reads as missing but is not deleted while paused.
        Until(&["GET", "short"], "$-1\r\n"),
        Cmd(2, &["DBSIZE"]),
        Cmd(2, &["INFO", "keyspace"]),
        // A stronger pause widens the one in force; UNPAUSE ends it and the postponed
        // commands run, in order.
        Cmd(0, &["CLIENT", "UNPAUSE"]),
        Read(1),
        Read(1),
        Read(3),
        Cmd(2, &["GET", "k"]),
        Blocked(0),
    ];
    same_on_both("client_pause_write_postpones_writes_only", &steps);
}

#[test]
fn client_pause_all_and_its_errors_match_redis() {
    let steps = [
        Cmd(0, &["CLIENT", "PAUSE"]),
        Cmd(0, &["CLIENT", "PAUSE", "abc"]),
        Cmd(0, &["CLIENT", "PAUSE", "-1"]),
        Cmd(0, &["CLIENT", "PAUSE", "10", "FOO"]),
        Cmd(0, &["CLIENT", "PAUSE", "10", "WRITE", "x"]),
        Cmd(0, &["CLIENT", "UNPAUSE", "x"]),
        Cmd(0, &["CLIENT", "PAUSE", "0"]),
        Cmd(1, &["PING"]),
        // ALL: even a read and CLIENT UNPAUSE from another connection wait; a short pause
        // ends by itself and the postponed commands run.
        Cmd(0, &["CLIENT", "PAUSE", "300", "ALL"]),
        Send(1, &["GET", "k"]),
        Send(2, &["CLIENT", "UNPAUSE"]),
        Read(1),
        Read(2),
        Cmd(1, &["PING"]),
        // Inside a transaction CLIENT PAUSE runs at EXEC.
        Cmd(0, &["MULTI"]),
        Cmd(0, &["CLIENT", "PAUSE", "1"]),
        Cmd(0, &["EXEC"]),
    ];
    same_on_both("client_pause_all_and_its_errors_match_redis", &steps);
}
