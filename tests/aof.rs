//! The append-only file: what is written (compared with redis-server 7.0's own AOF), that
//! each server starts from the other's AOF directory, truncated and corrupt files, and what
//! survives a SIGKILL under `appendfsync always` and `everysec`.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::aof::{incr_commands, manifest, normalised_incr, parse_aof, TempDir};
use common::{real_redis_with, redis_required, wait_child, Raw, Server, TestRng};

/// Starts rredis on `dir` with the AOF on and `extra` settings.
fn rredis_aof(dir: &TempDir, extra: &[&str]) -> Server {
    let mut args = vec!["--dir", dir.str(), "--appendonly", "yes"];
    args.extend_from_slice(extra);
    Server::start_with(&args)
}

/// Starts redis-server on `dir` with the AOF on and `extra` settings, or `None` when it is
/// not installed (and not required).
fn redis_aof(test: &str, dir: &TempDir, extra: &[&str]) -> Option<Server> {
    let mut args = vec!["--dir", dir.str(), "--appendonly", "yes"];
    args.extend_from_slice(extra);
    real_redis_with(test, &args)
}

/// Waits until INFO persistence shows `field` (e.g. `aof_rewrites:1`).
fn wait_info(raw: &mut Raw, field: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !raw.cmd_str(&["INFO", "persistence"]).contains(field) {
        assert!(Instant::now() < deadline, "INFO never showed {field}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until `port`'s server reports `n` blocked clients.
fn wait_blocked(raw: &mut Raw, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let want = format!("blocked_clients:{n}\r\n");
    while !raw.cmd_str(&["INFO", "clients"]).contains(&want) {
        assert!(Instant::now() < deadline, "never saw {n} blocked clients");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One step of the propagation script: a command, or a blocking command served by a push.
enum Step {
    Cmd(&'static [&'static str]),
    /// A second client runs the blocking command and waits; then the push is run.
    Blocked(&'static [&'static str], &'static [&'static str]),
    /// Lets the keys set with a 1 ms TTL so far pass their deadline.
    Sleep,
}

/// Runs the script on one server (with a second connection for the blocked clients).
fn run_script(server: &Server, script: &[Step]) {
    let mut raw = server.raw();
    let mut other = server.raw();
    // One cron tick a second: the active expiry cycle will not get to the 1 ms keys before
    // the commands that look them up do (lazy expiry is what is compared).
    assert_eq!(raw.cmd(&["CONFIG", "SET", "hz", "1"]), b"+OK\r\n");
    for step in script {
        match step {
            Step::Cmd(args) => {
                raw.cmd(args);
            }
            Step::Blocked(blocking, push) => {
                let args: Vec<&[u8]> = blocking.iter().map(|a| a.as_bytes()).collect();
                other.send_cmd(&args);
                wait_blocked(&mut raw, 1);
                raw.cmd(push);
                other.read_reply();
            }
            Step::Sleep => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// The command sequences whose AOF is compared with redis-server's.
const SCRIPT: &[Step] = &[
    // Strings: relative TTLs become PXAT, GET is dropped, INCRBYFLOAT becomes SET.
    Step::Cmd(&["set", "s", "1"]),
    Step::Cmd(&["SET", "s", "1", "EX", "100"]),
    Step::Cmd(&["SET", "s", "2", "px", "100000", "GET"]),
    Step::Cmd(&["SET", "s", "3", "KEEPTTL", "GET"]),
    Step::Cmd(&["SET", "s", "4", "EXAT", "2000000000"]),
    Step::Cmd(&["SET", "s", "5", "PXAT", "2000000000000"]),
    Step::Cmd(&["SET", "s", "6", "NX", "EX", "10"]),
    Step::Cmd(&["SETEX", "s2", "100", "v"]),
    Step::Cmd(&["psetex", "s3", "100000", "v"]),
    Step::Cmd(&["setnx", "s3", "v"]),
    Step::Cmd(&["GETEX", "s2", "EX", "50"]),
    Step::Cmd(&["GETEX", "s2", "PERSIST"]),
    Step::Cmd(&["GETEX", "s2"]),
    Step::Cmd(&["GETEX", "s3", "PXAT", "1"]),
    Step::Cmd(&["INCRBYFLOAT", "f", "1.5"]),
    Step::Cmd(&["incrbyfloat", "f", "0.1"]),
    Step::Cmd(&["HINCRBYFLOAT", "h", "x", "2.5"]),
    Step::Cmd(&["getdel", "s"]),
    Step::Cmd(&["getdel", "s"]),
    Step::Cmd(&["mset", "a", "1", "b", "2"]),
    Step::Cmd(&["incr", "a"]),
    Step::Cmd(&["append", "b", "x"]),
    // The expire family: PEXPIREAT with the options kept, DEL for a past deadline.
    Step::Cmd(&["expire", "a", "100"]),
    Step::Cmd(&["PEXPIRE", "a", "200000", "GT"]),
    Step::Cmd(&["expireat", "a", "2000000000"]),
    Step::Cmd(&["expire", "b", "100", "nx"]),
    Step::Cmd(&["expire", "b", "100", "nx"]),
    Step::Cmd(&["persist", "b"]),
    Step::Cmd(&["persist", "b"]),
    Step::Cmd(&["expire", "a", "-1"]),
    Step::Cmd(&["pexpireat", "b", "1"]),
    Step::Cmd(&["expire", "missing", "10"]),
    Step::Cmd(&["del", "missing"]),
    // SPOP: SREM per member, DEL for the whole set; SRANDMEMBER not at all.
    Step::Cmd(&["sadd", "rand", "a", "b", "c", "d", "e", "f"]),
    Step::Cmd(&["spop", "rand"]),
    Step::Cmd(&["spop", "rand", "2"]),
    Step::Cmd(&["spop", "rand", "0"]),
    Step::Cmd(&["srandmember", "rand"]),
    Step::Cmd(&["spop", "rand", "10"]),
    Step::Cmd(&["sadd", "rand1", "x"]),
    Step::Cmd(&["spop", "rand1"]),
    // Pops: blocking ones as their plain forms, counts as the number popped.
    Step::Cmd(&["rpush", "l", "a", "b", "c", "d", "e", "f", "g"]),
    Step::Cmd(&["blpop", "l", "0"]),
    Step::Cmd(&["BRPOP", "l", "0"]),
    Step::Cmd(&["blmove", "l", "l2", "LEFT", "RIGHT", "0"]),
    Step::Cmd(&["brpoplpush", "l", "l2", "0"]),
    Step::Cmd(&["blmpop", "0", "1", "l", "left", "count", "9"]),
    Step::Cmd(&["lmpop", "1", "l2", "RIGHT"]),
    Step::Cmd(&["lpop", "l2"]),
    Step::Cmd(&[
        "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]),
    Step::Cmd(&["bzpopmin", "z", "0"]),
    Step::Cmd(&["bzpopmax", "z", "0"]),
    Step::Cmd(&["zmpop", "1", "z", "MIN"]),
    Step::Cmd(&["bzmpop", "0", "1", "z", "max", "count", "9"]),
    Step::Cmd(&["zadd", "z", "1", "a", "2", "b"]),
    Step::Cmd(&["zpopmin", "z"]),
    Step::Cmd(&["zpopmax", "z", "5"]),
    Step::Blocked(&["blpop", "bl", "0"], &["rpush", "bl", "a", "b"]),
    Step::Blocked(&["brpop", "bl2", "0"], &["lpush", "bl2", "a"]),
    Step::Blocked(
        &["blmove", "bl3", "dst", "RIGHT", "LEFT", "0"],
        &["rpush", "bl3", "a"],
    ),
    Step::Blocked(&["brpoplpush", "bl4", "dst", "0"], &["rpush", "bl4", "a"]),
    Step::Blocked(
        &["blmpop", "0", "1", "bl5", "RIGHT", "COUNT", "5"],
        &["rpush", "bl5", "a", "b"],
    ),
    Step::Blocked(
        &["bzpopmin", "bz", "0"],
        &["zadd", "bz", "1", "a", "2", "b"],
    ),
    Step::Blocked(
        &["bzmpop", "0", "1", "bz2", "MAX", "COUNT", "5"],
        &["zadd", "bz2", "1", "a", "2", "b"],
    ),
    // Transactions: wrapped when they propagate more than one command; SELECT inside.
    Step::Cmd(&["MULTI"]),
    Step::Cmd(&["SET", "m", "1"]),
    Step::Cmd(&["INCR", "m"]),
    Step::Cmd(&["EXEC"]),
    Step::Cmd(&["MULTI"]),
    Step::Cmd(&["INCR", "m"]),
    Step::Cmd(&["GET", "m"]),
    Step::Cmd(&["EXEC"]),
    Step::Cmd(&["MULTI"]),
    Step::Cmd(&["GET", "m"]),
    Step::Cmd(&["EXEC"]),
    Step::Cmd(&["MULTI"]),
    Step::Cmd(&["SELECT", "2"]),
    Step::Cmd(&["SET", "q", "1"]),
    Step::Cmd(&["SELECT", "0"]),
    Step::Cmd(&["SET", "q", "2"]),
    Step::Cmd(&["EXEC"]),
    // Databases: SELECT before a command of another database; MOVE, SWAPDB, FLUSH*.
    Step::Cmd(&["select", "3"]),
    Step::Cmd(&["set", "x", "1"]),
    Step::Cmd(&["move", "x", "4"]),
    Step::Cmd(&["select", "0"]),
    Step::Cmd(&["set", "y", "1"]),
    Step::Cmd(&["swapdb", "0", "1"]),
    Step::Cmd(&["swapdb", "0", "1"]),
    // Lazy expiry: a DEL, alone or wrapped with the command that found the key.
    Step::Cmd(&["set", "e1", "v", "px", "1"]),
    Step::Cmd(&["set", "e2", "v", "px", "1"]),
    Step::Cmd(&["set", "e3", "v", "px", "1"]),
    Step::Cmd(&["rpush", "e4", "a"]),
    Step::Cmd(&["pexpire", "e4", "1"]),
    Step::Sleep,
    Step::Cmd(&["get", "e1"]),
    Step::Cmd(&["set", "e2", "new"]),
    Step::Cmd(&["del", "e3"]),
    Step::Cmd(&["rpush", "e4", "b"]),
    Step::Cmd(&["flushdb"]),
    Step::Cmd(&["flushall"]),
];

/// Every command sequence of [`SCRIPT`] leaves the same AOF on rredis as on redis-server
/// 7.0 (deadlines and randomly popped members aside).
#[test]
fn propagation_matches_redis() {
    let (ours_dir, real_dir) = (TempDir::new("prop-ours"), TempDir::new("prop-real"));
    let Some(real) = redis_aof(
        "propagation_matches_redis",
        &real_dir,
        &["--appendfsync", "always"],
    ) else {
        return;
    };
    let ours = rredis_aof(&ours_dir, &["--appendfsync", "always"]);
    run_script(&real, SCRIPT);
    run_script(&ours, SCRIPT);
    let expected = normalised_incr(&real_dir.aof_dir());
    let got = normalised_incr(&ours_dir.aof_dir());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(
            g,
            e,
            "command {i} of the AOF differs (ours, redis); ours:\n{}\nredis:\n{}",
            got.join("\n"),
            expected.join("\n")
        );
    }
    assert_eq!(got.len(), expected.len(), "number of commands in the AOF");
}

/// A fresh start with `appendonly yes` lays out the directory as Redis 7.0 does.
#[test]
fn fresh_start_creates_base_incr_and_manifest() {
    let dir = TempDir::new("fresh");
    let _server = rredis_aof(&dir, &[]);
    assert_eq!(
        std::fs::read_to_string(dir.aof_dir().join("appendonly.aof.manifest")).unwrap(),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(
        std::fs::read(dir.aof_dir().join("appendonly.aof.1.base.rdb"))
            .unwrap()
            .starts_with(b"REDIS0010")
    );
}

/// A snapshot of every key of every database: type, value, and the TTL in whole seconds
/// (rounded, so the clock moving between two servers does not count).
fn dataset(server: &Server) -> BTreeMap<String, String> {
    let mut raw = server.raw();
    let deadline = Instant::now() + Duration::from_secs(10);
    while raw.cmd_str(&["PING"]) != "+PONG\r\n" {
        assert!(Instant::now() < deadline, "still loading");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut con = server.client();
    let mut out = BTreeMap::new();
    for db in 0..16 {
        redis::cmd("SELECT").arg(db).query::<()>(&mut con).unwrap();
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
        for key in keys {
            let kind: String = redis::cmd("TYPE").arg(&key).query(&mut con).unwrap();
            let value = match kind.as_str() {
                "string" => redis::cmd("GET")
                    .arg(&key)
                    .query::<String>(&mut con)
                    .unwrap(),
                "list" => format!(
                    "{:?}",
                    redis::cmd("LRANGE")
                        .arg(&key)
                        .arg(0)
                        .arg(-1)
                        .query::<Vec<String>>(&mut con)
                        .unwrap()
                ),
                "set" => {
                    let mut m: Vec<String> =
                        redis::cmd("SMEMBERS").arg(&key).query(&mut con).unwrap();
                    m.sort();
                    format!("{m:?}")
                }
                "zset" => format!(
                    "{:?}",
                    redis::cmd("ZRANGE")
                        .arg(&key)
                        .arg(0)
                        .arg(-1)
                        .arg("WITHSCORES")
                        .query::<Vec<String>>(&mut con)
                        .unwrap()
                ),
                "hash" => {
                    let h: BTreeMap<String, String> =
                        redis::cmd("HGETALL").arg(&key).query(&mut con).unwrap();
                    format!("{h:?}")
                }
                other => panic!("unexpected type {other}"),
            };
            let pttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut con).unwrap();
            let ttl = if pttl < 0 {
                pttl
            } else {
                (pttl + 5000) / 10_000
            };
            out.insert(format!("{db}:{key}"), format!("{kind} {value} ttl~{ttl}"));
        }
    }
    out
}

/// Writes keys of every type, with and without TTLs, in two databases, with collections
/// large enough to need several commands in a command-format base (64 items per command).
fn populate(server: &Server) {
    let mut con = server.client();
    let q = |con: &mut redis::Connection, args: &[&str]| {
        let mut cmd = redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd.query::<redis::Value>(con).unwrap();
    };
    q(&mut con, &["SET", "str", "hello"]);
    q(&mut con, &["SET", "num", "12345"]);
    q(&mut con, &["SET", "ttl", "v", "EX", "1000"]);
    q(&mut con, &["INCRBYFLOAT", "float", "3.25"]);
    for i in 0..150 {
        let i = i.to_string();
        q(&mut con, &["RPUSH", "list", &i]);
        q(&mut con, &["SADD", "set", &format!("m{i}")]);
        q(&mut con, &["SADD", "intset", &i]);
        q(
            &mut con,
            &["ZADD", "zset", &format!("{i}.5"), &format!("m{i}")],
        );
        q(&mut con, &["HSET", "hash", &format!("f{i}"), &i]);
    }
    q(&mut con, &["HSET", "small", "a", "1"]);
    q(&mut con, &["EXPIRE", "list", "5000"]);
    q(&mut con, &["SELECT", "5"]);
    q(&mut con, &["SET", "other", "db5"]);
    q(&mut con, &["RPUSH", "l5", "x", "y"]);
}

/// Stops a server the clean way (the AOF is flushed) and waits for it to exit.
fn shutdown(mut server: Server) {
    let mut raw = server.raw();
    raw.send_cmd(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(
        server.wait_exit(Duration::from_secs(10)).is_some(),
        "server did not shut down"
    );
}

/// Copies the AOF directory of `from` into `to`.
fn copy_aof_dir(from: &TempDir, to: &TempDir) {
    std::fs::create_dir_all(to.aof_dir()).unwrap();
    for entry in std::fs::read_dir(from.aof_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.aof_dir().join(entry.file_name())).unwrap();
    }
}

/// One round trip: `writer` builds a dataset (and rewrites its AOF if `rewrite`, the new
/// base an RDB image if `preamble`, else commands), `reader` starts from a copy of the
/// directory and must hold the same data.
fn round_trip(test: &str, rredis_writes: bool, rewrite: bool, preamble: bool) {
    let (wdir, rdir) = (
        TempDir::new(&format!("{test}-w")),
        TempDir::new(&format!("{test}-r")),
    );
    let settings = [
        "--aof-use-rdb-preamble",
        if preamble { "yes" } else { "no" },
    ];
    let writer = if rredis_writes {
        rredis_aof(&wdir, &settings)
    } else {
        match redis_aof(test, &wdir, &settings) {
            Some(s) => s,
            None => return,
        }
    };
    populate(&writer);
    if rewrite {
        let mut raw = writer.raw();
        assert_eq!(
            raw.cmd_str(&["BGREWRITEAOF"]),
            "+Background append only file rewriting started\r\n"
        );
        wait_info(&mut raw, "aof_rewrite_in_progress:0");
        // Writes after the rewrite go to the new incr file.
        raw.cmd(&["SET", "after-rewrite", "1"]);
    }
    let expected = dataset(&writer);
    shutdown(writer);
    copy_aof_dir(&wdir, &rdir);
    let reader = if rredis_writes {
        match redis_aof(test, &rdir, &settings) {
            Some(s) => s,
            None => return,
        }
    } else {
        rredis_aof(&rdir, &settings)
    };
    assert_eq!(
        dataset(&reader),
        expected,
        "dataset after loading the other's AOF"
    );
}

#[test]
fn redis_starts_from_rredis_aof() {
    round_trip("redis_starts_from_rredis_aof", true, false, true);
}

#[test]
fn rredis_starts_from_redis_aof() {
    round_trip("rredis_starts_from_redis_aof", false, false, true);
}

#[test]
fn redis_starts_from_rredis_command_base() {
    round_trip("redis_starts_from_rredis_command_base", true, true, false);
}

#[test]
fn rredis_starts_from_redis_command_base() {
    round_trip("rredis_starts_from_redis_command_base", false, true, false);
}

#[test]
fn redis_starts_from_rredis_aof_after_rewrite() {
    round_trip(
        "redis_starts_from_rredis_aof_after_rewrite",
        true,
        true,
        true,
    );
}

#[test]
fn rredis_starts_from_redis_aof_after_rewrite() {
    round_trip(
        "rredis_starts_from_redis_aof_after_rewrite",
        false,
        true,
        true,
    );
}

/// BGREWRITEAOF: a new base and incr, the manifest switched to them, the old files gone,
/// and the data intact after a restart.
#[test]
fn bgrewriteaof_replaces_base_and_incr() {
    let dir = TempDir::new("rewrite");
    let server = rredis_aof(&dir, &["--aof-use-rdb-preamble", "no"]);
    populate(&server);
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd_str(&["BGREWRITEAOF"]),
        "+Background append only file rewriting started\r\n"
    );
    wait_info(&mut raw, "aof_rewrites:1");
    raw.cmd(&["SET", "later", "1"]);
    assert_eq!(
        manifest(&dir.aof_dir()),
        [
            ("appendonly.aof.2.base.aof".to_string(), "b".to_string()),
            ("appendonly.aof.2.incr.aof".to_string(), "i".to_string()),
        ]
    );
    assert!(!dir.aof_dir().join("appendonly.aof.1.incr.aof").exists());
    assert!(!dir.aof_dir().join("appendonly.aof.1.base.rdb").exists());
    assert_eq!(
        incr_commands(&dir.aof_dir()),
        [
            vec![b"SELECT".to_vec(), b"0".to_vec()],
            vec![b"SET".to_vec(), b"later".to_vec(), b"1".to_vec()]
        ]
    );
    let expected = dataset(&server);
    drop(raw);
    shutdown(server);
    let again = rredis_aof(&dir, &[]);
    assert_eq!(dataset(&again), expected);
}

/// CONFIG SET appendonly yes at run time writes the current data as the first base;
/// `no` stops appending.
#[test]
fn config_set_appendonly_at_run_time() {
    let dir = TempDir::new("config-set");
    let server = Server::start_with(&["--dir", dir.str(), "--aof-use-rdb-preamble", "no"]);
    let mut raw = server.raw();
    raw.cmd(&["SET", "before", "1"]);
    assert!(!dir.aof_dir().exists());
    assert_eq!(raw.cmd(&["CONFIG", "SET", "appendonly", "yes"]), b"+OK\r\n");
    // Written while the first base is being written: kept in the incr file that follows it.
    raw.cmd(&["SET", "after", "2"]);
    let info = raw.cmd_str(&["INFO", "persistence"]);
    assert!(info.contains("aof_enabled:1"), "{info}");
    assert!(info.contains("aof_current_size:"), "{info}");
    wait_info(&mut raw, "aof_rewrites:1");
    assert_eq!(
        manifest(&dir.aof_dir()),
        [
            ("appendonly.aof.1.base.aof".to_string(), "b".to_string()),
            ("appendonly.aof.1.incr.aof".to_string(), "i".to_string()),
        ]
    );
    assert_eq!(raw.cmd(&["CONFIG", "SET", "appendonly", "no"]), b"+OK\r\n");
    raw.cmd(&["SET", "ignored", "3"]);
    drop(raw);
    drop(server);
    let again = rredis_aof(&dir, &[]);
    let mut raw = again.raw();
    assert_eq!(
        raw.cmd_str(&["MGET", "before", "after", "ignored"]),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
    );
}

/// Runs rredis on `dir` until it exits (it is expected to refuse to start); its log.
fn failed_start(dir: &TempDir, extra: &[&str]) -> String {
    let log = dir.path().join("failed.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rredis"))
        .args(["--port", &common::free_port().to_string()])
        .args(["--dir", dir.str(), "--appendonly", "yes", "--logfile"])
        .arg(&log)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = wait_child(&mut child, Duration::from_secs(10));
    if status.is_none() {
        let _ = child.kill();
    }
    let status = status.expect("rredis should have refused to start");
    assert!(!status.success());
    std::fs::read_to_string(log).unwrap_or_default()
}

/// An AOF directory with some writes in its incr file; the incr file's path.
fn aof_with_writes(dir: &TempDir) -> PathBuf {
    let server = rredis_aof(dir, &[]);
    let mut raw = server.raw();
    raw.cmd(&["SET", "a", "1"]);
    raw.cmd(&["SET", "b", "2"]);
    drop(raw);
    shutdown(server);
    dir.aof_dir().join("appendonly.aof.1.incr.aof")
}

/// A last command cut short (a crash mid-write) is dropped with a warning and the file
/// truncated to the last whole command; with aof-load-truncated no the server refuses.
#[test]
fn truncated_tail_is_dropped_with_a_warning() {
    let dir = TempDir::new("truncated");
    let incr = aof_with_writes(&dir);
    let good = std::fs::read(&incr).unwrap();
    let mut cut = good.clone();
    cut.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1");
    std::fs::write(&incr, &cut).unwrap();
    let log = failed_start(&dir, &["--aof-load-truncated", "no"]);
    assert!(
        log.contains(
            "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof"
        ),
        "{log}"
    );
    let logfile = dir.path().join("ok.log");
    let server = rredis_aof(&dir, &["--logfile", logfile.to_str().unwrap()]);
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd_str(&["MGET", "a", "b", "c"]),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
    );
    let log = std::fs::read_to_string(&logfile).unwrap();
    assert!(
        log.contains(
            "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"
        ),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {} !!!",
            good.len()
        )),
        "{log}"
    );
    assert!(
        log.contains(
            "AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled"
        ),
        "{log}"
    );
    // The file was cut back; writes continue after the last whole command.
    raw.cmd(&["SET", "d", "4"]);
    drop(raw);
    shutdown(server);
    let commands = parse_aof(&std::fs::read(&incr).unwrap());
    assert_eq!(commands.last().unwrap(), &[&b"SET"[..], b"d", b"4"]);
}

/// Garbage between two commands is corruption, not truncation: the server refuses to start
/// and says where.
#[test]
fn corruption_in_the_middle_refuses_to_start() {
    let dir = TempDir::new("corrupt");
    let incr = aof_with_writes(&dir);
    let good = std::fs::read(&incr).unwrap();
    let commands = parse_aof(&good);
    assert!(commands.len() >= 3);
    // After the SELECT and the first SET.
    let first = good
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w == b"*3\r\n")
        .map(|(i, _)| i)
        .nth(1)
        .unwrap();
    let mut bad = good[..first].to_vec();
    bad.extend_from_slice(b"garbage\r\n");
    bad.extend_from_slice(&good[first..]);
    std::fs::write(&incr, &bad).unwrap();
    let log = failed_start(&dir, &[]);
    assert!(
        log.contains(&format!("Bad file format reading the append only file appendonly.aof.1.incr.aof at offset {first}")),
        "{log}"
    );
    // Nothing was truncated.
    assert_eq!(std::fs::read(&incr).unwrap(), bad);
}

/// With the AOF on, dump.rdb is not read: the AOF is the dataset.
#[test]
fn aof_wins_over_dump_rdb() {
    let dir = TempDir::new("wins");
    let rdb_dir = TempDir::new("wins-rdb");
    // A real dump.rdb with a key, from redis-server.
    if let Some(real) = real_redis_with("aof_wins_over_dump_rdb", &["--dir", rdb_dir.str()]) {
        let mut raw = real.raw();
        raw.cmd(&["SET", "from-rdb", "1"]);
        assert_eq!(raw.cmd(&["SAVE"]), b"+OK\r\n");
        std::fs::copy(rdb_dir.path().join("dump.rdb"), dir.path().join("dump.rdb")).unwrap();
    } else {
        std::fs::write(dir.path().join("dump.rdb"), b"not an rdb file").unwrap();
    }
    let server = rredis_aof(&dir, &[]);
    let mut raw = server.raw();
    raw.cmd(&["SET", "from-aof", "1"]);
    drop(raw);
    shutdown(server);
    let again = rredis_aof(&dir, &[]);
    let mut raw = again.raw();
    assert_eq!(raw.cmd_str(&["KEYS", "*"]), "*1\r\n$8\r\nfrom-aof\r\n");
}

/// The commands replayed at start-up are nobody's requests: not counted in INFO stats, as
/// in Redis.
#[test]
fn replayed_commands_are_not_counted() {
    let dir = TempDir::new("not-counted");
    let server = rredis_aof(&dir, &[]);
    let mut raw = server.raw();
    for i in 0..50 {
        raw.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    drop(raw);
    shutdown(server);
    let again = rredis_aof(&dir, &[]);
    let mut raw = again.raw();
    assert_eq!(raw.cmd_str(&["DBSIZE"]), ":50\r\n");
    let info = raw.cmd_str(&["INFO", "stats"]);
    let processed: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("total_commands_processed:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("total_commands_processed");
    // The start-up probe's PINGs and DBSIZE only.
    assert!(processed < 20, "{processed} commands counted");
}

/// Runs a writer against a server on `dir` (INCR of a counter, then SET of a key named by
/// the count), recording what was acknowledged, and SIGKILLs the server `run_for` after the
/// first acknowledgement (so a slow start on a loaded machine still kills mid-stream).
/// Returns the highest acknowledged count and the INCR+SET pairs per second.
fn write_until_killed(server: Server, run_for: Duration) -> (i64, f64) {
    let mut server = server;
    let port = server.port;
    let (first_ack, first_acked) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        let mut raw = Raw::connect(port);
        let mut acked = 0;
        let start = Instant::now();
        loop {
            let n = match raw.try_cmd(&[b"INCR", b"counter"]) {
                Ok(reply) if reply.starts_with(b":") => {
                    String::from_utf8_lossy(&reply[1..reply.len() - 2])
                        .parse::<i64>()
                        .unwrap()
                }
                _ => break,
            };
            let key = format!("k:{n}");
            match raw.try_cmd(&[b"SET", key.as_bytes(), b"v"]) {
                Ok(reply) if reply == b"+OK\r\n" => acked = n,
                _ => break,
            }
            let _ = first_ack.send(());
        }
        (acked, start.elapsed())
    });
    let _ = first_acked.recv_timeout(Duration::from_secs(10));
    std::thread::sleep(run_for);
    // SIGKILL: no shutdown path, nothing flushed beyond what was written.
    server.child().kill().unwrap();
    let _ = server.child().wait();
    let (acked, elapsed) = writer.join().unwrap();
    (acked, acked as f64 / elapsed.as_secs_f64())
}

/// appendfsync always: every acknowledged write survives a SIGKILL at a random moment.
#[test]
fn crash_with_fsync_always_keeps_every_acknowledged_write() {
    let dir = TempDir::new("crash-always");
    let mut rng = TestRng::from_env_or("crash_always", 0x0a0f);
    for round in 0..4 {
        let server = rredis_aof(&dir, &["--appendfsync", "always"]);
        let before = {
            let mut raw = server.raw();
            let s = raw.cmd_str(&["GET", "counter"]);
            s.lines()
                .nth(1)
                .and_then(|l| l.parse::<i64>().ok())
                .unwrap_or(0)
        };
        let run_for = Duration::from_millis(rng.range(100, 600) as u64);
        let (acked, rate) = write_until_killed(server, run_for);
        assert!(acked > before, "round {round}: the writer made progress");
        let server = rredis_aof(&dir, &["--appendfsync", "always"]);
        let mut raw = server.raw();
        let counter: i64 = raw
            .cmd_str(&["GET", "counter"])
            .lines()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            counter == acked || counter == acked + 1,
            "round {round}: counter {counter} after {acked} acknowledged INCRs"
        );
        for n in (before + 1)..=acked {
            assert_eq!(
                raw.cmd(&["EXISTS", &format!("k:{n}")]),
                b":1\r\n",
                "round {round}: acknowledged SET k:{n} lost"
            );
        }
        eprintln!("always round {round}: {acked} acknowledged, counter {counter} after restart ({rate:.0} INCR+SET pairs/s)");
        drop(raw);
        drop(server);
    }
}

