//! The event loop and the wire protocol, tested over raw TCP with exact bytes: pipelining,
//! requests split at every byte, clients vanishing mid-request, a thousand simultaneous
//! connections, fairness under a flooding client, every protocol error (compared with the
//! real redis-server), large and binary values, signals and start-up options.
//!
//! Only PING, ECHO, SET, GET and INCR are used. Tests that need SET/GET/INCR (which land with
//! `strings.rs`) say so in their doc comment; every other test needs only PING and ECHO.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{encode, ensure_fd_limit, real_redis, wait_child, Raw, Server, TestRng};

/// Generous bound for anything that should be instant; only ever reached on a real failure.
const DEADLINE: Duration = Duration::from_secs(20);

fn bulk(payload: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    out
}

fn int(n: i64) -> Vec<u8> {
    format!(":{n}\r\n").into_bytes()
}

fn show(bytes: &[u8]) -> String {
    let shown: String = bytes.escape_ascii().to_string();
    if shown.len() > 300 {
        format!("{}... ({} bytes)", &shown[..300], bytes.len())
    } else {
        shown
    }
}

/// A value of `len` bytes that contains every byte value, CRLF pairs, NULs and text that
/// looks like RESP headers, so any framing mistake corrupts it visibly.
fn binary_payload(len: usize) -> Vec<u8> {
    let pattern: Vec<u8> = (0..=255u8)
        .chain(*b"\r\n$5\r\n*1\r\n\0\0\r\r\n\n-ERR\r\n")
        .collect();
    pattern.iter().copied().cycle().take(len).collect()
}

/// Sends `request` from a second thread (so a server that answers while we are still
/// sending cannot deadlock the test) and returns the thread.
fn send_in_background(c: &Raw, request: Vec<u8>) -> JoinHandle<std::io::Result<()>> {
    let mut w = c.stream().try_clone().expect("clone");
    std::thread::spawn(move || w.write_all(&request))
}

/// Waits for a [`send_in_background`] thread and checks that everything was sent.
fn sent(writer: JoinHandle<std::io::Result<()>>) {
    writer
        .join()
        .expect("writer thread panicked")
        .expect("sending the request");
}

/// Writes `request` (many pipelined commands) from another thread while reading the replies,
/// which must be exactly `expected`, in order, and nothing more.
fn assert_pipeline_replies(c: &mut Raw, request: Vec<u8>, expected: &[Vec<u8>]) {
    let writer = send_in_background(c, request);
    for (i, want) in expected.iter().enumerate() {
        let got = c
            .try_read_reply()
            .unwrap_or_else(|e| panic!("reply #{i}: {e}"));
        assert_eq!(
            show(&got),
            show(want),
            "reply #{i} of {} differs",
            expected.len()
        );
    }
    sent(writer);
    assert!(!c.has_pending_input(), "more replies than commands");
}

/// 10,000 mixed commands (multibulk and inline) written at once; every reply must come back
/// in order, each exactly as a model of the keyspace predicts.
///
/// Needs SET, GET and INCR.
#[test]
fn pipeline_of_10k_mixed_commands_in_one_write() {
    let srv = Server::start();
    let mut c = srv.raw();
    let mut request = Vec::new();
    let mut expected = Vec::new();
    let mut model: HashMap<String, String> = HashMap::new();
    let mut counter = 0;
    for i in 0..10_000 {
        match i % 5 {
            0 if i % 10 == 0 => {
                request.extend_from_slice(b"PING\r\n");
                expected.push(b"+PONG\r\n".to_vec());
            }
            0 => {
                request.extend(encode(&[b"PING"]));
                expected.push(b"+PONG\r\n".to_vec());
            }
            1 => {
                let msg = format!("echo-{i}");
                request.extend(encode(&[b"ECHO", msg.as_bytes()]));
                expected.push(bulk(msg.as_bytes()));
            }
            2 => {
                let (key, val) = (format!("key:{}", i % 37), format!("value-{i}"));
                request.extend(encode(&[b"SET", key.as_bytes(), val.as_bytes()]));
                expected.push(b"+OK\r\n".to_vec());
                model.insert(key, val);
            }
            3 => {
                let key = format!("key:{}", (i * 7) % 41);
                request.extend(encode(&[b"GET", key.as_bytes()]));
                expected.push(match model.get(&key) {
                    Some(v) => bulk(v.as_bytes()),
                    None => b"$-1\r\n".to_vec(),
                });
            }
            _ => {
                request.extend(encode(&[b"INCR", b"counter"]));
                counter += 1;
                expected.push(int(counter));
            }
        }
    }
    // Reply #i answers command kind i % 5.
    assert_pipeline_replies(&mut c, request, &expected);
    assert_eq!(c.cmd(&["GET", "counter"]), bulk(b"2000"));
}

