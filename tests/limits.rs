//! Limits that protect the server from its clients, each checked against redis-server 7.0
//! where one is installed: `maxclients` and the open-files limit behind it, the query and
//! output buffer limits, `proto-max-bulk-len`, and glob patterns built to make a backtracking
//! matcher take exponential time (KEYS, SCAN MATCH, PSUBSCRIBE all use the same matcher).
//!
//! The protocol limits with fixed defaults (invalid multibulk/bulk lengths, 64 KB inline
//! requests, unauthenticated caps), `timeout` and `tcp-keepalive` are covered in
//! tests/reactor.rs, tests/acl.rs and tests/config.rs.

mod common;

use std::time::{Duration, Instant};

use common::{encode, have_tool, real_redis, real_redis_with, Check, Raw, Server, TestRng, Twin};

/// Generous bound for anything that should be instant; only ever reached on a real failure.
const DEADLINE: Duration = Duration::from_secs(20);

/// The lines of a log file with Redis's `pid:role date time level ` prefix cut off.
fn log_messages(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| line.splitn(7, ' ').nth(6).map(str::to_string))
        .collect()
}

/// The soft open-files limit of process `pid`.
fn open_files_limit(pid: u32) -> Option<u64> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.get("Max open files".len()..)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Polls CLIENT LIST on `c` until it lists `want` clients (this one included).
fn wait_for_client_count(c: &mut Raw, want: usize) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let list = c.cmd_str(&["CLIENT", "LIST"]);
        let count = list.lines().filter(|l| l.starts_with("id=")).count();
        if count == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{count} clients, not {want}: {list}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Started with `ulimit -n 64`, the server cannot have the 10032 descriptors the default
