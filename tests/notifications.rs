//! Keyspace notifications: a PSUBSCRIBE client reads the events another connection's
//! commands cause, replayed on rredis and on redis-server 7.0 and compared message by
//! message (tests/common/scenario.rs). `notify-keyspace-events` is set by CONFIG SET in each
//! scenario; its parsing and CONFIG GET form are checked here too.

mod common;

use common::scenario::{same_on_both, Step, Step::*};

/// Connection 1 runs `args`; connection 0, subscribed to every keyspace channel, reads the
/// `messages` it causes (two per event with `KE`: the keyspace one, then the keyevent one).
fn on_1(args: &'static [&'static str], messages: usize) -> Vec<Step> {
    let mut steps = vec![Cmd(1, args)];
    steps.extend((0..messages).map(|_| Read(0)));
    steps
}

/// [`on_1`] for a command whose reply is random (SPOP): the reply is read but not compared.
fn on_1_random(args: &'static [&'static str], messages: usize) -> Vec<Step> {
    let mut steps = vec![Send(1, args), Discard(1)];
    steps.extend((0..messages).map(|_| Read(0)));
    steps
}

/// Subscribes connection 0 to every keyspace notification after setting `flags`.
fn subscribed(flags: &'static [&'static str]) -> Vec<Step> {
    vec![Cmd(1, flags), Cmd(0, &["PSUBSCRIBE", "__key*__:*"])]
}

/// Runs the scenario and checks, once the commands are done, that no stray message is left:
/// a PUBLISH on a marker channel must be the next thing connection 0 reads.
/// Returns every reply, for checks of the messages themselves.
fn check(test: &str, mut steps: Vec<Step>) -> Vec<String> {
    steps.push(Cmd(1, &["PUBLISH", "__keyspace@0__:end", "end"]));
    steps.push(Read(0));
    same_on_both(test, &steps)
}

