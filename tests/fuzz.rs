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
const PARSER_CI_CASES: usize = 4000;

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
    "HSET", "HGETALL", "k", "v", "0", "-1", "1",
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
        if want != got {
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
