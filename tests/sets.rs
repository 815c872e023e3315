//! Set commands (t_set.c) over raw TCP: what the differential corpus (tests/corpus/sets.txt)
//! cannot check because replies are random or follow hash-table order: SPOP and SRANDMEMBER
//! with counts, SSCAN iterations of a hashtable, the intset limit, and RESP3 reply types.

mod common;

use std::collections::BTreeSet;

use common::{assert_same_replies, real_redis, Check, Raw, Server, TestRng, Twin};

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

/// The keys the random-operation test works on.
const RANDOM_KEYS: [&str; 8] = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"];

/// A member for the random-operation test: mostly small integers (so sets start as intsets),
/// some extreme integers, and strings, including texts that look like integers but are not
/// canonical ("07", "+1", "-0"), which must turn an intset into a hashtable.
fn random_member(rng: &mut TestRng) -> String {
    match rng.below(100) {
        0..=59 => rng.range(-3, 25).to_string(),
        60..=67 => rng
            .pick(&[
                "9223372036854775807",
                "-9223372036854775808",
                "1000000",
                "65536",
            ])
            .to_string(),
        68..=95 => rng
            .pick(&["a", "b", "c", "xy", "07", "+1", "-0", "1.5", "", " 1"])
            .to_string(),
        _ => format!("a-long-member-{}", rng.below(4)).repeat(3),
    }
}

/// `n` random keys of the test's key space.
fn random_keys(rng: &mut TestRng, n: usize) -> Vec<String> {
    (0..n).map(|_| rng.pick(&RANDOM_KEYS).to_string()).collect()
}

/// The size of a set as both servers see it (compared); 0 for a missing key or another type.
fn scard(twin: &mut Twin, key: &str) -> i64 {
    let reply = twin.run(&["SCARD", key], Check::Exact);
    String::from_utf8_lossy(&reply)
        .strip_prefix(':')
        .and_then(|n| n.trim_end().parse().ok())
        .unwrap_or(0)
}

/// How a reply listing the whole set `key` compares: exactly for an intset (ascending on both
/// servers), as a multiset for a hashtable (table order). Asking is itself compared.
fn order_check(twin: &mut Twin, key: &str) -> Check {
    match twin
        .run(&["OBJECT", "ENCODING", key], Check::Exact)
        .as_slice()
    {
        b"$9\r\nhashtable\r\n" => Check::Unordered(1),
        _ => Check::Exact,
    }
}

