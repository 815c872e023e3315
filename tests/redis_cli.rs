//! redis-cli against rredis: the same script piped into `redis-cli -p PORT` must print the
//! same text as it does against the real redis-server. Skipped loudly when redis-cli (or
//! redis-server, for the reference output) is missing, unless `RREDIS_REQUIRE_REDIS=1`.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{have_tool, real_redis, wait_child, Server};

/// Runs `redis-cli -p port <args>` with `script` on stdin; returns (stdout, stderr), with
/// bytes that are not printable ASCII escaped (raw mode prints values as they are).
fn redis_cli(port: u16, args: &[&str], script: &str) -> (String, String) {
    let mut child = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redis-cli");
    let mut stdin = child.stdin.take().expect("stdin");
    let script = script.to_string();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(script.as_bytes());
    });
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut bytes);
        printable(&bytes)
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut bytes);
        printable(&bytes)
    });
    let status = wait_child(&mut child, Duration::from_secs(30));
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-cli {args:?} did not finish within 30 s");
    }
    feeder.join().expect("feeder");
    (out.join().expect("stdout"), err.join().expect("stderr"))
}

/// The text with every byte other than printable ASCII and `\n` escaped.
fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'\n' | b' '..=b'~' => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

/// True if both tools are there (or panics when they are required).
fn tools(test: &str) -> bool {
    have_tool("redis-cli", test) && have_tool("redis-server", test)
}

const SCRIPT: &str = "\
PING
PING \"hello world\"
SET greeting hello
GET greeting
SET counter 41
INCR counter
INCR counter
GET counter
INCR greeting
DEL greeting counter nokey
GET greeting
EXISTS greeting
SET \"spaced key\" \"a value\\nwith a newline\"
GET \"spaced key\"
MSET a 1 b 2
MGET a b nokey
ECHO \"\\x00\\xff\"
SET k v EX 0
NOSUCHCOMMAND x
GET
";

/// The script above, printed by redis-cli in its default mode for a pipe (raw output).
#[test]
fn redis_cli_script_output_matches_redis() {
    if !tools("redis_cli_script_output_matches_redis") {
        return;
    }
    let redis = real_redis("redis_cli_script_output_matches_redis").expect("redis-server");
    let (want, want_err) = redis_cli(redis.port, &[], SCRIPT);
    // Sanity: the reference run really executed the script.
    assert!(
        want.contains("PONG\nhello world\nOK\nhello\nOK\n42\n43\n43\n"),
        "stdout: {want:?}, stderr: {want_err:?}"
    );
    let srv = Server::start();
    let (got, got_err) = redis_cli(srv.port, &[], SCRIPT);
    assert_eq!(got, want, "redis-cli output differs (stderr: {got_err:?})");
    assert_eq!(got_err, want_err, "redis-cli stderr differs");
}

/// The same script with `--no-raw`: the human format with `(integer)`, `(nil)`, `(error)`,
/// numbered array items and quoted strings.
#[test]
fn redis_cli_no_raw_script_output_matches_redis() {
    if !tools("redis_cli_no_raw_script_output_matches_redis") {
        return;
    }
    let redis = real_redis("redis_cli_no_raw_script_output_matches_redis").expect("redis");
    let (want, _) = redis_cli(redis.port, &["--no-raw"], SCRIPT);
    assert!(want.contains("(integer) 42\n"), "{want}");
    let srv = Server::start();
    let (got, got_err) = redis_cli(srv.port, &["--no-raw"], SCRIPT);
    assert_eq!(
        got, want,
        "redis-cli --no-raw output differs (stderr: {got_err:?})"
    );
}

