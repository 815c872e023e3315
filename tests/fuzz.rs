//! Fuzzing the two surfaces a client controls: the request parser (in process, through the
//! library) and command dispatch (the real binary, fed random argument vectors for every
//! command and subcommand its own COMMAND lists).
//!
//! Both tests are deterministic for a seed (`RREDIS_TEST_SEED`, printed at the start) and run
//! a fixed number of steps under `cargo test`, which keeps them to a few seconds in a debug
//! build. The long mode runs each for `RREDIS_FUZZ_SECS` seconds instead:
//!
//! ```text
//! RREDIS_FUZZ_SECS=600 RREDIS_TEST_SEED=7 cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! (`--release` builds the server under test in release mode too: `CARGO_BIN_EXE_rredis` is the
//! binary of the same profile.) When redis-server is installed, the same inputs also go to a
//! real Redis: the parser's raw byte streams must get byte-identical answers, and for random
//! commands the places where one server replies with an error and the other does not are
//! *listed* (not asserted: a random command sequence can legitimately diverge, e.g. after SPOP),
//! as leads for the differential tests. Crashers found once are replayed by
//! `regression_corpus` from tests/fuzz_corpus/.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::{encode, real_redis, Raw, Server, TestRng};
use rredis::resp::parser::{Parsed, ProtocolError, RequestParser, PROTO_INLINE_MAX_SIZE};

// ------------------------------------------------------------------------------------------
// The budget shared by both tests.

/// How long a fuzz test runs: `ci_steps` steps, or with `RREDIS_FUZZ_SECS` set, until that many
/// seconds have passed.
struct Budget {
    deadline: Option<Instant>,
    ci_steps: usize,
    /// Steps started so far.
    steps: usize,
    started: Instant,
}

impl Budget {
    fn from_env(ci_steps: usize) -> Budget {
        let secs = std::env::var("RREDIS_FUZZ_SECS")
            .ok()
            .and_then(|s| s.parse::<u64>().ok());
        let started = Instant::now();
        Budget {
            deadline: secs.map(|s| started + Duration::from_secs(s)),
            ci_steps,
            steps: 0,
            started,
        }
    }

    /// True if one more step may run (and counts it).
    fn next(&mut self) -> bool {
        let more = match self.deadline {
            Some(deadline) => Instant::now() < deadline,
            None => self.steps < self.ci_steps,
        };
        if more {
            self.steps += 1;
        }
        more
    }
}

// ------------------------------------------------------------------------------------------
// The request parser.

/// proto-max-bulk-len's default, in bytes.
const MAX_BULK: usize = 512 * 1024 * 1024;

/// Parser inputs per `cargo test` run.
const PARSER_CI_CASES: usize = 20_000;

/// Raw streams per `cargo test` run that are also sent to both servers.
const PARSER_CI_WIRE_CASES: usize = 300;

/// Everything the parser made of an input: the requests, then how it ended.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    requests: Vec<Vec<Vec<u8>>>,
    end: End,
}

#[derive(Debug, PartialEq, Eq)]
enum End {
    /// A protocol error, with its text.
    Error(String),
    /// Waiting for more input: the bytes not consumed yet and the parser's state.
    Pending { leftover: Vec<u8>, state: String },
}

/// Feeds `input` to a fresh parser in pieces cut at `cuts` (ascending), parsing after each
/// piece as the server does after each read.
fn run_parser(input: &[u8], cuts: &[usize], max_bulk: usize, unauthenticated: bool) -> Outcome {
    let mut parser = RequestParser::default();
    parser.unauthenticated = unauthenticated;
    let mut buf = BytesMut::new();
    let mut argv = Vec::new();
    let mut requests = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        buf.extend_from_slice(&input[start..cut]);
        start = cut;
        loop {
            let before = buf.len();
            match parser.parse(&mut buf, &mut argv, max_bulk) {
                Ok(Parsed::Command) => {
                    assert!(buf.len() < before, "a request consumed no input: {input:?}");
                    requests.push(argv.iter().map(|a| a.to_vec()).collect());
                }
                Ok(Parsed::NeedMore) => break,
                Err(ProtocolError(text)) => {
                    return Outcome {
                        requests,
                        end: End::Error(String::from_utf8_lossy(&text).into_owned()),
                    }
                }
            }
        }
    }
    Outcome {
        requests,
        end: End::Pending {
            leftover: buf.to_vec(),
            state: format!("{parser:?}"),
        },
    }
}

/// The state string of a parser between requests.
fn idle_state(unauthenticated: bool) -> String {
    let mut parser = RequestParser::default();
    parser.unauthenticated = unauthenticated;
    format!("{parser:?}")
}

/// Every protocol error text Redis 7.0 has (networking.c), as prefixes.
const PROTOCOL_ERRORS: &[&str] = &[
    "Protocol error: invalid multibulk length",
    "Protocol error: invalid bulk length",
    "Protocol error: expected '$', got '",
    "Protocol error: too big mbulk count string",
    "Protocol error: too big bulk count string",
    "Protocol error: too big inline request",
    "Protocol error: unbalanced quotes in request",
    "Protocol error: unauthenticated multibulk length",
    "Protocol error: unauthenticated bulk length",
];

/// Words requests are made of; all harmless to run (the wire comparison runs them).
const REQUEST_WORDS: &[&str] = &[
    "PING", "ECHO", "SET", "GET", "DEL", "EXISTS", "INCR", "APPEND", "STRLEN", "RPUSH", "LRANGE",
    "HSET", "HGET", "k", "v", "0", "-1", "1",
];

/// Awkward bytes for arguments: protocol delimiters, quotes, escapes, NUL.
const AWKWARD: &[&[u8]] = &[
    b"\r\n", b"\r", b"\n", b"\"", b"'", b"\\", b" ", b"\0", b"*", b"$", b"\\x41", b"\xff", b"",
];

