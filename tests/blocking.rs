//! Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP)
//! and CLIENT UNBLOCK, with several real connections.
//!
//! Most tests are scenarios (tests/common/scenario.rs) replayed on rredis and on
//! redis-server 7.0 and compared reply by reply.

mod common;

use std::time::{Duration, Instant};

use common::scenario::{same_on_both, wait_blocked, Step::*};
use common::Server;

#[test]
fn waiters_on_one_key_are_served_first_come_first_served() {
    let got = same_on_both(
        "waiters_on_one_key_are_served_first_come_first_served",
        &[
            Send(0, &["BLPOP", "q", "0"]),
            Blocked(1),
            Send(1, &["BRPOP", "other", "q", "0"]),
            Blocked(2),
            Send(2, &["BLPOP", "q", "0"]),
            Blocked(3),
            Cmd(3, &["RPUSH", "q", "a", "b"]),
            Read(0),
            Read(1),
            Blocked(1),
            Cmd(3, &["EXISTS", "q"]),
            Cmd(3, &["LPUSH", "q", "c"]),
            Read(2),
            Blocked(0),
            Cmd(3, &["EXISTS", "q"]),
        ],
    );
    assert_eq!(got[1], "step 7: *2\r\n$1\r\nq\r\n$1\r\na\r\n");
    assert_eq!(got[2], "step 8: *2\r\n$1\r\nq\r\n$1\r\nb\r\n");
}

#[test]
fn woken_client_takes_the_element_before_the_pushers_next_command() {
    same_on_both(
        "woken_client_takes_the_element_before_the_pushers_next_command",
        &[
            Send(0, &["BLPOP", "q", "0"]),
            Blocked(1),
            // One write carrying both commands: the waiter is served between them.
            Send(1, &["RPUSH", "q", "e1"]),
            Send(1, &["LPOP", "q"]),
            Read(1),
            Read(1),
            Read(0),
        ],
    );
}

#[test]
fn a_move_chain_wakes_blmove_then_the_destination_waiter() {
    same_on_both(
        "a_move_chain_wakes_blmove_then_the_destination_waiter",
        &[
            Send(0, &["BLPOP", "dst", "0"]),
            Blocked(1),
            Send(1, &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]),
            Blocked(2),
            Send(2, &["BRPOPLPUSH", "src2", "src", "0"]),
            Blocked(3),
            Cmd(3, &["RPUSH", "src2", "v"]),
            Read(2),
            Read(1),
            Read(0),
            Blocked(0),
            Cmd(3, &["EXISTS", "src", "src2", "dst"]),
        ],
    );
}

