//! Hash commands (t_hash.c) over raw TCP: what the differential corpus (`corpus/hashes.txt`)
//! cannot express — RESP3 reply shapes, the listpack/hashtable boundaries, random replies
//! (HRANDFIELD) checked by their properties, and full HSCAN iterations of a hashtable.

mod common;

use std::collections::{BTreeMap, HashSet};

use common::{real_redis, Check, Raw, Server, TestRng, Twin};

/// Parses a flat RESP2 array of bulk strings (`*n` then `$len` items) into strings.
fn bulks(reply: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(reply);
    let mut lines = text.split("\r\n");
    let head = lines.next().unwrap_or_default();
    assert!(head.starts_with('*'), "not an array: {text}");
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with('$') {
            out.push(lines.next().unwrap_or_default().to_string());
        }
    }
    out
}

/// Fills `key` with `n` fields `f0..` whose values are `v0..`.
fn fill(c: &mut Raw, key: &str, n: usize) {
    for i in 0..n {
        c.cmd(&["HSET", key, &format!("f{i}"), &format!("v{i}")]);
    }
}

#[test]
fn encoding_boundaries_match_redis_defaults() {
    let srv = Server::start();
    let mut c = srv.raw();
    fill(&mut c, "h", 512); // redis-server's built-in default (redis.conf says 128)
    assert_eq!(
        c.cmd_str(&["OBJECT", "ENCODING", "h"]),
        "$8\r\nlistpack\r\n"
    );
    fill(&mut c, "h", 513);
    assert_eq!(
        c.cmd_str(&["OBJECT", "ENCODING", "h"]),
        "$9\r\nhashtable\r\n"
    );
    // One-way: deleting down to one field keeps the hashtable.
    for i in 1..513 {
        c.cmd(&["HDEL", "h", &format!("f{i}")]);
    }
    assert_eq!(c.cmd_str(&["HLEN", "h"]), ":1\r\n");
    assert_eq!(
        c.cmd_str(&["OBJECT", "ENCODING", "h"]),
        "$9\r\nhashtable\r\n"
    );
    // 64 bytes fit, 65 do not.
    let v64 = "x".repeat(64);
    let v65 = "x".repeat(65);
    c.cmd(&["HSET", "small", &v64, &v64]);
    assert_eq!(
        c.cmd_str(&["OBJECT", "ENCODING", "small"]),
        "$8\r\nlistpack\r\n"
    );
    c.cmd(&["HSET", "small", "f", &v65]);
    assert_eq!(
        c.cmd_str(&["OBJECT", "ENCODING", "small"]),
        "$9\r\nhashtable\r\n"
    );
}

