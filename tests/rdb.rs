//! The RDB file and DUMP/RESTORE payloads against Redis 7.0: files written by rredis load in
//! redis-server and the reverse, DUMP payloads are byte-identical where Redis's encoding is
//! deterministic and restore on the other side otherwise, RESTORE's errors match, corrupt
//! input never takes the server down, and a bad dump.rdb stops the start.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{aggregate_items, free_port, have_tool, real_redis_with, wait_child, Raw, Server};
use rredis::persist::crc64::crc64;

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rredis-rdb-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn cmd(r: &mut Raw, args: &[&[u8]]) -> Vec<u8> {
    r.send_cmd(args);
    r.read_reply()
}

/// The content of a bulk reply.
fn bulk(reply: &[u8]) -> Vec<u8> {
    let eol = reply.windows(2).position(|w| w == b"\r\n").unwrap_or(0);
    reply
        .get(eol + 2..reply.len().saturating_sub(2))
        .unwrap_or_default()
        .to_vec()
}

/// Fills a server with every type in every encoding, TTLs, several databases, binary data
/// and the empty key name. Lists are built by RPUSH only (their nodes are then cut the same
/// way on both servers) except `l:lpush`.
fn fill(r: &mut Raw) {
    let mut run = |args: Vec<Vec<u8>>| {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let reply = cmd(r, &args);
        assert!(
            !reply.starts_with(b"-"),
            "{:?}: {:?}",
            args,
            String::from_utf8_lossy(&reply)
        );
    };
    let s = |v: &str| v.as_bytes().to_vec();
    let binary: Vec<u8> = (0..=255u8).collect();
    run(vec![s("SET"), s(""), s("the empty key")]);
    run(vec![s("SET"), s("s:int"), s("12345")]);
    run(vec![s("SET"), s("s:neg"), s("-7")]);
    run(vec![s("SET"), s("s:i32"), s("-2147483648")]);
    run(vec![s("SET"), s("s:big"), s("99999999999")]);
    run(vec![s("SET"), s("s:short"), s("hello")]);
    run(vec![s("SET"), s("s:pad"), s("007")]);
    run(vec![s("SET"), s("s:long"), "abc".repeat(100).into_bytes()]);
    run(vec![s("SET"), s("s:bin"), binary.clone()]);
    run(vec![s("SET"), s("s:ttl"), s("v"), s("PX"), s("100000")]);
    run(vec![s("SET"), s("s:raw"), s("x")]);
    run(vec![s("APPEND"), s("s:raw"), s("yz")]);
    run(vec![s("SET"), binary.clone(), s("binary key")]);
    run(vec![
        s("RPUSH"),
        s("l:r:small"),
        s("a"),
        s("1"),
        s("-5000"),
        s("123456"),
        s("hello world"),
        s(""),
    ]);
    let mut big = vec![s("RPUSH"), s("l:r:big")];
    big.extend((0..3000).map(|i| format!("element-{i}").into_bytes()));
    run(big);
    run(vec![
        s("RPUSH"),
        s("l:r:huge"),
        s("a"),
        vec![b'q'; 10000],
        s("b"),
    ]);
    let mut lp = vec![s("LPUSH"), s("l:lpush")];
    lp.extend((0..1000).map(|i| i.to_string().into_bytes()));
    run(lp);
    run(vec![
        s("SADD"),
        s("set:int"),
        s("1"),
        s("2"),
        s("3"),
        s("-70000"),
        s("9999999999"),
    ]);
    let mut ints = vec![s("SADD"), s("set:ints")];
    ints.extend((0..600).map(|i| i.to_string().into_bytes()));
    run(ints);
    run(vec![
        s("SADD"),
        s("set:str"),
        s("a"),
        s("b"),
        s("c"),
        binary.clone(),
    ]);
    run(vec![
        s("HSET"),
        s("h:small"),
        s("f"),
        s("v"),
        s("n"),
        s("1"),
        s("big"),
        s("12345678901"),
    ]);
    let mut hbig = vec![s("HSET"), s("h:big")];
    for i in 0..600 {
        hbig.push(format!("field{i}").into_bytes());
        hbig.push(format!("value{i}").into_bytes());
    }
    run(hbig);
    run(vec![s("HSET"), s("h:longval"), s("f"), vec![b'v'; 100]]);
    run(vec![s("PEXPIRE"), s("h:small"), s("500000")]);
    run(vec![
        s("ZADD"),
        s("z:small"),
        s("0.1"),
        s("a"),
        s("1"),
        s("b"),
        s("-0"),
        s("c"),
        s("2.5"),
        s("d"),
        s("inf"),
        s("e"),
        s("-inf"),
        s("f"),
        s("1e300"),
        s("g"),
        s("-3"),
        s("h"),
    ]);
    let mut zbig = vec![s("ZADD"), s("z:big")];
    for i in 0..200 {
        zbig.push(format!("{}", i as f64 / 7.0).into_bytes());
        zbig.push(format!("m{i}").into_bytes());
    }
    run(zbig);
    run(vec![
        s("ZADD"),
        s("z:long"),
        s("1.5"),
        vec![b'm'; 100],
        s("-0"),
        s("zero"),
    ]);
    run(vec![s("SELECT"), s("1")]);
    run(vec![s("SET"), s("db1"), s("1")]);
    run(vec![s("SELECT"), s("5")]);
    run(vec![s("RPUSH"), s("db5:list"), s("x"), s("y")]);
    run(vec![s("SELECT"), s("15")]);
    run(vec![s("HSET"), s("db15:hash"), s("a"), s("b")]);
    run(vec![s("EXPIRE"), s("db15:hash"), s("3000")]);
    run(vec![s("SELECT"), s("0")]);
}

