//! DEBUG and the latency monitor, compared with redis-server 7.0: DEBUG refused unless
//! `enable-debug-command` allows it, then its subcommands' replies side by side; LATENCY's
//! replies after a command slow enough to be recorded.

mod common;

use common::{real_redis_with, Raw, Server};

/// Runs `script` on a connection and returns the replies, with DEBUG OBJECT's address and
/// LRU fields cut off (they differ between any two servers).
fn replies(conn: &mut Raw, script: &[&[&str]]) -> Vec<String> {
    script
        .iter()
        .map(|args| {
            let reply = conn.cmd_str(args);
            match reply.find(" refcount:") {
                Some(at) if reply.starts_with("+Value at:") => {
                    let end = reply.find(" lru:").unwrap_or(reply.len());
                    reply[at..end].to_string()
                }
                _ => reply,
            }
        })
        .collect()
}

#[test]
fn debug_is_refused_by_default_like_redis() {
    let Some(redis) = real_redis_with("debug_is_refused_by_default_like_redis", &[]) else {
        return;
    };
    let ours = Server::start();
    let script: &[&[&str]] = &[
        &["DEBUG", "SLEEP", "0"],
        &["MULTI"],
        &["DEBUG", "HELP"],
        &["EXEC"],
    ];
    assert_eq!(
        replies(&mut ours.raw(), script),
        replies(&mut redis.raw(), script)
    );
}

