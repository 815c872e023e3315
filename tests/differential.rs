//! The differential corpus: `tests/corpus/*.txt` replayed against rredis and the real
//! redis-server 7.0, each on a fresh server, comparing every raw reply byte for byte.
//!
//! Corpus format (one command per line):
//! - arguments are split the way redis-cli splits a typed line (sdssplitargs): blanks
//!   separate, `"..."` allows `\n \r \t \b \a \\ \"` and `\xHH`, `'...'` allows `\'`;
//! - blank lines and lines whose first non-blank character is `#` are ignored;
//! - the first command of every file is `FLUSHALL`;
//! - a line may start with a directive, separated from the command by a blank:
//!   - `@sort CMD ...`: the reply is an array whose order is unspecified (KEYS, ...): the
//!     elements are compared as sorted multisets;
//!   - `@approx N CMD ...`: the reply is an integer that depends on the clock (PTTL, ...): the
//!     two integers may differ by at most N.
//!   - `@resp2 CMD ...`: the line is compared only in the RESP2 replay; the RESP3 replay
//!     still sends it to both sides (so the state stays the same) but ignores the replies.
//! - after `QUIT` both sides reconnect (database 0 again).
//!
//! Every file is replayed twice, each time on fresh servers: in RESP2, then in RESP3, where
//! every connection (the first one and each one after a reconnection) sends `HELLO 3` first,
//! whose reply is not compared (it carries the client id). A `HELLO` or `RESET` line in a file
//! switches the protocol of both sides alike. `@sort` compares a RESP3 set's elements, or a
//! map's key/value pairs, as sorted multisets too (and the aggregate types must agree).
//!
//! Every line must be deterministic on Redis itself. To check that, run the corpus against
//! two real servers: `RREDIS_DIFF_AGAINST_REDIS=1 cargo test --test differential`.
//! `RREDIS_DIFF_VERBOSE=1` prints every command with both replies (use `-- --nocapture`).
//! `RREDIS_DIFF_FILTER=word` runs only the corpus files whose name contains `word`.

mod common;

// redis-cli splits its input lines exactly as the server splits inline requests.
use rredis::resp::parser::split_args;

use std::path::{Path, PathBuf};

use common::aof::{normalised_incr, TempDir};
use common::{real_redis_with, Raw, Server};

/// How many differences a failing file reports in full.
const MAX_REPORTED: usize = 60;

/// One command of a corpus file.
struct Line {
    number: usize,
    text: String,
    args: Vec<Vec<u8>>,
    compare: Compare,
}

/// How the two replies to a line are compared.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Compare {
    Exact,
    Sorted,
    Approx(i64),
    /// Compared in RESP2 only (see `@resp2`).
    Resp2Only,
}

/// The protocol a replay starts each connection with.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Protocol {
    Resp2,
    Resp3,
}

fn parse_corpus(path: &Path) -> Vec<Line> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let name = path.display();
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut args = split_args(trimmed.as_bytes())
            .unwrap_or_else(|| panic!("{name}:{number}: unbalanced quotes"));
        let mut compare = Compare::Exact;
        match args.first().map(|a| a.as_slice()) {
            Some(b"@sort") => {
                compare = Compare::Sorted;
                args.remove(0);
            }
            Some(b"@approx") => {
                let n = args
                    .get(1)
                    .and_then(|n| std::str::from_utf8(n).ok()?.parse().ok())
                    .unwrap_or_else(|| panic!("{name}:{number}: @approx needs a number"));
                compare = Compare::Approx(n);
                args.drain(..2);
            }
            Some(b"@resp2") => {
                compare = Compare::Resp2Only;
                args.remove(0);
            }
            Some(d) if d.starts_with(b"@") => {
                panic!("{name}:{number}: unknown directive {}", d.escape_ascii())
            }
            _ => {}
        }
        assert!(
            !args.is_empty(),
            "{name}:{number}: directive without a command"
        );
        lines.push(Line {
            number,
            text: trimmed.to_string(),
            args,
            compare,
        });
    }
    let first = lines.first().map(|l| l.args[0].to_ascii_uppercase());
    assert_eq!(
        first.as_deref(),
        Some(&b"FLUSHALL"[..]),
        "{name}: the first command must be FLUSHALL"
    );
    lines
}