/// Pipelined requests over a keyspace big enough for the server to prefetch their keys
/// before running them (`client::prefetch_pipelined_keys`, from 8,192 keys): reads, writes,
/// deletes and increments of present and missing keys, interleaved in one write, must all
/// answer exactly as a model of the keyspace predicts, since a prefetch may only be a hint.
///
/// Needs SET, GET, INCR, DEL and DEBUG POPULATE.
#[test]
fn pipeline_over_a_big_keyspace_with_key_prefetch() {
    let srv = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut c = srv.raw();
    const KEYS: u64 = 20_000;
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", &KEYS.to_string()]), b"+OK\r\n");
    let mut model: HashMap<String, String> = (0..KEYS)
        .map(|i| (format!("key:{i}"), format!("value:{i}")))
        .collect();
    let mut request = Vec::new();
    let mut expected = Vec::new();
    let mut rng = TestRng::from_env_or("pipeline_over_a_big_keyspace_with_key_prefetch", 1);
    for i in 0..20_000 {
        let state = rng.next_u64();
        // A quarter of the keys named are missing.
        let key = format!("key:{}", state % (KEYS + KEYS / 3));
        match i % 4 {
            0 | 1 => {
                request.extend(encode(&[b"GET", key.as_bytes()]));
                expected.push(match model.get(&key) {
                    Some(v) => bulk(v.as_bytes()),
                    None => b"$-1\r\n".to_vec(),
                });
            }
            2 if state % 3 == 0 => {
                request.extend(encode(&[b"DEL", key.as_bytes()]));
                expected.push(int(i64::from(model.remove(&key).is_some())));
            }
            2 => {
                let value = format!("v{i}");
                request.extend(encode(&[b"SET", key.as_bytes(), value.as_bytes()]));
                expected.push(b"+OK\r\n".to_vec());
                model.insert(key, value);
            }
            _ => {
                let n = model.get(&key).map(|v| v.parse::<i64>());
                request.extend(encode(&[b"INCR", key.as_bytes()]));
                expected.push(match n {
                    None => int(1),
                    Some(Ok(n)) => int(n + 1),
                    Some(Err(_)) => b"-ERR value is not an integer or out of range\r\n".to_vec(),
                });
                match n {
                    None => model.insert(key, "1".into()),
                    Some(Ok(n)) => model.insert(key, (n + 1).to_string()),
                    Some(Err(_)) => None,
                };
            }
        }
    }
    assert_pipeline_replies(&mut c, request, &expected);
    let dbsize = c.cmd(&["DBSIZE"]);
    assert_eq!(dbsize, int(model.len() as i64));
}

/// Runs of pipelined requests on one big set or hash, in a keyspace big enough for the
/// server to prefetch their members (`client::prefetch_pipelined_keys`): every reply as a
/// model predicts, including runs that end, keys that come back, and members of a set that
/// is converted from an intset mid-run.
///
/// Needs SADD, SISMEMBER, HSET, HGET, DEL and DEBUG POPULATE.
#[test]
fn pipelined_runs_on_one_big_set_or_hash_with_member_prefetch() {
    let srv = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "10000"]), b"+OK\r\n");
    let mut set: std::collections::HashSet<String> = Default::default();
    let mut hash: HashMap<String, String> = HashMap::new();
    let mut request = Vec::new();
    let mut expected = Vec::new();
    let mut rng = TestRng::from_env_or("pipelined_runs_on_one_big_set_or_hash", 2);
    for i in 0..30_000 {
        let state = rng.next_u64();
        // Runs of 1 to 40 requests on one key, switching between the set, the hash and a
        // string key; members are numbers first (an intset), then any text.
        let run = (i / 40 + (state % 2) as usize) % 3;
        let member = if i < 300 {
            format!("{}", state % 500)
        } else {
            format!("m:{}", state % 5000)
        };
        match (run, state % 5) {
            (0, 0) => {
                request.extend(encode(&[b"SISMEMBER", b"bigset", member.as_bytes()]));
                expected.push(int(i64::from(set.contains(&member))));
            }
            (0, _) => {
                request.extend(encode(&[b"SADD", b"bigset", member.as_bytes()]));
                expected.push(int(i64::from(set.insert(member))));
            }
            (1, 0) => {
                request.extend(encode(&[b"HGET", b"bighash", member.as_bytes()]));
                expected.push(match hash.get(&member) {
                    Some(v) => bulk(v.as_bytes()),
                    None => b"$-1\r\n".to_vec(),
                });
            }
            (1, _) => {
                let value = format!("v{i}");
                request.extend(encode(&[
                    b"HSET",
                    b"bighash",
                    member.as_bytes(),
                    value.as_bytes(),
                ]));
                expected.push(int(i64::from(hash.insert(member, value).is_none())));
            }
            _ => {
                request.extend(encode(&[b"GET", b"key:7"]));
                expected.push(bulk(b"value:7"));
            }
        }
    }
    assert_pipeline_replies(&mut c, request, &expected);
    assert_eq!(c.cmd(&["SCARD", "bigset"]), int(set.len() as i64));
    assert_eq!(c.cmd(&["HLEN", "bighash"]), int(hash.len() as i64));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "bigset"]), bulk(b"hashtable"));
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "bighash"]),
        bulk(b"hashtable")
    );
}