#[test]
fn config_letters_match_redis() {
    same_on_both(
        "config_letters_match_redis",
        &[
            Cmd(0, &["CONFIG", "GET", "notify-keyspace-events"]),
            Cmd(0, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
            Cmd(0, &["CONFIG", "GET", "notify-keyspace-events"]),
            Cmd(0, &["CONFIG", "SET", "notify-keyspace-events", "KEAmn"]),
            Cmd(0, &["CONFIG", "GET", "notify-keyspace-events"]),
            Cmd(0, &["CONFIG", "SET", "notify-keyspace-events", "zhs$lgKx"]),
            Cmd(0, &["CONFIG", "GET", "notify-keyspace-events"]),
            Cmd(
                0,
                &["CONFIG", "SET", "notify-keyspace-events", "Kg$lshzxetd"],
            ),
            Cmd(0, &["CONFIG", "GET", "notify-keyspace-events"]),
            Cmd(0, &["CONFIG", "SET", "notify-keyspace-events", "KEQ"]),
            Cmd(0, &["CONFIG", "GET", "notify-keyspace-events"]),
            Cmd(0, &["CONFIG", "SET", "notify-keyspace-events", ""]),
            Cmd(0, &["CONFIG", "GET", "notify-keyspace-events"]),
        ],
    );
}

#[test]
fn string_events_match_redis() {
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    for (args, messages) in [
        (&["SET", "s", "1"][..], 2),
        (&["SET", "s", "2", "EX", "100"][..], 4),
        (&["SET", "s", "3", "NX"][..], 0),
        (&["SETNX", "t", "1"][..], 2),
        (&["SETEX", "t", "100", "v"][..], 4),
        (&["PSETEX", "t", "100000", "v"][..], 4),
        (&["GETSET", "t", "w"][..], 2),
        (&["MSET", "a", "1", "b", "2"][..], 4),
        (&["MSETNX", "a", "1", "c", "2"][..], 0),
        (&["MSETNX", "c", "1", "d", "2"][..], 4),
        (&["APPEND", "a", "xyz"][..], 2),
        (&["SETRANGE", "a", "1", "QQ"][..], 2),
        (&["SETRANGE", "a", "1", ""][..], 0),
        (&["INCR", "n"][..], 2),
        (&["DECR", "n"][..], 2),
        (&["INCRBY", "n", "5"][..], 2),
        (&["DECRBY", "n", "5"][..], 2),
        (&["INCRBYFLOAT", "n", "1.5"][..], 2),
        (&["INCR", "a"][..], 0),
        (&["GETEX", "n", "EX", "100"][..], 2),
        (&["GETEX", "n", "PERSIST"][..], 2),
        (&["GETEX", "n", "PERSIST"][..], 0),
        (&["GETEX", "n"][..], 0),
        (&["GETEX", "n", "EXAT", "1"][..], 2),
        (&["GETDEL", "a"][..], 2),
        (&["GETDEL", "a"][..], 0),
    ] {
        steps.extend(on_1(args, messages));
    }
    let got = check("string_events_match_redis", steps);
    // The first event in full: keyspace channel with the event, then keyevent with the key.
    let messages: Vec<&String> = got.iter().filter(|r| r.contains("pmessage")).collect();
    assert!(messages[0].ends_with(
        "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$16\r\n__keyspace@0__:s\r\n$3\r\nset\r\n"
    ));
    assert!(messages[1].ends_with(
        "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$18\r\n__keyevent@0__:set\r\n$1\r\ns\r\n"
    ));
}

#[test]
fn generic_events_match_redis() {
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    for (args, messages) in [
        (&["MSET", "a", "1", "b", "2", "c", "3"][..], 6),
        (&["DEL", "a", "b", "nothing"][..], 4),
        (&["EXPIRE", "c", "100"][..], 2),
        (&["PEXPIRE", "c", "100000", "NX"][..], 0),
        (&["PERSIST", "c"][..], 2),
        (&["PERSIST", "c"][..], 0),
        (&["RENAME", "c", "d"][..], 4),
        (&["SET", "e", "1"][..], 2),
        (&["RENAME", "d", "e"][..], 4),
        (&["RENAMENX", "e", "e"][..], 0),
        (&["COPY", "e", "f"][..], 2),
        (&["MOVE", "f", "1"][..], 4),
        (&["COPY", "e", "f", "DB", "1", "REPLACE"][..], 2),
        (&["EXPIREAT", "e", "1"][..], 2),
        (&["UNLINK", "f"][..], 0),
    ] {
        steps.extend(on_1(args, messages));
    }
    check("generic_events_match_redis", steps);
}

#[test]
fn classes_and_channels_are_selected_by_the_flags() {
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "E$"]);
    // Only keyevent messages, and only for string commands.
    steps.extend(on_1(&["SET", "k", "v", "EX", "100"], 1));
    steps.extend(on_1(&["DEL", "k"], 0));
    steps.push(Cmd(1, &["CONFIG", "SET", "notify-keyspace-events", "Kg"]));
    steps.extend(on_1(&["SET", "k", "v"], 0));
    steps.extend(on_1(&["EXPIRE", "k", "100"], 1));
    // `n` announces key creation, before the command's own event; SELECT changes the
    // database number in the channel.
    steps.push(Cmd(
        1,
        &["CONFIG", "SET", "notify-keyspace-events", "KEn$g"],
    ));
    steps.extend(on_1(&["SET", "k", "w"], 2));
    steps.extend(on_1(&["SET", "new", "w"], 4));
    steps.push(Cmd(1, &["SELECT", "3"]));
    steps.extend(on_1(&["INCR", "counter"], 4));
    steps.extend(on_1(&["RENAME", "counter", "c2"], 6));
    steps.push(Cmd(1, &["SELECT", "0"]));
    check("classes_and_channels_are_selected_by_the_flags", steps);
}

