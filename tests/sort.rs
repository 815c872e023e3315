//! SORT and SORT_RO (sort.c) over raw TCP: what the differential corpus (`corpus/sort.txt`)
//! cannot express. Hash-table order (BY nosort on a hashtable set), weights that leave
//! `errno` set in Redis (each needs a fresh redis-server: Redis never resets it), keyspace
//! hit and miss counting by BY and GET, RESP3 nulls, STORE waking a blocked client, sorts of
//! a few thousand elements, and a seeded random mix of SORT calls and data changes.

mod common;

use std::collections::BTreeSet;

use common::{assert_same_replies, real_redis, Check, Raw, Server, TestRng, Twin};

/// Parses a flat aggregate of bulk strings and nulls into its elements (`None` for a null).
fn elements(reply: &[u8]) -> Vec<Option<String>> {
    let text = String::from_utf8_lossy(reply);
    let mut lines = text.split("\r\n");
    let head = lines.next().unwrap_or_default();
    assert!(head.starts_with('*'), "not an array: {text:?}");
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        match line {
            "$-1" | "_" => out.push(None),
            l if l.starts_with('$') => out.push(Some(lines.next().unwrap_or_default().into())),
            _ => {}
        }
    }
    out
}

/// Sends one command made of strings (some built at run time).
fn cmd(r: &mut Raw, args: &[String]) -> Vec<u8> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    r.cmd(&args)
}

#[test]
fn nosort_on_a_hashtable_set_lists_every_member_once() {
    let server = Server::start();
    let mut r = server.raw();
    let members: Vec<String> = (0..50).map(|n| format!("m{n}")).collect();
    let mut sadd = vec!["SADD".to_string(), "s".to_string()];
    sadd.extend(members.iter().cloned());
    cmd(&mut r, &sadd);
    let all = elements(&r.cmd(&["SORT", "s", "BY", "nosort"]));
    let got: BTreeSet<String> = all.iter().flatten().cloned().collect();
    assert_eq!(all.len(), 50);
    assert_eq!(got, members.iter().cloned().collect());
    // DESC does not reverse an unsorted set; LIMIT takes a window of the same order.
    assert_eq!(
        elements(&r.cmd(&["SORT", "s", "BY", "nosort", "DESC"])),
        all
    );
    assert_eq!(
        elements(&r.cmd(&["SORT", "s", "BY", "nosort", "LIMIT", "10", "5"])),
        all[10..15]
    );
    // GET follows the same order.
    r.cmd(&["SET", "w_m7", "seven"]);
    let got = elements(&r.cmd(&["SORT", "s", "BY", "nosort", "GET", "w_*"]));
    let at = all.iter().position(|m| m.as_deref() == Some("m7"));
    for (i, value) in got.iter().enumerate() {
        let expected = (Some(i) == at).then(|| "seven".to_string());
        assert_eq!(value, &expected);
    }
}

/// Redis leaves `errno` as strtod set it, so after one out-of-range weight every later sort
/// of text weights fails on that server: each case gets fresh servers.
#[test]
fn out_of_range_weights_are_errors() {
    for weight in [
        "1e400",
        "-1e400",
        "1e-400",
        "4.9e-324",
        "1e-310",
        "0x1.8p-1074",
    ] {
        assert_same_replies(
            "out_of_range_weights_are_errors",
            &[
                &["SADD", "s", "1", "2"],
                &["SET", "w_1", weight],
                &["SET", "w_2", "1.5"],
                &["SORT", "s", "BY", "w_*"],
                &["SORT", "s", "BY", "w_*", "ALPHA"],
                &["SORT", "s", "BY", "w_*", "LIMIT", "0", "0"],
            ],
        );
    }
    // Exact subnormals and underflowing zeros are fine.
    assert_same_replies(
        "out_of_range_weights_are_errors",
        &[
            &["SADD", "s", "1", "2"],
            &["SET", "w_1", "0x1p-1074"],
            &["SET", "w_2", "0e-400"],
            &["SORT", "s", "BY", "w_*"],
            &["SET", "w_1", "-0x3p-1070"],
            &["SORT", "s", "BY", "w_*"],
            &["SET", "w_1", "2.2250738585072014e-308"],
            &["SORT", "s", "BY", "w_*"],
        ],
    );
}