/// Requests arrive one byte per write (TCP_NODELAY, so one segment each). After every byte
/// but the last, a round trip on another connection lets the server run a loop turn, and the
/// first connection must not have received anything yet; after the last byte the reply is
/// exact.
#[test]
fn requests_split_into_single_bytes() {
    let srv = Server::start();
    let mut c = srv.raw();
    c.stream().set_nodelay(true).expect("nodelay");
    let mut other = srv.raw();
    let payload = b"a\r\nb\0c$3\r\n";
    let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (encode(&[b"ECHO", payload]), bulk(payload)),
        (b"PING\r\n".to_vec(), b"+PONG\r\n".to_vec()),
        (b"ECHO \"x\\r\\ny\"\n".to_vec(), bulk(b"x\r\ny")),
        (encode(&[b"PING"]), b"+PONG\r\n".to_vec()),
        (encode(&[b"ECHO", b""]), bulk(b"")),
    ];
    for (request, reply) in cases {
        for (i, byte) in request.iter().enumerate() {
            c.send(&[*byte]);
            if i + 1 < request.len() {
                assert_eq!(other.cmd(&["PING"]), b"+PONG\r\n");
                assert!(
                    !c.has_pending_input(),
                    "a reply arrived after only {} of {} bytes of {}",
                    i + 1,
                    request.len(),
                    show(&request)
                );
            }
        }
        assert_eq!(
            show(&c.read_reply()),
            show(&reply),
            "for {}",
            show(&request)
        );
    }
}