#[test]
fn expired_events_match_redis() {
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEx"]);
    // Whichever finds it first, the active cycle or the lookup of the polling connection,
    // deletes the key and announces `expired` once (the `x` class alone: SET's own events
    // are not sent).
    steps.push(Cmd(1, &["SET", "k1", "v", "PX", "1"]));
    steps.push(Until(&["EXISTS", "k1"], ":0\r\n"));
    steps.push(Read(0));
    steps.push(Read(0));
    check("expired_events_match_redis", steps);
}

#[test]
fn list_events_match_redis() {
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    for (args, messages) in [
        (&["LPUSH", "l", "a", "b", "c"][..], 2),
        (&["RPUSH", "l", "d"][..], 2),
        (&["LPUSHX", "missing", "x"][..], 0),
        (&["RPUSHX", "l", "e"][..], 2),
        (&["LSET", "l", "0", "z"][..], 2),
        (&["LINSERT", "l", "BEFORE", "z", "y"][..], 2),
        (&["LINSERT", "l", "BEFORE", "nope", "y"][..], 0),
        (&["LREM", "l", "0", "nope"][..], 0),
        (&["LREM", "l", "1", "y"][..], 2),
        (&["LPOP", "l"][..], 2),
        (&["RPOP", "l", "0"][..], 0),
        (&["RPOP", "l", "1"][..], 2),
        (&["LMPOP", "1", "l", "LEFT", "COUNT", "1"][..], 2),
        (&["LMOVE", "l", "m", "LEFT", "RIGHT"][..], 4),
        (&["RPOPLPUSH", "m", "m"][..], 4),
        (&["LTRIM", "l", "0", "-1"][..], 2),
        (&["LTRIM", "m", "1", "0"][..], 4),
        (&["RPUSH", "l", "a", "b"][..], 2),
        (&["LTRIM", "l", "5", "9"][..], 4),
        (&["RPUSH", "l", "a"][..], 2),
        (&["RPOPLPUSH", "l", "m"][..], 6),
        (&["LREM", "m", "0", "a"][..], 4),
    ] {
        steps.extend(on_1(args, messages));
    }
    // A blocked pop served by another client's push: the push, then the pop.
    steps.push(Send(2, &["BLPOP", "q", "0"]));
    steps.push(Blocked(1));
    steps.extend(on_1(&["RPUSH", "q", "v"], 6));
    steps.push(Read(2));
    steps.push(Send(2, &["BLMOVE", "q", "r", "LEFT", "LEFT", "0"]));
    steps.push(Blocked(1));
    steps.extend(on_1(&["RPUSH", "q", "v", "w"], 6));
    steps.push(Read(2));
    check("list_events_match_redis", steps);
}

#[test]
fn hash_events_match_redis() {
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    for (args, messages) in [
        (&["HSET", "h", "a", "1", "b", "2"][..], 2),
        (&["HMSET", "h", "a", "1"][..], 2),
        (&["HSETNX", "h", "a", "1"][..], 0),
        (&["HSETNX", "h", "c", "1"][..], 2),
        (&["HINCRBY", "h", "a", "5"][..], 2),
        (&["HINCRBYFLOAT", "h", "a", "0.5"][..], 2),
        (&["HINCRBY", "h", "a", "1"][..], 0),
        (&["HDEL", "h", "nope"][..], 0),
        (&["HDEL", "h", "a", "nope"][..], 2),
        (&["HDEL", "h", "b", "c"][..], 4),
        (&["HINCRBY", "g", "a", "1"][..], 2),
    ] {
        steps.extend(on_1(args, messages));
    }
    check("hash_events_match_redis", steps);
}