#[test]
fn debug_subcommands_match_redis() {
    let dir = std::env::temp_dir().join(format!("rredis-debug-{}", std::process::id()));
    let (ours_dir, redis_dir) = (dir.join("ours"), dir.join("redis"));
    for d in [&ours_dir, &redis_dir] {
        std::fs::create_dir_all(d).expect("temp dir");
    }
    let args = |d: &std::path::Path| {
        vec![
            "--enable-debug-command".to_string(),
            "yes".to_string(),
            "--dir".to_string(),
            d.display().to_string(),
        ]
    };
    let redis_args = args(&redis_dir);
    let redis_args: Vec<&str> = redis_args.iter().map(String::as_str).collect();
    let Some(redis) = real_redis_with("debug_subcommands_match_redis", &redis_args) else {
        return;
    };
    let ours_args = args(&ours_dir);
    let ours_args: Vec<&str> = ours_args.iter().map(String::as_str).collect();
    let ours = Server::start_with(&ours_args);
    let mut script: Vec<&[&str]> = vec![
        &["DEBUG", "POPULATE", "3"],
        &["DEBUG", "POPULATE", "2", "pfx", "5"],
        &["DEBUG", "POPULATE", "1", "big", "20"],
        &["DEBUG", "POPULATE", "x"],
        &["MGET", "key:0", "key:2", "pfx:1", "big:0", "key:3"],
        &["RPUSH", "list", "a", "b"],
        &["HSET", "hash", "f", "v"],
        &["SET", "n", "12345"],
        &["DEBUG", "OBJECT", "list"],
        &["DEBUG", "OBJECT", "hash"],
        &["DEBUG", "OBJECT", "n"],
        &["DEBUG", "OBJECT", "key:1"],
        &["DEBUG", "OBJECT", "missing"],
        &["DEBUG", "ERROR", "CUSTOM something broke"],
        &["DEBUG", "LOG", "hello"],
        &["DEBUG", "SLEEP", "0"],
        &["DEBUG", "SLEEP", "x"],
        &["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        &["SET", "short", "v", "PX", "100000"],
        &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        &["DEBUG", "RELOAD", "BOGUS"],
        &["DEBUG", "RELOAD"],
        &["DBSIZE"],
        &["LRANGE", "list", "0", "-1"],
        &["DEBUG", "RELOAD", "NOSAVE"],
        &["HGETALL", "hash"],
        &["DEBUG", "NOSUCHTHING"],
        &["DEBUG", "OBJECT"],
    ];
    let types = [
        "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
        "verbatim", "true", "false", "nope",
    ];
    let protocol: Vec<[&str; 3]> = types.iter().map(|t| ["DEBUG", "PROTOCOL", t]).collect();
    script.extend(protocol.iter().map(|a| &a[..]));
    let (mut mine, mut theirs) = (ours.raw(), redis.raw());
    assert_eq!(replies(&mut mine, &script), replies(&mut theirs, &script));
    for conn in [&mut mine, &mut theirs] {
        conn.cmd(&["HELLO", "3"]);
    }
    let protocol: Vec<&[&str]> = protocol.iter().map(|a| &a[..]).collect();
    assert_eq!(
        replies(&mut mine, &protocol),
        replies(&mut theirs, &protocol)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn latency_monitor_records_slow_commands_like_redis() {
    let Some(redis) = real_redis_with(
        "latency_monitor_records_slow_commands_like_redis",
        &["--enable-debug-command", "yes"],
    ) else {
        return;
    };
    let ours = Server::start_with(&["--enable-debug-command", "yes"]);
    for server in [&ours, &redis] {
        let mut c = server.raw();
        assert_eq!(c.cmd_str(&["LATENCY", "LATEST"]), "*0\r\n");
        // Below the threshold (off by default) nothing is recorded.
        c.cmd(&["DEBUG", "SLEEP", "0.02"]);
        assert_eq!(c.cmd_str(&["LATENCY", "LATEST"]), "*0\r\n");
        c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "10"]);
        c.cmd(&["DEBUG", "SLEEP", "0.02"]);
        let latest = c.cmd_str(&["LATENCY", "LATEST"]);
        assert!(
            latest.starts_with("*1\r\n*4\r\n$7\r\ncommand\r\n:"),
            "{latest}"
        );
        let history = c.cmd_str(&["LATENCY", "HISTORY", "command"]);
        assert!(history.starts_with("*1\r\n*2\r\n:"), "{history}");
        assert_eq!(c.cmd_str(&["LATENCY", "HISTORY", "none"]), "*0\r\n");
        assert_eq!(
            c.cmd_str(&["LATENCY", "RESET", "command", "none"]),
            ":1\r\n"
        );
        assert_eq!(c.cmd_str(&["LATENCY", "LATEST"]), "*0\r\n");
        assert_eq!(c.cmd_str(&["LATENCY", "RESET"]), ":0\r\n");
    }
}

/// A reply with every run of digits replaced by `N`: latencies (a 50 ms sleep measures 50
/// or 51 ms), sample ages and lengths differ between two servers; the words, the layout and
/// the reply type must not.
fn masked(reply: &str) -> String {
    let mut out = String::new();
    for ch in reply.chars() {
        if ch.is_ascii_digit() {
            if !out.ends_with('N') {
                out.push('N');
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// The no-events report, word for word as redis-server 7.0.15 writes it.
const DOCTOR_NO_SPIKES: &str = "Dave, no latency spike was observed during the lifetime of \
    this Redis instance, not in the slightest bit. I honestly think you ought to sit down \
    calmly, take a stress pill, and think things over.\n";

#[test]
fn latency_doctor_and_graph_match_redis() {
    let Some(redis) = real_redis_with(
        "latency_doctor_and_graph_match_redis",
        &["--enable-debug-command", "yes"],
    ) else {
        return;
    };
    let ours = Server::start_with(&["--enable-debug-command", "yes"]);
    let (mut mine, mut theirs) = (ours.raw(), redis.raw());
    let exact: &[&[&str]] = &[
        // Monitoring off and nothing recorded: "I'm sorry, Dave".
        &["LATENCY", "DOCTOR"],
        &["LATENCY", "GRAPH", "command"],
        &["LATENCY", "GRAPH"],
        &["CONFIG", "SET", "latency-monitor-threshold", "1000"],
        // On, nothing recorded: the no-spike text (the advice about transparent huge pages
        // would follow it if either process had any).
        &["LATENCY", "DOCTOR"],
    ];
    let ours_replies = replies(&mut mine, exact);
    assert_eq!(ours_replies, replies(&mut theirs, exact));
    assert!(
        ours_replies[0].contains("I'm sorry, Dave"),
        "{ours_replies:?}"
    );
    if ours_replies[4].contains("no latency spike") {
        let want = format!("${}\r\n{DOCTOR_NO_SPIKES}\r\n", DOCTOR_NO_SPIKES.len());
        assert_eq!(ours_replies[4], want);
    }
    // One recorded event, read back in RESP2 and RESP3 (verbatim strings).
    let recorded: &[&[&str]] = &[
        &["CONFIG", "SET", "latency-monitor-threshold", "10"],
        &["DEBUG", "SLEEP", "0.05"],
        &["LATENCY", "GRAPH", "command"],
        &["LATENCY", "DOCTOR"],
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
        &["LATENCY", "DOCTOR"],
        &["HELLO", "3"],
        &["LATENCY", "GRAPH", "command"],
        &["LATENCY", "DOCTOR"],
    ];
    let ours_replies: Vec<String> = replies(&mut mine, recorded)
        .iter()
        .map(|r| masked(r))
        .collect();
    let theirs_replies: Vec<String> = replies(&mut theirs, recorded)
        .iter()
        .map(|r| masked(r))
        .collect();
    // HELLO's map holds the client id and differs in length.
    for (i, (a, b)) in ours_replies.iter().zip(&theirs_replies).enumerate() {
        if recorded[i][0] != "HELLO" {
            assert_eq!(a, b, "{:?}", recorded[i]);
        }
    }
    assert!(
        ours_replies[2].contains("command - high N ms, low N ms (all time high N ms)\n"),
        "{}",
        ours_replies[2]
    );
    assert!(
        ours_replies[5].contains("Try to enable the Slow Log"),
        "{}",
        ours_replies[5]
    );
}

/// One command's entry of a LATENCY HISTOGRAM reply: its name, calls, and the
/// `(usec, cumulative count)` levels of histogram_usec.
type HistogramEntry = (String, u64, Vec<(u64, u64)>);

/// The entries of a LATENCY HISTOGRAM reply, RESP2 or RESP3, checking the framing on the way.
fn histogram_entries(reply: &str) -> Vec<HistogramEntry> {
    let mut lines = reply.split("\r\n");
    let mut next = || {
        lines
            .next()
            .unwrap_or_else(|| panic!("short reply {reply:?}"))
    };
    let count = |header: &str, pairs: bool| -> usize {
        let n: usize = header[1..].parse().unwrap();
        match &header[..1] {
            "%" => n,
            "*" if pairs => n / 2,
            _ => panic!("not a map: {header} in {reply:?}"),
        }
    };
    let int = |line: &str| -> u64 { line.strip_prefix(':').unwrap().parse().unwrap() };
    let commands = count(next(), true);
    (0..commands)
        .map(|_| {
            next();
            let name = next().to_string();
            assert_eq!(count(next(), true), 2);
            assert_eq!((next(), next()), ("$5", "calls"));
            let calls = int(next());
            assert_eq!((next(), next()), ("$14", "histogram_usec"));
            let levels = count(next(), true);
            let cdf = (0..levels).map(|_| (int(next()), int(next()))).collect();
            (name, calls, cdf)
        })
        .collect()
}

/// The levels LATENCY HISTOGRAM can report, in µs: the highest value of the histogram
/// counter at 1024 ns · 2^k, and the histogram's last counter.
const CDF_LEVELS_USEC: &[u64] = &[
    1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 135266,
    270532, 541065, 1073741,
];

#[test]
fn latency_histogram_matches_redis() {
    let Some(redis) = real_redis_with("latency_histogram_matches_redis", &[]) else {
        return;
    };
    let ours = Server::start();
    let script: &[&[&str]] = &[
        &["CONFIG", "RESETSTAT"],
        &["SET", "a", "b"],
        &["GET", "a"],
        &["GET", "a"],
        &["CONFIG", "GET", "hz"],
        &[
            "LATENCY",
            "HISTOGRAM",
            "set",
            "GET",
            "nosuch",
            "config|get",
            "get",
        ],
        &["HELLO", "3"],
        &["LATENCY", "HISTOGRAM", "get"],
        &["LATENCY", "HISTOGRAM"],
        &["CONFIG", "SET", "latency-tracking", "no"],
        &["LATENCY", "HISTOGRAM", "nosuch"],
        // A container stands for its subcommands (in Redis's table order, which varies).
        &["LATENCY", "HISTOGRAM", "config"],
    ];
    let mut results = Vec::new();
    for server in [&ours, &redis] {
        let mut c = server.raw();
        let replies = replies(&mut c, script);
        let named = histogram_entries(&replies[5]);
        for (_, calls, cdf) in &named {
            assert!(!cdf.is_empty());
            assert_eq!(cdf.last().map(|l| l.1), Some(*calls));
            assert!(cdf.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
            assert!(
                cdf.iter().all(|(usec, _)| CDF_LEVELS_USEC.contains(usec)),
                "{cdf:?}"
            );
        }
        let shape = |entries: Vec<HistogramEntry>| -> Vec<(String, u64)> {
            entries
                .into_iter()
                .map(|(name, calls, _)| (name, calls))
                .collect()
        };
        let mut everything = shape(histogram_entries(&replies[8]));
        // The full listing's order is Redis's hash table's.
        everything.sort();
        assert!(replies[8].starts_with('%'));
        assert_eq!(replies[10], "%0\r\n");
        let mut config = shape(histogram_entries(&replies[11]));
        config.sort();
        results.push((
            shape(named),
            shape(histogram_entries(&replies[7])),
            everything,
            config,
        ));
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(
        results[0].0,
        [
            ("set".to_string(), 1),
            ("get".to_string(), 2),
            ("config|get".to_string(), 1),
            ("get".to_string(), 2),
        ]
    );
    assert_eq!(
        results[0].3,
        // Not CONFIG SET: it turned latency-tracking off, so its own call was not recorded.
        [
            ("config|get".to_string(), 1),
            ("config|resetstat".to_string(), 1),
        ]
    );
}