/// A 200 KB argument (past the parser's big-argument threshold) trickles in as 1..=997-byte
/// writes, interleaved with another client's commands.
#[test]
fn big_argument_in_many_small_writes() {
    let srv = Server::start();
    let mut c = srv.raw();
    c.stream().set_nodelay(true).expect("nodelay");
    let mut other = srv.raw();
    let payload = binary_payload(200_000);
    let request = encode(&[b"ECHO", &payload]);
    let mut sent = 0;
    let mut step = 1;
    while sent < request.len() {
        let end = (sent + step).min(request.len());
        c.send(&request[sent..end]);
        sent = end;
        step = step % 997 + 13;
        if sent % 7 == 0 {
            assert_eq!(other.cmd(&["ECHO", "x"]), bulk(b"x"));
        }
    }
    assert!(c.read_reply() == bulk(&payload), "200 KB echo corrupted");
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

/// Clients that leave in the middle of a request (in a header, in a bulk, in an inline line,
/// in a huge bulk, after half-closing) or with megabytes of replies unread do not disturb a
/// client whose own request is in progress, and the server keeps accepting.
#[test]
fn client_disconnecting_mid_command_does_not_affect_others() {
    let mut srv = Server::start();
    let mut bystander = srv.raw();
    bystander.send(b"*2\r\n$4\r\nECHO\r\n$5\r\nhel");

    let mut big = b"*2\r\n$4\r\nECHO\r\n$2000000\r\n".to_vec();
    big.extend(binary_payload(1_000_000));
    let partials: Vec<Vec<u8>> = vec![
        b"*2\r\n$4\r\nECHO\r\n$100\r\nhalf of a bulk".to_vec(),
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nhalf".to_vec(),
        b"*2\r\n$4\r\nEC".to_vec(),
        b"*5\r\n".to_vec(),
        b"*1".to_vec(),
        b"*1\r\n$4".to_vec(),
        b"PING".to_vec(),
        b"ECHO \"unterminated".to_vec(),
        big,
    ];
    for (i, partial) in partials.iter().enumerate() {
        let mut c = srv.raw();
        c.send(partial);
        if i % 2 == 0 {
            // Half-close first: the server reads EOF with a request pending.
            c.stream()
                .shutdown(std::net::Shutdown::Write)
                .expect("shutdown");
        }
        drop(c);
    }
    // This one leaves 8 MB of replies unread: the server's writes fail (EPIPE / ECONNRESET).
    {
        let mut c = srv.raw();
        let payload = binary_payload(1 << 20);
        let mut request = Vec::new();
        for _ in 0..8 {
            request.extend(encode(&[b"ECHO", &payload]));
        }
        let writer = send_in_background(&c, request);
        let first = c.read_reply();
        assert!(first == bulk(&payload), "first 1 MB echo corrupted");
        // Leave with replies (and perhaps part of the request) still in flight; the writer
        // thread's send fails or completes, either is fine.
        c.stream()
            .shutdown(std::net::Shutdown::Both)
            .expect("shutdown");
        let _ = writer.join();
    }
    for _ in 0..3 {
        assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
    }
    bystander.send(b"lo\r\n");
    assert_eq!(show(&bystander.read_reply()), show(&bulk(b"hello")));
    assert_eq!(bystander.cmd(&["PING"]), b"+PONG\r\n");
    assert!(
        srv.child().try_wait().expect("try_wait").is_none(),
        "server exited"
    );
}

/// 1,000 connections open at the same time (10 threads x 100), each running a short pipeline
/// of its own; every connection gets its own replies, in order, and stays usable.
#[test]
fn thousand_concurrent_connections() {
    const THREADS: usize = 10;
    const PER_THREAD: usize = 100;
    // 2,000 descriptors here (a `Raw` holds its socket twice: reader and writer), 1,000 in the
    // server (which inherits the limit), plus slack for the other tests of this binary.
    ensure_fd_limit(2500);
    let srv = Server::start();
    let port = srv.port;
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut conns: Vec<Raw> = (0..PER_THREAD).map(|_| Raw::connect(port)).collect();
                // Everyone is connected before anyone sends.
                barrier.wait();
                for (i, c) in conns.iter_mut().enumerate() {
                    let name = format!("conn-{t}-{i}");
                    let mut request = encode(&[b"PING"]);
                    request.extend(encode(&[b"ECHO", name.as_bytes()]));
                    request.extend_from_slice(format!("ECHO {name}-inline\r\n").as_bytes());
                    c.send(&request);
                }
                for (i, c) in conns.iter_mut().enumerate() {
                    let name = format!("conn-{t}-{i}");
                    assert_eq!(c.read_reply(), b"+PONG\r\n");
                    assert_eq!(show(&c.read_reply()), show(&bulk(name.as_bytes())));
                    let inline = format!("{name}-inline");
                    assert_eq!(show(&c.read_reply()), show(&bulk(inline.as_bytes())));
                }
                // Everyone has been served while all 1,000 were connected.
                barrier.wait();
                for (i, c) in conns.iter_mut().enumerate().rev() {
                    let again = format!("again-{t}-{i}");
                    assert_eq!(
                        show(&c.cmd(&["ECHO", &again])),
                        show(&bulk(again.as_bytes()))
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread failed");
    }
    assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
}

/// A client pipelines 100,000 requests whose replies (tens of MB) it never reads. Another
/// client's PINGs must still be answered, while the flood is being sent and afterwards, with
/// the flooder's replies still unread; then the flooder gets every reply, in order.
fn flood_does_not_starve_others(setup: &[&[&str]], flood: &[&[u8]], flood_reply: &[u8]) {
    const FLOOD: usize = 100_000;
    let srv = Server::start();
    let mut admin = srv.raw();
    for cmd in setup {
        assert_eq!(show(&admin.cmd(cmd)), "+OK\\r\\n", "setup {cmd:?}");
    }
    let mut flooder = srv.raw();
    let writer = send_in_background(&flooder, encode(flood).repeat(FLOOD));
    let mut pinger = srv.raw();
    pinger
        .stream()
        .set_read_timeout(Some(DEADLINE))
        .expect("timeout");
    // PING while the flood is being sent and a few times after it was all sent. (Should the
    // server stop reading a client whose replies pile up, the flood never finishes sending;
    // then stop after a bounded number of PINGs rather than hang.)
    let mut pings = 0;
    let mut after_flood_sent = 0;
    while after_flood_sent < 5 && pings < 100_000 {
        if writer.is_finished() {
            after_flood_sent += 1;
        }
        let started = Instant::now();
        let reply = pinger.try_cmd(&[b"PING"]).unwrap_or_else(|e| {
            panic!(
                "PING #{pings} not answered within {DEADLINE:?} while another client floods \
                 ({e})"
            )
        });
        assert_eq!(reply, b"+PONG\r\n");
        assert!(started.elapsed() < DEADLINE);
        pings += 1;
    }
    // Nothing was read from the flooder so far: its replies (far more than the socket
    // buffers hold) were still queued in the server while the PINGs above were answered.
    let total = flood_reply.len() * FLOOD;
    for i in 0..FLOOD {
        let got = flooder
            .try_read_reply()
            .unwrap_or_else(|e| panic!("flood reply #{i}: {e}"));
        assert!(
            got == flood_reply,
            "flood reply #{i} of {FLOOD} ({total} bytes in all) is {}",
            show(&got)
        );
    }
    sent(writer);
    assert!(!flooder.has_pending_input(), "more replies than requests");
    assert_eq!(flooder.cmd(&["PING"]), b"+PONG\r\n");
}

/// Flood of 100k `GET` of a 512-byte value (about 52 MB of replies, never read).
///
/// Needs SET and GET.
#[test]
fn fairness_unread_get_flood_does_not_block_ping() {
    let value = "v".repeat(512);
    flood_does_not_starve_others(
        &[&["SET", "key", &value]],
        &[b"GET", b"key"],
        &bulk(value.as_bytes()),
    );
}

/// The same with `ECHO` of 512 bytes, which runs before the string commands land.
#[test]
fn fairness_unread_echo_flood_does_not_block_ping() {
    let value = [b'e'; 512];
    flood_does_not_starve_others(&[], &[b"ECHO", &value], &bulk(&value));
}

/// Malformed requests: Redis's exact error, then the connection is closed. Each case is
/// checked against the expected bytes, and against the real redis-server when installed.
#[test]
fn protocol_errors_match_redis_and_close_the_connection() {
    let err = |what: &str| format!("-ERR Protocol error: {what}\r\n").into_bytes();
    let cat = |parts: &[&[u8]]| parts.concat();
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        (
            "non-numeric multibulk length",
            b"*x\r\n".to_vec(),
            err("invalid multibulk length"),
        ),
        (
            "multibulk length with junk",
            b"*1a\r\n".to_vec(),
            err("invalid multibulk length"),
        ),
        (
            "empty multibulk length",
            b"*\r\n".to_vec(),
            err("invalid multibulk length"),
        ),
        (
            "multibulk length with a sign",
            b"*+1\r\n$4\r\nPING\r\n".to_vec(),
            err("invalid multibulk length"),
        ),
        (
            "multibulk length over INT_MAX",
            b"*3000000000\r\n".to_vec(),
            err("invalid multibulk length"),
        ),
        (
            "multibulk length with a leading zero",
            b"*01\r\n$4\r\nPING\r\n".to_vec(),
            err("invalid multibulk length"),
        ),
        (
            "bulk length with a leading zero",
            b"*1\r\n$04\r\nPING\r\n".to_vec(),
            err("invalid bulk length"),
        ),
        (
            "$-1 bulk inside a multibulk",
            b"*2\r\n$-1\r\n".to_vec(),
            err("invalid bulk length"),
        ),
        (
            "negative bulk length",
            b"*1\r\n$-5\r\n".to_vec(),
            err("invalid bulk length"),
        ),
        (
            "non-numeric bulk length",
            b"*1\r\n$abc\r\n".to_vec(),
            err("invalid bulk length"),
        ),
        (
            "empty bulk length",
            b"*1\r\n$\r\n".to_vec(),
            err("invalid bulk length"),
        ),
        (
            "bulk length with a blank",
            b"*1\r\n$ 4\r\nPING\r\n".to_vec(),
            err("invalid bulk length"),
        ),
        (
            "bulk length over proto-max-bulk-len",
            b"*1\r\n$600000000\r\n".to_vec(),
            err("invalid bulk length"),
        ),
        (
            "no '$' where a bulk header belongs",
            b"*2\r\n$4\r\nECHO\r\nx\r\n".to_vec(),
            err("expected '$', got 'x'"),
        ),
        (
            "':' where a bulk header belongs",
            b"*1\r\n:1\r\n".to_vec(),
            err("expected '$', got ':'"),
        ),
        (
            // The offending byte is quoted raw, not as UTF-8.
            "non-ASCII byte where a bulk header belongs",
            b"*1\r\n\xffabc\r\n".to_vec(),
            cat(&[b"-ERR Protocol error: expected '$', got '\xff'\r\n"]),
        ),
        (
            // Newlines in an error are replaced by blanks.
            "empty line where a bulk header belongs",
            b"*1\r\n\r\n".to_vec(),
            err("expected '$', got ' '"),
        ),
        (
            "unbalanced double quote inline",
            b"ECHO \"a b\r\n".to_vec(),
            err("unbalanced quotes in request"),
        ),
        (
            "unbalanced single quote inline",
            b"ECHO 'a b\r\n".to_vec(),
            err("unbalanced quotes in request"),
        ),
        (
            "closing quote followed by a character",
            b"ECHO \"a\"b\r\n".to_vec(),
            err("unbalanced quotes in request"),
        ),
        (
            "inline request over 64 KB without a newline",
            vec![b'A'; 64 * 1024 + 1],
            err("too big inline request"),
        ),
        (
            "multibulk count line over 64 KB",
            cat(&[b"*", &[b'1'; 64 * 1024]]),
            err("too big mbulk count string"),
        ),
        (
            "bulk count line over 64 KB",
            cat(&[b"*1\r\n$", &[b'1'; 64 * 1024]]),
            err("too big bulk count string"),
        ),
        (
            // Redis looks for the line end before it checks for '$'.
            "64 KB of non-'$' where a bulk header belongs",
            cat(&[b"*1\r\n", &[b'x'; 64 * 1024 + 1]]),
            err("too big bulk count string"),
        ),
        (
            "error after a good command in the same packet",
            b"*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n*1\r\n$4\r\nPING\r\n".to_vec(),
            cat(&[b"+PONG\r\n", &err("invalid bulk length")]),
        ),
        (
            "error after a good inline command",
            b"PING\r\n*a\r\nPING\r\n".to_vec(),
            cat(&[b"+PONG\r\n", &err("invalid multibulk length")]),
        ),
    ];
    let rredis = Server::start();
    let redis = real_redis("protocol_errors_match_redis (differential half)");
    let mut failures = Vec::new();
    for (name, input, expected) in &cases {
        let mut c = rredis.raw();
        c.send(input);
        let (got, closed) = c.read_until_closed(DEADLINE);
        if got != *expected || !closed {
            failures.push(format!(
                "{name}: sent {}\n    expected {} then close\n    rredis   {} ({})",
                show(input),
                show(expected),
                show(&got),
                if closed { "closed" } else { "NOT closed" }
            ));
        }
        if let Some(redis) = &redis {
            let mut r = redis.raw();
            r.send(input);
            let (want, redis_closed) = r.read_until_closed(DEADLINE);
            assert!(
                want == *expected && redis_closed,
                "test expectation is wrong for {name}: redis-server replied {} ({})",
                show(&want),
                if redis_closed { "closed" } else { "not closed" }
            );
        }
    }
    assert_eq!(rredis.raw().cmd(&["PING"]), b"+PONG\r\n");
    assert!(
        failures.is_empty(),
        "{} protocol error case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Odd but valid input: replies as Redis gives them, and the connection stays open.
#[test]
fn lenient_input_matches_redis_and_keeps_the_connection() {
    let cases: Vec<(&str, &[u8], &[u8])> = vec![
        (
            "negative multibulk count is skipped",
            b"*-5\r\nPING\r\n",
            b"+PONG\r\n",
        ),
        (
            "empty multibulk is skipped",
            b"*0\r\nPING\r\n",
            b"+PONG\r\n",
        ),
        (
            "blank inline lines are skipped",
            b"\r\n\n  \r\nPING\r\n",
            b"+PONG\r\n",
        ),
        (
            "the two bytes after a bulk are not checked",
            b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
            b"+PONG\r\n+PONG\r\n",
        ),
        (
            "inline with bare LF",
            b"ECHO a\nPING\n",
            b"$1\r\na\r\n+PONG\r\n",
        ),
        (
            "inline quoting and escapes",
            b"ECHO \"\\x41\\tb\\\\\" 'c'\r\nECHO 'it\\'s'\r\n",
            b"-ERR wrong number of arguments for 'echo' command\r\n$4\r\nit's\r\n",
        ),
    ];
    let rredis = Server::start();
    let redis = real_redis("lenient_input_matches_redis (differential half)");
    for (name, input, expected) in cases {
        let mut servers = vec![("rredis", &rredis)];
        if let Some(redis) = &redis {
            servers.push(("redis-server", redis));
        }
        for (who, srv) in servers {
            let mut c = srv.raw();
            c.send(input);
            let mut got = Vec::new();
            while got.len() < expected.len() {
                match c.try_read_reply() {
                    Ok(reply) => got.extend(reply),
                    Err(e) => panic!("{who}, {name}: {e} after {}", show(&got)),
                }
            }
            assert_eq!(show(&got), show(expected), "{who}: {name}");
            assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n", "{who}: {name}: still open");
        }
    }
}

/// A 10 MB binary value echoed back intact.
#[test]
fn echo_of_10_mb_binary_value() {
    let srv = Server::start();
    let mut c = srv.raw();
    let value = binary_payload(10 << 20);
    let writer = send_in_background(&c, encode(&[b"ECHO", &value]));
    let got = c.read_reply();
    sent(writer);
    assert!(
        got == bulk(&value),
        "10 MB echo corrupted ({} bytes)",
        got.len()
    );
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

/// A 10 MB value stored and read back; small values made of the bytes that matter to the
/// framing (`\0`, `\r`, `\n`, empty).
///
/// Needs SET and GET.
#[test]
fn set_get_10_mb_and_binary_safe_values() {
    let srv = Server::start();
    let mut c = srv.raw();
    let value = binary_payload(10 << 20);
    let writer = send_in_background(&c, encode(&[b"SET", b"big", &value]));
    assert_eq!(show(&c.read_reply()), "+OK\\r\\n");
    sent(writer);
    let got = c.try_cmd(&[b"GET", b"big"]).expect("GET big");
    assert!(got.starts_with(b"$10485760\r\n"), "GET big: {}", show(&got));
    assert!(
        got == bulk(&value),
        "10 MB GET corrupted ({} bytes)",
        got.len()
    );
    let small: &[&[u8]] = &[
        b"",
        b"\0",
        b"\r\n",
        b"\r",
        b"\n",
        b"a\0b\r\nc",
        b"$3\r\nfoo\r\n",
        b"\xff\xfe\x00\x80",
    ];
    for (i, value) in small.iter().enumerate() {
        let key = format!("k\0\r\n{i}");
        let reply = c.try_cmd(&[b"SET", key.as_bytes(), value]).expect("SET");
        assert_eq!(show(&reply), "+OK\\r\\n");
        let got = c.try_cmd(&[b"GET", key.as_bytes()]).expect("GET");
        assert_eq!(show(&got), show(&bulk(value)), "value #{i}");
    }
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("rredis-reactor-{}-{name}", std::process::id()))
}

/// Sends `signal` to the server; it must log the request and exit with status 0.
fn signal_shuts_down(signal: &str) {
    let log = temp_path(&format!("{signal}.log"));
    let _ = std::fs::remove_file(&log);
    let mut srv = Server::start_with(&["--logfile", log.to_str().expect("utf-8 path")]);
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    let pid = srv.child().id().to_string();
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
    let exit = srv
        .wait_exit(DEADLINE)
        .unwrap_or_else(|| panic!("server still running {DEADLINE:?} after SIG{signal}"));
    assert!(exit.success(), "exit status after SIG{signal}: {exit}");
    assert!(c.is_closed(), "client connection not closed by the exit");
    let text = std::fs::read_to_string(&log).expect("read log file");
    let _ = std::fs::remove_file(&log);
    assert!(
        text.contains(&format!("Received SIG{signal} scheduling shutdown")),
        "log does not report the signal:\n{text}"
    );
}

#[test]
fn sigterm_logs_and_exits_zero() {
    signal_shuts_down("TERM");
}

#[test]
fn sigint_logs_and_exits_zero() {
    signal_shuts_down("INT");
}

/// `--port` alone (with the default bind) serves on 127.0.0.1.
#[test]
fn port_option() {
    let port = common::free_port();
    let srv = Server::start_exact(&["--port", &port.to_string()], "127.0.0.1", port);
    assert_eq!(srv.port, port);
    assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
}

/// A config file sets port, bind and databases; comments, blank lines, upper-case directive
/// names and quoted values are accepted; the command line overrides the file.
#[test]
fn config_file_options_and_command_line_override() {
    let port = common::free_port();
    let conf = temp_path("good.conf");
    std::fs::write(
        &conf,
        format!(
            "# a comment\n\n   \nPORT {port}\nbind \"127.0.0.1\"\ndatabases 4\n\
             loglevel warning\nport 1\n# the last one wins\nport {port}\n"
        ),
    )
    .expect("write config");
    let path = conf.to_str().expect("utf-8 path").to_string();
    {
        let srv = Server::start_exact(&[&path], "127.0.0.1", port);
        let mut c = srv.raw();
        assert_eq!(c.cmd(&["SELECT", "3"]), b"+OK\r\n");
        assert_eq!(
            c.cmd(&["SELECT", "4"]),
            b"-ERR DB index is out of range\r\n"
        );
    }
    let other = common::free_port();
    let srv = Server::start_exact(
        &[&path, "--port", &other.to_string(), "--databases", "6"],
        "127.0.0.1",
        other,
    );
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["SELECT", "5"]), b"+OK\r\n");
    assert_eq!(
        c.cmd(&["SELECT", "6"]),
        b"-ERR DB index is out of range\r\n"
    );
    let _ = std::fs::remove_file(&conf);
}

/// `--bind 127.0.0.2` listens there and only there.
#[test]
fn bind_option_limits_the_listening_address() {
    let port = common::free_port();
    let srv = Server::start_exact(
        &["--port", &port.to_string(), "--bind", "127.0.0.2"],
        "127.0.0.2",
        port,
    );
    assert_eq!(srv.raw_at("127.0.0.2").cmd(&["PING"]), b"+PONG\r\n");
    let refused = TcpStream::connect(("127.0.0.1", port));
    assert!(
        refused.is_err(),
        "127.0.0.1:{port} accepted a connection though only 127.0.0.2 is bound"
    );
}

/// Runs a server binary that is expected to refuse to start; returns (exit status, stderr).
fn run_expecting_exit(program: &str, args: &[&str]) -> (std::process::ExitStatus, String) {
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let Some(status) = wait_child(&mut child, DEADLINE) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{program} {args:?} kept running; it should have refused to start");
    };
    (status, reader.join().expect("stderr reader"))
}