#[test]
fn set_events_match_redis() {
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    for (args, messages) in [
        (&["SADD", "s", "1", "2", "3", "4", "5", "6"][..], 2),
        (&["SADD", "s", "1"][..], 0),
        (&["SREM", "s", "nope"][..], 0),
        (&["SREM", "s", "1", "nope"][..], 2),
        (&["SPOP", "s", "0"][..], 0),
        (&["SPOP", "s", "1"][..], 2),
        (&["SPOP", "s", "3"][..], 2),
        (&["SPOP", "s"][..], 4),
        (&["SADD", "a", "x", "y"][..], 2),
        (&["SMOVE", "a", "b", "x"][..], 4),
        (&["SMOVE", "a", "b", "nope"][..], 0),
        (&["SMOVE", "a", "b", "y"][..], 6),
        (&["SADD", "a", "x", "z"][..], 2),
        (&["SMOVE", "a", "b", "x"][..], 2),
        (&["SPOP", "a", "5"][..], 4),
        (&["SADD", "a", "y", "q"][..], 2),
        (&["SINTERSTORE", "d", "a", "b"][..], 2),
        (&["SINTERSTORE", "d", "a", "missing"][..], 2),
        (&["SINTERSTORE", "d", "a", "missing"][..], 0),
        (&["SUNIONSTORE", "d", "a", "b"][..], 2),
        (&["SDIFFSTORE", "d", "a", "b"][..], 2),
        (&["SDIFFSTORE", "d", "a", "a"][..], 2),
        (&["SREM", "b", "x", "y"][..], 4),
    ] {
        if args[0] == "SPOP" {
            steps.extend(on_1_random(args, messages));
        } else {
            steps.extend(on_1(args, messages));
        }
    }
    check("set_events_match_redis", steps);
}

#[test]
fn zset_events_match_redis() {
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    for (args, messages) in [
        (
            &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"][..],
            2,
        ),
        (&["ZADD", "z", "1", "a"][..], 0),
        (&["ZADD", "z", "XX", "1", "nope"][..], 0),
        (&["ZADD", "missing", "XX", "1", "a"][..], 0),
        (&["ZADD", "z", "CH", "5", "a"][..], 2),
        (&["ZINCRBY", "z", "1", "a"][..], 2),
        (&["ZADD", "z", "INCR", "0", "a"][..], 0),
        (&["ZADD", "z", "INCR", "2", "b"][..], 2),
        (&["ZREM", "z", "nope"][..], 0),
        (&["ZREM", "z", "a", "nope"][..], 2),
        (&["ZADD", "z", "10", "e", "11", "f", "12", "g"][..], 2),
        (&["ZREMRANGEBYRANK", "z", "0", "0"][..], 2),
        (&["ZREMRANGEBYSCORE", "z", "100", "200"][..], 0),
        (&["ZREMRANGEBYSCORE", "z", "10", "10"][..], 2),
        (&["ZREMRANGEBYLEX", "z", "[f", "[f"][..], 2),
        (&["ZRANGESTORE", "r", "z", "0", "-1"][..], 2),
        (&["ZRANGESTORE", "r", "z", "5", "9"][..], 2),
        (&["ZRANGESTORE", "r", "z", "5", "9"][..], 0),
        (&["ZUNIONSTORE", "u", "2", "z", "missing"][..], 2),
        (&["ZINTERSTORE", "u", "2", "z", "u"][..], 2),
        (&["ZDIFFSTORE", "u", "2", "z", "u"][..], 2),
        (&["ZPOPMIN", "z"][..], 2),
        (&["ZPOPMAX", "z", "0"][..], 0),
        (&["ZPOPMAX", "z", "1"][..], 2),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "9"][..], 4),
    ] {
        steps.extend(on_1(args, messages));
    }
    // A blocked pop served by another client's ZADD: the zadd, then the pop and the del.
    steps.push(Send(2, &["BZPOPMIN", "q", "0"]));
    steps.push(Blocked(1));
    steps.extend(on_1(&["ZADD", "q", "1", "v"], 6));
    steps.push(Read(2));
    check("zset_events_match_redis", steps);
}

#[test]
fn sort_store_events_match_redis() {
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    for (args, messages) in [
        (&["RPUSH", "l", "3", "1", "2"][..], 2),
        (&["SORT", "l", "STORE", "d"][..], 2),
        (&["SORT", "l"][..], 0),
        (&["SORT", "missing", "STORE", "d"][..], 2),
        (&["SORT", "missing", "STORE", "d"][..], 0),
    ] {
        steps.extend(on_1(args, messages));
    }
    check("sort_store_events_match_redis", steps);
}