fn random_arg(rng: &mut TestRng) -> Vec<u8> {
    match rng.below(10) {
        0..=3 => rng.pick(REQUEST_WORDS).as_bytes().to_vec(),
        4..=5 => rng.pick(AWKWARD).to_vec(),
        6..=8 => (0..rng.below(12)).map(|_| rng.next_u64() as u8).collect(),
        _ => vec![b'a' + rng.below(26) as u8; rng.range(100, 3000) as usize],
    }
}

fn random_request(rng: &mut TestRng) -> Vec<Vec<u8>> {
    let n = if rng.chance(5) { 0 } else { rng.range(1, 5) };
    let mut argv: Vec<Vec<u8>> = (0..n).map(|_| random_arg(rng)).collect();
    if let Some(first) = argv.first_mut() {
        if rng.chance(70) {
            *first = rng.pick(&REQUEST_WORDS[..13]).as_bytes().to_vec();
        }
    }
    argv
}

/// The inline form of `argv`, every argument double-quoted with sdssplitargs escapes.
fn encode_inline(argv: &[Vec<u8>], crlf: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, arg) in argv.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.push(b'"');
        for &b in arg {
            match b {
                b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                0x20..=0x7e => out.push(b),
                _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            }
        }
        out.push(b'"');
    }
    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    out
}

/// A pipeline of 1-5 valid requests, multibulk and inline mixed, and the requests themselves.
fn random_pipeline(rng: &mut TestRng) -> (Vec<u8>, Vec<Vec<Vec<u8>>>) {
    let mut bytes = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..rng.range(1, 5) {
        let argv = random_request(rng);
        if rng.chance(70) {
            let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            bytes.extend_from_slice(&encode(&args));
        } else {
            let crlf = rng.chance(50);
            bytes.extend_from_slice(&encode_inline(&argv, crlf));
        }
        requests.push(argv);
    }
    (bytes, requests)
}

/// Headers and fragments that break requests in interesting ways.
const NASTY: &[&[u8]] = &[
    b"*-1\r\n",
    b"$-1\r\n",
    b"*-2147483649\r\n",
    b"*2147483647\r\n",
    b"*2147483648\r\n",
    b"$2147483648\r\n",
    b"$9223372036854775807\r\n",
    b"$9223372036854775808\r\n",
    b"*99999999999999999999\r\n",
    b"$536870912\r\n",
    b"$536870913\r\n",
    b"*0\r\n",
    b"*\r\n",
    b"$\r\n",
    b"$+1\r\n",
    b"$ 1\r\n",
    b"$-0\r\n",
    b"*1\r\n",
    b"\r",
    b"\n",
    b"\r\r\n",
    b"\n\r",
    b"\"",
    b"'",
    b"\\",
    b"\0",
    b":1\r\n",
    b"+OK\r\n",
];

/// Applies 1-4 random mutations to `input`.
fn mutate(rng: &mut TestRng, input: &mut Vec<u8>) {
    for _ in 0..rng.range(1, 4) {
        let at = rng.below(input.len() + 1);
        match rng.below(9) {
            0 if at < input.len() => input[at] ^= 1 << rng.below(8),
            1 if at < input.len() => input[at] = rng.pick(b"*$\r\n-+:0123456789\"' \\\0x"),
            2 => input.truncate(at),
            3 => {
                let end = (at + rng.below(8)).min(input.len());
                input.drain(at..end);
            }
            4 => {
                let end = (at + rng.below(16)).min(input.len());
                let piece = input[at..end].to_vec();
                input.splice(at..at, piece);
            }
            5 => {
                let junk: Vec<u8> = (0..rng.below(8)).map(|_| rng.next_u64() as u8).collect();
                input.splice(at..at, junk);
            }
            6 | 7 => {
                let nasty = rng.pick(NASTY);
                input.splice(at..at, nasty.iter().copied());
            }
            _ if at < input.len() => {
                // CR/LF games: swap one line end's bytes or drop half of it.
                if let Some(p) = input[at..].iter().position(|&b| b == b'\r') {
                    let p = at + p;
                    if rng.chance(50) && p + 1 < input.len() {
                        input.swap(p, p + 1);
                    } else {
                        input.remove(p);
                    }
                }
            }
            _ => {}
        }
    }
}