/// Keys whose DUMP Redis produces deterministically (no hash table order involved).
fn deterministic(key: &[u8]) -> bool {
    !matches!(
        key,
        b"set:ints" | b"set:str" | b"h:big" | b"h:longval" | b"z:big" | b"z:long" | b"l:lpush"
    )
}

/// One key as a client sees it.
#[derive(Debug, PartialEq)]
struct KeyState {
    db: usize,
    key: Vec<u8>,
    kind: Vec<u8>,
    encoding: Vec<u8>,
    value: Vec<Vec<u8>>,
    pttl: i64,
}

/// Every key of the databases used by [`fill`], sorted, with type, encoding, value (sets and
/// hashes sorted, since table order differs) and PTTL.
fn snapshot(r: &mut Raw) -> Vec<KeyState> {
    let mut out = Vec::new();
    for db in [0usize, 1, 5, 15] {
        cmd(r, &[b"SELECT", db.to_string().as_bytes()]);
        let (_, items) = aggregate_items(&cmd(r, &[b"KEYS", b"*"])).expect("KEYS");
        let mut keys: Vec<Vec<u8>> = items.iter().map(|i| bulk(i)).collect();
        keys.sort();
        for key in keys {
            let kind = cmd(r, &[b"TYPE", &key]);
            let encoding = cmd(r, &[b"OBJECT", b"ENCODING", &key]);
            let value = match kind.as_slice() {
                b"+string\r\n" => vec![cmd(r, &[b"GET", &key])],
                b"+list\r\n" => vec![cmd(r, &[b"LRANGE", &key, b"0", b"-1"])],
                b"+zset\r\n" => vec![cmd(r, &[b"ZRANGE", &key, b"0", b"-1", b"WITHSCORES"])],
                b"+set\r\n" => {
                    let mut m = aggregate_items(&cmd(r, &[b"SMEMBERS", &key])).unwrap().1;
                    m.sort();
                    m
                }
                b"+hash\r\n" => {
                    let items = aggregate_items(&cmd(r, &[b"HGETALL", &key])).unwrap().1;
                    let mut pairs: Vec<Vec<u8>> = items
                        .chunks(2)
                        .map(|p| [p[0].clone(), p[1].clone()].concat())
                        .collect();
                    pairs.sort();
                    pairs
                }
                other => panic!("unexpected type {:?}", String::from_utf8_lossy(other)),
            };
            let pttl = String::from_utf8_lossy(&cmd(r, &[b"PTTL", &key]))
                .trim_start_matches(':')
                .trim()
                .parse()
                .unwrap();
            out.push(KeyState {
                db,
                key,
                kind,
                encoding,
                value,
                pttl,
            });
        }
    }
    cmd(r, &[b"SELECT", b"0"]);
    out
}