#[test]
fn new_key_events_match_redis() {
    // The `n` class alone: only key creations, whichever command creates the key.
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEn"]);
    for (args, messages) in [
        (&["SET", "s", "1"][..], 2),
        (&["SET", "s", "2"][..], 0),
        (&["APPEND", "a", "x"][..], 2),
        (&["INCR", "i"][..], 2),
        (&["SETRANGE", "r", "2", "x"][..], 2),
        (&["HSET", "h", "f", "v"][..], 2),
        (&["HSET", "h", "g", "v"][..], 0),
        (&["HINCRBYFLOAT", "h2", "f", "1"][..], 2),
        (&["LPUSH", "l", "a", "b"][..], 2),
        (&["LPUSHX", "l2", "a"][..], 0),
        (&["LMOVE", "l", "l2", "LEFT", "LEFT"][..], 2),
        (&["SADD", "st", "a", "b"][..], 2),
        (&["SMOVE", "st", "st2", "a"][..], 2),
        (&["SUNIONSTORE", "st3", "st", "st2"][..], 2),
        (&["SUNIONSTORE", "st3", "st", "st2"][..], 0),
        (&["ZADD", "z", "1", "a"][..], 2),
        (&["ZUNIONSTORE", "z2", "1", "z"][..], 2),
        (&["ZRANGESTORE", "z3", "z", "0", "-1"][..], 2),
        (&["SORT", "l", "ALPHA", "STORE", "l3"][..], 2),
        (&["RENAME", "s", "s2"][..], 2),
        (&["COPY", "s2", "s3"][..], 2),
        (&["MOVE", "s3", "2"][..], 2),
        (&["MSET", "m1", "1", "m2", "2", "s2", "3"][..], 4),
        (&["GETSET", "gs", "1"][..], 2),
    ] {
        steps.extend(on_1(args, messages));
    }
    check("new_key_events_match_redis", steps);
}

#[test]
fn key_miss_events_match_redis() {
    // `m` alone: every read lookup that misses sends `keymiss` (OBJECT and the write
    // lookups never do); MGET and SINTER once per missing key.
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEm"]);
    for (args, messages) in [
        (&["GET", "a"][..], 2),
        (&["EXISTS", "b"][..], 2),
        (&["TYPE", "c"][..], 2),
        (&["TTL", "d"][..], 2),
        (&["PEXPIRETIME", "d"][..], 2),
        (&["OBJECT", "ENCODING", "e"][..], 0),
        (&["HGET", "f", "x"][..], 2),
        (&["LRANGE", "g", "0", "-1"][..], 2),
        (&["MGET", "h", "i"][..], 4),
        (&["SET", "j", "1"][..], 0),
        (&["GET", "j"][..], 0),
        (&["INCR", "k"][..], 0),
        (&["LPUSHX", "l", "x"][..], 0),
        (&["DEL", "m"][..], 0),
        (&["SCARD", "n"][..], 2),
        (&["ZSCORE", "o", "x"][..], 2),
        (&["STRLEN", "p"][..], 2),
        (&["SORT", "q"][..], 2),
        (&["COPY", "r", "s"][..], 2),
        (&["GETDEL", "v"][..], 2),
        (&["GETEX", "bb"][..], 2),
        (&["TOUCH", "ee"][..], 2),
        (&["SINTER", "ff", "gg"][..], 4),
        (&["SUNION", "ii"][..], 2),
        (&["ZUNION", "1", "jj"][..], 2),
        (&["LLEN", "kk"][..], 2),
        (&["SSCAN", "pp", "0"][..], 2),
        (&["LCS", "uu", "vv"][..], 4),
        (&["LPOP", "hh"][..], 0),
        (&["APPEND", "ss", "x"][..], 0),
    ] {
        steps.extend(on_1(args, messages));
    }
    check("key_miss_events_match_redis", steps);
}