/// Splits an aggregate reply (array `*`, RESP3 set `~` or map `%`) into its type byte and its
/// elements' raw bytes, a map's element being a key and its value together; `None` if the
/// reply is not one of these.
fn array_elements(reply: &[u8]) -> Option<(u8, Vec<Vec<u8>>)> {
    let mut reader = std::io::BufReader::new(reply);
    let mut header = Vec::new();
    std::io::BufRead::read_until(&mut reader, b'\n', &mut header).ok()?;
    let (&kind, rest) = header.split_first()?;
    let per_element = match kind {
        b'*' | b'~' => 1,
        b'%' => 2,
        _ => return None,
    };
    let n: i64 = std::str::from_utf8(rest.strip_suffix(b"\r\n")?)
        .ok()?
        .parse()
        .ok()?;
    let mut out = Vec::new();
    for _ in 0..n.max(0) {
        let mut element = Vec::new();
        for _ in 0..per_element {
            common::read_resp(&mut reader, &mut element).ok()?;
        }
        out.push(element);
    }
    Some((kind, out))
}

fn integer(reply: &[u8]) -> Option<i64> {
    std::str::from_utf8(reply.strip_prefix(b":")?.strip_suffix(b"\r\n")?)
        .ok()?
        .parse()
        .ok()
}

/// True if the replies agree under `compare` (`Resp2Only` is compared exactly: the caller
/// skips the comparison in RESP3).
fn same(compare: Compare, a: &[u8], b: &[u8]) -> bool {
    match compare {
        Compare::Exact | Compare::Resp2Only => a == b,
        Compare::Sorted => match (array_elements(a), array_elements(b)) {
            (Some((kind_x, mut x)), Some((kind_y, mut y))) => {
                x.sort();
                y.sort();
                kind_x == kind_y && x == y
            }
            _ => a == b,
        },
        Compare::Approx(n) => match (integer(a), integer(b)) {
            (Some(x), Some(y)) => (x - y).abs() <= n,
            _ => a == b,
        },
    }
}

fn show(reply: &std::io::Result<Vec<u8>>) -> String {
    match reply {
        Ok(bytes) => {
            let s = bytes.escape_ascii().to_string();
            if s.len() > 400 {
                format!("{}... ({} bytes)", &s[..400], bytes.len())
            } else {
                s
            }
        }
        Err(e) => format!("<no reply: {e}>"),
    }
}

/// One side of the comparison: a server and a connection to it.
struct Side {
    name: &'static str,
    server: Server,
    conn: Raw,
    protocol: Protocol,
}

impl Side {
    fn new(name: &'static str, server: Server, protocol: Protocol) -> Side {
        let conn = server.raw();
        let mut side = Side {
            name,
            server,
            conn,
            protocol,
        };
        side.greet();
        side
    }

    /// Starts a fresh connection in the replay's protocol: `HELLO 3` for RESP3 (its reply,
    /// which holds the client id, is checked for its type only).
    fn greet(&mut self) {
        if self.protocol == Protocol::Resp3 {
            let reply = self
                .conn
                .try_cmd(&[b"HELLO", b"3"])
                .unwrap_or_else(|e| panic!("{}: HELLO 3: {e}", self.name));
            assert!(
                reply.starts_with(b"%"),
                "{}: HELLO 3 replied {}",
                self.name,
                reply.escape_ascii()
            );
        }
    }

