//! Keyspace commands (db.c, object.c) over raw TCP: exact reply bytes as redis-server 7.0
//! gives them, plus a differential run against the real server.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{assert_same_replies, Raw, Server};

/// Unix time in ms on the test's clock (the same clock the server reads).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// DBSIZE of the selected database.
fn dbsize(c: &mut Raw) -> i64 {
    let reply = c.cmd_str(&["DBSIZE"]);
    reply
        .trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap_or_else(|_| panic!("DBSIZE replied {reply:?}"))
}

/// Creates `key` (absent before) whose deadline has passed but which the server has not
/// reclaimed: only a lookup or the next active-expiry run will delete it. The server must
/// run with `--hz 1`, so the once-a-second cycle is rarely in the way; when it does reclaim
/// the key first, the setup starts again.
fn set_expired_unreclaimed(c: &mut Raw, key: &str) {
    for _ in 0..20 {
        let before = dbsize(c);
        assert_eq!(c.cmd_str(&["SET", key, "v"]), "+OK\r\n");
        let deadline = now_ms() + 3;
        assert_eq!(
            c.cmd_str(&["PEXPIREAT", key, &deadline.to_string()]),
            ":1\r\n"
        );
        // The condition is the clock itself: wait (briefly) for the deadline to pass.
        while now_ms() <= deadline {
            std::thread::yield_now();
        }
        if dbsize(c) == before + 1 {
            return;
        }
    }
    panic!("the active expiry cycle reclaimed {key} every time");
}

/// Every key of a full SCAN iteration with the given options, and the number of calls.
fn scan_all(c: &mut Raw, options: &[&str]) -> (HashSet<String>, usize) {
    let mut keys = HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(options);
        let reply = c.cmd_str(&args);
        calls += 1;
        let (next, found) = parse_scan_reply(&reply);
        keys.extend(found);
        if next == "0" {
            return (keys, calls);
        }
        cursor = next;
    }
}

/// Splits a raw SCAN reply `*2 $n cursor *k $.. key ...` into the cursor and the keys.
fn parse_scan_reply(reply: &str) -> (String, Vec<String>) {
    let lines: Vec<&str> = reply.split("\r\n").collect();
    assert_eq!(lines.first(), Some(&"*2"), "not a SCAN reply: {reply:?}");
    let cursor = lines[2].to_string();
    let count: usize = lines[3].trim_start_matches('*').parse().expect("key count");
    let keys = (0..count).map(|i| lines[5 + 2 * i].to_string()).collect();
    (cursor, keys)
}

#[test]
fn del_unlink_exists_touch_type() {
    let srv = Server::start();
    let mut c = srv.raw();
    for key in ["a", "b", "c"] {
        assert_eq!(c.cmd_str(&["SET", key, "1"]), "+OK\r\n");
    }
    // EXISTS and TOUCH count a key named twice twice; DEL counts it once.
    assert_eq!(c.cmd_str(&["EXISTS", "a", "a", "nokey"]), ":2\r\n");
    assert_eq!(c.cmd_str(&["TOUCH", "a", "a", "b", "nokey"]), ":3\r\n");
    assert_eq!(c.cmd_str(&["TYPE", "a"]), "+string\r\n");
    assert_eq!(c.cmd_str(&["TYPE", "nokey"]), "+none\r\n");
    assert_eq!(c.cmd_str(&["DEL", "a", "a", "nokey"]), ":1\r\n");
    assert_eq!(c.cmd_str(&["UNLINK", "b", "c", "b"]), ":2\r\n");
    assert_eq!(c.cmd_str(&["EXISTS", "a", "b", "c"]), ":0\r\n");
    assert_eq!(
        c.cmd_str(&["DEL"]),
        "-ERR wrong number of arguments for 'del' command\r\n"
    );
    assert_eq!(
        c.cmd_str(&["TYPE", "a", "b"]),
        "-ERR wrong number of arguments for 'type' command\r\n"
    );
}

