//! Background saves against the real binary: BGSAVE and its replies, save points, MISCONF
//! after a failed save, what SHUTDOWN and SIGTERM save, INFO persistence; compared with
//! redis-server where the replies can be.
//!
//! A save is made to fail by putting a directory where the snapshot file goes once the server
//! runs (at start-up it would refuse to load it): renaming the temporary file over a
//! directory fails for every user, root included (file permissions would not stop root).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{assert_same_replies, real_redis_with, Raw, Server};

/// How long a poll waits for the server to reach a state before the test fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// Interval between polls, in ms.
const POLL_MS: u64 = 10;

/// A directory of its own for one test, removed with everything in it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("rredis-bgsave-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Names of the `temp-*.rdb` files left in the directory.
    fn temp_files(&self) -> Vec<String> {
        std::fs::read_dir(&self.0)
            .expect("read temp dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with("temp-"))
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Makes every save into `dir` fail: `dump.rdb` becomes a directory.
fn block_snapshot(dir: &TempDir) {
    std::fs::create_dir(dir.join("dump.rdb")).expect("create blocking directory");
}

/// The value of `name` in INFO `section`.
fn info(c: &mut Raw, section: &str, name: &str) -> String {
    let text = c.cmd_str(&["INFO", section]);
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in INFO {section}:\n{text}"))
        .to_string()
}

/// Polls until `done` holds, failing the test after [`DEADLINE`].
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(POLL_MS));
    }
}

/// Waits until no background save runs (the cron has reaped the child).
fn wait_bgsave_done(c: &mut Raw) {
    wait_for("the BGSAVE child to end", || {
        info(c, "persistence", "rdb_bgsave_in_progress") == "0"
    });
}

/// Waits until the log file at `path` contains `text`; returns the whole log.
fn wait_log(path: &Path, text: &str) -> String {
    let mut log = String::new();
    wait_for(&format!("log line {text:?}"), || {
        log = std::fs::read_to_string(path).unwrap_or_default();
        log.contains(text)
    });
    log
}

/// Starts rredis in `dir` with `args` added.
fn start_in(dir: &TempDir, args: &[&str]) -> Server {
    let mut all = vec!["--dir", dir.path()];
    all.extend_from_slice(args);
    Server::start_with(&all)
}

/// The server exits with status 0 within the deadline.
fn assert_exits_cleanly(srv: &mut Server) {
    let status = srv.wait_exit(DEADLINE).expect("server did not exit");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn bgsave_writes_the_snapshot_and_resets_the_changes() {
    let dir = TempDir::new("writes");
    let srv = start_in(&dir, &[]);
    let mut c = srv.raw();
    let started = c.cmd_str(&["LASTSAVE"]);
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2"]);
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "2"
    );
    assert_eq!(info(&mut c, "stats", "total_forks"), "0");
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    wait_bgsave_done(&mut c);
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert_eq!(info(&mut c, "persistence", "rdb_saves"), "1");
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_time_sec"), "0");
    assert_eq!(info(&mut c, "stats", "total_forks"), "1");
    // The child reported what it copied on write: at least the pages it wrote itself.
    let cow: u64 = info(&mut c, "persistence", "rdb_last_cow_size")
        .parse()
        .expect("a number");
    assert!(cow > 0, "rdb_last_cow_size {cow}");
    let lastsave = c.cmd_str(&["LASTSAVE"]);
    assert!(
        lastsave >= started,
        "LASTSAVE {lastsave} before start {started}"
    );
    let file = std::fs::read(dir.join("dump.rdb")).expect("dump.rdb written");
    assert!(file.starts_with(b"REDIS0010"), "not an RDB file");
    assert!(dir.temp_files().is_empty(), "{:?}", dir.temp_files());
    // CONFIG RESETSTAT clears the fork and save counters, as in Redis.
    c.cmd(&["CONFIG", "RESETSTAT"]);
    assert_eq!(info(&mut c, "stats", "total_forks"), "0");
    assert_eq!(info(&mut c, "persistence", "rdb_saves"), "0");
}

