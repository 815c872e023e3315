//! Transactions (MULTI, EXEC, DISCARD, WATCH, UNWATCH) with several real connections, as
//! scenarios (tests/common/scenario.rs) replayed on rredis and on redis-server 7.0 and
//! compared reply by reply. Single-connection cases are in tests/corpus/multi.txt.

mod common;

use common::scenario::{same_on_both, Step::*};
use common::{real_redis, Raw, Server};

/// The null reply EXEC gives when a watched key was modified.
const ABORTED: &str = "*-1\r\n";

#[test]
fn queued_commands_run_in_order_with_runtime_errors_in_the_array() {
    let got = same_on_both(
        "queued_commands_run_in_order_with_runtime_errors_in_the_array",
        &[
            Cmd(0, &["MULTI"]),
            Cmd(0, &["SET", "s", "1"]),
            Cmd(0, &["INCR", "s"]),
            Cmd(0, &["LPUSH", "s", "x"]),
            Cmd(0, &["UNWATCH"]),
            // Nothing ran yet: another client sees no key.
            Cmd(1, &["EXISTS", "s"]),
            Fields(
                1,
                &["CLIENT", "LIST", "ID", "$ID0"],
                &["flags", "multi", "cmd"],
            ),
            Cmd(0, &["EXEC"]),
            Fields(
                1,
                &["CLIENT", "LIST", "ID", "$ID0"],
                &["flags", "multi", "cmd"],
            ),
            // CLIENT INFO run by EXEC still sees the transaction.
            Cmd(0, &["MULTI"]),
            Fields(0, &["CLIENT", "INFO"], &["flags", "multi"]),
            Fields(0, &["EXEC"], &["flags", "multi"]),
            Cmd(0, &["GET", "s"]),
        ],
    );
    assert_eq!(
        got[7],
        "step 7: *4\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong \
         kind of value\r\n+OK\r\n"
    );
}