/// The value of `field` in INFO's reply.
fn info_field(r: &mut Raw, field: &str) -> i64 {
    let info = r.cmd_str(&["INFO", "stats"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in INFO"))
}

/// Every key BY and GET name is a keyspace lookup (hit or miss), the sorted key one more;
/// GET runs only for the LIMIT range, BY for every element, and neither when not sorting.
#[test]
fn by_and_get_lookups_count_as_hits_and_misses() {
    let Some(real) = real_redis("by_and_get_lookups_count_as_hits_and_misses") else {
        return;
    };
    let ours = Server::start();
    let script: &[&[&str]] = &[
        &["SADD", "s", "1", "2", "3", "4", "5"],
        &["MSET", "w_1", "3", "w_2", "1"],
        &["HSET", "h_3", "f", "x"],
        &["SORT", "s"],
        &["SORT", "s", "BY", "w_*"],
        &[
            "SORT", "s", "BY", "w_*", "GET", "w_*", "GET", "#", "LIMIT", "1", "2",
        ],
        &[
            "SORT", "s", "BY", "nosort", "GET", "h_*->f", "GET", "h_*->g",
        ],
        &["SORT", "s", "BY", "h_*->f", "ALPHA", "GET", "nostar"],
        &["SORT", "missing", "BY", "w_*", "GET", "w_*"],
        &["SORT_RO", "s", "BY", "w_*", "LIMIT", "0", "0", "GET", "w_*"],
        &["SET", "w_5", "x"],
        &["SORT", "s", "BY", "w_*", "GET", "w_*"],
    ];
    let (mut a, mut b) = (real.raw(), ours.raw());
    for args in script {
        assert_eq!(b.cmd_str(args), a.cmd_str(args), "{args:?}");
        for field in ["keyspace_hits", "keyspace_misses"] {
            assert_eq!(
                info_field(&mut b, field),
                info_field(&mut a, field),
                "{field} after {args:?}"
            );
        }
    }
}

/// RESP3 changes only the nulls of missing GET values.
#[test]
fn resp3_replies_match_redis() {
    let Some(real) = real_redis("resp3_replies_match_redis") else {
        return;
    };
    let ours = Server::start();
    let (mut a, mut b) = (real.raw(), ours.raw());
    for r in [&mut a, &mut b] {
        assert!(r.cmd_str(&["HELLO", "3"]).starts_with('%'));
    }
    let script: &[&[&str]] = &[
        &["SADD", "s", "3", "1", "2"],
        &["SET", "w_2", "x"],
        &["SORT", "s", "GET", "w_*", "GET", "#"],
        &["SORT_RO", "s", "DESC", "LIMIT", "0", "1"],
        &["SORT", "nokey"],
        &["SORT", "s", "BY", "w_*"],
    ];
    for args in script {
        assert_eq!(b.cmd_str(args), a.cmd_str(args), "{args:?}");
    }
}

/// Thousands of members, past the intset limit, with duplicate weights (ties are broken by
/// the members) and hash and string lookups.
#[test]
fn large_sorts_match_redis() {
    let n = 3000;
    let mut sadd = vec!["SADD".to_string(), "big".to_string()];
    sadd.extend((0..n).map(|i| format!("{}", (i * 7919) % 10007)));
    let mut sadd_words = vec!["SADD".to_string(), "words".to_string()];
    sadd_words.extend((0..n).map(|i| format!("w{}", (i * 31) % 4001)));
    let mut mset = vec!["MSET".to_string()];
    for i in 0..n {
        mset.push(format!("weight_{}", (i * 7919) % 10007));
        mset.push(format!("{}", i % 17));
    }
    let mut rpush = vec!["RPUSH".to_string(), "list".to_string()];
    rpush.extend((0..n).map(|i| format!("w{}", (i * 31) % 997)));
    let mut zadd = vec!["ZADD".to_string(), "zset".to_string()];
    for i in 0..n {
        zadd.push(format!("{}", i % 97));
        zadd.push(format!("{}", (i * 13) % 5003));
    }
    let mut commands: Vec<Vec<String>> = vec![sadd, sadd_words, mset, rpush, zadd];
    for i in (0..n).step_by(3) {
        commands.push(vec![
            "HSET".into(),
            format!("obj_w{}", (i * 31) % 4001),
            "rank".into(),
            format!("{}", i % 11),
        ]);
    }
    let text = |line: &str| line.split(' ').map(String::from).collect::<Vec<_>>();
    for line in [
        "SORT big",
        "SORT big DESC LIMIT 100 50",
        "SORT big ALPHA LIMIT 2990 20",
        "SORT big BY weight_* LIMIT 0 100",
        "SORT big BY weight_* DESC GET # GET weight_* LIMIT 1000 200",
        "SORT words ALPHA",
        "SORT words BY obj_*->rank LIMIT 0 300",
        "SORT words BY obj_*->rank DESC GET obj_*->rank GET #",
        "SORT words BY obj_*->rank ALPHA GET obj_*->rank",
        "SORT words BY nosort LIMIT 0 0",
        "SORT list ALPHA LIMIT 100 100",
        "SORT list BY obj_*->rank GET # GET obj_*->rank",
        "SORT list BY obj_*->rank ALPHA DESC",
        "SORT list BY nosort DESC LIMIT 1500 20",
        "SORT list BY obj_*->rank STORE dst",
        "LRANGE dst 0 -1",
        "SORT list ALPHA DESC GET obj_*->rank STORE dst",
        "LRANGE dst 2000 -1",
        "SORT zset BY nosort LIMIT 1000 30",
        "SORT zset BY nosort DESC LIMIT 5 30 GET weight_*",
        "SORT zset LIMIT 0 50",
        "SORT zset BY weight_* DESC LIMIT 0 50",
        "SORT zset ALPHA STORE dst",
        "LRANGE dst 0 -1",
    ] {
        commands.push(text(line));
    }
    let strs: Vec<Vec<&str>> = commands
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let script: Vec<&[&str]> = strs.iter().map(Vec::as_slice).collect();
    assert_same_replies("large_sorts_match_redis", &script);
}

/// STORE creates its list through the keyspace's one door for new keys, so a client blocked
/// on the destination is served, as on Redis.
#[test]
fn store_wakes_a_client_blocked_on_the_destination() {
    let Some(real) = real_redis("store_wakes_a_client_blocked_on_the_destination") else {
        return;
    };
    let ours = Server::start();
    let mut replies = Vec::new();
    for server in [&real, &ours] {
        let (mut blocked, mut r) = (server.raw(), server.raw());
        r.cmd(&["RPUSH", "src", "3", "1", "2"]);
        blocked.send_cmd(&[b"BLPOP", b"dst", b"0"]);
        // The BLPOP is parked once the server counts a blocked client.
        while !r
            .cmd_str(&["INFO", "clients"])
            .contains("blocked_clients:1")
        {
            std::thread::yield_now();
        }
        let stored = r.cmd_str(&["SORT", "src", "DESC", "STORE", "dst"]);
        let popped = String::from_utf8_lossy(&blocked.read_reply()).into_owned();
        let left = r.cmd_str(&["LRANGE", "dst", "0", "-1"]);
        replies.push((stored, popped, left));
    }
    assert_eq!(replies[1], replies[0], "rredis vs redis-server");
    assert_eq!(replies[1].1, "*2\r\n$3\r\ndst\r\n$1\r\n3\r\n");
}

/// Elements of the random test's lists and sets: numbers (with ties between spellings of one
/// value), the empty string (weight 0), then texts; no NUL and no out-of-range number, whose
/// `errno` Redis would keep. `l0` and `s0` get only the numbers, so that numeric sorts of
/// them succeed.
const RANDOM_ELEMENTS: [&str; 14] = [
    "1", "2", "3", "10", "-1", "1.5", "01", " 2", "", "a", "b", "B", "c1", "nan",
];

/// How many of [`RANDOM_ELEMENTS`] are numbers.
const RANDOM_NUMBERS: usize = 9;

/// Values of the weight keys and hash fields BY and GET read.
const RANDOM_WEIGHTS: [&str; 9] = ["1", "2.5", "-1", "10", "x", "", "3", "0x10", "inf"];

/// Runs one random data change or SORT call (with the questions its check needs) on both
/// servers. A reply is compared exactly unless its order is left to chance on Redis: a
/// hashtable set's own order (BY nosort), or equal ALPHA weights read through BY, which keep
/// a hashtable set's or a sorted set's hash-table order, or which Redis's partial quicksort
/// (BY with LIMIT) orders arbitrarily from 7 elements on.
fn random_sort_command(twin: &mut Twin, rng: &mut TestRng) {
    let element = |rng: &mut TestRng| rng.pick(&RANDOM_ELEMENTS).to_string();
    let source = rng.pick(&["l0", "l1", "s0", "s1", "z0", "z1", "none", "str"]);
    if rng.chance(30) {
        let args: Vec<String> = match rng.below(6) {
            0 | 1 => {
                let (cmd, key) = match rng.below(3) {
                    0 => ("RPUSH", rng.pick(&["l0", "l1"])),
                    1 => ("SADD", rng.pick(&["s0", "s1"])),
                    _ => ("ZADD", rng.pick(&["z0", "z1"])),
                };
                let pool = if key.ends_with('0') {
                    &RANDOM_ELEMENTS[..RANDOM_NUMBERS]
                } else {
                    &RANDOM_ELEMENTS[..]
                };
                let mut args = vec![cmd.to_string(), key.to_string()];
                for _ in 0..1 + rng.below(3) {
                    if cmd == "ZADD" {
                        args.push(rng.pick(&["1", "2", "-1", "0.5", "inf"]).to_string());
                    }
                    args.push(rng.pick(pool).to_string());
                }
                args
            }
            2 => vec![
                "SET".into(),
                format!("w_{}", element(rng)),
                rng.pick(&RANDOM_WEIGHTS).into(),
            ],
            3 => vec![
                "HSET".into(),
                format!("obj_{}", element(rng)),
                rng.pick(&["f", "g"]).into(),
                rng.pick(&RANDOM_WEIGHTS).into(),
            ],
            4 => vec![
                "DEL".into(),
                rng.pick(&["l0", "l1", "s0", "s1", "z0", "z1", "d"]).into(),
            ],
            _ => vec![
                "DEL".into(),
                format!("{}_{}", rng.pick(&["w", "obj"]), element(rng)),
            ],
        };
        twin.run(&args, Check::Exact);
        return;
    }
    let encoding = twin.run(&["OBJECT", "ENCODING", source], Check::Exact);
    let len_reply = match encoding.as_slice() {
        b"$9\r\nquicklist\r\n" => twin.run(&["LLEN", source], Check::Exact),
        b"$-1\r\n" => b":0\r\n".to_vec(),
        b"$8\r\nlistpack\r\n" | b"$8\r\nskiplist\r\n" => twin.run(&["ZCARD", source], Check::Exact),
        _ => twin.run(&["SCARD", source], Check::Exact),
    };
    let len: usize = String::from_utf8_lossy(&len_reply)
        .trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap_or(0);
    let hashtable = encoding == b"$9\r\nhashtable\r\n";
    // Redis sorts a sorted set's elements in its hash table's order, which only ties show.
    let zset = source.starts_with('z');

    let readonly = rng.chance(30);
    let mut args = vec![
        if readonly { "SORT_RO" } else { "SORT" }.to_string(),
        source.into(),
    ];
    let (mut by_star, mut dontsort, mut alpha, mut limit, mut gets, mut store) =
        (false, false, false, false, 0, false);
    for _ in 0..rng.below(5) {
        match rng.below(6) {
            0 => {
                let pattern = rng.pick(&["w_*", "obj_*->f", "obj_*->g", "*", "nosort", "w_"]);
                by_star = pattern.contains('*');
                dontsort |= !by_star;
                args.extend(["BY".into(), pattern.into()]);
            }
            1 => {
                limit = true;
                args.extend([
                    "LIMIT".into(),
                    rng.range(-2, 9).to_string(),
                    rng.range(-2, 9).to_string(),
                ]);
            }
            2 => {
                gets += 1;
                let pattern = rng.pick(&["#", "w_*", "obj_*->f", "nokey", "w_*->f"]);
                args.extend(["GET".into(), pattern.into()]);
            }
            3 => args.push(rng.pick(&["ASC", "DESC", "desc"]).into()),
            4 => {
                alpha = true;
                args.push("ALPHA".into());
            }
            5 if !readonly => {
                store = true;
                args.extend(["STORE".into(), "d".into()]);
            }
            _ => {}
        }
    }
    // A malformed option, last so that it cannot be read as another option's argument.
    if rng.chance(5) {
        args.push(rng.pick(&["LIMIT", "BY", "GET", "STORE", "bogus"]).into());
    }
    let set_sorted_anyway = hashtable && dontsort && store;
    let alpha_ties = alpha && by_star && !dontsort && !set_sorted_anyway;
    let group = gets.max(1);
    let check = if hashtable && dontsort && !set_sorted_anyway {
        if limit {
            Check::Shape
        } else {
            Check::Unordered(group)
        }
    } else if alpha_ties && (hashtable || zset || (limit && len >= 7)) {
        Check::Shape
    } else {
        Check::Exact
    };
    if store {
        twin.run(&args, Check::Exact);
        twin.run(&["LRANGE", "d", "0", "-1"], check);
        // A list in an order left to chance must not be compared later (after a STORE that
        // fails, say).
        if check != Check::Exact {
            twin.run(&["DEL", "d"], Check::Exact);
        }
    } else {
        twin.run(&args, check);
    }
}

/// A seeded random mix of SORT and SORT_RO calls (every option, in any order and number,
/// malformed ones too) and changes to the lists, sets, sorted sets, weights and hashes they
/// read.
#[test]
fn random_sorts_match_redis() {
    let test = "sort::random_sorts_match_redis";
    let Some(mut twin) = Twin::start(test, &[]) else {
        return;
    };
    twin.run(&["SET", "str", "x"], Check::Exact);
    let mut rng = TestRng::from_env_or(test, 0x5047_0001);
    while twin.steps < 10_000 {
        random_sort_command(&mut twin, &mut rng);
    }
}

/// The same random SORT calls in RESP3 (`_` for a missing GET pattern).
#[test]
fn random_sorts_match_redis_resp3() {
    let test = "sort::random_sorts_match_redis_resp3";
    let Some(mut twin) = Twin::start_resp3(test, &[]) else {
        return;
    };
    twin.run(&["SET", "str", "x"], Check::Exact);
    let mut rng = TestRng::from_env_or(test, 0x5047_0001);
    while twin.steps < 10_000 {
        random_sort_command(&mut twin, &mut rng);
    }
}

/// STORE touches the destination for WATCH whether it writes or deletes it; a STORE that
/// changes nothing (an empty result, no destination) does not.
#[test]
fn store_touches_watched_destinations() {
    let Some(real) = real_redis("store_touches_watched_destinations") else {
        return;
    };
    let ours = Server::start();
    let cases: &[(&[&str], &[&str])] = &[
        (&["SORT", "src", "STORE", "dst"], &["DEL", "dst"]),
        (
            &["SORT", "src", "LIMIT", "0", "0", "STORE", "dst"],
            &["RPUSH", "dst", "x"],
        ),
        (
            &["SORT", "src", "LIMIT", "0", "0", "STORE", "dst"],
            &["DEL", "dst"],
        ),
        (&["SORT", "nokey", "STORE", "dst"], &["DEL", "dst"]),
        (
            &["SORT", "src", "BY", "w_*", "GET", "w_*"],
            &["SET", "w_1", "5"],
        ),
    ];
    for (sort, setup) in cases {
        let mut replies = Vec::new();
        for server in [&real, &ours] {
            let (mut watcher, mut r) = (server.raw(), server.raw());
            r.cmd(&["FLUSHALL"]);
            r.cmd(&["RPUSH", "src", "3", "1", "2"]);
            r.cmd(setup);
            watcher.cmd(&["WATCH", "dst", "w_1"]);
            let sorted = r.cmd_str(sort);
            watcher.cmd(&["MULTI"]);
            watcher.cmd(&["PING"]);
            let exec = watcher.cmd_str(&["EXEC"]);
            replies.push((sorted, exec));
        }
        assert_eq!(replies[1], replies[0], "{sort:?} after {setup:?}");
    }
}