    fn run(&mut self, args: &[Vec<u8>]) -> std::io::Result<Vec<u8>> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        self.conn.try_cmd(&args)
    }

    fn reconnect(&mut self) {
        self.conn = self.server.raw();
        self.greet();
    }

    fn alive(&mut self) -> bool {
        matches!(self.server.child().try_wait(), Ok(None))
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Replays `tests/corpus/<file>` on both sides, in RESP2 then in RESP3 (each on fresh
/// servers), and fails with a report of every difference. `RREDIS_DIFF_RESP=2` (or `3`) runs
/// only that replay.
fn run_corpus(file: &str) {
    run_corpus_in(file, &[Protocol::Resp2, Protocol::Resp3]);
}

/// The arguments as `&str`s, for the server starters.
fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Replays `tests/corpus/<file>` in the given protocols only.
fn run_corpus_in(file: &str, protocols: &[Protocol]) {
    if let Ok(filter) = std::env::var("RREDIS_DIFF_FILTER") {
        if !file.contains(&filter) {
            return;
        }
    }
    let only = std::env::var("RREDIS_DIFF_RESP").ok();
    let mut failures = Vec::new();
    for &protocol in protocols {
        let label = match protocol {
            Protocol::Resp2 => "2",
            Protocol::Resp3 => "3",
        };
        if only.as_deref().is_some_and(|o| o != label) {
            continue;
        }
        if let Some(failure) = replay(file, protocol) {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// One replay of `tests/corpus/<file>` in `protocol`: a report of the differences, if any.
fn replay(file: &str, protocol: Protocol) -> Option<String> {
    let path = corpus_dir().join(file);
    let lines = parse_corpus(&path);
    let test = format!("differential {file}");
    // The RESP2 replay also compares what each server appended to its AOF (the commands
    // Redis propagates, see src/propagate.rs). `appendfsync no`: the AOF is written before
    // the replies of each turn, so it is complete once the last reply is read.
    let dirs = (protocol == Protocol::Resp2).then(|| {
        let stem = file.trim_end_matches(".txt");
        (
            TempDir::new(&format!("diff-{stem}-ref")),
            TempDir::new(&format!("diff-{stem}-sub")),
        )
    });
    let aof_args = |dir: &Option<&TempDir>| -> Vec<String> {
        match dir {
            Some(d) => [
                "--appendonly",
                "yes",
                "--appendfsync",
                "no",
                "--dir",
                d.str(),
            ]
            .map(String::from)
            .to_vec(),
            None => Vec::new(),
        }
    };
    let ref_args = aof_args(&dirs.as_ref().map(|(r, _)| r));
    let sub_args = aof_args(&dirs.as_ref().map(|(_, s)| s));
    let reference = real_redis_with(&test, &as_strs(&ref_args))?;
    let against_redis = std::env::var("RREDIS_DIFF_AGAINST_REDIS").is_ok_and(|v| v == "1");
    let verbose = std::env::var("RREDIS_DIFF_VERBOSE").is_ok_and(|v| v == "1");
    let mut reference = Side::new("redis", reference, protocol);
    let mut subject = if against_redis {
        Side::new(
            "redis#2",
            real_redis_with(&test, &as_strs(&sub_args)).expect("a second redis-server"),
            protocol,
        )
    } else {
        Side::new("rredis", Server::start_with(&as_strs(&sub_args)), protocol)
    };
    let shown = match protocol {
        Protocol::Resp2 => format!("tests/corpus/{file}"),
        Protocol::Resp3 => format!("[RESP3] tests/corpus/{file}"),
    };
    let mut report = Vec::new();
    let mut differences = 0;
    for line in &lines {
        let want = reference.run(&line.args);
        let got = subject.run(&line.args);
        let describe = || {
            format!(
                "{shown}:{}: {}\n    {:8} {}\n    {:8} {}",
                line.number,
                line.text,
                reference.name,
                show(&want),
                subject.name,
                show(&got)
            )
        };
        if verbose {
            eprintln!("{}", describe());
        }
        if let Err(e) = &want {
            panic!(
                "{shown}:{}: {}: redis-server gave no reply ({e}); fix the corpus line",
                line.number, line.text
            );
        }
        let agree = match (&want, &got) {
            (Ok(_), Ok(_)) if protocol == Protocol::Resp3 && line.compare == Compare::Resp2Only => {
                true
            }
            (Ok(a), Ok(b)) => same(line.compare, a, b),
            _ => false,
        };
        if !agree {
            differences += 1;
            if report.len() < MAX_REPORTED {
                report.push(describe());
            }
        }
        if got.is_err() {
            if !subject.alive() {
                report.push(format!(
                    "{shown}:{}: {} EXITED; the rest of the file was not run",
                    line.number, subject.name
                ));
                break;
            }
            subject.reconnect();
        }
        if line.args[0].eq_ignore_ascii_case(b"QUIT") {
            reference.reconnect();
            subject.reconnect();
        }
    }
    if let (Some((ref_dir, sub_dir)), 0) = (&dirs, differences) {
        let (want, got) = (
            normalised_incr(&ref_dir.aof_dir()),
            normalised_incr(&sub_dir.aof_dir()),
        );
        if let Some(i) = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i)) {
            return Some(format!(
                "{shown}: the AOFs differ at command {i} (of {} and {}):\n    {:8} {:?}\n    {:8} {:?}",
                want.len(),
                got.len(),
                reference.name,
                want.get(i),
                subject.name,
                got.get(i)
            ));
        }
    }
    (differences > 0).then(|| {
        format!(
            "{differences} of {} commands in {shown} differ between {} and {}{}:\n\n{}",
            lines.len(),
            reference.name,
            subject.name,
            if differences > report.len() {
                format!(" (first {} shown)", report.len())
            } else {
                String::new()
            },
            report.join("\n")
        )
    })
}

#[test]
fn corpus_strings() {
    run_corpus("strings.txt");
}

#[test]
fn corpus_keyspace() {
    run_corpus("keyspace.txt");
}

#[test]
fn corpus_expire() {
    run_corpus("expire.txt");
}

#[test]
fn corpus_errors() {
    run_corpus("errors.txt");
}

#[test]
fn corpus_sets() {
    run_corpus("sets.txt");
}

#[test]
fn corpus_lists() {
    run_corpus("lists.txt");
}

#[test]
fn corpus_connection() {
    run_corpus("connection.txt");
}

#[test]
fn corpus_hashes() {
    run_corpus("hashes.txt");
}

#[test]
fn corpus_zsets() {
    run_corpus("zsets.txt");
}

#[test]
fn corpus_multi() {
    run_corpus("multi.txt");
}

#[test]
fn corpus_pubsub() {
    // RESP2 only: in RESP3, subscription confirmations and messages are push frames that
    // do not pair up one reply per command line (SUBSCRIBE has no other reply, a
    // self-publish gets its message before PUBLISH's reply). tests/pubsub.rs checks the
    // RESP3 framing with explicit reads.
    run_corpus_in("pubsub.txt", &[Protocol::Resp2]);
}

#[test]
fn corpus_sort() {
    run_corpus("sort.txt");
}

#[test]
fn corpus_resp3() {
    run_corpus("resp3.txt");
}

#[test]
fn corpus_fuzz() {
    run_corpus("fuzz.txt");
}

/// Every corpus file has a test above, so a new file cannot be silently skipped.
#[test]
fn every_corpus_file_is_run() {
    let known = [
        "strings.txt",
        "keyspace.txt",
        "expire.txt",
        "errors.txt",
        "connection.txt",
        "hashes.txt",
        "sets.txt",
        "lists.txt",
        "zsets.txt",
        "multi.txt",
        "pubsub.txt",
        "sort.txt",
        "resp3.txt",
        "fuzz.txt",
    ];
    let dir = std::fs::read_dir(corpus_dir()).expect("tests/corpus");
    for entry in dir {
        let name = entry.expect("dir entry").file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".txt") {
            assert!(
                known.contains(&name.as_ref()),
                "tests/corpus/{name} has no #[test] in tests/differential.rs"
            );
            parse_corpus(&corpus_dir().join(name.as_ref()));
        }
    }
}

/// The corpus line splitter agrees with redis-cli's rules.
#[test]
fn corpus_lines_split_like_redis_cli() {
    let split = |s: &str| split_args(s.as_bytes());
    let v = |a: &[&[u8]]| Some(a.iter().map(|x| x.to_vec()).collect::<Vec<_>>());
    assert_eq!(split("SET  k\tv "), v(&[b"SET", b"k", b"v"]));
    assert_eq!(split(r#"SET "a b" 'c d'"#), v(&[b"SET", b"a b", b"c d"]));
    assert_eq!(
        split(r#"SET "\x00\r\n\"" ''"#),
        v(&[b"SET", b"\0\r\n\"", b""])
    );
    assert_eq!(split(r"KEYS a\*b"), v(&[b"KEYS", b"a\\*b"]));
    assert_eq!(split(r"SET 'it\'s' x"), v(&[b"SET", b"it's", b"x"]));
    assert_eq!(split(r#"SET "a"b"#), None);
    assert_eq!(split(r#"SET "a"#), None);
    assert!(same(
        Compare::Sorted,
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
        b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"
    ));
    assert!(!same(
        Compare::Sorted,
        b"*2\r\n$1\r\na\r\n$1\r\na\r\n",
        b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"
    ));
    assert!(same(
        Compare::Sorted,
        b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n",
        b"%2\r\n$1\r\nb\r\n:2\r\n$1\r\na\r\n:1\r\n"
    ));
    assert!(!same(
        Compare::Sorted,
        b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n",
        b"%2\r\n$1\r\na\r\n:2\r\n$1\r\nb\r\n:1\r\n"
    ));
    assert!(same(
        Compare::Sorted,
        b"~2\r\n$1\r\na\r\n$1\r\nb\r\n",
        b"~2\r\n$1\r\nb\r\n$1\r\na\r\n"
    ));
    assert!(!same(
        Compare::Sorted,
        b"~2\r\n$1\r\na\r\n$1\r\nb\r\n",
        b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"
    ));
    assert!(same(Compare::Approx(5), b":100\r\n", b":96\r\n"));
    assert!(!same(Compare::Approx(5), b":100\r\n", b":94\r\n"));
    assert!(!same(Compare::Approx(5), b":-2\r\n", b"$-1\r\n"));
}