/// 1-3 random cut points in `0..=len`, ascending.
fn random_cuts(rng: &mut TestRng, len: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = (0..rng.range(1, 3)).map(|_| rng.below(len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

/// Checks one input: whole and cut into pieces give the same outcome (when no header line is
/// long enough for Redis's own "too big" checks, which depend on how the bytes arrive), and
/// an error is one of Redis's texts. Returns the outcome of the whole input.
fn check_input(rng: &mut TestRng, input: &[u8], max_bulk: usize, unauth: bool) -> Outcome {
    let whole = run_parser(input, &[], max_bulk, unauth);
    if let End::Error(text) = &whole.end {
        assert!(
            PROTOCOL_ERRORS.iter().any(|e| text.starts_with(e)),
            "not a Redis protocol error: {text:?} for {input:?}"
        );
    }
    if input.len() <= PROTO_INLINE_MAX_SIZE {
        let cuts = random_cuts(rng, input.len());
        assert_eq!(
            run_parser(input, &cuts, max_bulk, unauth),
            whole,
            "cut at {cuts:?}: {input:?}"
        );
        if input.len() <= 300 {
            let every: Vec<usize> = (1..input.len()).collect();
            assert_eq!(
                run_parser(input, &every, max_bulk, unauth),
                whole,
                "byte by byte: {input:?}"
            );
        }
    }
    whole
}

/// A valid pipeline followed by a broken request, and the error Redis gives for it.
const BROKEN_TAILS: &[(&[u8], &str)] = &[
    (b"*abc\r\n", "Protocol error: invalid multibulk length"),
    (b"*\r\n", "Protocol error: invalid multibulk length"),
    (
        b"*2147483648\r\n",
        "Protocol error: invalid multibulk length",
    ),
    (
        b"*9223372036854775808\r\n",
        "Protocol error: invalid multibulk length",
    ),
    (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
    (b"*2\r\n$-5\r\n", "Protocol error: invalid bulk length"),
    (b"*1\r\n$\r\n", "Protocol error: invalid bulk length"),
    (b"*1\r\n$1x\r\n", "Protocol error: invalid bulk length"),
    (
        b"*1\r\n$536870913\r\n",
        "Protocol error: invalid bulk length",
    ),
    (
        b"*1\r\n$9223372036854775807\r\n",
        "Protocol error: invalid bulk length",
    ),
    (b"*1\r\n:1\r\n", "Protocol error: expected '$', got ':'"),
    (
        b"*2\r\n$1\r\na\r\n\r\n",
        "Protocol error: expected '$', got '\r'",
    ),
    (
        b"SET k \"abc\r\n",
        "Protocol error: unbalanced quotes in request",
    ),
    (
        b"SET 'k'x v\r\n",
        "Protocol error: unbalanced quotes in request",
    ),
];

#[test]
fn resp_parser_fuzz() {
    let mut rng = TestRng::from_env_or("resp_parser_fuzz", 0x5eed_0001);
    let mut budget = Budget::from_env(PARSER_CI_CASES);
    let mut wire = Wire::start(
        "resp_parser_fuzz",
        budget.deadline.map_or(PARSER_CI_WIRE_CASES, |_| usize::MAX),
    );
    let mut errors = 0usize;
    while budget.next() {
        let (mut input, requests) = random_pipeline(&mut rng);
        match rng.below(4) {
            // A valid pipeline comes back as exactly its requests, in either form.
            0 => {
                let outcome = check_input(&mut rng, &input, MAX_BULK, false);
                let expected = Outcome {
                    requests,
                    end: End::Pending {
                        leftover: vec![],
                        state: idle_state(false),
                    },
                };
                assert_eq!(outcome, expected, "{input:?}");
            }
            // A broken request after valid ones: the valid ones, then Redis's error.
            1 => {
                let (tail, error) = rng.pick(BROKEN_TAILS);
                input.extend_from_slice(tail);
                if rng.chance(50) {
                    input.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
                }
                let outcome = check_input(&mut rng, &input, MAX_BULK, false);
                let expected = Outcome {
                    requests,
                    end: End::Error(error.to_string()),
                };
                assert_eq!(outcome, expected, "{input:?}");
                wire.compare(&input, &outcome);
            }
            // Mutated: anything but a panic, a split-dependent result or a foreign error.
            _ => {
                mutate(&mut rng, &mut input);
                if rng.chance(1) {
                    // A header line longer than any Redis accepts.
                    let at = rng.below(input.len() + 1);
                    input.splice(at..at, vec![b'9'; PROTO_INLINE_MAX_SIZE + 10]);
                }
                let (max_bulk, unauth) = match rng.below(10) {
                    0 => (rng.below(20), false),
                    1 => (MAX_BULK, true),
                    _ => (MAX_BULK, false),
                };
                let outcome = check_input(&mut rng, &input, max_bulk, unauth);
                errors += matches!(outcome.end, End::Error(_)) as usize;
                if max_bulk == MAX_BULK && !unauth {
                    wire.compare(&input, &outcome);
                }
            }
        }
    }
    eprintln!(
        "resp_parser_fuzz: {} inputs ({errors} mutated ones were protocol errors), {} compared \
         on the wire, in {:.1?}",
        budget.steps,
        wire.compared,
        budget.started.elapsed()
    );
    wire.finish();
}

/// How long a server gets to answer (and close) a raw stream before it counts as waiting.
const WIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Raw streams sent to rredis and to a real Redis, whose whole answers (replies, then the
/// close after a protocol error or QUIT) must be the same bytes.
struct Wire {
    servers: Option<(Server, Server)>,
    budget: usize,
    compared: usize,
    /// Inputs on which the servers differed, with both answers.
    differences: Vec<String>,
}

impl Wire {
    fn start(test: &str, budget: usize) -> Wire {
        Wire {
            servers: real_redis(test).map(|real| (Server::start(), real)),
            budget,
            compared: 0,
            differences: Vec::new(),
        }
    }

    /// Sends `input` to both servers if its end is definite: a protocol error closes the
    /// connection; between requests, a QUIT is appended to close it.
    fn compare(&mut self, input: &[u8], outcome: &Outcome) {
        let Some((ours, real)) = &self.servers else {
            return;
        };
        if self.compared >= self.budget {
            return;
        }
        let mut stream = input.to_vec();
        match &outcome.end {
            End::Error(_) => {}
            End::Pending { leftover, state }
                if leftover.is_empty() && *state == idle_state(false) =>
            {
                stream.extend_from_slice(b"*1\r\n$4\r\nQUIT\r\n")
            }
            End::Pending { .. } => return,
        }
        // Inputs of commands that SELECT or block would make the two connections' later
        // behaviour depend on timing; the words these inputs are made of include neither.
        self.compared += 1;
        let answer = |port: u16| {
            let mut raw = Raw::connect(port);
            raw.send(&stream);
            raw.read_until_closed(WIRE_TIMEOUT)
        };
        let (want, got) = (answer(real.port), answer(ours.port));
        // Streams mutated into a command rredis does not have (XDEL from DEL) differ by
        // design; hash-table orders are not compared because HGETALL is not among the words.
        let unknown = |answer: &[u8]| {
            let needle = b"-ERR unknown command";
            answer.windows(needle.len()).filter(|w| w == needle).count()
        };
        if want != got && unknown(&got.0) <= unknown(&want.0) {
            self.differences.push(format!(
                "input {}\n  redis-server: {} (closed: {})\n  rredis:       {} (closed: {})",
                stream.escape_ascii(),
                want.0.escape_ascii(),
                want.1,
                got.0.escape_ascii(),
                got.1
            ));
        }
    }

    fn finish(self) {
        assert!(
            self.differences.is_empty(),
            "{} of {} raw streams got different answers:\n{}",
            self.differences.len(),
            self.compared,
            self.differences.join("\n")
        );
    }
}

// ------------------------------------------------------------------------------------------
// Command dispatch.

/// Random commands per `cargo test` run.
const DISPATCH_CI_STEPS: usize = 20_000;

/// Commands between two checkpoints (the keys of every type are made again, the server must
/// answer PING).
const BATCH: usize = 200;

/// How long a command that may block gets before it is unblocked with CLIENT UNBLOCK.
const BLOCK_GRACE: Duration = Duration::from_millis(30);

/// How long any other reply may take before the server counts as hung.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// Commands never sent: SHUTDOWN ends the test, and after CLIENT REPLY OFF/SKIP the replies
/// no longer pair with the commands.
const EXCLUDED: &[&str] = &["shutdown", "client|reply"];

/// Commands after which the connection is replaced: it may now be in subscriber or monitor
/// mode, where more replies than commands arrive.
const MODE_CHANGING: &[&str] = &[
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
    "monitor",
];

/// Settings CONFIG SET must not touch: they move the server (dir, port, bind), lock the test
/// out (requirepass, maxclients), make every later command fail (maxmemory,
/// proto-max-bulk-len, client-query-buffer-limit) or let SAVE sleep per key.
const CONFIG_DENIED: &[&str] = &[
    "dir",
    "port",
    "bind",
    "logfile",
    "requirepass",
    "maxclients",
    "maxmemory",
    "proto-max-bulk-len",
    "client-query-buffer-limit",
    "rdb-key-save-delay",
    "aclfile",
    "appenddirname",
    "appendfilename",
    "dbfilename",
    "timeout",
    "oom-score-adj",
    "oom-score-adj-values",
    "unixsocket",
    "pidfile",
];

/// The keys [`populate`] makes, one or two per type and encoding.
const KEYS: &[&str] = &[
    "str", "int", "float", "list", "biglist", "hash", "bighash", "set", "intset", "bigset", "zset",
    "bigzset", "ttl", "missing", "{t}dst",
];

/// Numbers at the edges: zero, signs, i64/i32/u64 limits and one past, floats and their
/// spellings.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "-1",
    "-2",
    "5",
    "10",
    "100",
    "1000",
    "65535",
    "-0",
    "+1",
    "01",
    "2147483647",
    "2147483648",
    "-2147483648",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "1e308",
    "-1e308",
    "1e309",
    "0.5",
    "-0.0",
    "1.5e3",
    "0x10",
    " 1",
    "1 ",
    "(1",
    "(5",
    "[a",
    "(a",
    "-",
    "+",
    "[",
    "(",
    "",
];

/// Option words of the commands' grammars.
const WORDS: &[&str] = &[
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "GET",
    "KEEPTTL",
    "PERSIST",
    "WITHSCORES",
    "WITHSCORE",
    "WITHVALUES",
    "LIMIT",
    "BY",
    "BYSCORE",
    "BYLEX",
    "REV",
    "STORE",
    "COUNT",
    "MATCH",
    "TYPE",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "RANK",
    "MAXLEN",
    "MIN",
    "MAX",
    "SUM",
    "WEIGHTS",
    "AGGREGATE",
    "ASC",
    "DESC",
    "ALPHA",
    "REPLACE",
    "ABSTTL",
    "IDLETIME",
    "FREQ",
    "DB",
    "COPY",
    "AUTH",
    "SETNAME",
    "ON",
    "OFF",
    "YES",
    "NO",
    "SKIP",
    "ID",
    "USER",
    "ADDR",
    "LADDR",
    "SKIPME",
    "MAXAGE",
    "NOW",
    "ASYNC",
    "SYNC",
    "LEN",
    "IDX",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "REDIRECT",
    "BCAST",
    "PREFIX",
    "OPTIN",
    "OPTOUT",
    "NOLOOP",
    "WRITE",
    "ALL",
    "TIMEOUT",
    "ERROR",
    "normal",
    "pubsub",
    "replica",
    "master",
    "string",
    "list",
    "hash",
    "set",
    "zset",
    "*",
    "?",
    "[a-z]*",
    "h*llo",
    "\\",
    "[",
    "[^",
    "*[",
    "nosave",
    "default",
    "fuzzer",
    "on",
    "off",
    "nopass",
    "resetpass",
    ">pw",
    "<pw",
    "+@all",
    "-@all",
    "~*",
    "%R~*",
    "&*",
    "allkeys",
    "allchannels",
    "+get",
    "-set",
    "reset",
    "hz",
    "save",
    "appendonly",
    "notify-keyspace-events",
    "KEA",
    "list-max-listpack-size",
    "hash-max-listpack-entries",
    "set-max-intset-entries",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    "slowlog-log-slower-than",
    "latency-tracking",
    "appendfsync",
    "maxmemory-policy",
    "allkeys-lru",
    "client-output-buffer-limit",
    "everysec",
    "always",
];

/// A command as the server's COMMAND describes it.
#[derive(Debug, Clone)]
struct Spec {
    /// `client|kill` for a subcommand.
    name: String,
    /// The words that name it: one, or container and subcommand.
    words: Vec<Vec<u8>>,
    arity: i64,
    blocking: bool,
    first_key: i64,
    last_key: i64,
    step: i64,
}

/// A reply parsed strictly: every length exact, every line end `\r\n`, every number a number.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Vec<u8>),
    Null,
    Array(Vec<Value>),
    Push(Vec<Value>),
    Other,
}

/// Parses one reply from the front of `bytes`; the bytes it used are removed.
fn parse_value(bytes: &mut &[u8]) -> Result<Value, String> {
    let eol = bytes
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or("no line end")?;
    let (line, rest) = (&bytes[..eol], &bytes[eol + 2..]);
    *bytes = rest;
    let (&kind, body) = line.split_first().ok_or("empty line")?;
    if body.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Err(format!("CR or LF inside a {} line", kind as char));
    }
    let int = || -> Result<i64, String> {
        let text = std::str::from_utf8(body).map_err(|_| "non-ASCII number")?;
        if text.starts_with('+') || text.is_empty() {
            return Err(format!("bad number {text:?}"));
        }
        text.parse().map_err(|_| format!("bad number {text:?}"))
    };
    let mut items = |n: i64, per: i64| -> Result<Vec<Value>, String> {
        (0..n.max(0) * per).map(|_| parse_value(bytes)).collect()
    };
    Ok(match kind {
        b'+' => Value::Simple(body.to_vec()),
        b'-' => {
            let code_end = body.iter().position(|&b| b == b' ').unwrap_or(body.len());
            if code_end == 0 || !body[..code_end].iter().all(u8::is_ascii_uppercase) {
                return Err("an error reply must start with an upper-case code".into());
            }
            Value::Error(body.to_vec())
        }
        b':' => Value::Int(int()?),
        b'$' | b'=' | b'!' => match int()? {
            -1 if kind == b'$' => Value::Null,
            n if n >= 0 => {
                let n = n as usize;
                if bytes.len() < n + 2 || &bytes[n..n + 2] != b"\r\n" {
                    return Err(format!("bulk of {n} bytes not followed by CRLF"));
                }
                let payload = bytes[..n].to_vec();
                *bytes = &bytes[n + 2..];
                if kind == b'=' && payload.get(3) != Some(&b':') {
                    return Err("verbatim string without its format".into());
                }
                if kind == b'!' {
                    Value::Error(payload)
                } else {
                    Value::Bulk(payload)
                }
            }
            n => return Err(format!("bad bulk length {n}")),
        },
        b'*' => match int()? {
            -1 => Value::Null,
            n if n >= 0 => Value::Array(items(n, 1)?),
            n => return Err(format!("bad array length {n}")),
        },
        b'~' | b'%' | b'|' | b'>' => {
            let n = int()?;
            if n < 0 {
                return Err(format!("bad aggregate length {n}"));
            }
            let list = items(n, if matches!(kind, b'%' | b'|') { 2 } else { 1 })?;
            match kind {
                b'>' => Value::Push(list),
                // An attribute comes before the reply it describes.
                b'|' => parse_value(bytes)?,
                _ => Value::Array(list),
            }
        }
        b'_' if body.is_empty() => Value::Null,
        b',' => {
            let text = std::str::from_utf8(body).map_err(|_| "non-ASCII double")?;
            if !matches!(text, "inf" | "-inf" | "nan") && text.parse::<f64>().is_err() {
                return Err(format!("bad double {text:?}"));
            }
            Value::Other
        }
        b'#' if body == b"t" || body == b"f" => Value::Other,
        b'(' if !body.is_empty()
            && body
                .iter()
                .enumerate()
                .all(|(i, &b)| b.is_ascii_digit() || (i == 0 && b == b'-')) =>
        {
            Value::Other
        }
        _ => return Err(format!("unknown reply type {:?}", kind as char)),
    })
}

/// Parses a whole reply's bytes strictly; anything left over is an error too.
fn parse_reply(bytes: &[u8]) -> Result<Value, String> {
    let mut rest = bytes;
    let value = parse_value(&mut rest)?;
    if !rest.is_empty() {
        return Err(format!("{} bytes after the reply", rest.len()));
    }
    Ok(value)
}

/// The commands and subcommands in a COMMAND reply.
fn specs_from_command(reply: &Value) -> Vec<Spec> {
    fn walk(entry: &Value, parent: Option<&[u8]>, out: &mut Vec<Spec>) {
        let Value::Array(fields) = entry else { return };
        let (Some(Value::Bulk(name)), Some(Value::Int(arity))) = (fields.first(), fields.get(1))
        else {
            return;
        };
        let int = |i: usize| match fields.get(i) {
            Some(Value::Int(n)) => *n,
            _ => 0,
        };
        let blocking = matches!(fields.get(2), Some(Value::Array(flags))
            if flags.iter().any(|f| matches!(f, Value::Simple(s) if s == b"blocking")));
        let text = String::from_utf8_lossy(name).to_lowercase();
        let words = match (parent, text.split_once('|')) {
            (Some(p), Some((_, sub))) => vec![p.to_vec(), sub.as_bytes().to_vec()],
            _ => vec![name.clone()],
        };
        out.push(Spec {
            name: text,
            words,
            arity: *arity,
            blocking,
            first_key: int(3),
            last_key: int(4),
            step: int(5),
        });
        if let Some(Value::Array(subs)) = fields.get(9) {
            for sub in subs {
                walk(sub, Some(name), out);
            }
        }
    }
    let mut out = Vec::new();
    if let Value::Array(entries) = reply {
        for entry in entries {
            walk(entry, None, &mut out);
        }
    }
    out.retain(|s| !EXCLUDED.contains(&s.name.as_str()));
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Fills db 0 with a key of every type and encoding (small and big collections), replacing
/// what the random commands left there.
fn populate(raw: &mut Raw) {
    let many = |prefix: &str, n: usize| -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    };
    let mut script: Vec<Vec<String>> = vec![
        vec!["SELECT".into(), "0".into()],
        ["DEL"].iter().chain(KEYS).map(|s| s.to_string()).collect(),
        vec!["SET".into(), "str".into(), "hello world".into()],
        vec!["SET".into(), "int".into(), "12345".into()],
        vec!["SET".into(), "float".into(), "3.25".into()],
        vec![
            "SET".into(),
            "ttl".into(),
            "x".into(),
            "EX".into(),
            "1000".into(),
        ],
        vec![
            "RPUSH".into(),
            "list".into(),
            "a".into(),
            "b".into(),
            "1".into(),
            "c".into(),
        ],
        vec![
            "HSET".into(),
            "hash".into(),
            "f".into(),
            "v".into(),
            "n".into(),
            "7".into(),
        ],
        vec![
            "SADD".into(),
            "set".into(),
            "a".into(),
            "b".into(),
            "c".into(),
        ],
        vec![
            "SADD".into(),
            "intset".into(),
            "1".into(),
            "2".into(),
            "-3".into(),
        ],
        vec![
            "ZADD".into(),
            "zset".into(),
            "1".into(),
            "a".into(),
            "2.5".into(),
            "b".into(),
            "-inf".into(),
            "c".into(),
        ],
    ];
    let mut big = |cmd: &str, key: &str, items: Vec<String>| {
        let mut c = vec![cmd.to_string(), key.to_string()];
        c.extend(items);
        script.push(c);
    };
    big("RPUSH", "biglist", many("e", 300));
    big(
        "HSET",
        "bighash",
        many("f", 300)
            .into_iter()
            .flat_map(|f| [f.clone(), f])
            .collect(),
    );
    big("SADD", "bigset", many("m", 300));
    big(
        "ZADD",
        "bigzset",
        (0..300)
            .flat_map(|i| [i.to_string(), format!("z{i}")])
            .collect(),
    );
    for cmd in &script {
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        let reply = raw.try_cmd(&args).expect("populate");
        assert!(
            !reply.starts_with(b"-"),
            "{cmd:?}: {}",
            reply.escape_ascii()
        );
    }
}

/// Draws one argument.
fn random_value(rng: &mut TestRng, payloads: &[Vec<u8>]) -> Vec<u8> {
    match rng.below(20) {
        0..=4 => rng.pick(KEYS).as_bytes().to_vec(),
        5..=9 => rng.pick(NUMBERS).as_bytes().to_vec(),
        10..=14 => rng.pick(WORDS).as_bytes().to_vec(),
        15 => (0..rng.below(10)).map(|_| rng.next_u64() as u8).collect(),
        16 => vec![b'x'; rng.range(100, 5000) as usize],
        17 if !payloads.is_empty() => payloads[rng.below(payloads.len())].clone(),
        _ => rng
            .pick(&["a", "b", "c", "f", "v", "e1", "z1", "m1", "1", "hello"])
            .as_bytes()
            .to_vec(),
    }
}

/// A DUMP payload with a few bytes of its body changed and its checksum made right again, so
/// RESTORE's decoder (not the checksum) meets the damage.
fn mutated_payload(rng: &mut TestRng, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut p = payloads[rng.below(payloads.len())].clone();
    let body = p.len() - 10;
    for _ in 0..rng.range(1, 4) {
        let at = rng.below(body.max(1));
        match rng.below(3) {
            0 => p[at] ^= 1 << rng.below(8),
            1 => p[at] = rng.pick(&[0u8, 1, 0x7f, 0x80, 0xfe, 0xff]),
            _ => p[at] = rng.next_u64() as u8,
        }
    }
    let crc = rredis::persist::crc64::crc64(0, &p[..body + 2]);
    p[body + 2..].copy_from_slice(&crc.to_le_bytes());
    p
}

/// A random argument vector for `spec`: the arity's count most of the time, keys where the
/// key specs say keys go.
fn random_command(rng: &mut TestRng, spec: &Spec, payloads: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let words = spec.words.len() as i64;
    let base = spec.arity.abs().max(words);
    let count = match rng.below(10) {
        0 => rng.range(words, base + 3),
        _ if spec.arity > 0 => spec.arity,
        _ => base + rng.range(0, 4),
    };
    let mut argv = spec.words.clone();
    for i in words..count {
        let is_key = spec.first_key > 0
            && i >= spec.first_key
            && (spec.last_key < 0 || i <= spec.last_key)
            && spec.step > 0
            && (i - spec.first_key) % spec.step == 0;
        let arg = if is_key && rng.chance(80) {
            rng.pick(KEYS).as_bytes().to_vec()
        } else if spec.name == "restore" && i == 3 && !payloads.is_empty() {
            mutated_payload(rng, payloads)
        } else {
            random_value(rng, payloads)
        };
        argv.push(arg);
    }
    sanitize(&spec.name, &mut argv);
    argv
}

/// Keeps a random command from ending the run or starving the machine: CONFIG SET stays off
/// the denied settings, ACL changes leave the default user alone, CLIENT PAUSE is short, and
/// the random-member commands ask for at most 1000 (Redis 7.0 builds a reply of any
/// negative count in memory: -9223372036854775807 takes it down).
fn sanitize(name: &str, argv: &mut [Vec<u8>]) {
    let lower = |a: &[u8]| String::from_utf8_lossy(a).to_lowercase();
    match name {
        "config|set" => {
            for arg in argv.iter_mut().skip(2) {
                if CONFIG_DENIED.contains(&lower(arg).as_str()) {
                    *arg = b"hz".to_vec();
                }
            }
        }
        "acl|setuser" | "acl|deluser" => {
            for arg in argv.iter_mut().skip(2) {
                if lower(arg) == "default" {
                    *arg = b"fuzzer".to_vec();
                }
            }
        }
        "client|pause" => {
            if let Some(ms) = argv.get_mut(2) {
                *ms = b"20".to_vec();
            }
        }
        "srandmember" | "hrandfield" | "zrandmember" => {
            if let Some(count) = argv.get_mut(2) {
                if let Ok(n) = String::from_utf8_lossy(count).trim().parse::<i128>() {
                    *count = (n % 1000).to_string().into_bytes();
                }
            }
        }
        _ => {}
    }
}

/// What became of one command on one server.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Reply(Vec<u8>),
    /// The connection closed (QUIT, CLIENT KILL, an output limit): not a failure by itself.
    Closed,
    /// No reply within [`REPLY_TIMEOUT`].
    Hung,
}

/// One server under fuzz: the connection the random commands go to, and a control
/// connection for CLIENT UNBLOCK and the checkpoints.
struct Side {
    port: u16,
    conn: Raw,
    /// CLIENT ID of `conn`.
    id: Vec<u8>,
    control: Raw,
}

impl Side {
    fn connect(port: u16) -> Option<Side> {
        let control = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        let mut side = Side {
            port,
            conn: Raw::connect(port),
            id: Vec::new(),
            control: Raw::from_stream(control),
        };
        side.reconnect().then_some(side)
    }

    /// Opens a new fuzz connection (and learns its id). False if the server is gone.
    fn reconnect(&mut self) -> bool {
        let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        self.conn = Raw::from_stream(stream);
        match self.conn.try_cmd(&[b"CLIENT", b"ID"]) {
            Ok(reply) => {
                self.id = reply
                    .get(1..reply.len().saturating_sub(2))
                    .unwrap_or_default()
                    .to_vec();
                true
            }
            Err(_) => false,
        }
    }

    /// Runs a command on the control connection, reconnecting it once if it was killed.
    fn control_cmd(&mut self, args: &[&[u8]]) -> Option<Vec<u8>> {
        if let Ok(reply) = self.control.try_cmd(args) {
            return Some(reply);
        }
        let stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        self.control = Raw::from_stream(stream);
        self.control.try_cmd(args).ok()
    }

    /// Sends `argv` and waits for its reply, skipping RESP3 pushes (tracking invalidations)
    /// unless the reply itself is one (`subscribe`'s confirmation in RESP3).
    fn run(&mut self, argv: &[Vec<u8>], blocking: bool, push_reply: bool) -> Answer {
        let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        // `Write` is implemented for `&TcpStream`: the socket `Raw` also reads from.
        let mut sock = self.conn.stream();
        if sock.write_all(&encode(&args)).is_err() {
            return Answer::Closed;
        }
        // Unblock until the reply comes: an UNBLOCK that overtakes the command (a slow
        // machine) finds nothing to unblock, and the command would then wait forever.
        let deadline = Instant::now() + REPLY_TIMEOUT;
        while blocking && !self.reply_within(BLOCK_GRACE) && Instant::now() < deadline {
            let id = self.id.clone();
            self.control_cmd(&[b"CLIENT", b"UNBLOCK", &id]);
        }
        loop {
            match self.conn.try_read_reply() {
                Ok(reply) if reply.starts_with(b">") && !push_reply => continue,
                Ok(reply) => return Answer::Reply(reply),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Answer::Hung
                }
                Err(_) => return Answer::Closed,
            }
        }
    }

    /// True if reply bytes (or the end of the connection) arrive within `grace`: a peek
    /// with a read timeout, so the wait costs no CPU.
    fn reply_within(&mut self, grace: Duration) -> bool {
        if self.conn.has_pending_input() {
            return true;
        }
        let sock = self.conn.stream();
        let _ = sock.set_read_timeout(Some(grace));
        let arrived = sock.peek(&mut [0u8; 1]).is_ok();
        let _ = sock.set_read_timeout(Some(REPLY_TIMEOUT));
        arrived
    }
}

