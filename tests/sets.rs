//! Set commands (t_set.c) over raw TCP: what the differential corpus (tests/corpus/sets.txt)
//! cannot check because replies are random or follow hash-table order: SPOP and SRANDMEMBER
//! with counts, SSCAN iterations of a hashtable, the intset limit, and RESP3 reply types.

mod common;

use std::collections::BTreeSet;

use common::{assert_same_replies, real_redis, Raw, Server};

/// Parses a reply that is a flat aggregate (`*` or `~`) of bulk strings into its elements.
fn elements(reply: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(reply);
    let mut lines = text.split("\r\n");
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with('*') || header.starts_with('~'),
        "not an aggregate: {text:?}"
    );
    lines
        .collect::<Vec<_>>()
        .chunks(2)
        .filter(|pair| pair.len() == 2)
        .map(|pair| pair[1].to_string())
        .collect()
}

/// An integer reply's value.
fn int(reply: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(reply);
    text.trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap_or_else(|_| panic!("not an integer: {text:?}"))
}

/// The members of `key`, as a sorted set of strings.
fn members(r: &mut Raw, key: &str) -> BTreeSet<String> {
    elements(&r.cmd(&["SMEMBERS", key])).into_iter().collect()
}

/// Adds `members` to `key` in one SADD.
fn sadd(r: &mut Raw, key: &str, members: &[String]) {
    let mut args = vec!["SADD", key];
    args.extend(members.iter().map(String::as_str));
    r.cmd(&args);
}

#[test]
fn intset_holds_up_to_512_integers() {
    let numbers: Vec<String> = (1..=512).map(|n| n.to_string()).collect();
    let mut script: Vec<Vec<&str>> = Vec::new();
    let mut sadd_all = vec!["SADD", "s"];
    sadd_all.extend(numbers.iter().map(String::as_str));
    script.push(sadd_all);
    script.push(vec!["OBJECT", "ENCODING", "s"]);
    script.push(vec!["SMEMBERS", "s"]);
    script.push(vec!["SADD", "s", "513"]);
    script.push(vec!["OBJECT", "ENCODING", "s"]);
    script.push(vec!["SREM", "s", "513"]);
    script.push(vec!["OBJECT", "ENCODING", "s"]);
    script.push(vec!["SCARD", "s"]);
    // A computed result starts over as an intset.
    script.push(vec!["SUNIONSTORE", "d", "s"]);
    script.push(vec!["OBJECT", "ENCODING", "d"]);
    let script: Vec<&[&str]> = script.iter().map(Vec::as_slice).collect();
    assert_same_replies("intset_holds_up_to_512_integers", &script);
}

#[test]
fn spop_with_count_pops_distinct_members() {
    let server = Server::start();
    let mut r = server.raw();
    let all: Vec<String> = (0..100).map(|n| format!("m{n}")).collect();
    sadd(&mut r, "s", &all);
    // Few popped: one random pop at a time.
    let first = elements(&r.cmd(&["SPOP", "s", "10"]));
    // Most popped: the survivors are drawn into a new set.
    let second = elements(&r.cmd(&["SPOP", "s", "85"]));
    let rest = members(&mut r, "s");
    assert_eq!((first.len(), second.len(), rest.len()), (10, 85, 5));
    let mut seen: BTreeSet<String> = rest;
    for m in first.iter().chain(&second) {
        assert!(seen.insert(m.clone()), "{m} popped twice");
    }
    assert_eq!(seen, all.into_iter().collect());
    // Everything popped: the key goes.
    assert_eq!(elements(&r.cmd(&["SPOP", "s", "5"])).len(), 5);
    assert_eq!(r.cmd_str(&["EXISTS", "s"]), ":0\r\n");
}

#[test]
fn spop_rebuild_chooses_the_encoding_of_the_survivors() {
    let server = Server::start();
    let mut r = server.raw();
    for _ in 0..20 {
        r.cmd(&["DEL", "s"]);
        r.cmd(&[
            "SADD", "s", "a", "1", "2", "3", "4", "5", "6", "7", "8", "9",
        ]);
        r.cmd(&["SPOP", "s", "9"]);
        let left: Vec<String> = members(&mut r, "s").into_iter().collect();
        assert_eq!(left.len(), 1);
        // One survivor: a number makes the rebuilt set an intset again, "a" a hashtable.
        let expected = if left[0] == "a" {
            "$9\r\nhashtable\r\n"
        } else {
            "$6\r\nintset\r\n"
        };
        assert_eq!(r.cmd_str(&["OBJECT", "ENCODING", "s"]), expected);
    }
}