#[test]
fn resp3_subscribers_and_transactions_match_redis() {
    // A RESP3 subscriber gets push frames; a transaction's events come out command by
    // command when EXEC runs; a plain SUBSCRIBE to one key's channel gets only that key's.
    let mut steps = vec![
        Send(0, &["HELLO", "3"]),
        Discard(0),
        Cmd(1, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        Cmd(0, &["PSUBSCRIBE", "__keyevent@0__:*"]),
        Cmd(2, &["SUBSCRIBE", "__keyspace@0__:k"]),
        Cmd(1, &["MULTI"]),
        Cmd(1, &["SET", "k", "1"]),
        Cmd(1, &["INCR", "other"]),
        Cmd(1, &["DEL", "k"]),
    ];
    steps.extend(on_1(&["EXEC"], 3));
    steps.push(Read(2));
    steps.push(Read(2));
    // Nothing else is pending for connection 0 (its pattern does not match check's marker).
    steps.push(Cmd(1, &["PUBLISH", "__keyevent@0__:end", "end"]));
    steps.push(Read(0));
    same_on_both("resp3_subscribers_and_transactions_match_redis", &steps);
}

#[test]
fn sort_pattern_lookups_send_key_misses_like_redis() {
    // SORT's BY and GET patterns look their keys up for reading too.
    let mut steps = subscribed(&["CONFIG", "SET", "notify-keyspace-events", "KEm"]);
    steps.push(Cmd(1, &["RPUSH", "l", "2", "1"]));
    steps.extend(on_1(
        &["SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "h_*->f"],
        12,
    ));
    check("sort_pattern_lookups_send_key_misses_like_redis", steps);
}

#[test]
fn resp3_client_receives_the_events_of_its_own_commands() {
    // A RESP3 client may subscribe and go on writing; the events its own commands cause are
    // pushed to it too. For these commands Redis writes the reply before the events, and so
    // does rredis: the same bytes on both servers.
    let mut steps = vec![
        Send(0, &["HELLO", "3"]),
        Discard(0),
        Cmd(0, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        Cmd(0, &["PSUBSCRIBE", "__keyevent@0__:*"]),
        Cmd(0, &["RPUSH", "l", "a", "b"]),
        Read(0),
        Cmd(0, &["HSET", "h", "f", "v"]),
        Read(0),
        Cmd(0, &["LPUSH", "l", "c"]),
        Read(0),
    ];
    // Another client's write reaches it as before.
    steps.extend(on_1(&["LPOP", "l"], 1));
    steps.push(Cmd(0, &["PING"]));
    same_on_both(
        "resp3_client_receives_the_events_of_its_own_commands",
        &steps,
    );
}

#[test]
fn own_events_follow_the_whole_reply() {
    // Where Redis 7.0 writes the event first (SET) or inside EXEC's array (which breaks the
    // RESP3 framing of the transaction's reply), rredis writes it after the command's whole
    // reply: every event still arrives, in the order it happened.
    let server = common::Server::start();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "E$g"]);
    c.cmd(&["SUBSCRIBE", "__keyevent@0__:set", "__keyevent@0__:del"]);
    c.read_reply();
    assert_eq!(c.cmd_str(&["SET", "k", "v"]), "+OK\r\n");
    let event = |name: &str, key: &str| {
        let channel = format!("__keyevent@0__:{name}");
        format!(
            ">3\r\n$7\r\nmessage\r\n${}\r\n{channel}\r\n${}\r\n{key}\r\n",
            channel.len(),
            key.len()
        )
    };
    assert_eq!(String::from_utf8_lossy(&c.read_reply()), event("set", "k"));
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["DEL", "a"]);
    assert_eq!(c.cmd_str(&["EXEC"]), "*2\r\n+OK\r\n:1\r\n");
    assert_eq!(String::from_utf8_lossy(&c.read_reply()), event("set", "a"));
    assert_eq!(String::from_utf8_lossy(&c.read_reply()), event("del", "a"));
    assert_eq!(c.cmd_str(&["PING"]), "+PONG\r\n");
}