/// appendfsync everysec: a SIGKILL loses at most about two seconds of writes (in practice
/// none, since the kernel keeps what was written; the fsync only matters for power loss).
#[test]
fn crash_with_fsync_everysec_loses_little() {
    let dir = TempDir::new("crash-everysec");
    let server = rredis_aof(&dir, &["--appendfsync", "everysec"]);
    let (acked, rate) = write_until_killed(server, Duration::from_millis(1500));
    let server = rredis_aof(&dir, &[]);
    let mut raw = server.raw();
    let counter: i64 = raw
        .cmd_str(&["GET", "counter"])
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let lost = (acked - counter).max(0);
    let lost_seconds = lost as f64 / rate.max(1.0);
    eprintln!("everysec: {acked} acknowledged, {counter} after restart, {lost} lost (~{lost_seconds:.3} s of writes at {rate:.0} INCR+SET pairs/s)");
    assert!(
        lost_seconds <= 2.0,
        "lost {lost} writes ({lost_seconds:.2} s)"
    );
}

/// The INFO persistence fields of an enabled AOF, in Redis's order.
#[test]
fn info_reports_the_aof() {
    let dir = TempDir::new("info");
    let server = rredis_aof(&dir, &[]);
    let mut raw = server.raw();
    raw.cmd(&["SET", "a", "1"]);
    let info = raw.cmd_str(&["INFO", "persistence"]);
    let names: Vec<&str> = info
        .lines()
        .filter_map(|l| l.split(':').next())
        .filter(|n| n.starts_with("aof_") || n.starts_with("module_fork"))
        .collect();
    assert_eq!(
        names,
        [
            "aof_enabled",
            "aof_rewrite_in_progress",
            "aof_rewrite_scheduled",
            "aof_last_rewrite_time_sec",
            "aof_current_rewrite_time_sec",
            "aof_last_bgrewrite_status",
            "aof_rewrites",
            "aof_rewrites_consecutive_failures",
            "aof_last_write_status",
            "aof_last_cow_size",
            "module_fork_in_progress",
            "module_fork_last_cow_size",
            "aof_current_size",
            "aof_base_size",
            "aof_pending_rewrite",
            "aof_buffer_length",
            "aof_pending_bio_fsync",
            "aof_delayed_fsync",
        ]
    );
    assert!(info.contains("aof_enabled:1\r\n"));
    assert!(!redis_required() || info.contains("aof_last_write_status:ok\r\n"));
}