/// Asserts two snapshots hold the same keys, types and values, with TTLs within a few
/// seconds of each other; encodings too when `encodings`.
fn assert_same_data(a: &[KeyState], b: &[KeyState], encodings: bool, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: key count");
    for (x, y) in a.iter().zip(b) {
        let name = String::from_utf8_lossy(&x.key);
        assert_eq!(
            (x.db, &x.key, &x.kind),
            (y.db, &y.key, &y.kind),
            "{what}: {name}"
        );
        assert_eq!(x.value, y.value, "{what}: value of {name}");
        if encodings {
            assert_eq!(
                String::from_utf8_lossy(&x.encoding),
                String::from_utf8_lossy(&y.encoding),
                "{what}: encoding of {name}"
            );
        }
        if x.pttl < 0 || y.pttl < 0 {
            assert_eq!(x.pttl, y.pttl, "{what}: TTL of {name}");
        } else {
            assert!(
                (x.pttl - y.pttl).abs() < 10_000,
                "{what}: TTL of {name}: {} vs {}",
                x.pttl,
                y.pttl
            );
        }
    }
}

fn rredis_on(dir: &Path, extra: &[&str]) -> Server {
    let mut args = vec!["--dir", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    Server::start_with(&args)
}

/// rredis SAVEs, redis-server 7.0 loads the file: same data; and both load it into the same
/// encodings.
#[test]
fn rredis_dump_rdb_loads_in_redis() {
    if !have_tool("redis-server", "rredis_dump_rdb_loads_in_redis") {
        return;
    }
    let dir = temp_dir("to-redis");
    let original = {
        let ours = rredis_on(&dir, &[]);
        let mut r = ours.raw();
        fill(&mut r);
        assert_eq!(r.cmd(&["SAVE"]), b"+OK\r\n");
        snapshot(&mut r)
    };
    let real = real_redis_with(
        "rredis_dump_rdb_loads_in_redis",
        &["--dir", dir.to_str().unwrap()],
    )
    .expect("redis-server");
    let in_redis = snapshot(&mut real.raw());
    assert_same_data(&original, &in_redis, false, "rredis -> redis");
    let reloaded = snapshot(&mut rredis_on(&dir, &[]).raw());
    assert_same_data(
        &in_redis,
        &reloaded,
        true,
        "redis vs rredis loading rredis's file",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// redis-server 7.0 SAVEs, rredis loads the file: same data, and the encodings redis-server
/// itself gives when loading it.
#[test]
fn redis_dump_rdb_loads_in_rredis() {
    let dir = temp_dir("from-redis");
    let dir_arg = dir.to_str().unwrap().to_string();
    let Some(real) = real_redis_with("redis_dump_rdb_loads_in_rredis", &["--dir", &dir_arg]) else {
        return;
    };
    let original = {
        let mut r = real.raw();
        fill(&mut r);
        assert_eq!(r.cmd(&["SAVE"]), b"+OK\r\n");
        snapshot(&mut r)
    };
    drop(real);
    let in_rredis = snapshot(&mut rredis_on(&dir, &[]).raw());
    assert_same_data(&original, &in_rredis, false, "redis -> rredis");
    let real = real_redis_with("redis_dump_rdb_loads_in_rredis", &["--dir", &dir_arg]).unwrap();
    let reloaded = snapshot(&mut real.raw());
    assert_same_data(
        &reloaded,
        &in_rredis,
        true,
        "redis vs rredis loading redis's file",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// DUMP gives Redis's bytes wherever Redis's encoding is deterministic, and every payload
/// restores on the other server into the same value and encoding.
#[test]
fn dump_payloads_match_and_cross_restore() {
    let Some(real) = real_redis_with("dump_payloads_match_and_cross_restore", &[]) else {
        return;
    };
    let ours = Server::start();
    let (mut a, mut b) = (ours.raw(), real.raw());
    fill(&mut a);
    fill(&mut b);
    let keys = snapshot(&mut b);
    for k in keys.iter().filter(|k| k.db == 0) {
        let name = String::from_utf8_lossy(&k.key).into_owned();
        let from_ours = bulk(&cmd(&mut a, &[b"DUMP", &k.key]));
        let from_redis = bulk(&cmd(&mut b, &[b"DUMP", &k.key]));
        if deterministic(&k.key) {
            let differs = from_ours.iter().zip(&from_redis).position(|(x, y)| x != y);
            assert!(
                from_ours == from_redis,
                "DUMP {name}: {} vs {} bytes, first difference at {differs:?}",
                from_ours.len(),
                from_redis.len()
            );
        }
        for (payload, server, other) in [
            (&from_redis, &mut a, "redis -> rredis"),
            (&from_ours, &mut b, "rredis -> redis"),
        ] {
            let copy = [b"copy:".as_slice(), &k.key].concat();
            assert_eq!(
                cmd(server, &[b"RESTORE", &copy, b"0", payload]),
                b"+OK\r\n",
                "{other} {name}"
            );
        }
    }
    // Without compression the payloads still match.
    for r in [&mut a, &mut b] {
        assert_eq!(
            r.cmd(&["CONFIG", "SET", "rdbcompression", "no"]),
            b"+OK\r\n"
        );
    }
    for k in ["s:long", "l:r:big", "h:small", "set:int"] {
        assert_eq!(
            a.cmd(&["DUMP", k]),
            b.cmd(&["DUMP", k]),
            "DUMP {k} without compression"
        );
    }
    // Lists cut under other node limits.
    for (fill, n) in [("5", 23), ("-1", 2000), ("-5", 9000)] {
        let key = format!("fill{fill}");
        let mut push = vec![b"RPUSH".to_vec(), key.clone().into_bytes()];
        push.extend((0..n).map(|i| format!("v{i}").into_bytes()));
        let push: Vec<&[u8]> = push.iter().map(|x| x.as_slice()).collect();
        for r in [&mut a, &mut b] {
            r.cmd(&["CONFIG", "SET", "list-max-listpack-size", fill]);
            cmd(r, &push);
        }
        assert_eq!(
            a.cmd(&["DUMP", &key]),
            b.cmd(&["DUMP", &key]),
            "list-max-listpack-size {fill}"
        );
    }
    let copies = |r: &mut Raw| -> Vec<KeyState> {
        snapshot(r)
            .into_iter()
            .filter(|k| k.key.starts_with(b"copy:"))
            .collect()
    };
    let (ours_copies, redis_copies) = (copies(&mut a), copies(&mut b));
    assert_eq!(ours_copies.len(), keys.iter().filter(|k| k.db == 0).count());
    assert_same_data(&ours_copies, &redis_copies, true, "restored copies");
}

/// A DUMP payload's footer: the RDB version and the CRC-64 of everything before.
fn with_footer(body: &[u8], version: u16) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// RESTORE's replies, errors included, byte for byte as Redis's.
#[test]
fn restore_replies_match_redis() {
    let Some(real) = real_redis_with("restore_replies_match_redis", &[]) else {
        return;
    };
    let ours = Server::start();
    let (mut a, mut b) = (ours.raw(), real.raw());
    let payload = with_footer(b"\x00\x05hello", 10);
    let newer = with_footer(b"\x00\x05hello", 11);
    let bad_lzf = with_footer(b"\x00\xc3\xff", 10);
    let empty_list = with_footer(b"\x12\x00", 10);
    let stream = with_footer(b"\x0f\x00", 10);
    let type_8 = with_footer(b"\x08\x00", 10);
    let mut bad_crc = payload.clone();
    *bad_crc.last_mut().unwrap() ^= 1;
    let script: Vec<Vec<&[u8]>> = vec![
        vec![b"DUMP", b"nosuchkey"],
        vec![b"RESTORE", b"k", b"0", &payload],
        vec![b"GET", b"k"],
        vec![b"RESTORE", b"k", b"0", &payload],
        vec![b"RESTORE", b"k", b"-1", &payload, b"REPLACE"],
        vec![b"RESTORE", b"k", b"abc", &payload, b"REPLACE"],
        vec![b"RESTORE", b"k2", b"0", b"garbage"],
        vec![b"RESTORE", b"k2", b"0", &bad_crc],
        vec![b"RESTORE", b"k2", b"0", &newer],
        vec![b"RESTORE", b"k2", b"0", &bad_lzf],
        vec![b"RESTORE", b"k2", b"0", &empty_list],
        vec![b"RESTORE", b"k2", b"0", &stream],
        vec![b"RESTORE", b"k2", b"0", &type_8],
        vec![b"RESTORE", b"k2", b"0", &payload, b"BADOPT"],
        vec![b"RESTORE", b"k2", b"0", &payload, b"IDLETIME"],
        vec![b"RESTORE", b"k2", b"0", &payload, b"IDLETIME", b"-1"],
        vec![b"RESTORE", b"k2", b"0", &payload, b"IDLETIME", b"x"],
        vec![b"RESTORE", b"k2", b"0", &payload, b"FREQ", b"256"],
        vec![
            b"RESTORE",
            b"k2",
            b"0",
            &payload,
            b"IDLETIME",
            b"5",
            b"FREQ",
            b"5",
        ],
        vec![b"RESTORE", b"k2", b"0", &payload, b"IDLETIME", b"1000"],
        vec![b"OBJECT", b"IDLETIME", b"k2"],
        vec![b"RESTORE", b"k3", b"100000", &payload],
        vec![b"TTL", b"k3"],
        vec![b"RESTORE", b"k4", b"4102444800000", &payload, b"ABSTTL"],
        vec![b"EXPIRETIME", b"k4"],
        // A deadline already past: REPLACE deletes the old key, nothing is created.
        vec![b"RESTORE", b"k", b"1000", &payload, b"REPLACE", b"ABSTTL"],
        vec![b"EXISTS", b"k"],
        vec![b"RESTORE", b"k5", b"1000", &payload, b"ABSTTL"],
        vec![b"EXISTS", b"k5"],
        vec![b"RESTORE", b"k2", b"0", &payload, b"replace", b"absttl"],
    ];
    for args in &script {
        let expected = cmd(&mut b, args);
        let got = cmd(&mut a, args);
        let shown: Vec<String> = args
            .iter()
            .map(|x| String::from_utf8_lossy(x).into_owned())
            .collect();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "{shown:?}"
        );
    }
}

/// Corrupted payloads with a correct footer reach the parsers: each RESTORE answers (OK or
/// an error), a restored value is whole (every element reads back), the server keeps serving.
#[test]
fn corrupt_restore_payloads_never_kill_the_server() {
    let ours = Server::start();
    let mut r = ours.raw();
    fill(&mut r);
    let keys: Vec<Vec<u8>> = snapshot(&mut r)
        .into_iter()
        .filter(|k| k.db == 0)
        .map(|k| k.key)
        .collect();
    let payloads: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| bulk(&cmd(&mut r, &[b"DUMP", k])))
        .collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut restored = 0;
    for i in 0..3000 {
        let original = &payloads[i % payloads.len()];
        let mut body = original[..original.len() - 10].to_vec();
        match next() % 3 {
            0 => body.truncate((next() % body.len() as u64) as usize),
            _ => {
                for _ in 0..1 + next() % 4 {
                    let at = (next() % body.len() as u64) as usize;
                    body[at] ^= 1 << (next() % 8);
                }
            }
        }
        let payload = with_footer(&body, 10);
        let reply = cmd(&mut r, &[b"RESTORE", b"fuzz", b"0", &payload, b"REPLACE"]);
        if reply == b"+OK\r\n" {
            restored += 1;
            // The value must be whole: a full read of it and a DUMP of it work.
            let kind = cmd(&mut r, &[b"TYPE", b"fuzz"]);
            let read: &[&[u8]] = match kind.as_slice() {
                b"+string\r\n" => &[b"GET", b"fuzz"],
                b"+list\r\n" => &[b"LRANGE", b"fuzz", b"0", b"-1"],
                b"+set\r\n" => &[b"SMEMBERS", b"fuzz"],
                b"+hash\r\n" => &[b"HGETALL", b"fuzz"],
                _ => &[b"ZRANGE", b"fuzz", b"0", b"-1", b"WITHSCORES"],
            };
            assert!(!cmd(&mut r, read).starts_with(b"-"));
            let again = bulk(&cmd(&mut r, &[b"DUMP", b"fuzz"]));
            assert_eq!(
                cmd(&mut r, &[b"RESTORE", b"fuzz2", b"0", &again, b"REPLACE"]),
                b"+OK\r\n"
            );
        } else {
            assert!(
                reply.starts_with(b"-ERR Bad data format"),
                "{}",
                String::from_utf8_lossy(&reply)
            );
        }
    }
    assert!(restored > 0);
    assert_eq!(r.cmd(&["PING"]), b"+PONG\r\n");
}

/// Starts rredis on `dir` expecting it to refuse: returns its exit status and its log.
fn start_expecting_failure(dir: &Path, extra: &[&str]) -> (std::process::ExitStatus, String) {
    loop {
        let (status, log) = start_once_expecting_failure(dir, extra);
        // Another test's server may take the port between free_port() and the bind.
        if !log.contains("Could not create server TCP listening socket") {
            return (status, log);
        }
    }
}

/// One attempt of [`start_expecting_failure`], with a fresh log.
fn start_once_expecting_failure(dir: &Path, extra: &[&str]) -> (std::process::ExitStatus, String) {
    let log = dir.join("rredis.log");
    let _ = std::fs::remove_file(&log);
    let port = free_port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rredis"))
        .args([
            "--port",
            &port,
            "--dir",
            dir.to_str().unwrap(),
            "--logfile",
            log.to_str().unwrap(),
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rredis");
    let status = wait_child(&mut child, Duration::from_secs(10)).expect("rredis should exit");
    (status, std::fs::read_to_string(&log).unwrap_or_default())
}

/// A saved file, read back as bytes.
fn saved_file(dir: &Path) -> Vec<u8> {
    let ours = rredis_on(dir, &[]);
    let mut r = ours.raw();
    fill(&mut r);
    assert_eq!(r.cmd(&["SAVE"]), b"+OK\r\n");
    std::fs::read(dir.join("dump.rdb")).unwrap()
}

/// A corrupt or truncated dump.rdb stops the start (non-zero exit, the offset in the log);
/// with rdbchecksum no a checksum mismatch alone is not an error.
#[test]
fn corrupt_dump_rdb_refuses_to_start() {
    let dir = temp_dir("corrupt");
    let good = saved_file(&dir);
    let path = dir.join("dump.rdb");

    // One byte of a string value changed ("hello" -> "jello"): only the checksum can tell.
    let at = good
        .windows(6)
        .position(|w| w == b"\x05hello")
        .expect("s:short in the file");
    let mut bad = good.clone();
    bad[at + 1] = b'j';
    std::fs::write(&path, &bad).unwrap();
    let (status, log) = start_expecting_failure(&dir, &[]);
    assert!(!status.success());
    assert!(
        log.contains("Wrong RDB checksum") && log.contains("at offset"),
        "{log}"
    );

    // Truncated: an error at the offset where the data ran out (or where a length says
    // more is to come than the file holds: the cut falls in a different value each run,
    // since sets and hashes are saved in their tables' randomly seeded order).
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let (status, log) = start_expecting_failure(&dir, &[]);
    assert!(!status.success());
    assert!(
        log.contains("Unexpected EOF reading RDB file") && log.contains(" at offset "),
        "{log}"
    );

    // Not an RDB file at all.
    std::fs::write(&path, b"hello world").unwrap();
    let (status, log) = start_expecting_failure(&dir, &[]);
    assert!(!status.success());
    assert!(log.contains("Wrong signature"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A checksum mismatch is ignored with rdbchecksum no, and a zero checksum (a file written
/// with rdbchecksum no) is accepted either way.
#[test]
fn rdbchecksum_no() {
    let dir = temp_dir("nochecksum");
    let good = saved_file(&dir);
    let path = dir.join("dump.rdb");
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 1] ^= 0xff;
    std::fs::write(&path, &bad).unwrap();
    let ours = rredis_on(&dir, &["--rdbchecksum", "no"]);
    assert_eq!(ours.raw().cmd(&["GET", "s:short"]), b"$5\r\nhello\r\n");
    let mut r = ours.raw();
    assert_eq!(r.cmd(&["SAVE"]), b"+OK\r\n");
    drop(r);
    drop(ours);
    let saved = std::fs::read(&path).unwrap();
    assert_eq!(&saved[saved.len() - 8..], &[0u8; 8]);
    let ours = rredis_on(&dir, &[]);
    assert_eq!(ours.raw().cmd(&["GET", "s:short"]), b"$5\r\nhello\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Keys whose deadline has passed are dropped at load and counted in the log line.
#[test]
fn expired_keys_are_dropped_on_load() {
    let dir = temp_dir("expired");
    let mut file = b"REDIS0010\xfe\x00".to_vec();
    file.push(0xfc);
    file.extend_from_slice(&1_000i64.to_le_bytes()); // 1970: long gone
    file.extend_from_slice(b"\x00\x04gone\x01x");
    file.push(0xfc);
    file.extend_from_slice(&4_102_444_800_000i64.to_le_bytes()); // 2100
    file.extend_from_slice(b"\x00\x04kept\x01y\x00\x05plain\x01z\xff");
    let crc = crc64(0, &file);
    file.extend_from_slice(&crc.to_le_bytes());
    std::fs::write(dir.join("dump.rdb"), &file).unwrap();
    let log = dir.join("load.log");
    let ours = rredis_on(
        &dir,
        &["--loglevel", "notice", "--logfile", log.to_str().unwrap()],
    );
    let mut r = ours.raw();
    assert_eq!(r.cmd(&["DBSIZE"]), b":2\r\n");
    assert_eq!(r.cmd(&["EXISTS", "gone"]), b":0\r\n");
    assert_eq!(r.cmd(&["PEXPIRETIME", "kept"]), b":4102444800000\r\n");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("Done loading RDB, keys loaded: 2, keys expired: 1."),
        "{text}"
    );
    assert!(text.contains("DB loaded from disk: "), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// SAVE resets the dirty counter and moves LASTSAVE.
#[test]
fn save_resets_dirty_and_lastsave() {
    let dir = temp_dir("save");
    let ours = rredis_on(&dir, &[]);
    let mut r = ours.raw();
    r.cmd(&["SET", "a", "1"]);
    let info = r.cmd_str(&["INFO", "persistence"]);
    assert!(info.contains("rdb_changes_since_last_save:1"), "{info}");
    assert_eq!(r.cmd(&["SAVE"]), b"+OK\r\n");
    let info = r.cmd_str(&["INFO", "persistence"]);
    assert!(info.contains("rdb_changes_since_last_save:0"), "{info}");
    assert!(dir.join("dump.rdb").exists());
    assert_eq!(r.cmd(&["MULTI"]), b"+OK\r\n");
    assert!(r
        .cmd_str(&["SAVE"])
        .starts_with("-ERR Command not allowed inside a transaction"));
    assert_eq!(r.cmd(&["DISCARD"]), b"+OK\r\n");
    // The directory is gone: SAVE fails with Redis's bare error and the counter stays.
    r.cmd(&["SET", "b", "2"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(r.cmd(&["SAVE"]), b"-ERR\r\n");
    let info = r.cmd_str(&["INFO", "persistence"]);
    assert!(info.contains("rdb_changes_since_last_save:1"), "{info}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// RESTORE's keyspace events, message by message as Redis 7.0 sends them: `new` and
/// `restore` for a created key, `del` when REPLACE meets a deadline already past.
#[test]
fn restore_events_match_redis() {
    let Some(real) = real_redis_with("restore_events_match_redis", &[]) else {
        return;
    };
    let ours = Server::start();
    let payload = with_footer(b"\x00\x05hello", 10);
    let events = |server: &Server| -> Vec<Vec<u8>> {
        let (mut sub, mut r) = (server.raw(), server.raw());
        r.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        for args in [
            vec![&b"RESTORE"[..], b"k", b"0", &payload],
            vec![b"RESTORE", b"k", b"0", &payload, b"REPLACE"],
            vec![b"RESTORE", b"k", b"1000", &payload, b"REPLACE", b"ABSTTL"],
            vec![b"RESTORE", b"t", b"5000", &payload],
        ] {
            cmd(&mut r, &args);
        }
        r.cmd(&["PUBLISH", "__keyspace@0__:end", "end"]);
        let mut seen = Vec::new();
        loop {
            let message = sub.read_reply();
            if message.ends_with(b"$3\r\nend\r\n") {
                return seen;
            }
            seen.push(message);
        }
    };
    let (from_ours, from_redis) = (events(&ours), events(&real));
    let show = |v: &[Vec<u8>]| {
        v.iter()
            .map(|m| String::from_utf8_lossy(m).replace("\r\n", " "))
            .collect::<Vec<_>>()
    };
    assert_eq!(show(&from_ours), show(&from_redis));
    assert!(from_redis.len() >= 8, "{:?}", show(&from_redis));
}