#[test]
fn resp3_reply_shapes() {
    let srv = Server::start();
    let mut c = srv.raw();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["HSET", "h", "a", "1", "b", "2"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["HGETALL", "h"],
            "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
        ),
        (&["HGETALL", "nokey"], "%0\r\n"),
        (&["HKEYS", "nokey"], "*0\r\n"),
        (&["HGET", "h", "zz"], "_\r\n"),
        (&["HMGET", "h", "a", "zz"], "*2\r\n$1\r\n1\r\n_\r\n"),
        (&["HRANDFIELD", "nokey"], "_\r\n"),
        (
            &["HRANDFIELD", "h", "5", "WITHVALUES"],
            "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(c.cmd_str(args), *want, "reply to {args:?}");
    }
    c.cmd(&["HSET", "one", "f", "v"]);
    assert_eq!(
        c.cmd_str(&["HRANDFIELD", "one", "-2", "WITHVALUES"]),
        "*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
}

/// The RESP3 replies above, compared with the real server where it is deterministic.
#[test]
fn resp3_replies_match_redis() {
    let Some(real) = real_redis("resp3_replies_match_redis") else {
        return;
    };
    let ours = Server::start();
    let (mut a, mut b) = (ours.raw(), real.raw());
    a.cmd(&["HELLO", "3"]);
    b.cmd(&["HELLO", "3"]);
    let script: &[&[&str]] = &[
        &["HSET", "h", "x", "1", "y", "2", "z", "3"],
        &["HGETALL", "h"],
        &["HGETALL", "nokey"],
        &["HVALS", "h"],
        &["HGET", "h", "nope"],
        &["HMGET", "h", "x", "nope"],
        &["HRANDFIELD", "nokey"],
        &["HRANDFIELD", "nokey", "2"],
        &["HRANDFIELD", "h", "10", "WITHVALUES"],
        &["HRANDFIELD", "h", "0", "WITHVALUES"],
        &["HSCAN", "h", "0"],
        &["HINCRBYFLOAT", "h", "x", "0.5"],
    ];
    for args in script {
        assert_eq!(
            String::from_utf8_lossy(&a.cmd(args)),
            String::from_utf8_lossy(&b.cmd(args)),
            "reply to {args:?}"
        );
    }
}

#[test]
fn hrandfield_properties() {
    let srv = Server::start();
    let mut c = srv.raw();
    for (key, n) in [("lp", 20), ("ht", 700)] {
        fill(&mut c, key, n);
        let all: HashSet<String> = (0..n).map(|i| format!("f{i}")).collect();
        // Positive counts: distinct fields, min(count, size) of them.
        for count in [1, 2, 5, n / 3, n / 2, n - 1, n, n + 5] {
            let got = bulks(&c.cmd(&["HRANDFIELD", key, &count.to_string()]));
            assert_eq!(got.len(), count.min(n), "{key} count {count}");
            let distinct: HashSet<_> = got.iter().cloned().collect();
            assert_eq!(distinct.len(), got.len(), "{key} count {count}: repeats");
            assert!(distinct.is_subset(&all));
        }
        // Negative counts: exactly |count| fields, repeats allowed.
        let got = bulks(&c.cmd(&["HRANDFIELD", key, "-1000"]));
        assert_eq!(got.len(), 1000);
        assert!(got.iter().all(|f| all.contains(f)));
        let distinct: HashSet<_> = got.iter().collect();
        assert!(distinct.len() > 1, "{key}: not random");
        // WITHVALUES: every field followed by its own value.
        for count in ["7", "-7"] {
            let got = bulks(&c.cmd(&["HRANDFIELD", key, count, "WITHVALUES"]));
            assert_eq!(got.len(), 14);
            for pair in got.chunks(2) {
                assert_eq!(pair[0].replacen('f', "v", 1), pair[1]);
            }
        }
        let one = c.cmd_str(&["HRANDFIELD", key]);
        assert!(one.starts_with("$"), "{one}");
    }
}

#[test]
fn hscan_iterates_a_hashtable_completely() {
    let srv = Server::start();
    let mut c = srv.raw();
    fill(&mut c, "h", 1000);
    assert_eq!(
        c.cmd_str(&["OBJECT", "ENCODING", "h"]),
        "$9\r\nhashtable\r\n"
    );
    assert_eq!(
        c.cmd_str(&["OBJECT", "ENCODING", "h"]),
        "$9\r\nhashtable\r\n"
    );
    for count in ["10", "1", "100"] {
        let mut seen = BTreeMap::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let reply = c.cmd(&["HSCAN", "h", &cursor, "COUNT", count]);
            let items = bulks(&reply);
            cursor = items[0].clone();
            for pair in items[1..].chunks(2) {
                seen.insert(pair[0].clone(), pair[1].clone());
            }
            calls += 1;
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 1000, "COUNT {count}");
        assert!(seen.iter().all(|(f, v)| f.replacen('f', "v", 1) == *v));
        assert!(calls > 1);
    }
    // MATCH filters fields, never values.
    let items = bulks(&c.cmd(&["HSCAN", "h", "0", "MATCH", "v*", "COUNT", "100000"]));
    assert_eq!(items, vec!["0".to_string()]);
    let items = bulks(&c.cmd(&["HSCAN", "h", "0", "MATCH", "f99?", "COUNT", "100000"]));
    assert_eq!(items.len(), 1 + 2 * 10);
}