#[test]
fn second_bgsave_while_one_runs_is_refused() {
    let dir = TempDir::new("twice");
    // 5 keys at 200 ms each keep the child busy for a second.
    let srv = start_in(&dir, &["--rdb-key-save-delay", "200000"]);
    let mut c = srv.raw();
    for key in ["a", "b", "c", "d", "e"] {
        c.cmd(&["SET", key, "v"]);
    }
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(info(&mut c, "persistence", "rdb_bgsave_in_progress"), "1");
    assert_eq!(
        info(&mut c, "persistence", "rdb_current_bgsave_time_sec"),
        "0"
    );
    let busy = "-ERR Background save already in progress\r\n";
    assert_eq!(c.cmd_str(&["BGSAVE"]), busy);
    assert_eq!(c.cmd_str(&["BGSAVE", "SCHEDULE"]), busy);
    assert_eq!(c.cmd_str(&["BGSAVE", "now"]), "-ERR syntax error\r\n");
    // The server keeps serving, writes included, while the child saves.
    assert_eq!(c.cmd(&["SET", "f", "v"]), b"+OK\r\n");
    wait_bgsave_done(&mut c);
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    // Only the write made during the save is still unsaved.
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "1"
    );
    let took: i64 = info(&mut c, "persistence", "rdb_last_bgsave_time_sec")
        .parse()
        .expect("a number");
    assert!(took >= 1, "the save took a second, INFO says {took}");
    assert_eq!(
        info(&mut c, "persistence", "rdb_current_bgsave_time_sec"),
        "-1"
    );
}

#[test]
fn bgsave_inside_multi_is_scheduled_and_then_run() {
    let dir = TempDir::new("multi");
    let srv = start_in(&dir, &[]);
    let mut c = srv.raw();
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["MULTI"]);
    assert_eq!(c.cmd(&["BGSAVE"]), b"+QUEUED\r\n");
    assert_eq!(c.cmd(&["EXEC"]), b"*1\r\n+Background saving scheduled\r\n");
    wait_for("the scheduled BGSAVE", || {
        info(&mut c, "persistence", "rdb_saves") == "1"
            && info(&mut c, "persistence", "rdb_bgsave_in_progress") == "0"
    });
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert!(dir.join("dump.rdb").is_file());
}

#[test]
fn save_point_starts_a_bgsave() {
    let dir = TempDir::new("savepoint");
    let log = dir.join("server.log");
    let log_arg = log.to_str().expect("utf-8 path");
    let srv = start_in(
        &dir,
        &[
            "--save",
            "1 1",
            "--loglevel",
            "notice",
            "--logfile",
            log_arg,
        ],
    );
    let mut c = srv.raw();
    assert_eq!(
        c.cmd_str(&["CONFIG", "GET", "save"]),
        "*2\r\n$4\r\nsave\r\n$3\r\n1 1\r\n"
    );
    c.cmd(&["SET", "k", "v"]);
    // The point fires once more than a second has passed since the last save (start-up).
    wait_for("the save point's BGSAVE", || {
        info(&mut c, "persistence", "rdb_changes_since_last_save") == "0"
    });
    let text = wait_log(&log, "Background saving terminated with success");
    for line in [
        "1 changes in 1 seconds. Saving...",
        "Background saving started by pid",
        ":C ", // the child's own lines
        "DB saved on disk",
        "Fork CoW for RDB: current ",
    ] {
        assert!(text.contains(line), "no {line:?} in the log:\n{text}");
    }
    assert!(dir.join("dump.rdb").is_file());
}

/// The replies to writes, reads and PING while saving fails, from the server at `port`
/// whose snapshot directory is `dir` (already blocked): identical for rredis and Redis.
fn misconf_replies(c: &mut Raw) -> Vec<String> {
    let mut replies = vec![c.cmd_str(&["SET", "a", "1"])];
    replies.push(c.cmd_str(&["BGSAVE"]));
    wait_for("the failed BGSAVE", || {
        info(c, "persistence", "rdb_last_bgsave_status") == "err"
    });
    wait_bgsave_done(c);
    for args in [
        &["SET", "a", "2"][..],
        &["GET", "a"],
        &["PING"],
        &["DEL", "a"],
        &["MULTI"],
        &["GET", "a"],
        &["SET", "a", "3"],
        &["EXEC"],
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
        &["SET", "a", "4"],
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
        &["INCR", "n"],
    ] {
        replies.push(c.cmd_str(args));
    }
    replies
}