#[test]
fn rejected_commands_abort_the_transaction() {
    same_on_both(
        "rejected_commands_abort_the_transaction",
        &[
            // Unknown command, unknown subcommand, wrong arity, a no_multi command: each is
            // refused at once and EXEC fails; the queue stops growing.
            Cmd(0, &["MULTI"]),
            Cmd(0, &["SET", "k", "1"]),
            Cmd(0, &["NOSUCHCOMMAND", "a"]),
            Cmd(0, &["SET", "k", "2"]),
            Fields(1, &["CLIENT", "LIST", "ID", "$ID0"], &["flags", "multi"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["EXISTS", "k"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["CLIENT", "NOSUCHSUB"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["GET"]),
            Fields(1, &["CLIENT", "LIST", "ID", "$ID0"], &["cmd"]),
            Cmd(0, &["NOSUCHCOMMAND"]),
            Fields(1, &["CLIENT", "LIST", "ID", "$ID0"], &["cmd"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["SHUTDOWN"]),
            Cmd(0, &["EXEC"]),
            // Errors of the handlers themselves do not.
            Cmd(0, &["MULTI"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["WATCH", "k"]),
            Cmd(0, &["DISCARD", "extra"]),
            Cmd(0, &["SET", "k", "3"]),
            Cmd(0, &["EXEC"]),
            // A refused EXEC ends the transaction, with the reason.
            Cmd(0, &["MULTI"]),
            Cmd(0, &["SET", "k", "4"]),
            Cmd(0, &["EXEC", "extra"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["GET", "k"]),
            Cmd(0, &["EXEC", "extra"]),
            Cmd(0, &["DISCARD"]),
        ],
    );
}

#[test]
fn noauth_while_queueing_is_a_rejection() {
    same_on_both(
        "noauth_while_queueing_is_a_rejection",
        &[
            Cmd(0, &["CONFIG", "SET", "requirepass", "pw"]),
            Cmd(0, &["AUTH", "pw"]),
            Cmd(1, &["EXEC"]),
            Cmd(1, &["MULTI"]),
            Cmd(1, &["DISCARD"]),
            Cmd(1, &["AUTH", "pw"]),
            Cmd(1, &["MULTI"]),
            Cmd(1, &["AUTH", "wrong"]),
            Cmd(1, &["EXEC"]),
            Cmd(0, &["CONFIG", "SET", "requirepass", ""]),
        ],
    );
}

#[test]
fn a_watched_key_written_by_another_client_fails_exec() {
    same_on_both(
        "a_watched_key_written_by_another_client_fails_exec",
        &[
            Cmd(0, &["SET", "k", "1"]),
            Cmd(0, &["WATCH", "k", "other", "k"]),
            Cmd(1, &["INCR", "k"]),
            Fields(2, &["CLIENT", "LIST", "ID", "$ID0"], &["flags", "multi"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["SET", "k", "mine"]),
            Fields(2, &["CLIENT", "LIST", "ID", "$ID0"], &["flags", "multi"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["GET", "k"]),
            // EXEC dropped the watches: the next transaction runs.
            Cmd(1, &["INCR", "k"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["GET", "k"]),
            Cmd(0, &["EXEC"]),
            // RESP3: the null.
            Cmd(0, &["WATCH", "k"]),
            Cmd(1, &["DEL", "k"]),
            Send(0, &["HELLO", "3"]),
            Discard(0),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
        ],
    );
}

#[test]
fn the_watchers_own_write_before_multi_fails_exec() {
    let got = same_on_both(
        "the_watchers_own_write_before_multi_fails_exec",
        &[
            Cmd(0, &["WATCH", "k"]),
            Cmd(0, &["SET", "k", "1"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["GET", "k"]),
            Cmd(0, &["EXEC"]),
            // A write inside the transaction does not fail it: EXEC unwatches first.
            Cmd(0, &["WATCH", "k"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["SET", "k", "2"]),
            Cmd(0, &["SET", "k", "3"]),
            Cmd(0, &["EXEC"]),
        ],
    );
    assert_eq!(got[4], format!("step 4: {ABORTED}"));
}

#[test]
fn watched_keys_are_touched_by_every_kind_of_write() {
    // Each pair: the write another client makes, and the key watched.
    let writes: &[(&[&str], &[&str])] = &[
        (&["DEL", "str"], &["WATCH", "str"]),
        (&["UNLINK", "str"], &["WATCH", "str"]),
        (&["RENAME", "str", "fresh"], &["WATCH", "str"]),
        (&["RENAME", "str", "fresh"], &["WATCH", "fresh"]),
        (&["RENAMENX", "str", "fresh"], &["WATCH", "fresh"]),
        (&["MOVE", "str", "1"], &["WATCH", "str"]),
        (&["COPY", "str", "fresh"], &["WATCH", "fresh"]),
        (&["COPY", "str", "list", "REPLACE"], &["WATCH", "list"]),
        (&["EXPIRE", "str", "100"], &["WATCH", "str"]),
        (&["PEXPIRE", "str", "-1"], &["WATCH", "str"]),
        (&["PERSIST", "ttl"], &["WATCH", "ttl"]),
        (&["GETEX", "str", "PX", "100000"], &["WATCH", "str"]),
        (&["GETDEL", "str"], &["WATCH", "str"]),
        (&["GETSET", "str", "v"], &["WATCH", "str"]),
        (&["APPEND", "str", "v"], &["WATCH", "str"]),
        (&["SETRANGE", "str", "1", "v"], &["WATCH", "str"]),
        (&["INCRBYFLOAT", "fresh", "1.5"], &["WATCH", "fresh"]),
        (&["MSET", "a", "1", "fresh", "2"], &["WATCH", "fresh"]),
        (&["MSETNX", "a", "1", "fresh", "2"], &["WATCH", "fresh"]),
        (&["SETEX", "str", "100", "v"], &["WATCH", "str"]),
        (&["HSET", "hash", "f", "v"], &["WATCH", "hash"]),
        (&["HSETNX", "hash", "new", "v"], &["WATCH", "hash"]),
        (&["HDEL", "hash", "f"], &["WATCH", "hash"]),
        (&["HINCRBY", "hash", "n", "1"], &["WATCH", "hash"]),
        (&["HINCRBYFLOAT", "hash", "n", "1"], &["WATCH", "hash"]),
        (&["SADD", "set", "new"], &["WATCH", "set"]),
        (&["SREM", "set", "a"], &["WATCH", "set"]),
        (&["SPOP", "other"], &["WATCH", "other"]),
        (&["SPOP", "other", "1"], &["WATCH", "other"]),
        (&["SMOVE", "set", "fresh", "a"], &["WATCH", "set"]),
        (&["SMOVE", "set", "fresh", "a"], &["WATCH", "fresh"]),
        (&["SINTERSTORE", "fresh", "set"], &["WATCH", "fresh"]),
        (&["SINTERSTORE", "list", "nothing"], &["WATCH", "list"]),
        (&["SUNIONSTORE", "fresh", "set"], &["WATCH", "fresh"]),
        (&["SDIFFSTORE", "set", "set"], &["WATCH", "set"]),
        (&["LPUSH", "list", "x"], &["WATCH", "list"]),
        (&["RPUSHX", "list", "x"], &["WATCH", "list"]),
        (&["LPOP", "list"], &["WATCH", "list"]),
        (&["RPOP", "list", "2"], &["WATCH", "list"]),
        (&["LMPOP", "1", "list", "LEFT"], &["WATCH", "list"]),
        (
            &["LMOVE", "list", "fresh", "LEFT", "LEFT"],
            &["WATCH", "list"],
        ),
        (
            &["LMOVE", "list", "fresh", "LEFT", "LEFT"],
            &["WATCH", "fresh"],
        ),
        (&["RPOPLPUSH", "list", "list"], &["WATCH", "list"]),
        (&["LSET", "list", "0", "x"], &["WATCH", "list"]),
        (&["LINSERT", "list", "BEFORE", "b", "x"], &["WATCH", "list"]),
        (&["LREM", "list", "0", "a"], &["WATCH", "list"]),
        // LTRIM touches the key even when it keeps every element (as Redis).
        (&["LTRIM", "list", "0", "-1"], &["WATCH", "list"]),
        (&["BLPOP", "list", "0"], &["WATCH", "list"]),
        (
            &["BLMOVE", "list", "fresh", "LEFT", "LEFT", "0"],
            &["WATCH", "fresh"],
        ),
        (&["ZADD", "zset", "3", "new"], &["WATCH", "zset"]),
        (&["ZADD", "fresh", "1", "a"], &["WATCH", "fresh"]),
        (&["ZADD", "zset", "5", "a"], &["WATCH", "zset"]),
        (&["ZADD", "zset", "XX", "CH", "5", "a"], &["WATCH", "zset"]),
        (&["ZADD", "zset", "GT", "5", "a"], &["WATCH", "zset"]),
        (&["ZADD", "zset", "1", "a", "3", "new"], &["WATCH", "zset"]),
        (&["ZADD", "zset", "INCR", "1", "a"], &["WATCH", "zset"]),
        (&["ZINCRBY", "zset", "1", "a"], &["WATCH", "zset"]),
        // A new member is added even with an increment of 0.
        (&["ZINCRBY", "zset", "0", "new"], &["WATCH", "zset"]),
        (&["ZREM", "zset", "a", "nope"], &["WATCH", "zset"]),
        (&["ZREM", "zset", "a", "b", "c"], &["WATCH", "zset"]),
        (&["ZREMRANGEBYRANK", "zset", "0", "0"], &["WATCH", "zset"]),
        (
            &["ZREMRANGEBYSCORE", "zset", "-inf", "+inf"],
            &["WATCH", "zset"],
        ),
        (&["ZREMRANGEBYLEX", "zset", "[a", "[b"], &["WATCH", "zset"]),
        (&["ZPOPMIN", "zset"], &["WATCH", "zset"]),
        (&["ZPOPMAX", "zset", "10"], &["WATCH", "zset"]),
        (
            &["ZMPOP", "2", "missing", "zset", "MIN"],
            &["WATCH", "zset"],
        ),
        // The blocking pops served at once, from an existing sorted set.
        (&["BZPOPMIN", "missing", "zset", "0"], &["WATCH", "zset"]),
        (&["BZPOPMAX", "zset", "0"], &["WATCH", "zset"]),
        (
            &["BZMPOP", "0", "1", "zset", "MAX", "COUNT", "3"],
            &["WATCH", "zset"],
        ),
        (
            &["ZRANGESTORE", "fresh", "zset", "0", "0"],
            &["WATCH", "fresh"],
        ),
        (
            &["ZRANGESTORE", "zset", "zset", "0", "0"],
            &["WATCH", "zset"],
        ),
        (
            &["ZUNIONSTORE", "fresh", "2", "zset", "set"],
            &["WATCH", "fresh"],
        ),
        (
            &["ZINTERSTORE", "str", "2", "zset", "set"],
            &["WATCH", "str"],
        ),
        (
            &["ZDIFFSTORE", "fresh", "2", "zset", "set"],
            &["WATCH", "fresh"],
        ),
        // An empty result deletes an existing destination: that is a write (Redis 7.0's
        // `if (dbDelete(..)) signalModifiedKey(..)`).
        (&["ZRANGESTORE", "str", "zset", "5", "6"], &["WATCH", "str"]),
        (
            &["ZRANGESTORE", "list", "missing", "0", "-1"],
            &["WATCH", "list"],
        ),
        (&["ZUNIONSTORE", "str", "1", "missing"], &["WATCH", "str"]),
        (
            &["ZINTERSTORE", "hash", "2", "zset", "missing"],
            &["WATCH", "hash"],
        ),
        (
            &["ZDIFFSTORE", "zset", "2", "zset", "zset"],
            &["WATCH", "zset"],
        ),
        (&["FLUSHDB"], &["WATCH", "str"]),
        (&["FLUSHALL"], &["WATCH", "list"]),
        (&["SWAPDB", "0", "1"], &["WATCH", "str"]),
    ];
    let got = touch_cases("watched_keys_are_touched_by_every_kind_of_write", writes);
    for ((write, watch), exec) in writes.iter().zip(got) {
        assert_eq!(exec, ABORTED, "{write:?} did not touch {watch:?}");
    }
}

#[test]
fn writes_that_change_nothing_leave_watchers_alone() {
    let writes: &[(&[&str], &[&str])] = &[
        (&["SET", "str", "v", "NX"], &["WATCH", "str"]),
        (&["SET", "missing", "v", "XX"], &["WATCH", "missing"]),
        (&["SETNX", "str", "v"], &["WATCH", "str"]),
        (
            &["MSETNX", "str", "1", "missing", "2"],
            &["WATCH", "missing"],
        ),
        (&["SETRANGE", "str", "0", ""], &["WATCH", "str"]),
        (&["DEL", "missing"], &["WATCH", "missing"]),
        (&["RENAMENX", "str", "list"], &["WATCH", "list"]),
        (&["RENAME", "str", "str"], &["WATCH", "str"]),
        (&["MOVE", "str", "0"], &["WATCH", "str"]),
        (&["EXPIRE", "missing", "10"], &["WATCH", "missing"]),
        (&["EXPIRE", "ttl", "10", "GT"], &["WATCH", "ttl"]),
        (&["PERSIST", "str"], &["WATCH", "str"]),
        (&["GETEX", "str"], &["WATCH", "str"]),
        (&["HSETNX", "hash", "f", "other"], &["WATCH", "hash"]),
        (&["HDEL", "hash", "nope"], &["WATCH", "hash"]),
        (&["SADD", "set", "a"], &["WATCH", "set"]),
        (&["SREM", "set", "nope"], &["WATCH", "set"]),
        (&["SPOP", "set", "0"], &["WATCH", "set"]),
        (&["SMOVE", "set", "set", "a"], &["WATCH", "set"]),
        (&["SMOVE", "set", "fresh", "nope"], &["WATCH", "set"]),
        (&["SMOVE", "set", "other", "a"], &["WATCH", "other"]),
        (&["LPUSHX", "missing", "x"], &["WATCH", "missing"]),
        (&["LPOP", "missing"], &["WATCH", "missing"]),
        (&["LREM", "list", "0", "nope"], &["WATCH", "list"]),
        (
            &["LINSERT", "list", "BEFORE", "nope", "x"],
            &["WATCH", "list"],
        ),
        (
            &["LMOVE", "missing", "list", "LEFT", "LEFT"],
            &["WATCH", "list"],
        ),
        // ZADD and ZINCRBY touch the key only when a member is added or its score changes.
        (&["ZADD", "zset", "1", "a"], &["WATCH", "zset"]),
        (
            &["ZADD", "zset", "CH", "1", "a", "2", "b"],
            &["WATCH", "zset"],
        ),
        (&["ZADD", "zset", "NX", "5", "a"], &["WATCH", "zset"]),
        (&["ZADD", "zset", "XX", "5", "new"], &["WATCH", "zset"]),
        (&["ZADD", "missing", "XX", "5", "a"], &["WATCH", "missing"]),
        (&["ZADD", "zset", "GT", "0", "b"], &["WATCH", "zset"]),
        (&["ZADD", "zset", "LT", "5", "a"], &["WATCH", "zset"]),
        (&["ZADD", "zset", "INCR", "0", "a"], &["WATCH", "zset"]),
        (
            &["ZADD", "zset", "XX", "INCR", "1", "new"],
            &["WATCH", "zset"],
        ),
        (
            &["ZADD", "zset", "GT", "INCR", "-1", "a"],
            &["WATCH", "zset"],
        ),
        (&["ZINCRBY", "zset", "0", "a"], &["WATCH", "zset"]),
        // inf + -inf: the NaN error changes nothing.
        (&["ZINCRBY", "zset", "-inf", "c"], &["WATCH", "zset"]),
        (&["ZADD", "str", "1", "a"], &["WATCH", "str"]),
        (&["ZREM", "zset", "nope"], &["WATCH", "zset"]),
        (&["ZREM", "missing", "a"], &["WATCH", "missing"]),
        (&["ZREMRANGEBYRANK", "zset", "5", "6"], &["WATCH", "zset"]),
        (
            &["ZREMRANGEBYRANK", "missing", "0", "-1"],
            &["WATCH", "missing"],
        ),
        (
            &["ZREMRANGEBYSCORE", "zset", "(1", "(2"],
            &["WATCH", "zset"],
        ),
        (&["ZREMRANGEBYLEX", "zset", "[x", "[y"], &["WATCH", "zset"]),
        (&["ZPOPMIN", "zset", "0"], &["WATCH", "zset"]),
        (&["ZPOPMAX", "missing"], &["WATCH", "missing"]),
        (&["ZPOPMIN", "missing", "0"], &["WATCH", "missing"]),
        (&["ZMPOP", "1", "missing", "MIN"], &["WATCH", "missing"]),
        (
            &["ZMPOP", "1", "missing", "MAX", "COUNT", "0"],
            &["WATCH", "zset"],
        ),
        // An empty result where no destination exists creates nothing.
        (
            &["ZRANGESTORE", "fresh", "zset", "5", "6"],
            &["WATCH", "fresh"],
        ),
        (
            &["ZRANGESTORE", "fresh", "missing", "0", "-1"],
            &["WATCH", "fresh"],
        ),
        (
            &["ZUNIONSTORE", "fresh", "1", "missing"],
            &["WATCH", "fresh"],
        ),
        (
            &["ZINTERSTORE", "fresh", "2", "zset", "missing"],
            &["WATCH", "fresh"],
        ),
        (
            &["ZDIFFSTORE", "fresh", "2", "zset", "zset"],
            &["WATCH", "fresh"],
        ),
        // Reading sources is no write to them.
        (&["ZUNIONSTORE", "fresh", "1", "zset"], &["WATCH", "zset"]),
        (&["INCR", "str"], &["WATCH", "str"]),
        (&["LPUSH", "str", "x"], &["WATCH", "str"]),
        (&["GET", "str"], &["WATCH", "str"]),
        (&["FLUSHDB"], &["WATCH", "missing"]),
        (&["SWAPDB", "0", "1"], &["WATCH", "missing"]),
        (&["SWAPDB", "0", "0"], &["WATCH", "str"]),
    ];
    let got = touch_cases("writes_that_change_nothing_leave_watchers_alone", writes);
    for ((write, watch), exec) in writes.iter().zip(got) {
        assert_eq!(exec, "*1\r\n+PONG\r\n", "{write:?} touched {watch:?}");
    }
}

/// Runs, for each (write, watch) case, on fresh data: connection 1 runs `watch`, connection
/// 0 the write, then connection 1 a transaction; returns each case's EXEC reply (and checks
/// every reply against redis-server).
fn touch_cases(
    test: &str,
    cases: &[(&'static [&'static str], &'static [&'static str])],
) -> Vec<String> {
    let mut steps = Vec::new();
    let mut per_case = 0;
    for &(write, watch) in cases {
        let before = steps.len();
        steps.extend([
            Cmd(0, &["FLUSHALL"]),
            Cmd(0, &["SET", "str", "abc"]),
            Cmd(0, &["SET", "ttl", "1", "EX", "100"]),
            Cmd(0, &["HSET", "hash", "f", "v", "n", "1"]),
            Cmd(0, &["SADD", "set", "a", "b"]),
            Cmd(0, &["SADD", "other", "a"]),
            Cmd(0, &["RPUSH", "list", "a", "b", "c"]),
            Cmd(0, &["ZADD", "zset", "1", "a", "2", "b", "inf", "c"]),
            Cmd(1, watch),
            Cmd(0, write),
            Cmd(1, &["MULTI"]),
            Cmd(1, &["PING"]),
            Cmd(1, &["EXEC"]),
        ]);
        per_case = steps.len() - before;
    }
    let got = same_on_both(test, &steps);
    got.chunks(per_case.max(1))
        .map(|case| {
            let last = case.last().map(String::as_str).unwrap_or_default();
            last.split_once(": ").map_or("", |(_, r)| r).to_string()
        })
        .collect()
}

#[test]
fn flush_and_swapdb_touch_only_keys_that_exist() {
    same_on_both(
        "flush_and_swapdb_touch_only_keys_that_exist",
        &[
            // SWAPDB bringing a key into the watched database.
            Cmd(1, &["SELECT", "1"]),
            Cmd(1, &["SET", "k", "from1"]),
            Cmd(0, &["WATCH", "k"]),
            Cmd(1, &["SWAPDB", "0", "1"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["GET", "k"]),
            Cmd(0, &["EXEC"]),
            // Watches stay with the database index: watched in db 1, flushed in db 0.
            Cmd(0, &["FLUSHALL"]),
            Cmd(0, &["SELECT", "1"]),
            Cmd(0, &["SET", "k", "1"]),
            Cmd(0, &["WATCH", "k"]),
            Cmd(0, &["SELECT", "0"]),
            Cmd(1, &["SELECT", "0"]),
            Cmd(1, &["SET", "k", "db0"]),
            Cmd(1, &["DEL", "k"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
            // FLUSHALL touches watchers of every database.
            Cmd(0, &["SELECT", "1"]),
            Cmd(0, &["WATCH", "k"]),
            Cmd(1, &["FLUSHALL"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
            // SELECT inside the transaction; MOVE touches the destination database's key.
            Cmd(0, &["SELECT", "0"]),
            Cmd(0, &["SET", "m", "1"]),
            Cmd(1, &["SELECT", "1"]),
            Cmd(1, &["WATCH", "m"]),
            Cmd(0, &["MOVE", "m", "1"]),
            Cmd(1, &["MULTI"]),
            Cmd(1, &["SELECT", "0"]),
            Cmd(1, &["EXISTS", "m"]),
            Cmd(1, &["EXEC"]),
            Cmd(1, &["EXISTS", "m"]),
        ],
    );
}

#[test]
fn expiry_of_a_watched_key_fails_exec() {
    let got = same_on_both(
        "expiry_of_a_watched_key_fails_exec",
        &[
            // Expired since WATCH, whether still there (EXEC checks) or already reclaimed by
            // the active cycle (its deletion touches the watchers): `probe`, set after `k`
            // with the same TTL, tells when `k` has expired without looking `k` up.
            Cmd(0, &["SET", "k", "1", "PX", "200"]),
            Cmd(0, &["WATCH", "k"]),
            Cmd(1, &["SET", "probe", "1", "PX", "200"]),
            Until(&["EXISTS", "probe"], ":0\r\n"),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["GET", "k"]),
            Cmd(0, &["EXEC"]),
            // Deleted on access by another client.
            Cmd(0, &["SET", "k", "1", "PX", "200"]),
            Cmd(0, &["WATCH", "k"]),
            Until(&["EXISTS", "k"], ":0\r\n"),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
            // Deleted on access by the watcher itself.
            Cmd(0, &["SET", "k", "1", "PX", "200"]),
            Cmd(0, &["WATCH", "k"]),
            Cmd(1, &["SET", "probe", "1", "PX", "200"]),
            Until(&["EXISTS", "probe"], ":0\r\n"),
            Cmd(0, &["EXISTS", "k"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
            // Gone before the WATCH: watching a missing key, which only a write touches.
            Cmd(0, &["SET", "k", "1", "PX", "10"]),
            Until(&["EXISTS", "k"], ":0\r\n"),
            Cmd(0, &["WATCH", "k"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["WATCH", "k"]),
            Cmd(1, &["SET", "k", "2"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
            // A TTL set inside the transaction, expiring before EXEC returns, is no abort.
            Cmd(0, &["WATCH", "k"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["PEXPIRE", "k", "1"]),
            Cmd(0, &["EXEC"]),
        ],
    );
    for step in [6, 11, 18, 27] {
        let exec = format!("step {step}: {ABORTED}");
        assert!(got.contains(&exec), "{exec:?} not in {got:?}");
    }
    assert!(got.contains(&"step 23: *0\r\n".to_string()));
    assert!(got.contains(&"step 31: *1\r\n:1\r\n".to_string()));
}

#[test]
fn unwatch_discard_and_reset_forget_the_watches() {
    same_on_both(
        "unwatch_discard_and_reset_forget_the_watches",
        &[
            Cmd(0, &["WATCH", "k"]),
            Cmd(0, &["UNWATCH"]),
            Cmd(1, &["SET", "k", "1"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
            // UNWATCH also forgets that a watched key was touched.
            Cmd(0, &["WATCH", "k"]),
            Cmd(1, &["SET", "k", "2"]),
            Fields(1, &["CLIENT", "LIST", "ID", "$ID0"], &["flags"]),
            Cmd(0, &["UNWATCH"]),
            Fields(1, &["CLIENT", "LIST", "ID", "$ID0"], &["flags"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["WATCH", "k"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["DISCARD"]),
            Cmd(1, &["SET", "k", "3"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["WATCH", "k"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["SET", "k", "queued"]),
            Cmd(0, &["RESET"]),
            Cmd(1, &["SET", "k", "4"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["GET", "k"]),
            // A client that goes away takes its transaction with it.
            Cmd(2, &["WATCH", "k"]),
            Cmd(2, &["MULTI"]),
            Cmd(2, &["SET", "k", "never"]),
            Close(2),
            Cmd(1, &["SET", "k", "5"]),
            Cmd(1, &["GET", "k"]),
            // QUIT inside MULTI is not queued.
            Cmd(3, &["MULTI"]),
            Cmd(3, &["QUIT"]),
            Close(3),
        ],
    );
}

#[test]
fn blocked_clients_are_served_after_the_whole_exec() {
    let got = same_on_both(
        "blocked_clients_are_served_after_the_whole_exec",
        &[
            Send(0, &["BLPOP", "k1", "k2", "0"]),
            Blocked(1),
            Cmd(1, &["MULTI"]),
            Cmd(1, &["RPUSH", "k2", "a"]),
            Cmd(1, &["RPUSH", "k1", "b"]),
            Cmd(1, &["EXEC"]),
            Read(0),
            Blocked(0),
            Cmd(1, &["LRANGE", "k1", "0", "-1"]),
            Cmd(1, &["LRANGE", "k2", "0", "-1"]),
            // A key created and emptied inside one EXEC wakes nobody.
            Send(0, &["BLPOP", "k3", "0"]),
            Blocked(1),
            Cmd(1, &["MULTI"]),
            Cmd(1, &["RPUSH", "k3", "x"]),
            Cmd(1, &["LPOP", "k3"]),
            Cmd(1, &["EXEC"]),
            Cmd(1, &["CLIENT", "UNBLOCK", "$ID0"]),
            Read(0),
            // Serving a woken BLMOVE touches the watchers of its destination.
            Cmd(2, &["WATCH", "dst"]),
            Send(0, &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]),
            Blocked(1),
            Cmd(1, &["RPUSH", "src", "v"]),
            Read(0),
            Cmd(2, &["MULTI"]),
            Cmd(2, &["EXEC"]),
        ],
    );
    assert_eq!(got[4], "step 6: *2\r\n$2\r\nk2\r\n$1\r\na\r\n");
}

/// A woken BZPOPMIN, BZPOPMAX or BZMPOP pops through the same path as ZPOPMIN, which touches
/// the key. The write that woke it has touched the key already, so EXEC failing here cannot
/// tell the two apart (nothing can run between that write and the serving); the scenario
/// checks the whole exchange against redis-server, and the pops served at once are in
/// `watched_keys_are_touched_by_every_kind_of_write`.
#[test]
fn woken_sorted_set_pops_leave_the_key_touched() {
    let got = same_on_both(
        "woken_sorted_set_pops_leave_the_key_touched",
        &[
            Cmd(2, &["WATCH", "z"]),
            Send(0, &["BZPOPMIN", "z", "0"]),
            Blocked(1),
            Cmd(1, &["ZADD", "z", "1", "a", "2", "b"]),
            Read(0),
            Cmd(2, &["MULTI"]),
            Cmd(2, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
            Cmd(2, &["EXEC"]),
            // Emptied by the pops: the key goes with its last member.
            Cmd(1, &["ZPOPMIN", "z"]),
            Cmd(2, &["WATCH", "z"]),
            Send(0, &["BZMPOP", "0", "2", "y", "z", "MAX", "COUNT", "5"]),
            Send(3, &["BZPOPMAX", "z", "0"]),
            Blocked(2),
            Cmd(1, &["MULTI"]),
            Cmd(1, &["ZADD", "z", "3", "c", "4", "d"]),
            Cmd(1, &["ZADD", "z", "5", "e"]),
            Cmd(1, &["EXEC"]),
            Read(0),
            Blocked(1),
            Cmd(1, &["ZADD", "z", "6", "f"]),
            Read(3),
            Cmd(2, &["MULTI"]),
            Cmd(2, &["EXISTS", "z"]),
            Cmd(2, &["EXEC"]),
        ],
    );
    for step in [7, 23] {
        let exec = format!("step {step}: {ABORTED}");
        assert!(got.contains(&exec), "{exec:?} not in {got:?}");
    }
}

#[test]
fn blocking_commands_inside_exec_do_not_block() {
    same_on_both(
        "blocking_commands_inside_exec_do_not_block",
        &[
            Cmd(0, &["RPUSH", "full", "a", "b", "c", "d"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["BLPOP", "empty", "0"]),
            Cmd(0, &["BRPOP", "empty", "0"]),
            Cmd(0, &["BLMOVE", "empty", "dst", "LEFT", "LEFT", "0"]),
            Cmd(0, &["BRPOPLPUSH", "empty", "dst", "0"]),
            Cmd(0, &["BLMPOP", "0", "1", "empty", "LEFT"]),
            Cmd(0, &["BLPOP", "empty", "full", "0"]),
            Cmd(0, &["BLMOVE", "full", "dst", "LEFT", "LEFT", "0"]),
            Cmd(
                0,
                &["BLMPOP", "0", "2", "empty", "full", "RIGHT", "COUNT", "5"],
            ),
            Cmd(0, &["BLPOP", "empty", "bad-timeout"]),
            Cmd(0, &["EXEC"]),
            Blocked(0),
            // The sorted-set pops likewise: the null array for no key, else served at once.
            Cmd(
                0,
                &["ZADD", "zfull", "1", "a", "2", "b", "3", "c", "4", "d"],
            ),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["BZPOPMIN", "empty", "0"]),
            Cmd(0, &["BZPOPMAX", "empty", "other", "0"]),
            Cmd(0, &["BZMPOP", "0", "1", "empty", "MIN"]),
            Cmd(0, &["BZPOPMIN", "empty", "zfull", "0"]),
            Cmd(0, &["BZPOPMAX", "zfull", "0"]),
            Cmd(
                0,
                &["BZMPOP", "0", "2", "empty", "zfull", "MAX", "COUNT", "5"],
            ),
            Cmd(0, &["BZPOPMIN", "empty", "bad-timeout"]),
            Cmd(0, &["BZMPOP", "0", "1", "empty", "MIN", "COUNT", "0"]),
            Cmd(0, &["EXEC"]),
            Blocked(0),
            Send(0, &["HELLO", "3"]),
            Discard(0),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["BLPOP", "empty", "0"]),
            Cmd(0, &["BRPOP", "empty", "0"]),
            Cmd(0, &["BLMOVE", "empty", "dst", "LEFT", "LEFT", "0"]),
            Cmd(0, &["BRPOPLPUSH", "empty", "dst", "0"]),
            Cmd(0, &["BLMPOP", "0", "1", "empty", "LEFT"]),
            Cmd(0, &["BZPOPMIN", "empty", "0"]),
            Cmd(0, &["BZPOPMAX", "empty", "0"]),
            Cmd(0, &["BZMPOP", "0", "1", "empty", "MAX"]),
            Cmd(0, &["ZADD", "zfull", "1", "a"]),
            Cmd(0, &["BZPOPMIN", "zfull", "0"]),
            Cmd(0, &["EXEC"]),
            // Outside EXEC they block again.
            Send(0, &["BLPOP", "empty", "0"]),
            Blocked(1),
            Cmd(1, &["LPUSH", "empty", "x"]),
            Read(0),
            Send(0, &["BZPOPMIN", "empty2", "0"]),
            Blocked(1),
            Cmd(1, &["ZADD", "empty2", "1", "x"]),
            Read(0),
        ],
    );
}

/// INFO's total_commands_processed counts MULTI, each command EXEC runs and EXEC itself,
/// but not the queueing; rejected requests are not counted.
#[test]
fn stats_count_each_executed_command_once() {
    fn count(conn: &mut Raw) -> i64 {
        let info = conn.cmd_str(&["INFO", "stats"]);
        info.lines()
            .find_map(|l| l.strip_prefix("total_commands_processed:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("total_commands_processed")
    }
    fn deltas(port: u16) -> Vec<i64> {
        let mut conn = Raw::connect(port);
        // INFO from another connection: inside MULTI it would be queued.
        let mut probe = Raw::connect(port);
        let mut out = Vec::new();
        let script: &[&[&str]] = &[
            &["MULTI"],
            &["SET", "k", "1"],
            &["INCR", "k"],
            &["EXEC"],
            &["MULTI"],
            &["GET"],
            &["SET", "k", "1"],
            &["EXEC"],
        ];
        for args in script {
            let before = count(&mut probe);
            conn.cmd(args);
            out.push(count(&mut probe) - before - 1);
        }
        out
    }
    let ours = Server::start();
    let got = deltas(ours.port);
    assert_eq!(got, [1, 0, 0, 3, 1, 0, 0, 1]);
    if let Some(real) = real_redis("stats_count_each_executed_command_once") {
        assert_eq!(got, deltas(real.port));
    }
}