#[test]
fn hash_keys_expire_and_disappear() {
    let srv = Server::start();
    let mut c = srv.raw();
    c.cmd(&["HSET", "h", "a", "1"]);
    assert_eq!(c.cmd_str(&["TYPE", "h"]), "+hash\r\n");
    c.cmd(&["PEXPIRE", "h", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(c.cmd_str(&["HGET", "h", "a"]), "$-1\r\n");
    assert_eq!(c.cmd_str(&["HLEN", "h"]), ":0\r\n");
    assert_eq!(c.cmd_str(&["HINCRBY", "h", "a", "5"]), ":5\r\n");
    assert_eq!(c.cmd_str(&["TTL", "h"]), ":-1\r\n");
    // A large hash emptied by HDEL disappears too.
    fill(&mut c, "big", 600);
    let mut args = vec!["HDEL".to_string(), "big".to_string()];
    args.extend((0..600).map(|i| format!("f{i}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.cmd_str(&args), ":600\r\n");
    assert_eq!(c.cmd_str(&["EXISTS", "big"]), ":0\r\n");
}

/// A large hash on both servers: sorted contents, lengths and encodings agree.
#[test]
fn large_hash_matches_redis() {
    let Some(real) = real_redis("large_hash_matches_redis") else {
        return;
    };
    let ours = Server::start();
    let (mut a, mut b) = (ours.raw(), real.raw());
    for c in [&mut a, &mut b] {
        fill(c, "h", 700);
        c.cmd(&["HINCRBY", "h", "n", "7"]);
        c.cmd(&["HINCRBYFLOAT", "h", "x", "1.25"]);
        c.cmd(&["HDEL", "h", "f3", "f4"]);
    }
    for args in [&["HKEYS", "h"][..], &["HVALS", "h"], &["HGETALL", "h"]] {
        let (mut x, mut y) = (bulks(&a.cmd(args)), bulks(&b.cmd(args)));
        if args[0] == "HGETALL" {
            // Sort pairs, not items.
            let pairs = |v: Vec<String>| {
                let mut p: Vec<(String, String)> =
                    v.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
                p.sort();
                p
            };
            assert_eq!(pairs(x), pairs(y));
        } else {
            x.sort();
            y.sort();
            assert_eq!(x, y, "{args:?}");
        }
    }
    for args in [
        &["HLEN", "h"][..],
        &["OBJECT", "ENCODING", "h"],
        &["HGET", "h", "x"],
        &["HMGET", "h", "f1", "f3", "n"],
        &["HSTRLEN", "h", "f100"],
        &["HRANDFIELD", "h", "0"],
    ] {
        assert_eq!(a.cmd(args), b.cmd(args), "{args:?}");
    }
}

/// hash-max-listpack-entries / -value: CONFIG GET/SET as on Redis, and the new limits apply
/// to the next write (a hash already converted stays a hashtable).
#[test]
fn listpack_limits_are_settings() {
    common::assert_same_replies(
        "listpack_limits_are_settings",
        &[
            // (No glob: Redis lists matches in its dict's order, which varies per process.)
            &["CONFIG", "GET", "hash-max-listpack-value"],
            &["CONFIG", "SET", "hash-max-listpack-entries", "-1"],
            &["CONFIG", "SET", "hash-max-listpack-entries", "x"],
            &["CONFIG", "SET", "hash-max-listpack-entries", "2"],
            &["CONFIG", "SET", "hash-max-listpack-value", "3"],
            &["CONFIG", "GET", "hash-max-listpack-entries"],
            &["CONFIG", "GET", "hash-max-ziplist-entries"],
            &["CONFIG", "GET", "hash-max-ziplist-value"],
            &["CONFIG", "SET", "hash-max-ziplist-value", "4"],
            &["CONFIG", "GET", "hash-max-listpack-value"],
            &["CONFIG", "SET", "hash-max-ziplist-value", "3"],
            &["HSET", "h", "a", "1", "b", "2"],
            &["OBJECT", "ENCODING", "h"],
            &["HSET", "h", "c", "3"],
            &["OBJECT", "ENCODING", "h"],
            &["HSET", "v", "abc", "xyz"],
            &["OBJECT", "ENCODING", "v"],
            &["HSET", "v", "abcd", "1"],
            &["OBJECT", "ENCODING", "v"],
            &["HINCRBY", "w", "abcd", "1"],
            &["OBJECT", "ENCODING", "w"],
            &["CONFIG", "SET", "hash-max-listpack-entries", "0"],
            &["HSET", "z", "a", "1"],
            &["OBJECT", "ENCODING", "z"],
        ],
    );
}

/// The keys the random-operation test works on.
const RANDOM_KEYS: [&str; 8] = ["h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7"];

/// A field for the random-operation test: a handful of short names and integers (fields
/// recur, so updates and deletions hit), and rarely one longer than the test's
/// hash-max-listpack-value, which converts the hash.
fn random_field(rng: &mut TestRng) -> String {
    match rng.below(100) {
        0..=69 => format!("f{}", rng.below(10)),
        70..=94 => rng.pick(&["1", "-2", "007", "", "f 1"]).to_string(),
        _ => format!("long-field-{}", rng.below(3)).repeat(2),
    }
}

/// A value: integers (HINCRBY works on them, some near the overflow edges), floats
/// (HINCRBYFLOAT), text, and rarely one too long for a listpack.
fn random_value(rng: &mut TestRng) -> String {
    match rng.below(100) {
        0..=39 => rng.range(-5, 100).to_string(),
        40..=49 => rng
            .pick(&["9223372036854775807", "-9223372036854775808", "0x10", "1e3"])
            .to_string(),
        50..=64 => rng
            .pick(&["1.5", "-0.25", "3.0", "1e-5", "inf", "12345.678"])
            .to_string(),
        65..=94 => rng.pick(&["a", "bc", "", "hello world", " 1"]).to_string(),
        _ => format!("a-long-value-{}", rng.below(3)).repeat(2),
    }
}

/// The number of fields as both servers see it (compared); 0 for a missing key or another
/// type.
fn hlen(twin: &mut Twin, key: &str) -> i64 {
    let reply = twin.run(&["HLEN", key], Check::Exact);
    String::from_utf8_lossy(&reply)
        .strip_prefix(':')
        .and_then(|n| n.trim_end().parse().ok())
        .unwrap_or(0)
}

/// How a reply listing the whole hash `key` in groups of `n` compares: exactly for a
/// listpack (insertion order on both servers), as a multiset for a hashtable. Asking is
/// itself compared.
fn order_check(twin: &mut Twin, key: &str, n: usize) -> Check {
    match twin
        .run(&["OBJECT", "ENCODING", key], Check::Exact)
        .as_slice()
    {
        b"$9\r\nhashtable\r\n" => Check::Unordered(n),
        _ => Check::Exact,
    }
}

/// Runs one random hash command (plus the questions it needs) on both servers.
fn random_hash_command(twin: &mut Twin, rng: &mut TestRng) {
    let key = rng.pick(&RANDOM_KEYS).to_string();
    let mut args: Vec<String> = Vec::new();
    let push = |args: &mut Vec<String>, words: &[&str]| {
        args.extend(words.iter().map(|w| w.to_string()));
    };
    let check = match rng.below(100) {
        0..=21 => {
            push(&mut args, &[rng.pick(&["HSET", "HMSET"]), &key]);
            for _ in 0..1 + rng.below(4) {
                args.push(random_field(rng));
                args.push(random_value(rng));
            }
            Check::Exact
        }
        22..=25 => {
            push(&mut args, &["HSETNX", &key]);
            args.push(random_field(rng));
            args.push(random_value(rng));
            Check::Exact
        }
        26..=33 => {
            push(&mut args, &["HDEL", &key]);
            args.extend((0..1 + rng.below(3)).map(|_| random_field(rng)));
            Check::Exact
        }
        34..=43 => {
            let name = rng.pick(&["HGET", "HEXISTS", "HSTRLEN", "HMGET"]);
            push(&mut args, &[name, &key]);
            let n = if name == "HMGET" { 1 + rng.below(4) } else { 1 };
            args.extend((0..n).map(|_| random_field(rng)));
            Check::Exact
        }
        44..=46 => {
            push(&mut args, &["HLEN", &key]);
            Check::Exact
        }
        47..=54 => {
            let (name, n) = rng.pick(&[("HKEYS", 1), ("HVALS", 1), ("HGETALL", 2)]);
            let check = order_check(twin, &key, n);
            push(&mut args, &[name, &key]);
            check
        }
        55..=62 => {
            push(&mut args, &["HINCRBY", &key]);
            args.push(random_field(rng));
            let by = match rng.below(10) {
                0 => "9223372036854775807".to_string(),
                1 => "-9223372036854775808".to_string(),
                2 => "1.5".to_string(),
                _ => rng.range(-10, 10).to_string(),
            };
            args.push(by);
            Check::Exact
        }
        63..=69 => {
            push(&mut args, &["HINCRBYFLOAT", &key]);
            args.push(random_field(rng));
            let by = rng.pick(&["0.1", "-1.5", "3", "1e2", "abc", "inf", "-0", "5.0e-3"]);
            args.push(by.to_string());
            Check::Exact
        }
        70..=76 => {
            // HRANDFIELD compared exactly only where nothing is random: a missing key, one
            // field, or a count covering the whole hash (compared as a multiset).
            let len = hlen(twin, &key);
            push(&mut args, &["HRANDFIELD", &key]);
            let withvalues = rng.chance(50);
            let n = if withvalues { 2 } else { 1 };
            let check = match rng.below(4) {
                0 => {
                    if len <= 1 {
                        Check::Exact
                    } else {
                        Check::Shape
                    }
                }
                1 => {
                    args.push((len + rng.range(0, 2)).max(1).to_string());
                    Check::Unordered(n)
                }
                2 => {
                    args.push(rng.range(-6, -1).to_string());
                    if len <= 1 {
                        Check::Exact
                    } else {
                        Check::Shape
                    }
                }
                _ => {
                    args.push(rng.range(0, 3).to_string());
                    Check::Shape
                }
            };
            if withvalues && args.len() == 3 {
                args.push("WITHVALUES".into());
            }
            check
        }
        77..=81 => {
            // COUNT covers a whole hashtable in one call (partial scans' cursors follow the
            // table's layout).
            push(&mut args, &["HSCAN", &key, "0", "COUNT", "1000"]);
            if rng.chance(40) {
                push(
                    &mut args,
                    &["MATCH", rng.pick(&["*", "f*", "f[1-3]", "?", "*o*"])],
                );
            }
            Check::Scan(2)
        }
        82..=91 => {
            match rng.below(4) {
                0 => push(&mut args, &["DEL", &key]),
                1 => push(&mut args, &["EXISTS", &key]),
                2 => push(&mut args, &["TYPE", &key]),
                _ => push(&mut args, &["OBJECT", "ENCODING", &key]),
            }
            Check::Exact
        }
        92..=93 => {
            // A key of another type: every hash command must answer WRONGTYPE.
            push(&mut args, &[rng.pick(&["SET", "SADD"]), &key, "other"]);
            Check::Exact
        }
        _ => {
            let errors: [&[&str]; 8] = [
                &["HSET", &key, "f0"],
                &["HSET", &key, "f0", "1", "f1"],
                &["HINCRBY", &key, "f0", "x"],
                &["HINCRBYFLOAT", &key, "f0", "nan"],
                &["HRANDFIELD", &key, "1", "WITHSCORES"],
                &["HRANDFIELD", &key, "x"],
                &["HSCAN", &key, "x"],
                &["HSCAN", &key, "0", "COUNT", "0"],
            ];
            push(&mut args, rng.pick(&errors));
            Check::Exact
        }
    };
    twin.run(&args, check);
}

/// Issue requirement: random sequences of 10k hash commands, compared reply by reply with
/// redis-server 7.0. Small listpack limits make conversions frequent (too many fields, or a
/// field or value too long).
#[test]
fn random_operations_match_redis() {
    let test = "hashes::random_operations_match_redis";
    let config = [
        ("hash-max-listpack-entries", "8"),
        ("hash-max-listpack-value", "16"),
    ];
    let Some(mut twin) = Twin::start(test, &config) else {
        return;
    };
    let mut rng = TestRng::from_env_or(test, 0x4a54_0001);
    while twin.steps < 10_000 {
        random_hash_command(&mut twin, &mut rng);
    }
}

/// The same random sequences in RESP3: maps, nested field/value pairs, `_` nulls.
#[test]
fn random_operations_match_redis_resp3() {
    let test = "hashes::random_operations_match_redis_resp3";
    let config = [
        ("hash-max-listpack-entries", "8"),
        ("hash-max-listpack-value", "16"),
    ];
    let Some(mut twin) = Twin::start_resp3(test, &config) else {
        return;
    };
    let mut rng = TestRng::from_env_or(test, 0x4a54_0001);
    while twin.steps < 10_000 {
        random_hash_command(&mut twin, &mut rng);
    }
}