#[test]
fn srandmember_counts() {
    let server = Server::start();
    let mut r = server.raw();
    let all: Vec<String> = (0..100).map(|n| format!("m{n}")).collect();
    sadd(&mut r, "s", &all);
    let universe: BTreeSet<String> = all.iter().cloned().collect();
    for count in ["2", "50", "99"] {
        let got = elements(&r.cmd(&["SRANDMEMBER", "s", count]));
        let distinct: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(got.len().to_string(), count);
        assert_eq!(distinct.len(), got.len(), "repeats for count {count}");
        assert!(distinct.is_subset(&universe));
    }
    r.cmd(&["SADD", "small", "x", "y"]);
    let repeated = elements(&r.cmd(&["SRANDMEMBER", "small", "-200"]));
    assert_eq!(repeated.len(), 200);
    assert!(repeated.iter().all(|m| m == "x" || m == "y"));
    assert_eq!(int(&r.cmd(&["SCARD", "s"])), 100);
    let one = r.cmd_str(&["SRANDMEMBER", "small"]);
    assert!(one == "$1\r\nx\r\n" || one == "$1\r\ny\r\n");
}

#[test]
fn sscan_visits_every_member_of_a_hashtable() {
    let server = Server::start();
    let mut r = server.raw();
    let all: Vec<String> = (0..1000).map(|n| format!("k{n}")).collect();
    sadd(&mut r, "s", &all);
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let reply = r.cmd_str(&["SSCAN", "s", &cursor, "COUNT", "10"]);
        // *2 $len cursor *n members...
        let mut lines = reply.split("\r\n").skip(2);
        cursor = lines.next().unwrap_or_default().to_string();
        let rest: Vec<&str> = lines.skip(1).collect();
        for pair in rest.chunks(2).filter(|p| p.len() == 2) {
            seen.insert(pair[1].to_string());
        }
        calls += 1;
        if cursor == "0" {
            break;
        }
        assert!(calls < 10_000, "SSCAN does not terminate");
    }
    assert!(
        calls > 1,
        "a 1000-member hashtable is scanned in several calls"
    );
    assert_eq!(seen, all.into_iter().collect());

    let reply = r.cmd_str(&["SSCAN", "s", "0", "MATCH", "k99*", "COUNT", "100000"]);
    assert!(reply.starts_with("*2\r\n$1\r\n0\r\n*11\r\n"), "{reply:?}");
}

#[test]
fn resp3_reply_types() {
    let server = Server::start();
    let mut r = server.raw();
    r.cmd(&["HELLO", "3"]);
    r.cmd(&["SADD", "s", "3", "1", "2"]);
    assert_eq!(
        r.cmd_str(&["SMEMBERS", "s"]),
        "~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
    assert_eq!(
        r.cmd_str(&["SRANDMEMBER", "s", "5"]),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
    assert_eq!(r.cmd_str(&["SRANDMEMBER", "nokey", "5"]), "*0\r\n");
    assert_eq!(r.cmd_str(&["SPOP", "nokey", "5"]), "~0\r\n");
    assert_eq!(r.cmd_str(&["SPOP", "nokey"]), "_\r\n");
    assert_eq!(r.cmd_str(&["SINTER", "s", "nokey"]), "~0\r\n");
    assert_eq!(r.cmd_str(&["SISMEMBER", "s", "1"]), ":1\r\n");
    assert_eq!(
        r.cmd_str(&["SMISMEMBER", "s", "1", "9"]),
        "*2\r\n:1\r\n:0\r\n"
    );
    assert_eq!(
        r.cmd_str(&["SPOP", "s", "9"]),
        "~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
}

/// The `keyspace_hits` and `keyspace_misses` lines of INFO stats.
fn hits_and_misses(r: &mut Raw) -> Vec<String> {
    r.cmd_str(&["INFO", "stats"])
        .lines()
        .filter(|l| l.starts_with("keyspace_hits:") || l.starts_with("keyspace_misses:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn keyspace_hits_and_misses_as_redis_counts_them() {
    let Some(real_server) = real_redis("keyspace_hits_and_misses_as_redis_counts_them") else {
        return;
    };
    let our_server = Server::start();
    let script: &[&[&str]] = &[
        &["SADD", "a", "1", "2"],
        &["SADD", "b", "x", "1"],
        &["SET", "str", "v"],
        // Reads count; the sources of the STORE forms are read lookups too.
        &["SINTER", "a", "b", "nokey"],
        &["SINTERSTORE", "d", "a", "nokey"],
        &["SUNIONSTORE", "d", "a", "b"],
        &["SDIFFSTORE", "d", "a", "b"],
        &["SINTERCARD", "2", "a", "b"],
        &["SMEMBERS", "str"],
        &["SRANDMEMBER", "b", "2"],
        &["SSCAN", "b", "0"],
        &["SMISMEMBER", "nokey", "a"],
        &["SCARD", "nokey"],
        // Write lookups do not count.
        &["SMOVE", "a", "b", "1"],
        &["SPOP", "nokey", "2"],
        &["SREM", "b", "x"],
        &["SADD", "a", "5"],
    ];
    let mut got = Vec::new();
    for server in [&real_server, &our_server] {
        let mut r = server.raw();
        for args in script {
            r.cmd(args);
        }
        got.push(hits_and_misses(&mut r));
    }
    assert_eq!(got[1], got[0], "rredis vs redis-server");
}