/// "error" or "value": what the reply-type comparison with Redis looks at.
fn answer_kind(answer: &Answer) -> String {
    match answer {
        Answer::Reply(r) if r.starts_with(b"-") || r.starts_with(b"!") => {
            let text = String::from_utf8_lossy(r);
            let code = text[1..].split(' ').next().unwrap_or("").to_string();
            format!("error {code}")
        }
        Answer::Reply(_) => "value".into(),
        Answer::Closed => "closed".into(),
        Answer::Hung => "no reply".into(),
    }
}

/// Renders an argument vector for a report, long arguments shortened.
fn show(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| {
            if a.len() > 40 {
                format!("<{} bytes>", a.len())
            } else {
                format!("\"{}\"", a.escape_ascii())
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn shorten(reply: &Answer) -> String {
    match reply {
        Answer::Reply(r) => {
            let text = r.escape_ascii().to_string();
            if text.len() > 120 {
                format!("{}...", &text[..120])
            } else {
                text
            }
        }
        other => format!("{other:?}"),
    }
}

/// The reply-type differences with Redis, one entry per command and pair of kinds.
#[derive(Default)]
struct Differences {
    /// (command, our kind, Redis's kind) -> (times seen, first example).
    seen: BTreeMap<(String, String, String), (usize, String)>,
}

impl Differences {
    fn note(&mut self, spec: &Spec, argv: &[Vec<u8>], ours: &Answer, real: &Answer) {
        let (ok, rk) = (answer_kind(ours), answer_kind(real));
        if ok == rk || (ok.starts_with("error") && rk.starts_with("error")) {
            return;
        }
        let entry = self
            .seen
            .entry((spec.name.clone(), ok, rk))
            .or_insert_with(|| {
                (
                    0,
                    format!(
                        "{}\n      rredis: {}\n      redis:  {}",
                        show(argv),
                        shorten(ours),
                        shorten(real)
                    ),
                )
            });
        entry.0 += 1;
    }

    fn report(&self) {
        let mut list: Vec<_> = self.seen.iter().collect();
        list.sort_by_key(|entry| std::cmp::Reverse(entry.1 .0));
        eprintln!(
            "command_dispatch_fuzz: {} reply-type differences with redis-server:",
            list.len()
        );
        for ((name, ours, real), (n, example)) in list {
            eprintln!("  {name}: rredis {ours} / redis {real} ({n}x)\n    {example}");
        }
    }
}

#[test]
fn command_dispatch_fuzz() {
    let mut rng = TestRng::from_env_or("command_dispatch_fuzz", 0x5eed_0002);
    let mut budget = Budget::from_env(DISPATCH_CI_STEPS);
    let server = Server::start_with_stderr_log(&[]);
    let real = real_redis("command_dispatch_fuzz (differences with redis-server)");
    let mut ours = Side::connect(server.port).expect("connect to rredis");
    let mut theirs = real.as_ref().and_then(|r| Side::connect(r.port));
    let command = ours.conn.try_cmd(&[b"COMMAND"]).expect("COMMAND");
    let specs = specs_from_command(&parse_reply(&command).expect("COMMAND reply"));
    assert!(
        specs.len() > 200,
        "COMMAND listed only {} commands",
        specs.len()
    );
    let mut payloads = Vec::new();
    let mut differences = Differences::default();
    let mut history: std::collections::VecDeque<String> = Default::default();
    let (mut replies, mut errors, mut reconnects) = (0usize, 0usize, 0usize);
    while budget.next() {
        if (budget.steps - 1) % BATCH == 0 {
            checkpoint(&mut ours, &server, &history);
            populate(&mut ours.control);
            payloads = KEYS
                .iter()
                .filter_map(|k| match ours.control.try_cmd(&[b"DUMP", k.as_bytes()]) {
                    Ok(r) => match parse_reply(&r) {
                        Ok(Value::Bulk(p)) if p.len() > 10 => Some(p),
                        _ => None,
                    },
                    Err(_) => None,
                })
                .collect();
            if let Some(side) = theirs.as_mut() {
                side.control_cmd(&[b"PING"]);
                populate(&mut side.control);
            }
        }
        let spec = &specs[rng.below(specs.len())];
        let argv = random_command(&mut rng, spec, &payloads);
        history.push_back(format!("{}: {}", budget.steps, show(&argv)));
        if history.len() > 20 {
            history.pop_front();
        }
        let mode_changing = MODE_CHANGING.contains(&spec.name.as_str());
        let answer = ours.run(&argv, spec.blocking, mode_changing);
        match &answer {
            Answer::Reply(reply) => {
                replies += 1;
                if let Err(e) = parse_reply(reply) {
                    panic!(
                        "malformed reply ({e}) to {}: {}",
                        show(&argv),
                        reply.escape_ascii()
                    );
                }
                errors += reply.starts_with(b"-") as usize;
            }
            Answer::Hung => panic!(
                "no reply in {REPLY_TIMEOUT:?} to {}\nrecent commands:\n  {}",
                show(&argv),
                history.iter().cloned().collect::<Vec<_>>().join("\n  ")
            ),
            Answer::Closed => {}
        }
        if answer == Answer::Closed || mode_changing {
            reconnects += 1;
            assert!(
                ours.reconnect(),
                "rredis is gone after {}\nrecent commands:\n  {}\nstderr:\n{}",
                show(&argv),
                history.iter().cloned().collect::<Vec<_>>().join("\n  "),
                server.stderr_log()
            );
        }
        if let Some(side) = theirs.as_mut() {
            let real_answer = side.run(&argv, spec.blocking, mode_changing);
            differences.note(spec, &argv, &answer, &real_answer);
            let resync = matches!(real_answer, Answer::Closed | Answer::Hung) || mode_changing;
            if resync && !side.reconnect() {
                eprintln!("command_dispatch_fuzz: redis-server is gone; comparing stops");
                theirs = None;
            }
        }
    }
    checkpoint(&mut ours, &server, &history);
    eprintln!(
        "command_dispatch_fuzz: {} commands ({} distinct) in {:.1?}: {replies} replies, \
         {errors} errors, {reconnects} reconnects",
        budget.steps,
        specs.len(),
        budget.started.elapsed()
    );
    if real.is_some() {
        differences.report();
    }
}

/// The server answers PING on the control connection and has logged no panic.
fn checkpoint(side: &mut Side, server: &Server, history: &std::collections::VecDeque<String>) {
    let pong = side.control_cmd(&[b"PING"]);
    let log = server.stderr_log();
    assert!(
        pong.as_deref() == Some(b"+PONG\r\n") && !log.contains("panicked"),
        "checkpoint failed (PING: {:?})\nrecent commands:\n  {}\nstderr:\n{log}",
        pong.map(|p| p.escape_ascii().to_string()),
        history.iter().cloned().collect::<Vec<_>>().join("\n  ")
    );
}

// ------------------------------------------------------------------------------------------
// The crashers found so far, replayed on every run.

/// Replays tests/fuzz_corpus/*.txt. Each line (blank lines and `#` comments aside) is split
/// like an inline request: `parser "<bytes>"` is a raw input for the request parser (checked
/// in process as the fuzz test checks it, then sent to the server), `command <args>...` is
/// one command sent to the server. After each line the server must still answer PING, and
/// its stderr must show no panic.
#[test]
fn regression_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fuzz_corpus")
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {}", dir.display());
    let server = Server::start_with_stderr_log(&[]);
    let mut rng = TestRng::from_env_or("regression_corpus", 0x5eed_0003);
    let mut cases = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read corpus file");
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = rredis::resp::parser::split_args(line.as_bytes())
                .unwrap_or_else(|| panic!("{}: unbalanced quotes: {line}", file.display()));
            let case = format!("{}: {line}", file.display());
            match words.first().map(Vec::as_slice) {
                Some(b"parser") if words.len() == 2 => {
                    check_input(&mut rng, &words[1], MAX_BULK, false);
                    server.raw().send(&words[1]);
                }
                Some(b"command") if words.len() > 1 => {
                    let args: Vec<&[u8]> = words[1..].iter().map(Vec::as_slice).collect();
                    if let Ok(reply) = server.raw().try_cmd(&args) {
                        if let Err(e) = parse_reply(&reply) {
                            panic!("{case}: malformed reply ({e}): {}", reply.escape_ascii());
                        }
                    }
                }
                _ => panic!("{case}: a line is `parser \"<bytes>\"` or `command <args>...`"),
            }
            let pong = server.raw().try_cmd(&[b"PING"]).ok();
            assert_eq!(pong.as_deref(), Some(&b"+PONG\r\n"[..]), "{case}");
            assert!(
                !server.stderr_log().contains("panicked"),
                "{case}: {}",
                server.stderr_log()
            );
            cases += 1;
        }
    }
    eprintln!(
        "regression_corpus: {cases} cases from {} files",
        files.len()
    );
}