#[test]
fn failed_bgsave_refuses_writes_until_a_save_succeeds() {
    let dir = TempDir::new("misconf");
    // A save point is configured (MISCONF needs one) but never fires during the test.
    let srv = start_in(&dir, &["--save", "3600 1"]);
    block_snapshot(&dir);
    let mut c = srv.raw();
    let ours = misconf_replies(&mut c);
    let misconf = "-MISCONF Redis is configured to save RDB snapshots, but it's currently \
                   unable to persist to disk. Commands that may modify the data set are \
                   disabled, because this instance is configured to report errors during \
                   writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). \
                   Please check the Redis logs for details about the RDB error.\r\n";
    assert_eq!(ours[2], misconf, "a write is refused");
    assert_eq!(ours[3], "$1\r\n1\r\n", "a read is served");
    assert_eq!(ours[4], misconf, "PING is refused, as in Redis");
    assert!(ours[9].starts_with("-EXECABORT"), "{}", ours[9]);
    assert_eq!(ours[11], "+OK\r\n", "allowed once the setting is off");
    assert_eq!(ours[13], misconf);
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "err");
    // Once the disk takes the snapshot again, writes are allowed again.
    std::fs::remove_dir(dir.join("dump.rdb")).expect("unblock");
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    wait_bgsave_done(&mut c);
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    assert_eq!(c.cmd(&["SET", "a", "5"]), b"+OK\r\n");

    let redis_dir = TempDir::new("misconf-redis");
    let Some(real) = real_redis_with(
        "failed_bgsave_refuses_writes_until_a_save_succeeds",
        &["--dir", redis_dir.path(), "--save", "3600 1"],
    ) else {
        return;
    };
    block_snapshot(&redis_dir);
    assert_eq!(ours, misconf_replies(&mut real.raw()));
}

#[test]
fn shutdown_saves_when_save_points_are_set() {
    let dir = TempDir::new("shutdown-save");
    let mut srv = start_in(&dir, &["--save", "3600 1"]);
    let mut c = srv.raw();
    c.cmd(&["SET", "k", "v"]);
    c.send(b"*1\r\n$8\r\nSHUTDOWN\r\n");
    assert!(c.is_closed());
    assert_exits_cleanly(&mut srv);
    assert!(dir.join("dump.rdb").is_file(), "SHUTDOWN saved");
}

#[test]
fn shutdown_nosave_and_no_save_points_write_nothing_but_save_does() {
    for (name, points, args, saved) in [
        ("nosave", "3600 1", &["SHUTDOWN", "NOSAVE"][..], false),
        ("nopoints", "", &["SHUTDOWN"][..], false),
        ("save", "", &["SHUTDOWN", "SAVE"][..], true),
        (
            "now-force",
            "3600 1",
            &["SHUTDOWN", "NOW", "FORCE"][..],
            true,
        ),
    ] {
        let dir = TempDir::new(&format!("shutdown-option-{name}"));
        let mut srv = start_in(&dir, &["--save", points]);
        let mut c = srv.raw();
        c.cmd(&["SET", "k", "v"]);
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        c.send_cmd(&args);
        assert!(c.is_closed(), "{name}");
        assert_exits_cleanly(&mut srv);
        assert_eq!(dir.join("dump.rdb").is_file(), saved, "{name}");
    }
}

#[test]
fn shutdown_whose_save_fails_keeps_the_server_up_unless_forced() {
    let dir = TempDir::new("shutdown-fails");
    let mut srv = start_in(&dir, &["--save", "3600 1"]);
    block_snapshot(&dir);
    let mut c = srv.raw();
    let failed = "-ERR Errors trying to SHUTDOWN. Check logs.\r\n";
    assert_eq!(c.cmd_str(&["SHUTDOWN"]), failed);
    assert_eq!(c.cmd_str(&["SHUTDOWN", "SAVE"]), failed);
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    c.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$5\r\nFORCE\r\n");
    assert!(c.is_closed());
    assert_exits_cleanly(&mut srv);

    let redis_dir = TempDir::new("shutdown-fails-redis");
    let test = "shutdown_whose_save_fails_keeps_the_server_up_unless_forced";
    if let Some(real) = real_redis_with(test, &["--dir", redis_dir.path(), "--save", "3600 1"]) {
        block_snapshot(&redis_dir);
        let mut r = real.raw();
        assert_eq!(r.cmd_str(&["SHUTDOWN"]), failed);
        assert_eq!(r.cmd_str(&["SHUTDOWN", "SAVE"]), failed);
        assert_eq!(r.cmd(&["PING"]), b"+PONG\r\n");
    }
}