/// Runs one random set command (plus the questions it needs) on both servers.
fn random_set_command(twin: &mut Twin, rng: &mut TestRng) {
    let key = rng.pick(&RANDOM_KEYS).to_string();
    let mut args: Vec<String> = Vec::new();
    let push = |args: &mut Vec<String>, words: &[&str]| {
        args.extend(words.iter().map(|w| w.to_string()));
    };
    let check = match rng.below(100) {
        0..=21 => {
            push(&mut args, &["SADD", &key]);
            let n = 1 + rng.below(6);
            args.extend((0..n).map(|_| random_member(rng)));
            Check::Exact
        }
        22..=31 => {
            push(&mut args, &["SREM", &key]);
            let n = 1 + rng.below(4);
            args.extend((0..n).map(|_| random_member(rng)));
            Check::Exact
        }
        32..=34 => {
            push(&mut args, &["SCARD", &key]);
            Check::Exact
        }
        35..=39 => {
            let name = if rng.chance(50) {
                "SISMEMBER"
            } else {
                "SMISMEMBER"
            };
            push(&mut args, &[name, &key]);
            let n = if name == "SISMEMBER" {
                1
            } else {
                1 + rng.below(4)
            };
            args.extend((0..n).map(|_| random_member(rng)));
            Check::Exact
        }
        40..=44 => {
            let check = order_check(twin, &key);
            push(&mut args, &["SMEMBERS", &key]);
            check
        }
        45..=49 => {
            // SPOP only where the outcome is certain: the whole set, or its only member.
            let card = scard(twin, &key);
            push(&mut args, &["SPOP", &key]);
            if card <= 1 && rng.chance(50) {
                Check::Exact
            } else {
                let count = card + rng.range(0, 2);
                args.push(count.to_string());
                Check::Unordered(1)
            }
        }
        50..=54 => {
            let card = scard(twin, &key);
            push(&mut args, &["SRANDMEMBER", &key]);
            match rng.below(4) {
                0 => {
                    if card <= 1 {
                        Check::Exact
                    } else {
                        Check::Shape
                    }
                }
                1 => {
                    args.push((card + rng.range(0, 2)).max(1).to_string());
                    Check::Unordered(1)
                }
                2 => {
                    args.push(rng.range(-8, -1).to_string());
                    if card <= 1 {
                        Check::Exact
                    } else {
                        Check::Shape
                    }
                }
                _ => {
                    args.push(rng.range(0, 3).to_string());
                    Check::Shape
                }
            }
        }
        55..=60 => {
            let keys = random_keys(rng, 2);
            push(&mut args, &["SMOVE", &keys[0], &keys[1]]);
            args.push(random_member(rng));
            Check::Exact
        }
        61..=68 => {
            push(&mut args, &[rng.pick(&["SINTER", "SUNION", "SDIFF"])]);
            let n = 1 + rng.below(3);
            args.extend(random_keys(rng, n));
            Check::Unordered(1)
        }
        69..=71 => {
            let n = 1 + rng.below(3);
            push(&mut args, &["SINTERCARD", &n.to_string()]);
            args.extend(random_keys(rng, n));
            if rng.chance(50) {
                push(&mut args, &["LIMIT", &rng.range(0, 4).to_string()]);
            }
            Check::Exact
        }
        72..=79 => {
            push(
                &mut args,
                &[
                    rng.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]),
                    &key,
                ],
            );
            let n = 1 + rng.below(3);
            args.extend(random_keys(rng, n));
            Check::Exact
        }
        80..=83 => {
            // A COUNT large enough for one call to cover a whole hashtable: the cursors of a
            // partial scan follow the table's layout.
            push(&mut args, &["SSCAN", &key, "0", "COUNT", "1000"]);
            if rng.chance(40) {
                push(
                    &mut args,
                    &["MATCH", rng.pick(&["*", "1*", "a*", "?", "*-*"])],
                );
            }
            Check::Scan(1)
        }
        84..=91 => {
            match rng.below(4) {
                0 => push(&mut args, &["DEL", &key]),
                1 => push(&mut args, &["EXISTS", &key]),
                2 => push(&mut args, &["TYPE", &key]),
                _ => push(&mut args, &["OBJECT", "ENCODING", &key]),
            }
            Check::Exact
        }
        92..=93 => {
            // A key of another type: every set command must answer WRONGTYPE.
            push(&mut args, &["SET", &key, "string"]);
            Check::Exact
        }
        _ => {
            let errors: [&[&str]; 7] = [
                &["SPOP", &key, "-1"],
                &["SPOP", &key, "1", "2"],
                &["SRANDMEMBER", &key, "x"],
                &["SINTERCARD", "0", &key],
                &["SINTERCARD", "3", &key],
                &["SSCAN", &key, "x"],
                &["SADD", &key],
            ];
            push(&mut args, rng.pick(&errors));
            Check::Exact
        }
    };
    twin.run(&args, check);
}

/// Issue requirement: random sequences of 10k set commands, compared reply by reply with
/// redis-server 7.0. A small intset limit makes conversions frequent: intsets grow into
/// hashtables, and the computed sets (STORE forms, SPOP) start over as intsets.
#[test]
fn random_operations_match_redis() {
    let test = "sets::random_operations_match_redis";
    let config = [("set-max-intset-entries", "16")];
    let Some(mut twin) = Twin::start(test, &config) else {
        return;
    };
    let mut rng = TestRng::from_env_or(test, 0x5e75_0001);
    while twin.steps < 10_000 {
        random_set_command(&mut twin, &mut rng);
    }
}

/// The same random sequences in RESP3: sets (`~`), `_` nulls.
#[test]
fn random_operations_match_redis_resp3() {
    let test = "sets::random_operations_match_redis_resp3";
    let config = [("set-max-intset-entries", "16")];
    let Some(mut twin) = Twin::start_resp3(test, &config) else {
        return;
    };
    let mut rng = TestRng::from_env_or(test, 0x5e75_0001);
    while twin.steps < 10_000 {
        random_set_command(&mut twin, &mut rng);
    }
}