/// The AOF settings read and change as on redis-server (appendonly itself is left alone:
/// turning it on writes files into the working directory). One name per CONFIG GET: a
/// pattern lists matches in the order of Redis's own table.
#[test]
fn aof_settings_match_redis() {
    common::assert_same_replies(
        "aof_settings_match_redis",
        &[
            &["CONFIG", "GET", "appendonly"],
            &["CONFIG", "GET", "appendfsync"],
            &["CONFIG", "GET", "appendfilename"],
            &["CONFIG", "GET", "appenddirname"],
            &["CONFIG", "GET", "aof-use-rdb-preamble"],
            &["CONFIG", "GET", "aof-load-truncated"],
            &["CONFIG", "GET", "auto-aof-rewrite-percentage"],
            &["CONFIG", "GET", "auto-aof-rewrite-min-size"],
            &["CONFIG", "GET", "no-appendfsync-on-rewrite"],
            &["CONFIG", "GET", "aof-rewrite-incremental-fsync"],
            &["CONFIG", "GET", "aof-timestamp-enabled"],
            &["CONFIG", "SET", "appendfsync", "always"],
            &["CONFIG", "SET", "appendfsync", "NO"],
            &["CONFIG", "GET", "appendfsync"],
            &["CONFIG", "SET", "appendfsync", "sometimes"],
            &["CONFIG", "SET", "appendfilename", "x.aof"],
            &["CONFIG", "SET", "appenddirname", "elsewhere"],
            &["CONFIG", "SET", "aof-use-rdb-preamble", "no"],
            &["CONFIG", "SET", "aof-load-truncated", "maybe"],
            &["CONFIG", "SET", "auto-aof-rewrite-percentage", "-1"],
            &["CONFIG", "SET", "auto-aof-rewrite-percentage", "50"],
            &["CONFIG", "SET", "auto-aof-rewrite-min-size", "1mb"],
            &["CONFIG", "GET", "auto-aof-rewrite-min-size"],
            &["CONFIG", "SET", "no-appendfsync-on-rewrite", "yes"],
            &["CONFIG", "SET", "aof-rewrite-incremental-fsync", "no"],
            &["CONFIG", "SET", "aof-timestamp-enabled", "no"],
            &["CONFIG", "GET", "appendonly"],
            &["CONFIG", "GET", "appendfsync"],
            &["CONFIG", "GET", "appendfilename"],
            &["CONFIG", "GET", "appenddirname"],
            &["CONFIG", "GET", "aof-use-rdb-preamble"],
            &["CONFIG", "GET", "aof-load-truncated"],
            &["CONFIG", "GET", "auto-aof-rewrite-percentage"],
            &["CONFIG", "GET", "auto-aof-rewrite-min-size"],
            &["CONFIG", "GET", "no-appendfsync-on-rewrite"],
            &["CONFIG", "GET", "aof-rewrite-incremental-fsync"],
            &["CONFIG", "GET", "aof-timestamp-enabled"],
        ],
    );
}