#[test]
fn blmpop_pops_up_to_count_and_blmove_meets_a_wrong_destination() {
    same_on_both(
        "blmpop_pops_up_to_count_and_blmove_meets_a_wrong_destination",
        &[
            Send(0, &["BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "3"]),
            Blocked(1),
            Cmd(3, &["RPUSH", "b", "1", "2", "3", "4"]),
            Read(0),
            Cmd(3, &["LRANGE", "b", "0", "-1"]),
            Cmd(3, &["SET", "dst", "string"]),
            Send(1, &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]),
            Blocked(1),
            Cmd(3, &["RPUSH", "src", "x"]),
            Read(1),
            Blocked(0),
            Cmd(3, &["LRANGE", "src", "0", "-1"]),
        ],
    );
}

#[test]
fn a_key_of_another_type_leaves_the_client_waiting() {
    same_on_both(
        "a_key_of_another_type_leaves_the_client_waiting",
        &[
            Send(0, &["BLPOP", "k", "0"]),
            Blocked(1),
            Cmd(3, &["SET", "k", "v"]),
            Cmd(3, &["SADD", "k2", "m"]),
            Blocked(1),
            Cmd(3, &["DEL", "k"]),
            Cmd(3, &["RPUSH", "k", "x"]),
            Read(0),
            Blocked(0),
        ],
    );
}

#[test]
fn keys_created_by_rename_and_swapdb_wake_waiters() {
    same_on_both(
        "keys_created_by_rename_and_swapdb_wake_waiters",
        &[
            Send(0, &["BLPOP", "target", "0"]),
            Blocked(1),
            Cmd(3, &["RPUSH", "staging", "r"]),
            Cmd(3, &["RENAME", "staging", "target"]),
            Read(0),
            Cmd(1, &["SELECT", "1"]),
            Send(1, &["BRPOP", "swapped", "0"]),
            Blocked(1),
            Cmd(3, &["RPUSH", "swapped", "s"]),
            Cmd(3, &["SWAPDB", "0", "1"]),
            Read(1),
            Blocked(0),
        ],
    );
}

#[test]
fn sorted_set_waiters_are_served_by_zadd_in_both_protocols() {
    same_on_both(
        "sorted_set_waiters_are_served_by_zadd_in_both_protocols",
        &[
            Send(0, &["BZPOPMIN", "z1", "z2", "0"]),
            Blocked(1),
            Send(1, &["BZPOPMAX", "z2", "0"]),
            Blocked(2),
            Send(2, &["HELLO", "3"]),
            Discard(2),
            Send(2, &["BZMPOP", "0", "1", "z2", "MAX", "COUNT", "2"]),
            Blocked(3),
            Cmd(
                3,
                &[
                    "ZADD", "z2", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
                ],
            ),
            Read(0),
            Read(1),
            Read(2),
            Blocked(0),
            Cmd(3, &["ZRANGE", "z2", "0", "-1", "WITHSCORES"]),
            // A list at a zset waiter's key does not serve it; a zset does.
            Send(0, &["BZPOPMIN", "k", "0"]),
            Blocked(1),
            Cmd(3, &["RPUSH", "k", "x"]),
            Blocked(1),
            Cmd(3, &["DEL", "k"]),
            Cmd(3, &["ZADD", "k", "1.5", "m"]),
            Read(0),
            // Timeouts: the null array.
            Cmd(0, &["BZPOPMAX", "none", "0.01"]),
            Cmd(0, &["BZMPOP", "0.01", "1", "none", "MIN"]),
            Cmd(2, &["BZPOPMIN", "none", "0.01"]),
        ],
    );
}

#[test]
fn a_waiter_that_disconnects_takes_nothing() {
    same_on_both(
        "a_waiter_that_disconnects_takes_nothing",
        &[
            Send(0, &["BLPOP", "k", "0"]),
            Send(1, &["BLMPOP", "0", "1", "k", "LEFT"]),
            Blocked(2),
            Close(0),
            Blocked(1),
            Cmd(3, &["RPUSH", "k", "v", "w"]),
            Read(1),
            Cmd(3, &["LRANGE", "k", "0", "-1"]),
        ],
    );
}

#[test]
fn client_unblock_ends_a_wait_with_a_timeout_or_an_error() {
    same_on_both(
        "client_unblock_ends_a_wait_with_a_timeout_or_an_error",
        &[
            Send(0, &["BLPOP", "k", "0"]),
            Blocked(1),
            Cmd(3, &["CLIENT", "UNBLOCK", "$ID0"]),
            Read(0),
            Send(1, &["BLMOVE", "k", "d", "LEFT", "LEFT", "0"]),
            Blocked(1),
            Cmd(3, &["CLIENT", "UNBLOCK", "$ID1", "ERROR"]),
            Read(1),
            Cmd(3, &["CLIENT", "UNBLOCK", "$ID1", "ERROR"]),
            Cmd(3, &["CLIENT", "UNBLOCK", "$ID2", "TIMEOUT"]),
            // The unblocked client runs what it sent while it waited.
            Send(2, &["BLPOP", "k", "0"]),
            Blocked(1),
            Send(2, &["PING"]),
            Cmd(3, &["CLIENT", "UNBLOCK", "$ID2"]),
            Read(2),
            Read(2),
        ],
    );
}

#[test]
fn timeouts_reply_a_null_array_in_both_protocols() {
    same_on_both(
        "timeouts_reply_a_null_array_in_both_protocols",
        &[
            Cmd(0, &["BLPOP", "k", "0.01"]),
            Cmd(0, &["BLMOVE", "k", "d", "LEFT", "LEFT", "0.01"]),
            Cmd(0, &["BRPOPLPUSH", "k", "d", "0.01"]),
            Cmd(0, &["BLMPOP", "0.01", "1", "k", "LEFT"]),
            Send(0, &["HELLO", "3"]),
            Discard(0),
            Cmd(0, &["BRPOP", "k", "0.01"]),
            Cmd(0, &["BLMOVE", "k", "d", "LEFT", "LEFT", "0.01"]),
        ],
    );
}

#[test]
fn timeout_fires_on_time_and_a_closed_waiter_leaves_no_trace() {
    let server = Server::start();
    let mut waiter = server.raw();
    let started = Instant::now();
    assert_eq!(waiter.cmd_str(&["BLPOP", "k", "0.3"]), "*-1\r\n");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_millis(400),
        "a 0.3 s timeout fired after {waited:?}"
    );

    // A waiter that disconnects is forgotten: the next push stays in the list.
    let mut control = server.raw();
    let mut gone = server.raw();
    gone.send_cmd(&[b"BLPOP", b"k", b"0"]);
    wait_blocked(&mut control, 1);
    drop(gone);
    wait_blocked(&mut control, 0);
    assert_eq!(control.cmd_str(&["RPUSH", "k", "v"]), ":1\r\n");
    assert_eq!(control.cmd_str(&["LLEN", "k"]), ":1\r\n");
    let info = control.cmd_str(&["INFO", "clients"]);
    assert!(info.contains("clients_in_timeout_table:0\r\n"), "{info}");
}

#[test]
fn blocked_clients_show_in_client_list_and_info() {
    let server = Server::start();
    let mut control = server.raw();
    let mut waiter = server.raw();
    waiter.send_cmd(&[b"BLPOP", b"k", b"100"]);
    wait_blocked(&mut control, 1);
    let info = control.cmd_str(&["INFO", "clients"]);
    assert!(info.contains("clients_in_timeout_table:1\r\n"), "{info}");
    let list = control.cmd_str(&["CLIENT", "LIST"]);
    assert!(
        list.lines()
            .any(|l| l.contains("flags=b ") && l.contains("cmd=blpop")),
        "{list}"
    );
    // A blocked client is not an idle one: the `timeout` setting spares it. An idle client
    // connected before the change shows when the idle check has run.
    let mut idle = server.raw();
    assert_eq!(
        control.cmd_str(&["CONFIG", "SET", "timeout", "1"]),
        "+OK\r\n"
    );
    let (_, closed) = idle.read_until_closed(Duration::from_secs(5));
    assert!(closed, "the idle client was not timed out");
    let mut control = server.raw();
    wait_blocked(&mut control, 1);
    assert_eq!(
        control.cmd_str(&["CONFIG", "SET", "timeout", "0"]),
        "+OK\r\n"
    );
    control.cmd_str(&["RPUSH", "k", "v"]);
    assert_eq!(
        String::from_utf8_lossy(&waiter.read_reply()),
        "*2\r\n$1\r\nk\r\n$1\r\nv\r\n"
    );
}