/// `maxclients` needs: it lowers `maxclients` to 64 - 32 with Redis's three warnings, and
/// CONFIG SET maxclients above what fits is refused naming the figure that would. (A process
/// allowed to raise its hard limit keeps 10000 and raises the limit instead, as Redis does.)
#[test]
fn maxclients_is_reduced_to_the_open_files_limit() {
    let scratch = std::env::temp_dir().join(format!("rredis-limits-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let mut servers = vec![("rredis", env!("CARGO_BIN_EXE_rredis"))];
    if have_tool("redis-server", "maxclients_is_reduced (differential half)") {
        servers.push(("redis-server", "redis-server"));
    }
    for (who, program) in servers {
        let log = scratch.join(format!("{who}.log"));
        let _ = std::fs::remove_file(&log);
        let log_arg = log.to_string_lossy().into_owned();
        let srv = Server::start_with_nofile(program, 64, &["--logfile", &log_arg]);
        let mut c = srv.raw();
        let maxclients = c.cmd_str(&["CONFIG", "GET", "maxclients"]);
        if open_files_limit(srv.pid()) == Some(10032) {
            eprintln!(
                "note: {who} could raise its open-files limit (privileged); nothing to reduce"
            );
            assert!(
                maxclients.ends_with("$5\r\n10000\r\n"),
                "{who}: {maxclients}"
            );
            continue;
        }
        assert_eq!(
            maxclients, "*2\r\n$10\r\nmaxclients\r\n$2\r\n32\r\n",
            "{who}: maxclients"
        );
        let messages = log_messages(&log);
        for expected in [
            "You requested maxclients of 10000 requiring at least 10032 max file descriptors.",
            "Server can't set maximum open files to 10032 because of OS error: Operation not permitted.",
            "Current maximum open files is 64. maxclients has been reduced to 32 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
        ] {
            assert!(
                messages.iter().any(|m| m == expected),
                "{who}: no log line {expected:?} in {messages:#?}"
            );
        }
        assert_eq!(
            c.cmd_str(&["CONFIG", "SET", "maxclients", "100"]),
            "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating \
             system is not able to handle the specified number of clients, try with 32\r\n",
            "{who}"
        );
        // The old value stays; one that fits is taken.
        assert!(c
            .cmd_str(&["CONFIG", "GET", "maxclients"])
            .ends_with("$2\r\n32\r\n"));
        assert_eq!(c.cmd_str(&["CONFIG", "SET", "maxclients", "20"]), "+OK\r\n");
        assert!(c
            .cmd_str(&["CONFIG", "GET", "maxclients"])
            .ends_with("$2\r\n20\r\n"));
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

/// With `maxclients 2` a third connection gets Redis's error and is closed, while the two
/// admitted clients go on working; once one leaves, a new client is admitted again.
#[test]
fn maxclients_refuses_the_extra_client_with_redis_error() {
    let ours = Server::start_with(&["--maxclients", "2"]);
    let real = real_redis_with(
        "maxclients_refuses (differential half)",
        &["--maxclients", "2"],
    );
    let mut servers = vec![("rredis", &ours)];
    if let Some(real) = &real {
        servers.push(("redis-server", real));
    }
    for (who, srv) in servers {
        let mut first = srv.raw();
        let mut second = srv.raw();
        assert_eq!(first.cmd(&["PING"]), b"+PONG\r\n", "{who}");
        assert_eq!(second.cmd(&["PING"]), b"+PONG\r\n", "{who}");
        let mut third = srv.raw();
        let (bytes, closed) = third.read_until_closed(DEADLINE);
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "-ERR max number of clients reached\r\n",
            "{who}"
        );
        assert!(closed, "{who}: the refused connection stays open");
        assert_eq!(first.cmd(&["SET", "k", "v"]), b"+OK\r\n", "{who}");
        assert_eq!(second.cmd(&["GET", "k"]), b"$1\r\nv\r\n", "{who}");
        let info = first.cmd_str(&["INFO", "stats"]);
        assert!(info.contains("rejected_connections:1\r\n"), "{who}: {info}");
        drop(second);
        // The slot is free once the server has seen the close.
        wait_for_client_count(&mut first, 1);
        assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n", "{who}");
    }
}

/// A client whose unparsed input passes `client-query-buffer-limit` (here a bulk announced
/// at 2 MB and left unfinished past 1 MB) is closed without a reply; other clients carry on.
#[test]
fn query_buffer_limit_closes_only_the_offending_client() {
    let ours = Server::start();
    let real = real_redis("query_buffer_limit (differential half)");
    let mut servers = vec![("rredis", &ours)];
    if let Some(real) = &real {
        servers.push(("redis-server", real));
    }
    for (who, srv) in servers {
        let mut other = srv.raw();
        assert_eq!(
            other.cmd(&["CONFIG", "SET", "client-query-buffer-limit", "1mb"]),
            b"+OK\r\n"
        );
        let mut greedy = srv.raw();
        greedy.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n");
        // Written in pieces: the server must see the buffer grow past the limit, whatever
        // the socket buffers' sizes. A write may fail once the server has hung up.
        let piece = vec![b'x'; 64 * 1024];
        for _ in 0..24 {
            if std::io::Write::write_all(&mut greedy.stream(), &piece).is_err() {
                break;
            }
        }
        let (bytes, closed) = greedy.read_until_closed(DEADLINE);
        assert!(closed, "{who}: not disconnected");
        assert!(bytes.is_empty(), "{who}: replied {bytes:?}");
        assert_eq!(other.cmd(&["PING"]), b"+PONG\r\n", "{who}");
        assert_eq!(other.cmd(&["EXISTS", "k"]), b":0\r\n", "{who}");
        wait_for_client_count(&mut other, 1);
    }
}

/// `client-output-buffer-limit normal 1mb 0 0`: a client that pipelines big replies without
/// reading them is disconnected once its pending output passes 1 MB, and so is one whose
/// single reply (a 2 MB LRANGE) is over it, without a byte of that reply being sent; the
/// server frees them (CLIENT LIST is back to one client) and keeps serving.
#[test]
fn output_buffer_limit_disconnects_a_normal_client_that_does_not_read() {
    let ours = Server::start();
    let real = real_redis("output_buffer_limit (differential half)");
    let mut servers = vec![("rredis", &ours)];
    if let Some(real) = &real {
        servers.push(("redis-server", real));
    }
    let value = "v".repeat(100 * 1024);
    for (who, srv) in servers {
        let mut control = srv.raw();
        assert_eq!(
            control.cmd(&[
                "CONFIG",
                "SET",
                "client-output-buffer-limit",
                "normal 1mb 0 0"
            ]),
            b"+OK\r\n"
        );
        assert_eq!(control.cmd(&["SET", "big", &value]), b"+OK\r\n");

        // 200 GETs of 100 KB: 20 MB of replies, more than the limit and the socket buffers.
        let flooder = srv.raw();
        flooder
            .stream()
            .set_read_timeout(None)
            .expect("read timeout");
        let request = encode(&[b"GET", b"big"]).repeat(200);
        let _ = std::io::Write::write_all(&mut flooder.stream(), &request);
        wait_for_client_count(&mut control, 1);
        drop(flooder);

        // One reply over the limit on its own: nothing of it is written.
        for _ in 0..20 {
            control.cmd(&["RPUSH", "list", &value]);
        }
        let mut ranger = srv.raw();
        ranger.send(&encode(&[b"LRANGE", b"list", b"0", b"-1"]));
        let (bytes, closed) = ranger.read_until_closed(DEADLINE);
        assert!(closed, "{who}: the LRANGE client stays connected");
        assert!(
            bytes.is_empty(),
            "{who}: {} bytes of the reply sent",
            bytes.len()
        );
        wait_for_client_count(&mut control, 1);
        assert_eq!(control.cmd(&["STRLEN", "big"]), b":102400\r\n", "{who}");
    }
}

/// `proto-max-bulk-len` lowered at run time: a bulk one byte over it is refused with Redis's
/// error and the connection closed, one at the limit is read.
#[test]
fn proto_max_bulk_len_set_at_run_time() {
    let ours = Server::start();
    let real = real_redis("proto_max_bulk_len (differential half)");
    let mut servers = vec![("rredis", &ours)];
    if let Some(real) = &real {
        servers.push(("redis-server", real));
    }
    for (who, srv) in servers {
        let mut c = srv.raw();
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
            b"+OK\r\n"
        );
        let at_limit = "x".repeat(1024 * 1024);
        assert_eq!(c.cmd(&["SET", "k", &at_limit]), b"+OK\r\n", "{who}");
        let mut over = srv.raw();
        over.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n");
        let (bytes, closed) = over.read_until_closed(DEADLINE);
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "-ERR Protocol error: invalid bulk length\r\n",
            "{who}"
        );
        assert!(closed, "{who}");
    }
}

/// Keys and patterns over a small alphabet full of glob syntax (`*`, `?`, classes, ranges,
/// negation, escapes, unterminated classes): KEYS and SCAN MATCH answer exactly as
/// redis-server does for thousands of random patterns, for the pathological patterns of
/// CVE-2022-36021, and on both sides of Redis's limit of 1000 nested stars.
#[test]
fn glob_patterns_match_like_redis() {
    let Some(mut twin) = Twin::start("glob_patterns_match_like_redis", &[]) else {
        return;
    };
    let mut rng = TestRng::from_env_or("glob_patterns_match_like_redis", 0x5eed_61ab);
    let key_bytes = b"ab-]\\[*^";
    let mut keys: Vec<Vec<u8>> = (0..300)
        .map(|_| {
            let len = 1 + rng.below(8);
            (0..len).map(|_| rng.pick(key_bytes)).collect()
        })
        .collect();
    keys.push(vec![b'a'; 1100]);
    let mut starred = vec![b'*'];
    starred.extend(vec![b'a'; 1100]);
    keys.push(starred);
    keys.push([vec![b'a'; 3000], b"b".to_vec()].concat());
    for key in &keys {
        twin.run(&[&b"SET"[..], key, b"1"], Check::Exact);
    }
    let pattern_bytes: &[&[u8]] = &[
        b"a", b"b", b"-", b"]", b"*", b"*", b"?", b"[", b"[^", b"\\", b"\\*", b"a-b", b"^",
    ];
    let mut patterns: Vec<Vec<u8>> = (0..3000)
        .map(|_| {
            let len = 1 + rng.below(6);
            (0..len)
                .flat_map(|_| rng.pick(pattern_bytes).to_vec())
                .collect()
        })
        .collect();
    let stars = |n: usize, tail: &[u8]| [b"*a".repeat(n), tail.to_vec()].concat();
    patterns.extend([
        [b"*a".repeat(30), b"*b".to_vec()].concat(),
        [b"*a".repeat(30), b"*c".to_vec()].concat(),
        b"*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*[c-d]".to_vec(),
        stars(999, b""),
        stars(1000, b"*"),
        stars(1001, b"*"),
        stars(1100, b""),
        [b"**a".repeat(1000), b"***".to_vec()].concat(),
        [&b"\\*"[..], &stars(1000, b"*")].concat(),
        [&b"[*]"[..], &stars(1000, b"*")].concat(),
        [&b"*?"[..], &stars(1000, b"*")].concat(),
    ]);
    for pattern in &patterns {
        twin.run(&[&b"KEYS"[..], pattern], Check::Unordered(1));
    }
    // SCAN MATCH filters with the same matcher (one call covering the whole table).
    for pattern in patterns.iter().step_by(50) {
        let reply = twin.run(
            &[&b"SCAN"[..], b"0", b"MATCH", pattern, b"COUNT", b"100000"],
            Check::Scan(1),
        );
        assert!(
            reply.starts_with(b"*2\r\n$1\r\n0\r\n"),
            "one pass covers it all"
        );
    }
}

/// A NUL byte before the end of an inline request or a header line: Redis looks for the line
/// end with `strchr`, which stops at the NUL, so the request never completes; the client gets
/// no reply until its buffer passes 64 KB, then `too big inline request`. (rredis once split
/// such a line into empty arguments forever, eating memory until it died: found by
/// scripts/soak's protocol garbage.)
#[test]
fn nul_bytes_in_inline_requests_behave_as_in_redis() {
    let ours = Server::start();
    let real = real_redis("nul_bytes_in_inline_requests (differential half)");
    let mut servers = vec![("rredis", &ours)];
    if let Some(real) = &real {
        servers.push(("redis-server", real));
    }
    for (who, srv) in servers {
        let mut c = srv.raw();
        c.send(b"ECHO a\0b\r\nPING\r\n");
        // Only a wait can show that nothing comes; the bytes that do come are checked.
        let (early, closed) = c.read_until_closed(Duration::from_millis(300));
        assert!(
            early.is_empty() && !closed,
            "{who}: {early:?} closed={closed}"
        );
        c.send(&vec![b'x'; 64 * 1024]);
        let (bytes, closed) = c.read_until_closed(DEADLINE);
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "-ERR Protocol error: too big inline request\r\n",
            "{who}"
        );
        assert!(closed, "{who}");
        assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n", "{who}");
    }
}