/// Sends SIGTERM to the server.
fn sigterm(srv: &mut Server) {
    let pid = srv.child().id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[test]
fn sigterm_saves_before_exiting() {
    let dir = TempDir::new("sigterm");
    let mut srv = start_in(&dir, &["--save", "3600 1"]);
    srv.raw().cmd(&["SET", "k", "v"]);
    sigterm(&mut srv);
    assert_exits_cleanly(&mut srv);
    assert!(dir.join("dump.rdb").is_file(), "SIGTERM saved");
}

#[test]
fn sigterm_whose_save_fails_keeps_serving() {
    let dir = TempDir::new("sigterm-fails");
    let log = dir.join("server.log");
    let log_arg = log.to_str().expect("utf-8 path");
    let mut srv = start_in(&dir, &["--save", "3600 1", "--logfile", log_arg]);
    block_snapshot(&dir);
    sigterm(&mut srv);
    wait_log(
        &log,
        "Errors trying to shut down the server. Check the logs",
    );
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    c.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    assert!(c.is_closed());
    assert_exits_cleanly(&mut srv);
}

#[test]
fn shutdown_kills_a_running_bgsave_child() {
    let dir = TempDir::new("kill-child");
    let log = dir.join("server.log");
    let log_arg = log.to_str().expect("utf-8 path");
    let mut srv = start_in(
        &dir,
        &[
            "--rdb-key-save-delay",
            "10000000",
            "--loglevel",
            "notice",
            "--logfile",
            log_arg,
        ],
    );
    let mut c = srv.raw();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    let text = wait_log(&log, "Background saving started by pid ");
    let pid = text
        .split("Background saving started by pid ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("child pid in the log")
        .to_string();
    assert!(Path::new(&format!("/proc/{pid}")).exists(), "child running");
    c.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    assert!(c.is_closed());
    assert_exits_cleanly(&mut srv);
    // Killed and reaped before the server exited (its 10 s delay had not run out).
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "child {pid} left running"
    );
    assert!(!dir.join("dump.rdb").exists());
    assert!(dir.temp_files().is_empty(), "{:?}", dir.temp_files());
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("There is a child saving an .rdb. Killing it!"),
        "{text}"
    );
}

/// The field names of INFO `section`, in order.
fn info_names(c: &mut Raw, section: &str) -> Vec<String> {
    c.cmd_str(&["INFO", section])
        .lines()
        .skip(1)
        .filter_map(|line| Some(line.split_once(':')?.0.to_string()))
        .collect()
}

#[test]
fn info_persistence_has_redis_fields_and_follows_the_state() {
    let dir = TempDir::new("info");
    let srv = start_in(&dir, &[]);
    let mut c = srv.raw();
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["DEL", "k"]);
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "2"
    );
    assert_eq!(info(&mut c, "persistence", "rdb_bgsave_in_progress"), "0");
    assert_eq!(
        info(&mut c, "persistence", "rdb_last_bgsave_time_sec"),
        "-1"
    );
    if let Some(real) = real_redis_with("info_persistence_has_redis_fields", &[]) {
        let mut r = real.raw();
        assert_eq!(
            info_names(&mut c, "persistence"),
            info_names(&mut r, "persistence")
        );
    }
    let stats = info_names(&mut c, "stats");
    assert!(stats.contains(&"total_forks".to_string()), "{stats:?}");
    assert!(stats.contains(&"latest_fork_usec".to_string()), "{stats:?}");
}

#[test]
fn save_settings_and_bgsave_errors_match_redis() {
    assert_same_replies(
        "save_settings_and_bgsave_errors_match_redis",
        &[
            &["CONFIG", "SET", "save", "100 10 20"],
            &["CONFIG", "SET", "save", "0 10"],
            &["CONFIG", "SET", "save", "10 -1"],
            &["CONFIG", "SET", "save", "3600 1 300 100"],
            &["CONFIG", "GET", "save"],
            &["CONFIG", "SET", "save", ""],
            &["CONFIG", "GET", "save"],
            &["CONFIG", "GET", "stop-writes-on-bgsave-error"],
            &["CONFIG", "GET", "rdb-key-save-delay"],
            &["CONFIG", "GET", "rdb-key*"],
            &["BGSAVE", "foo"],
            &["BGSAVE", "SCHEDULE", "foo"],
            &["COMMAND", "INFO", "BGSAVE"],
        ],
    );
}

#[test]
fn flushall_kills_the_bgsave_and_saves_the_empty_data_set() {
    let dir = TempDir::new("flushall");
    let srv = start_in(
        &dir,
        &["--save", "3600 1", "--rdb-key-save-delay", "10000000"],
    );
    let mut c = srv.raw();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "1"]);
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(c.cmd(&["FLUSHALL"]), b"+OK\r\n");
    // The child (10 s to go) is gone at once, and the empty data set is on disk.
    assert_eq!(info(&mut c, "persistence", "rdb_bgsave_in_progress"), "0");
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert!(dir.join("dump.rdb").is_file());
    assert!(dir.temp_files().is_empty(), "{:?}", dir.temp_files());
    // Without save points nothing is saved and the deletions count as changes.
    c.cmd(&["CONFIG", "SET", "save", ""]);
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "1"]);
    c.cmd(&["FLUSHALL"]);
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "4"
    );
}