#[test]
fn expired_keys_are_invisible_but_counted_until_reclaimed() {
    let srv = Server::start_with(&["--hz", "1"]);
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["SET", "live", "v"]), "+OK\r\n");

    // KEYS skips an expired key without deleting it; DBSIZE still counts it.
    set_expired_unreclaimed(&mut c, "gone");
    assert_eq!(c.cmd_str(&["KEYS", "*"]), "*1\r\n$4\r\nlive\r\n");
    assert_eq!(dbsize(&mut c), 2);
    // SCAN leaves it out and deletes it.
    assert_eq!(
        c.cmd_str(&["SCAN", "0", "COUNT", "100"]),
        "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nlive\r\n"
    );
    assert_eq!(dbsize(&mut c), 1);

    // DEL of an expired key deletes nothing: lazy expiry got there first.
    set_expired_unreclaimed(&mut c, "gone");
    assert_eq!(c.cmd_str(&["DEL", "gone"]), ":0\r\n");
    assert_eq!(dbsize(&mut c), 1);

    // EXISTS, TYPE, RENAME, COPY see nothing either.
    set_expired_unreclaimed(&mut c, "gone");
    assert_eq!(c.cmd_str(&["EXISTS", "gone"]), ":0\r\n");
    set_expired_unreclaimed(&mut c, "gone");
    assert_eq!(c.cmd_str(&["TYPE", "gone"]), "+none\r\n");
    set_expired_unreclaimed(&mut c, "gone");
    assert_eq!(c.cmd_str(&["RENAME", "gone", "x"]), "-ERR no such key\r\n");
    set_expired_unreclaimed(&mut c, "gone");
    assert_eq!(c.cmd_str(&["COPY", "gone", "x"]), ":0\r\n");
    assert_eq!(dbsize(&mut c), 1);
}

#[test]
fn randomkey_skips_and_reclaims_expired_keys() {
    let srv = Server::start_with(&["--hz", "1"]);
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["RANDOMKEY"]), "$-1\r\n");
    assert_eq!(c.cmd_str(&["SET", "only", "v"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["RANDOMKEY"]), "$4\r\nonly\r\n");
    assert_eq!(c.cmd_str(&["DEL", "only"]), ":1\r\n");
    // All keys expired: one call reclaims them all and replies null, instead of looping.
    for key in ["e1", "e2", "e3"] {
        set_expired_unreclaimed(&mut c, key);
    }
    assert_eq!(dbsize(&mut c), 3);
    assert_eq!(c.cmd_str(&["RANDOMKEY"]), "$-1\r\n");
    assert_eq!(dbsize(&mut c), 0);
    // A live key among expired ones is always the one returned.
    for key in ["e1", "e2"] {
        set_expired_unreclaimed(&mut c, key);
    }
    assert_eq!(c.cmd_str(&["SET", "live", "v"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["RANDOMKEY"]), "$4\r\nlive\r\n");
    assert_eq!(
        c.cmd_str(&["RANDOMKEY", "x"]),
        "-ERR wrong number of arguments for 'randomkey' command\r\n"
    );
}

#[test]
fn randomkey_returns_every_key_eventually() {
    let srv = Server::start();
    let mut c = srv.raw();
    let keys: HashSet<String> = (0..10).map(|i| format!("k{i}")).collect();
    for key in &keys {
        assert_eq!(c.cmd_str(&["SET", key, "v"]), "+OK\r\n");
    }
    let mut seen = HashSet::new();
    for _ in 0..1000 {
        let reply = c.cmd_str(&["RANDOMKEY"]);
        let key = reply.split("\r\n").nth(1).expect("bulk").to_string();
        assert!(keys.contains(&key), "RANDOMKEY returned {reply:?}");
        seen.insert(key);
    }
    assert_eq!(seen, keys);
}

#[test]
fn keys_matches_glob_patterns() {
    let srv = Server::start();
    let mut c = srv.raw();
    for key in ["hello", "hallo", "hxllo", "hllo", "heeeello", "a*b"] {
        assert_eq!(c.cmd_str(&["SET", key, "v"]), "+OK\r\n");
    }
    let keys = |c: &mut Raw, pattern: &str| -> Vec<String> {
        let reply = c.cmd_str(&["KEYS", pattern]);
        let mut keys: Vec<String> = reply
            .split("\r\n")
            .skip(2)
            .step_by(2)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&mut c, "h?llo"), ["hallo", "hello", "hxllo"]);
    assert_eq!(
        keys(&mut c, "h*llo"),
        ["hallo", "heeeello", "hello", "hllo", "hxllo"]
    );
    assert_eq!(keys(&mut c, "h[ae]llo"), ["hallo", "hello"]);
    assert_eq!(keys(&mut c, "h[^e]llo"), ["hallo", "hxllo"]);
    assert_eq!(keys(&mut c, "a\\*b"), ["a*b"]);
    assert_eq!(keys(&mut c, "nomatch*"), Vec::<String>::new());
    assert_eq!(c.cmd_str(&["KEYS", "nomatch*"]), "*0\r\n");
    let (all, _) = scan_all(&mut c, &["MATCH", "h*llo", "COUNT", "2"]);
    assert_eq!(all.len(), 5);
}