/// The cron rewrites the AOF on its own once it has grown past the configured percentage
/// of its base and the minimum size.
#[test]
fn auto_rewrite_on_growth() {
    let dir = TempDir::new("auto-rewrite");
    let server = rredis_aof(
        &dir,
        &[
            "--auto-aof-rewrite-min-size",
            "4kb",
            "--auto-aof-rewrite-percentage",
            "100",
            "--hz",
            "100",
        ],
    );
    let mut raw = server.raw();
    let value = "x".repeat(100);
    for i in 0..100 {
        raw.cmd(&["SET", &format!("k{i}"), &value]);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !raw
        .cmd_str(&["INFO", "persistence"])
        .contains("aof_rewrites:1")
    {
        assert!(Instant::now() < deadline, "no automatic rewrite");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(manifest(&dir.aof_dir())[0].0, "appendonly.aof.2.base.rdb");
    assert_eq!(raw.cmd_str(&["DBSIZE"]), ":100\r\n");
}

/// BGREWRITEAOF while a BGSAVE child runs is scheduled and starts once it is done; a second
/// one while the rewrite runs is refused; writes during the rewrite land in the new incr file.
#[test]
fn bgrewriteaof_scheduled_behind_bgsave_and_refused_twice() {
    let dir = TempDir::new("scheduled");
    let server = rredis_aof(&dir, &["--save", ""]);
    let mut raw = server.raw();
    raw.cmd(&["SET", "a", "1"]);
    // Half a second per key keeps each child alive long enough to be seen.
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "500000"]),
        b"+OK\r\n"
    );
    assert_eq!(raw.cmd_str(&["BGSAVE"]), "+Background saving started\r\n");
    assert_eq!(
        raw.cmd_str(&["BGREWRITEAOF"]),
        "+Background append only file rewriting scheduled\r\n"
    );
    assert!(raw
        .cmd_str(&["INFO", "persistence"])
        .contains("aof_rewrite_scheduled:1"));
    wait_info(&mut raw, "aof_rewrite_in_progress:1");
    assert_eq!(
        raw.cmd_str(&["BGREWRITEAOF"]),
        "-ERR Background append only file rewriting already in progress\r\n"
    );
    raw.cmd(&["SET", "during", "2"]);
    wait_info(&mut raw, "aof_rewrites:1");
    assert_eq!(
        manifest(&dir.aof_dir()),
        [
            ("appendonly.aof.2.base.rdb".to_string(), "b".to_string()),
            ("appendonly.aof.2.incr.aof".to_string(), "i".to_string()),
        ]
    );
    assert_eq!(
        normalised_incr(&dir.aof_dir()),
        ["SELECT 0", "SET during 2"]
    );
    drop(raw);
    shutdown(server);
    let again = rredis_aof(&dir, &[]);
    let mut raw = again.raw();
    assert_eq!(
        raw.cmd_str(&["MGET", "a", "during"]),
        "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
}