/// A config file with an unknown directive: non-zero exit, and the error names the line and
/// repeats it, as redis-server does (compared with it when installed).
#[test]
fn config_file_with_unknown_directive_is_fatal() {
    let conf = temp_path("bad.conf");
    let port = common::free_port();
    std::fs::write(
        &conf,
        format!("port {port}\n# fine so far\nfrobnicate yes\n"),
    )
    .expect("write config");
    let path = conf.to_str().expect("utf-8 path");
    let (status, text) = run_expecting_exit(env!("CARGO_BIN_EXE_rredis"), &[path]);
    assert!(!status.success(), "rredis accepted a bad config file");
    let details = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("*** FATAL CONFIG FILE ERROR"))
            .map(String::from)
            .collect()
    };
    let expected = [
        "Reading the configuration file, at line 3",
        ">>> 'frobnicate yes'",
        "Bad directive or wrong number of arguments",
    ];
    assert_eq!(details(&text), expected, "rredis stderr:\n{text}");
    assert!(text.contains("*** FATAL CONFIG FILE ERROR"), "{text}");
    if common::have_tool(
        "redis-server",
        "config_file_with_unknown_directive (differential)",
    ) {
        let (status, redis_text) = run_expecting_exit("redis-server", &[path]);
        assert!(!status.success());
        assert_eq!(
            details(&redis_text),
            expected,
            "redis-server stderr:\n{redis_text}"
        );
    }
    let _ = std::fs::remove_file(&conf);
}