/// `timeout 1`: an idle client is closed without a word; a subscriber and a client blocked in
/// BLPOP are not idle in Redis's sense and stay connected.
#[test]
fn timeout_closes_idle_clients_but_not_subscribers_or_blocked_ones() {
    let ours = Server::start();
    let real = real_redis("timeout_closes_idle_clients (differential half)");
    let mut servers = vec![("rredis", &ours)];
    if let Some(real) = &real {
        servers.push(("redis-server", real));
    }
    for (who, srv) in servers {
        let mut idle = srv.raw();
        assert_eq!(idle.cmd(&["PING"]), b"+PONG\r\n");
        let mut subscriber = srv.raw();
        assert!(subscriber.cmd_str(&["SUBSCRIBE", "ch"]).ends_with(":1\r\n"));
        let mut blocked = srv.raw();
        blocked.send(&encode(&[b"BLPOP", b"list", b"0"]));
        let mut control = srv.raw();
        wait_for_client_count(&mut control, 4);
        assert_eq!(control.cmd(&["CONFIG", "SET", "timeout", "1"]), b"+OK\r\n");
        let (bytes, closed) = idle.read_until_closed(DEADLINE);
        assert!(
            closed && bytes.is_empty(),
            "{who}: {bytes:?} closed={closed}"
        );
        // The control client itself goes idle too; a new one checks the survivors.
        let mut check = srv.raw();
        assert_eq!(check.cmd(&["CONFIG", "SET", "timeout", "0"]), b"+OK\r\n");
        assert_eq!(
            check.cmd(&["PUBLISH", "ch", "still here"]),
            b":1\r\n",
            "{who}"
        );
        assert_eq!(check.cmd(&["RPUSH", "list", "x"]), b":1\r\n", "{who}");
        assert_eq!(
            blocked.read_reply(),
            b"*2\r\n$4\r\nlist\r\n$1\r\nx\r\n",
            "{who}: the blocked client was served"
        );
    }
}