/// `redis-cli -p PORT --no-raw PING` as a one-shot command, and a few one-shot commands in
/// raw mode, including redis-cli's exit status on an error reply.
#[test]
fn redis_cli_one_shot_commands() {
    if !tools("redis_cli_one_shot_commands") {
        return;
    }
    let srv = Server::start();
    let (out, err) = redis_cli(srv.port, &["--no-raw", "PING"], "");
    assert_eq!(out, "PONG\n", "stderr: {err}");
    let (out, _) = redis_cli(srv.port, &["ECHO", "hi there"], "");
    assert_eq!(out, "hi there\n");
    let (out, _) = redis_cli(srv.port, &["--no-raw", "ECHO", "hi there"], "");
    assert_eq!(out, "\"hi there\"\n");
    let redis = real_redis("redis_cli_one_shot_commands").expect("redis-server");
    for args in [
        &["--no-raw", "PING", "x"][..],
        &["--no-raw", "SELECT", "99"][..],
        &["PING", "a", "b"][..],
        &["-n", "3", "PING"][..],
        &["-n", "99", "PING"][..],
    ] {
        let want = redis_cli(redis.port, args, "");
        let got = redis_cli(srv.port, args, "");
        assert_eq!(got, want, "redis-cli {args:?}");
    }
}

/// Types `typed` at an interactive redis-cli (in a detached tmux session, so it sees a real
/// terminal) connected to `port`, and returns the screen line showing the command once
/// redis-cli has drawn its argument hint after it, or what the screen held at the deadline.
fn interactive_hint(port: u16, typed: &str, expect: &str) -> String {
    let session = format!("rredis-hint-{port}");
    // A tmux server of our own per call (`-L`): sharing the default one races with its exit
    // when the previous call's last session ends. Only capture-pane's output is read: the
    // first command starts the tmux server as a daemon, which would inherit a captured stdout
    // pipe and keep `output()` waiting until it exits.
    let tmux = |args: &[&str]| -> Vec<u8> {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &session])
            .args(args)
            .env("TERM", "xterm")
            .stdin(Stdio::null());
        if args.first() == Some(&"capture-pane") {
            cmd.output().map(|o| o.stdout).unwrap_or_default()
        } else {
            let _ = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status();
            Vec::new()
        }
    };
    let cli = format!("redis-cli -p {port}");
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "10",
        &cli,
    ]);
    let capture =
        || String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", &session])).into_owned();
    let prompt = format!("127.0.0.1:{port}>");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !capture().contains(&prompt) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    tmux(&["send-keys", "-t", &session, "-l", typed]);
    // Wait for the whole typed text followed by the hint: redis-cli redraws after every key,
    // and an earlier frame shows the hint for a shorter prefix.
    let complete =
        |screen: &str| screen.contains(&format!("{prompt} {typed}")) && screen.contains(expect);
    let mut screen = capture();
    while !complete(&screen) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        screen = capture();
    }
    tmux(&["kill-server"]);
    screen
        .lines()
        .find(|l| l.contains(&prompt))
        .unwrap_or(&screen)
        .trim_end()
        .to_string()
}

/// redis-cli 7 builds its interactive hints from the server's COMMAND DOCS (it falls back
/// to built-in help only when the server has none), so the hint a person sees while typing
/// must be the one real Redis gives.
#[test]
fn interactive_hints_come_from_command_docs() {
    let test = "interactive_hints_come_from_command_docs";
    if !tools(test) || !have_tool("tmux", test) {
        return;
    }
    let Some(real) = real_redis(test) else { return };
    let ours = Server::start();
    for (typed, hint) in [
        ("SET k ", "value [NX|XX] [GET]"),
        ("GETEX k ", "[EX seconds|PX milliseconds"),
        ("SCAN 0 ", "[MATCH pattern] [COUNT count] [TYPE type]"),
        (
            "COMMAND LIST ",
            "[FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]",
        ),
    ] {
        let got = interactive_hint(ours.port, typed, hint);
        let want = interactive_hint(real.port, typed, hint);
        assert!(
            got.contains(hint),
            "rredis: typed {typed:?}, screen shows {got:?}"
        );
        assert_eq!(
            got.replace(&ours.port.to_string(), "PORT"),
            want.replace(&real.port.to_string(), "PORT"),
            "hint for {typed:?} differs from redis-server's"
        );
    }
}