#[test]
fn scan_argument_errors() {
    let srv = Server::start();
    let mut c = srv.raw();
    let cases: &[(&[&str], &str)] = &[
        (&["SCAN", "x"], "-ERR invalid cursor\r\n"),
        (&["SCAN", " 1"], "-ERR invalid cursor\r\n"),
        (&["SCAN", "18446744073709551616"], "-ERR invalid cursor\r\n"),
        (&["SCAN", "x", "COUNT", "0"], "-ERR invalid cursor\r\n"),
        (&["SCAN", "0", "COUNT", "0"], "-ERR syntax error\r\n"),
        (&["SCAN", "0", "COUNT", "-1"], "-ERR syntax error\r\n"),
        (
            &["SCAN", "0", "COUNT", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["SCAN", "0", "COUNT", "99999999999999999999"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (&["SCAN", "0", "COUNT"], "-ERR syntax error\r\n"),
        (&["SCAN", "0", "MATCH"], "-ERR syntax error\r\n"),
        (&["SCAN", "0", "TYPE"], "-ERR syntax error\r\n"),
        (&["SCAN", "0", "FOO", "bar"], "-ERR syntax error\r\n"),
        (
            &["SCAN"],
            "-ERR wrong number of arguments for 'scan' command\r\n",
        ),
        // Accepted like C's strtoul: empty, signs, leading zeros, text after a NUL.
        (&["SCAN", ""], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["SCAN", "-1"], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["SCAN", "+007"], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["SCAN", "3\0junk"], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (
            &["SCAN", "0", "COUNT", "9223372036854775807"],
            "*2\r\n$1\r\n0\r\n*0\r\n",
        ),
        (
            &["SCAN", "0", "TYPE", "nosuchtype"],
            "*2\r\n$1\r\n0\r\n*0\r\n",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(c.cmd_str(args), *expected, "{args:?}");
    }
}

#[test]
fn scan_returns_every_key_and_filters() {
    let srv = Server::start();
    let mut c = srv.raw();
    let all: HashSet<String> = (0..1000).map(|i| format!("key:{i}")).collect();
    for key in &all {
        assert_eq!(c.cmd_str(&["SET", key, "v"]), "+OK\r\n");
    }
    for count in ["1", "10", "100", "5000"] {
        let (keys, calls) = scan_all(&mut c, &["COUNT", count]);
        assert_eq!(keys, all, "COUNT {count}");
        if count == "5000" {
            assert_eq!(calls, 1, "a COUNT above the size finishes in one call");
        }
    }
    let (keys, _) = scan_all(&mut c, &["TYPE", "STRING"]);
    assert_eq!(keys, all, "TYPE compares without case");
    let (keys, _) = scan_all(&mut c, &["TYPE", "list"]);
    assert!(keys.is_empty());
    let (keys, _) = scan_all(&mut c, &["MATCH", "key:999", "MATCH", "*"]);
    assert_eq!(keys, all, "the last MATCH wins");
    let (keys, _) = scan_all(&mut c, &["MATCH", "key:999"]);
    assert_eq!(keys.len(), 1);
}

#[test]
fn scan_guarantee_holds_while_the_keyspace_grows_and_shrinks() {
    let srv = Server::start();
    let mut c = srv.raw();
    let stable: HashSet<String> = (0..500).map(|i| format!("stable:{i}")).collect();
    for key in &stable {
        assert_eq!(c.cmd_str(&["SET", key, "v"]), "+OK\r\n");
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, keys) = parse_scan_reply(&c.cmd_str(&["SCAN", &cursor, "COUNT", "20"]));
        seen.extend(keys);
        calls += 1;
        // Grow through several doublings during the first calls, then delete it all again.
        if calls < 20 {
            for i in 0..300 {
                let key = format!("volatile:{calls}:{i}");
                assert_eq!(c.cmd_str(&["SET", &key, "v"]), "+OK\r\n");
            }
        } else if calls < 39 {
            for i in 0..300 {
                let key = format!("volatile:{}:{i}", calls - 19);
                assert_eq!(c.cmd_str(&["DEL", &key]), ":1\r\n");
            }
        }
        if next == "0" {
            break;
        }
        cursor = next;
    }
    let missed: Vec<_> = stable.difference(&seen).collect();
    assert!(missed.is_empty(), "SCAN missed stable keys: {missed:?}");
}

#[test]
fn rename_and_renamenx() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["SET", "a", "1"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["SET", "b", "2"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["RENAME", "a", "a"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["RENAMENX", "a", "a"]), ":0\r\n");
    assert_eq!(
        c.cmd_str(&["RENAME", "nokey", "nokey"]),
        "-ERR no such key\r\n"
    );
    assert_eq!(
        c.cmd_str(&["RENAMENX", "nokey", "x"]),
        "-ERR no such key\r\n"
    );
    assert_eq!(c.cmd_str(&["RENAMENX", "a", "b"]), ":0\r\n");
    assert_eq!(c.cmd_str(&["GET", "b"]), "$1\r\n2\r\n");
    // The TTL travels with the value; an overwritten destination loses its own.
    assert_eq!(c.cmd_str(&["EXPIRE", "a", "100"]), ":1\r\n");
    assert_eq!(c.cmd_str(&["RENAME", "a", "b"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["GET", "b"]), "$1\r\n1\r\n");
    assert_eq!(c.cmd_str(&["TTL", "b"]), ":100\r\n");
    assert_eq!(c.cmd_str(&["EXISTS", "a"]), ":0\r\n");
    assert_eq!(c.cmd_str(&["RENAMENX", "b", "c"]), ":1\r\n");
    assert_eq!(c.cmd_str(&["TTL", "c"]), ":100\r\n");
    assert_eq!(c.cmd_str(&["SET", "d", "4"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["RENAME", "d", "c"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["TTL", "c"]), ":-1\r\n");
    assert_eq!(c.cmd_str(&["DBSIZE"]), ":1\r\n");
}

#[test]
fn copy_with_db_and_replace() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["SET", "src", "hello"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["EXPIRE", "src", "100"]), ":1\r\n");
    let cases: &[(&[&str], &str)] = &[
        (
            &["COPY", "src", "src"],
            "-ERR source and destination objects are the same\r\n",
        ),
        (
            &["COPY", "src", "src", "DB", "0"],
            "-ERR source and destination objects are the same\r\n",
        ),
        (
            &["COPY", "nokey", "nokey"],
            "-ERR source and destination objects are the same\r\n",
        ),
        (
            &["COPY", "src", "x", "DB", "16"],
            "-ERR DB index is out of range\r\n",
        ),
        (
            &["COPY", "src", "x", "DB", "-1"],
            "-ERR DB index is out of range\r\n",
        ),
        (
            &["COPY", "src", "x", "DB", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["COPY", "src", "x", "DB", "2147483648"],
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n",
        ),
        (&["COPY", "src", "x", "DB"], "-ERR syntax error\r\n"),
        (&["COPY", "src", "x", "FOO"], "-ERR syntax error\r\n"),
        (&["COPY", "nokey", "x"], ":0\r\n"),
        (&["COPY", "src", "dst"], ":1\r\n"),
        (&["GET", "dst"], "$5\r\nhello\r\n"),
        (&["TTL", "dst"], ":100\r\n"),
        (&["SET", "other", "x"], "+OK\r\n"),
        (&["COPY", "src", "other"], ":0\r\n"),
        (&["COPY", "src", "other", "replace"], ":1\r\n"),
        (&["GET", "other"], "$5\r\nhello\r\n"),
        (
            &["COPY", "src", "src", "db", "1", "REPLACE", "REPLACE"],
            ":1\r\n",
        ),
        (&["SELECT", "1"], "+OK\r\n"),
        (&["GET", "src"], "$5\r\nhello\r\n"),
        (&["TTL", "src"], ":100\r\n"),
        (&["SELECT", "0"], "+OK\r\n"),
        (&["COPY", "src", "src", "DB", "1"], ":0\r\n"),
    ];
    for (args, expected) in cases {
        assert_eq!(c.cmd_str(args), *expected, "{args:?}");
    }
    // The copy is independent of the original.
    assert_eq!(c.cmd_str(&["SET", "src", "changed"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["GET", "dst"]), "$5\r\nhello\r\n");
}

#[test]
fn move_between_databases() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["EXPIRE", "k", "100"]), ":1\r\n");
    let cases: &[(&[&str], &str)] = &[
        (
            &["MOVE", "k", "0"],
            "-ERR source and destination objects are the same\r\n",
        ),
        (
            &["MOVE", "nokey", "0"],
            "-ERR source and destination objects are the same\r\n",
        ),
        (&["MOVE", "k", "16"], "-ERR DB index is out of range\r\n"),
        (&["MOVE", "k", "-1"], "-ERR DB index is out of range\r\n"),
        (
            &["MOVE", "k", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["MOVE", "k", "2147483648"],
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n",
        ),
        (&["MOVE", "nokey", "1"], ":0\r\n"),
        (&["MOVE", "k", "1"], ":1\r\n"),
        (&["EXISTS", "k"], ":0\r\n"),
        (&["SET", "k", "again"], "+OK\r\n"),
        (&["MOVE", "k", "1"], ":0\r\n"),
        (&["GET", "k"], "$5\r\nagain\r\n"),
        (&["SELECT", "1"], "+OK\r\n"),
        (&["GET", "k"], "$1\r\nv\r\n"),
        (&["TTL", "k"], ":100\r\n"),
    ];
    for (args, expected) in cases {
        assert_eq!(c.cmd_str(args), *expected, "{args:?}");
    }
}

#[test]
fn object_subcommands() {
    let srv = Server::start();
    let mut c = srv.raw();
    let long = "x".repeat(45);
    let cases: &[(&[&str], &str)] = &[
        (&["SET", "int", "12345"], "+OK\r\n"),
        (&["SET", "shared", "9999"], "+OK\r\n"),
        (&["SET", "neg", "-1"], "+OK\r\n"),
        (&["SET", "embstr", "hello"], "+OK\r\n"),
        (&["SET", "notint", "0123"], "+OK\r\n"),
        (&["SET", "raw", &long], "+OK\r\n"),
        (&["OBJECT", "ENCODING", "int"], "$3\r\nint\r\n"),
        (&["object", "encoding", "embstr"], "$6\r\nembstr\r\n"),
        (&["OBJECT", "ENCODING", "notint"], "$6\r\nembstr\r\n"),
        (&["OBJECT", "ENCODING", "raw"], "$3\r\nraw\r\n"),
        (&["OBJECT", "ENCODING", "nokey"], "$-1\r\n"),
        (&["OBJECT", "REFCOUNT", "shared"], ":2147483647\r\n"),
        (&["OBJECT", "REFCOUNT", "int"], ":1\r\n"),
        (&["OBJECT", "REFCOUNT", "neg"], ":1\r\n"),
        (&["OBJECT", "REFCOUNT", "embstr"], ":1\r\n"),
        (&["OBJECT", "REFCOUNT", "nokey"], "$-1\r\n"),
        (&["OBJECT", "IDLETIME", "nokey"], "$-1\r\n"),
        (&["OBJECT", "FREQ", "nokey"], "$-1\r\n"),
        (
            &["OBJECT", "FREQ", "int"],
            "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
             Please note that when switching between policies at runtime LRU and LFU data \
             will take some time to adjust.\r\n",
        ),
        (
            &["OBJECT", "ENCODING"],
            "-ERR wrong number of arguments for 'object|encoding' command\r\n",
        ),
        (
            &["OBJECT", "HELP", "x"],
            "-ERR wrong number of arguments for 'object|help' command\r\n",
        ),
        (
            &["OBJECT"],
            "-ERR wrong number of arguments for 'object' command\r\n",
        ),
        (
            &["OBJECT", "foo", "bar"],
            "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(c.cmd_str(args), *expected, "{args:?}");
    }
    let help = c.cmd_str(&["OBJECT", "HELP"]);
    assert!(help.starts_with(
        "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"
    ));
    assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
}

#[test]
fn object_idletime_grows_and_only_real_accesses_reset_it() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["SET", "k", "v"]), "+OK\r\n");
    let idle = |c: &mut Raw| -> i64 {
        let reply = c.cmd_str(&["OBJECT", "IDLETIME", "k"]);
        reply
            .trim_start_matches(':')
            .trim_end()
            .parse()
            .expect("int")
    };
    assert!(idle(&mut c) <= 1);
    // OBJECT, EXISTS, TYPE and TTL only inspect the key: the idle time keeps growing.
    let deadline = Instant::now() + Duration::from_secs(5);
    while idle(&mut c) < 2 {
        assert_eq!(c.cmd_str(&["EXISTS", "k"]), ":1\r\n");
        assert_eq!(c.cmd_str(&["TYPE", "k"]), "+string\r\n");
        assert_eq!(c.cmd_str(&["TTL", "k"]), ":-1\r\n");
        assert!(Instant::now() < deadline, "OBJECT IDLETIME never grew");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(c.cmd_str(&["TOUCH", "k"]), ":1\r\n");
    assert!(idle(&mut c) <= 1, "TOUCH resets the idle time");
}

#[test]
fn dbsize_flush_and_swapdb() {
    let srv = Server::start();
    let mut c = srv.raw();
    let cases: &[(&[&str], &str)] = &[
        (&["SET", "a", "1"], "+OK\r\n"),
        (&["SET", "b", "1"], "+OK\r\n"),
        (&["DBSIZE"], ":2\r\n"),
        (
            &["DBSIZE", "x"],
            "-ERR wrong number of arguments for 'dbsize' command\r\n",
        ),
        (&["SWAPDB", "0", "x"], "-ERR invalid second DB index\r\n"),
        (&["SWAPDB", "x", "0"], "-ERR invalid first DB index\r\n"),
        (
            &["SWAPDB", "2147483648", "0"],
            "-ERR invalid first DB index\r\n",
        ),
        (&["SWAPDB", "0", "16"], "-ERR DB index is out of range\r\n"),
        (&["SWAPDB", "-1", "0"], "-ERR DB index is out of range\r\n"),
        (&["SWAPDB", "0", "0"], "+OK\r\n"),
        (&["DBSIZE"], ":2\r\n"),
        // The connection stays on index 0, which now holds database 1's (empty) contents.
        (&["SWAPDB", "0", "1"], "+OK\r\n"),
        (&["DBSIZE"], ":0\r\n"),
        (&["SELECT", "1"], "+OK\r\n"),
        (&["DBSIZE"], ":2\r\n"),
        (&["FLUSHDB", "foo"], "-ERR syntax error\r\n"),
        (&["FLUSHDB", "ASYNC", "SYNC"], "-ERR syntax error\r\n"),
        (&["FLUSHALL", "now"], "-ERR syntax error\r\n"),
        (&["SET", "c", "1"], "+OK\r\n"),
        (&["SELECT", "2"], "+OK\r\n"),
        (&["SET", "c", "1"], "+OK\r\n"),
        (&["FLUSHDB", "sync"], "+OK\r\n"),
        (&["DBSIZE"], ":0\r\n"),
        (&["SELECT", "1"], "+OK\r\n"),
        (&["DBSIZE"], ":3\r\n"),
        (&["FLUSHDB", "ASYNC"], "+OK\r\n"),
        (&["DBSIZE"], ":0\r\n"),
        (&["SET", "x", "1"], "+OK\r\n"),
        (&["SELECT", "5"], "+OK\r\n"),
        (&["SET", "y", "1"], "+OK\r\n"),
        (&["FLUSHALL"], "+OK\r\n"),
        (&["DBSIZE"], ":0\r\n"),
        (&["SELECT", "1"], "+OK\r\n"),
        (&["DBSIZE"], ":0\r\n"),
        (&["FLUSHALL", "async"], "+OK\r\n"),
    ];
    for (args, expected) in cases {
        assert_eq!(c.cmd_str(args), *expected, "{args:?}");
    }
}

#[test]
fn swapdb_is_seen_by_other_connections() {
    let srv = Server::start();
    let (mut a, mut b) = (srv.raw(), srv.raw());
    assert_eq!(a.cmd_str(&["SET", "k", "in-db0"]), "+OK\r\n");
    assert_eq!(b.cmd_str(&["SELECT", "3"]), "+OK\r\n");
    assert_eq!(b.cmd_str(&["GET", "k"]), "$-1\r\n");
    assert_eq!(a.cmd_str(&["SWAPDB", "0", "3"]), "+OK\r\n");
    assert_eq!(b.cmd_str(&["GET", "k"]), "$6\r\nin-db0\r\n");
    assert_eq!(a.cmd_str(&["GET", "k"]), "$-1\r\n");
}

#[test]
fn bad_input_never_stops_the_server() {
    let srv = Server::start();
    let mut c = srv.raw();
    let junk = [
        "",
        "\0",
        "-",
        "99999999999999999999999",
        "\u{ff}",
        "*",
        "[",
        "\\",
    ];
    for cmd in [
        "DEL", "EXISTS", "TYPE", "KEYS", "SCAN", "RENAME", "COPY", "MOVE", "TOUCH", "SWAPDB",
        "FLUSHDB", "OBJECT",
    ] {
        for a in junk {
            for b in junk {
                c.cmd(&[cmd, a, b]);
                c.cmd(&[cmd, a, b, a, b]);
            }
        }
    }
    assert_eq!(c.cmd_str(&["PING"]), "+PONG\r\n");
}

#[test]
fn differential_against_real_redis() {
    let long = "y".repeat(100);
    assert_same_replies(
        "keyspace differential",
        &[
            &["SET", "a", "5"],
            &["SET", "s", "hello"],
            &["SET", "big", &long],
            &["SET", "n", "10000"],
            &["DEL", "a", "a", "nokey"],
            &["UNLINK", "nokey"],
            &["EXISTS", "s", "s", "nokey"],
            &["TOUCH", "s", "nokey", "s"],
            &["TYPE", "s"],
            &["TYPE", "nokey"],
            &["OBJECT", "ENCODING", "s"],
            &["OBJECT", "ENCODING", "big"],
            &["OBJECT", "ENCODING", "n"],
            &["OBJECT", "REFCOUNT", "n"],
            &["SET", "a", "0"],
            &["OBJECT", "REFCOUNT", "a"],
            &["OBJECT", "FREQ", "a"],
            &["OBJECT", "FREQ", "nokey"],
            &["OBJECT", "IDLETIME", "nokey"],
            &["OBJECT", "HELP"],
            &["OBJECT", "help", "x"],
            &["OBJECT", "nosuch"],
            &["OBJECT", "nosuch", "a", "b"],
            &["OBJECT"],
            &["OBJECT", "ENCODING"],
            &["DEL", "big", "n", "a"],
            &["KEYS", "*"],
            &["KEYS", "s"],
            &["KEYS", "nomatch"],
            &["KEYS", "s*"],
            &["KEYS", "[rs]"],
            &["KEYS", "[^s]"],
            &["SCAN", "0", "MATCH", "?"],
            &["SCAN", "0", "MATCH", "S"],
            &["SCAN", "0"],
            &["SCAN", "0", "TYPE", "string"],
            &["SCAN", "0", "TYPE", "String"],
            &["SCAN", "0", "TYPE", "hash"],
            &["SCAN", "0", "MATCH", "s"],
            &["SCAN", "0", "MATCH", "x"],
            &["SCAN", "0", "COUNT", "0"],
            &["SCAN", "0", "COUNT", "x"],
            &["SCAN", "0", "COUNT", "-5"],
            &["SCAN", "0", "MATCH"],
            &["SCAN", "0", "NOPE", "1"],
            &["SCAN", "1x"],
            &["SCAN", " 0"],
            &["SCAN", ""],
            &["SCAN", "-18446744073709551616"],
            &["SCAN", "0\0junk"],
            &["RANDOMKEY"],
            &["RENAME", "s", "s"],
            &["RENAMENX", "s", "s"],
            &["RENAME", "nokey", "x"],
            &["RENAMENX", "nokey", "nokey"],
            &["RENAME", "s", "t"],
            &["SET", "u", "1"],
            &["RENAMENX", "t", "u"],
            &["RENAMENX", "t", "v"],
            &["COPY", "v", "v"],
            &["COPY", "nokey", "nokey", "DB", "1"],
            &["COPY", "v", "w", "DB", "99"],
            &["COPY", "v", "w", "DB", "-2147483649"],
            &["COPY", "v", "w", "DB", "1.5"],
            &["COPY", "v", "w", "DB"],
            &["COPY", "v", "w", "REPLACE", "x"],
            &["COPY", "v", "u"],
            &["COPY", "v", "u", "REPLACE"],
            &["COPY", "v", "w", "DB", "2"],
            &["MOVE", "v", "2"],
            &["MOVE", "v", "3"],
            &["MOVE", "v", "0"],
            &["MOVE", "v", "100"],
            &["MOVE", "v", "abc"],
            &["MOVE", "nokey", "3"],
            &["DBSIZE"],
            &["SWAPDB", "0", "2"],
            &["DBSIZE"],
            &["SWAPDB", "a", "b"],
            &["SWAPDB", "0", "b"],
            &["SWAPDB", "0", "-1"],
            &["SWAPDB", "0", "4294967296"],
            &["SWAPDB", "0"],
            &["FLUSHDB", "x"],
            &["FLUSHDB", "sync", "x"],
            &["FLUSHDB", "Async"],
            &["DBSIZE"],
            &["FLUSHALL", "x"],
            &["FLUSHALL", "SYNC"],
            &["SELECT", "3"],
            &["DBSIZE"],
        ],
    );
}