/// Bad start-up options and a missing config file: non-zero exit, no listening.
#[test]
fn bad_start_up_options_are_fatal() {
    let missing = temp_path("does-not-exist.conf");
    let port = common::free_port().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["--port", "70000"],
        vec!["--port", "abc"],
        vec!["--port", &port, "--no-such-option", "1"],
        vec!["--port", &port, "--databases", "0"],
        vec![missing.to_str().expect("utf-8 path"), "--port", &port],
    ];
    for args in cases {
        let (status, text) = run_expecting_exit(env!("CARGO_BIN_EXE_rredis"), &args);
        assert!(!status.success(), "rredis started with {args:?}");
        assert!(!text.trim().is_empty(), "no error message for {args:?}");
    }
}

/// `tcp-keepalive N` arms the kernel's keepalive timer on client sockets (seen by `ss` as
/// `timer:(keepalive,...)` on the server's side of the connection); 0 leaves it off.
#[test]
fn tcp_keepalive_arms_the_socket_timer() {
    let ss = |port: u16| -> Option<String> {
        let out = std::process::Command::new("ss")
            .args([
                "-tno",
                "state",
                "established",
                &format!("( sport = :{port} )"),
            ])
            .output()
            .ok()?;
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    if ss(1).is_none() {
        eprintln!("\n*** SKIPPING tcp_keepalive_arms_the_socket_timer: `ss` (iproute2) not installed ***\n");
        return;
    }
    for (setting, armed) in [("60", true), ("0", false)] {
        let srv = Server::start_with(&["--tcp-keepalive", setting]);
        let mut c = srv.raw();
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
        let table = ss(srv.port).unwrap_or_default();
        assert_eq!(
            table.contains("timer:(keepalive"),
            armed,
            "tcp-keepalive {setting}: {table}"
        );
    }
}

/// A client that sends a request and closes its side at once (data and FIN in one readiness
/// edge) must still be noticed and freed: no later event will announce the EOF.
#[test]
fn request_followed_by_immediate_close_frees_the_client() {
    use std::io::Write;
    let srv = Server::start();
    let mut watcher = srv.raw();
    for _ in 0..20 {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
        s.write_all(b"SET k v\r\nGET k\r\n").expect("send");
        s.shutdown(std::net::Shutdown::Write).expect("shutdown");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let list = watcher.cmd_str(&["CLIENT", "LIST"]);
        if list.lines().filter(|l| l.contains("id=")).count() == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "half-closed clients were never freed: {list}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The server's CPU time so far (user + system, in clock ticks), from /proc.
fn cpu_ticks(server: &mut Server) -> u64 {
    let pid = server.child().id();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // Fields after the command name (which is in parentheses and may hold spaces):
    // state is field 3, utime field 14, stime field 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<u64>().ok());
    ticks(14).unwrap_or(0) + ticks(15).unwrap_or(0)
}

/// After a stream of back-to-back requests (which makes the loop busy-poll between them),
/// a server that goes quiet sleeps again instead of spinning: over one idle second it uses
/// a small fraction of a second of CPU (a loop that kept polling would use the whole second).
#[test]
fn busy_polling_stops_when_clients_go_quiet() {
    let mut server = Server::start();
    let mut c = server.raw();
    for _ in 0..5_000 {
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    }
    let before = cpu_ticks(&mut server);
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(&mut server) - before;
    // Clock ticks are 10 ms: a few for the cron ticks and scheduling noise, not ~100.
    assert!(
        used < 20,
        "the idle server used {used} ticks of CPU in one second"
    );
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}