/// CONFIG SET appendonly yes while a BGSAVE child runs: the first rewrite waits for it, and
/// the writes made meanwhile are in that base exactly once (not also in the incr file).
#[test]
fn appendonly_turned_on_behind_bgsave_counts_each_write_once() {
    let dir = TempDir::new("on-behind-bgsave");
    let server = Server::start_with(&["--dir", dir.str(), "--save", ""]);
    let mut raw = server.raw();
    raw.cmd(&["INCR", "n"]);
    raw.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "300000"]);
    assert_eq!(raw.cmd_str(&["BGSAVE"]), "+Background saving started\r\n");
    assert_eq!(raw.cmd(&["CONFIG", "SET", "appendonly", "yes"]), b"+OK\r\n");
    assert!(raw
        .cmd_str(&["INFO", "persistence"])
        .contains("aof_rewrite_scheduled:1"));
    raw.cmd(&["INCR", "n"]);
    raw.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    wait_info(&mut raw, "aof_rewrites:1");
    raw.cmd(&["INCR", "n"]);
    drop(raw);
    shutdown(server);
    let again = rredis_aof(&dir, &[]);
    assert_eq!(again.raw().cmd_str(&["GET", "n"]), "$1\r\n3\r\n");
}

/// Starts rredis on `dir` under a file size limit (`ulimit -f`, 1 KB blocks) with SIGXFSZ
/// ignored (ignored signals survive exec), so AOF writes past the limit fail with EFBIG
/// instead of killing the process: a full disk, as far as the server can tell.
fn rredis_with_file_limit(dir: &TempDir, kb: u32, fsync: &str) -> (std::process::Child, u16) {
    let port = common::free_port();
    let script = format!(
        "trap '' XFSZ; ulimit -f {kb}; exec {} --port {port} --dir {} --appendonly yes --appendfsync {fsync} --save '' --loglevel warning",
        env!("CARGO_BIN_EXE_rredis"),
        dir.str()
    );
    let child = Command::new("bash")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "rredis did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    (child, port)
}

/// A failed AOF write (here: the file size limit) makes writes fail with Redis's MISCONF
/// error while reads go on; the file keeps only whole commands.
#[test]
fn write_errors_refuse_writes_with_misconf() {
    let dir = TempDir::new("misconf");
    let (mut child, port) = rredis_with_file_limit(&dir, 16, "everysec");
    let mut raw = Raw::connect(port);
    let value = "x".repeat(1000);
    // Writes are buffered while a background fsync is slow (up to 2 s, as in Redis), so the
    // failing write may come only after many acknowledged SETs: keep writing until then.
    let mut refused = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    for i in 0.. {
        let reply = raw.cmd_str(&["SET", &format!("k{i}"), &value]);
        if reply != "+OK\r\n" || Instant::now() > deadline {
            refused = Some(reply);
            break;
        }
    }
    assert_eq!(
        refused.as_deref(),
        Some("-MISCONF Errors writing to the AOF file: File too large\r\n")
    );
    assert_eq!(
        raw.cmd_str(&["PING"]),
        "-MISCONF Errors writing to the AOF file: File too large\r\n"
    );
    assert_eq!(raw.cmd_str(&["GET", "k0"]), format!("$1000\r\n{value}\r\n"));
    assert!(raw
        .cmd_str(&["INFO", "persistence"])
        .contains("aof_last_write_status:err"));
    let _ = child.kill();
    let _ = child.wait();
    // What is in the file is whole commands (the partial write was cut away): SELECT and at
    // least the first SET, written before the buffer outgrew the limit. (How many more
    // depends on how the writes were batched around the first fsync.)
    let commands =
        parse_aof(&std::fs::read(dir.aof_dir().join("appendonly.aof.1.incr.aof")).unwrap());
    assert!(!commands.is_empty());
    for argv in &commands {
        let whole_set = argv.len() == 3 && argv[0] == b"SET" && argv[2] == value.as_bytes();
        assert!(whole_set || argv[0] == b"SELECT", "{argv:?}");
    }
}

/// With `appendfsync always` nothing can be promised after a failed write: the server
/// exits rather than acknowledge writes that are not on disk.
#[test]
fn write_error_with_fsync_always_exits() {
    let dir = TempDir::new("always-exit");
    let (mut child, port) = rredis_with_file_limit(&dir, 16, "always");
    let mut raw = Raw::connect(port);
    let value = "x".repeat(1000);
    let mut acked = 0;
    for i in 0..100 {
        match raw.try_cmd(&[b"SET", format!("k{i}").as_bytes(), value.as_bytes()]) {
            Ok(reply) if reply == b"+OK\r\n" => acked += 1,
            _ => break,
        }
    }
    let status = wait_child(&mut child, Duration::from_secs(10)).expect("rredis exits");
    assert!(!status.success());
    // Every acknowledged write is in the file.
    let commands =
        parse_aof(&std::fs::read(dir.aof_dir().join("appendonly.aof.1.incr.aof")).unwrap());
    let sets = commands.iter().filter(|c| c[0] == b"SET").count();
    assert_eq!(sets, acked);
}
