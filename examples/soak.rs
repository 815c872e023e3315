//! Soak test: a release rredis under mixed load and hostile clients for a set time, then
//! checks that it still answers, that every connection it accepted was freed, and that its
//! memory came back. Run through `scripts/soak [SECONDS]` (which builds both binaries);
//! directly: `soak <path/to/rredis> [SECONDS]`.
//!
//! During the run, all at once:
//! - `redis-benchmark` processes (when installed) with random keys over 100k names, 4 x 25
//!   clients, each cycling through its own group of commands, so every command family's
//!   traffic is mixed in the server's loop;
//! - giant bulk lengths: a bulk over `proto-max-bulk-len`, a 512 MB bulk announced and then
//!   abandoned after 1 MB, a multibulk count of a million with one argument sent;
//! - half-sent commands: 50 connections each holding an unfinished request, replaced one at
//!   a time;
//! - subscribers that never read, with a publisher flooding their channel with 8 KB messages
//!   (the pubsub output limit, 32 MB by default, must disconnect them; new ones replace
//!   them);
//! - connect/disconnect storms: connect and close at once, connect-PING-close, and
//!   half-close after a request;
//! - protocol garbage: random bytes, half of them behind a `*` or `$`.
//!
//! At the end the hostile clients close, the benchmark processes are stopped, and the
//! program waits (up to 30 s each) for CLIENT LIST to be back to its baseline and for no
//! subscriber to be left, then FLUSHALLs (the benchmark's keys are not a leak) and reads RSS
//! once the allocator has had time to return freed pages. It prints baseline/peak/final RSS (VmRSS of /proc/PID/status), client
//! counts and operations, and exits non-zero if the server stopped answering, a client
//! leaked, or final RSS is more than [`RSS_SLACK_KB`] over the baseline.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Final RSS may exceed the baseline by this much (kB) before the run counts as leaking:
/// the allocator keeps some freed pages (jemalloc's retained extents, the grown keyspace
/// table's spare room), which is not a leak; a leaked client buffer or subscriber backlog is
/// megabytes per client and shows far beyond it.
const RSS_SLACK_KB: u64 = 32 * 1024;

/// RSS (kB) at which the run is stopped at once and counted as failed, so a runaway server
/// cannot take the machine's memory: far above what the load needs (the deaf subscribers'
/// 4 x 32 MB output limit, the benchmark's keys).
const RSS_ABORT_KB: u64 = 2 * 1024 * 1024;

/// How long after FLUSHALL the final RSS is read: jemalloc's default decay returns freed
/// dirty pages to the kernel over 10 s.
const ALLOCATOR_DECAY: Duration = Duration::from_secs(15);

/// How long the end-of-run checks wait for clients to be freed.
const SETTLE: Duration = Duration::from_secs(30);

/// Bytes of each flooding PUBLISH.
const PUBLISH_PAYLOAD: usize = 8 * 1024;

/// Counters of what the hostile clients did, printed at the end.
#[derive(Default)]
struct Counters {
    giant_bulks: AtomicU64,
    half_sent: AtomicU64,
    publishes: AtomicU64,
    deaf_subscribers: AtomicU64,
    storm_connections: AtomicU64,
    garbage_connections: AtomicU64,
}

/// A tiny xorshift generator: the soak needs variety, not statistics.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One request in RESP.
fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    rredis::resp::cat_command(&mut out, args);
    out
}

/// A connection that sends commands and reads their replies; enough RESP to read the
/// replies the checks get (simple strings, errors, integers, bulks, flat arrays).
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(port: u16) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    /// Sends one command and returns its reply's bytes.
    fn cmd(&mut self, args: &[&str]) -> std::io::Result<Vec<u8>> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.stream.write_all(&encode(&args))?;
        self.read_reply()
    }

    fn cmd_str(&mut self, args: &[&str]) -> std::io::Result<String> {
        self.cmd(args)
            .map(|r| String::from_utf8_lossy(&r).into_owned())
    }

    /// Reads one whole reply.
    fn read_reply(&mut self) -> std::io::Result<Vec<u8>> {
        loop {
            if let Some(end) = reply_end(&self.buf, 0) {
                return Ok(self.buf.drain(..end).collect());
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Where the reply starting at `at` ends, if it is complete.
fn reply_end(buf: &[u8], at: usize) -> Option<usize> {
    let line_end = at + buf.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
    let header = std::str::from_utf8(buf.get(at + 1..line_end)?).ok()?;
    let after = line_end + 2;
    match buf.get(at)? {
        b'$' => {
            let len: i64 = header.parse().ok()?;
            if len < 0 {
                return Some(after);
            }
            let end = after + len as usize + 2;
            (buf.len() >= end).then_some(end)
        }
        b'*' => {
            let count: i64 = header.parse().ok()?;
            let mut pos = after;
            for _ in 0..count.max(0) {
                pos = reply_end(buf, pos)?;
            }
            Some(pos)
        }
        _ => Some(after),
    }
}

/// VmRSS of `pid` in kB.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Lines of CLIENT LIST.
fn client_count(c: &mut Conn) -> usize {
    c.cmd_str(&["CLIENT", "LIST"])
        .map(|list| list.lines().filter(|l| l.starts_with("id=")).count())
        .unwrap_or(usize::MAX)
}

/// One field of an INFO reply.
fn info_field(c: &mut Conn, section: &str, name: &str) -> u64 {
    let info = c.cmd_str(&["INFO", section]).unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(26379)
}

/// Starts the server and waits until it answers.
fn start_server(binary: &std::path::Path, port: u16, dir: &std::path::Path) -> Option<Child> {
    let log = dir.join("rredis.log");
    let mut child = Command::new(binary)
        .current_dir(dir)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--logfile"])
        .arg(&log)
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(mut c) = Conn::open(port) {
            if c.cmd(&["PING"]).is_ok() {
                return Some(child);
            }
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}

/// Starts the redis-benchmark processes, or none if it is not installed.
fn start_benchmarks(port: u16) -> Vec<Child> {
    let groups = [
        "set,get,incr,mset",
        "lpush,rpush,lpop,rpop,lrange_100",
        "sadd,spop,hset,zadd,zpopmin",
        "ping_inline,ping_mbulk,get",
    ];
    groups
        .iter()
        .filter_map(|tests| {
            Command::new("redis-benchmark")
                .args(["-p", &port.to_string(), "-c", "25", "-n", "200000"])
                .args(["-r", "100000", "-d", "64", "-l", "-q", "-t", tests])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()
        })
        .collect()
}

/// Giant bulk lengths, one connection at a time.
fn giant_bulks(port: u16, stop: &AtomicBool, n: &AtomicU64) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            continue;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        match rng.below(3) {
            0 => {
                let _ = s.write_all(b"*1\r\n$9999999999\r\n");
            }
            1 => {
                let _ = s.write_all(b"*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$536870912\r\n");
                let mb = vec![b'g'; 1024 * 1024];
                let _ = s.write_all(&mb);
            }
            _ => {
                let _ = s.write_all(b"*1048576\r\n$4\r\nPING\r\n");
            }
        }
        let mut sink = [0u8; 256];
        let _ = s.read(&mut sink);
        n.fetch_add(1, Ordering::Relaxed);
        thread::sleep(Duration::from_millis(20));
    }
}

/// Fifty connections holding unfinished requests, replaced one at a time.
fn half_sent(port: u16, stop: &AtomicBool, n: &AtomicU64) {
    let partials: [&[u8]; 4] = [
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc",
        b"*2\r\n$4\r\nECHO\r\n$100",
        b"*5\r\n",
        b"GET half-an-inline-comm",
    ];
    let mut pool: Vec<TcpStream> = Vec::new();
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(partials[i % partials.len()]);
            if pool.len() >= 50 {
                pool.remove(0);
            }
            pool.push(s);
            n.fetch_add(1, Ordering::Relaxed);
        }
        i += 1;
        thread::sleep(Duration::from_millis(50));
    }
}

/// Subscribers that never read, and a publisher flooding their channel; a subscriber the
/// server disconnects is replaced.
fn deaf_subscribers(port: u16, stop: &AtomicBool, published: &AtomicU64, subs: &AtomicU64) {
    let Ok(mut publisher) = Conn::open(port) else {
        return;
    };
    let mut deaf: Vec<TcpStream> = Vec::new();
    let payload = "p".repeat(PUBLISH_PAYLOAD);
    let batch = encode(&[b"PUBLISH", b"soak-flood", payload.as_bytes()]).repeat(64);
    while !stop.load(Ordering::Relaxed) {
        let listening = publisher
            .cmd_str(&["PUBSUB", "NUMSUB", "soak-flood"])
            .ok()
            .and_then(|r| {
                r.lines()
                    .nth(3)
                    .and_then(|v| v.trim_start_matches(':').parse().ok())
            })
            .unwrap_or(0usize);
        // Once the server has dropped any of them, the rest are closed too, and four new
        // ones subscribe when none is left.
        if listening < deaf.len() {
            deaf.clear();
        }
        while deaf.len() < 4 && listening == 0 {
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
                break;
            };
            let _ = s.write_all(&encode(&[b"SUBSCRIBE", b"soak-flood"]));
            deaf.push(s);
            subs.fetch_add(1, Ordering::Relaxed);
        }
        if publisher.stream.write_all(&batch).is_err() {
            return;
        }
        for _ in 0..64 {
            if publisher.read_reply().is_err() {
                return;
            }
        }
        published.fetch_add(64, Ordering::Relaxed);
    }
}

/// Connections opened and closed as fast as possible, three ways.
fn storms(port: u16, stop: &AtomicBool, n: &AtomicU64) {
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            match i % 3 {
                0 => {}
                1 => {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                    let _ = s.write_all(b"PING\r\n");
                    let mut reply = [0u8; 7];
                    let _ = s.read_exact(&mut reply);
                }
                _ => {
                    let _ = s.write_all(b"SET storm x\r\nGET storm\r\n");
                    let _ = s.shutdown(Shutdown::Write);
                }
            }
            n.fetch_add(1, Ordering::Relaxed);
        }
        i += 1;
    }
}

/// Random bytes, some behind a multibulk or bulk marker, then read until the server closes
/// or a second passes.
fn garbage(port: u16, stop: &AtomicBool, n: &AtomicU64) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            continue;
        };
        let len = 1 + rng.below(4096) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        match rng.below(4) {
            0 => bytes.insert(0, b'*'),
            1 => bytes
                .splice(0..0, b"*1\r\n$".iter().copied())
                .for_each(drop),
            _ => {}
        }
        let _ = s.write_all(&bytes);
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut sink = [0u8; 4096];
        while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
        n.fetch_add(1, Ordering::Relaxed);
    }
}

/// Polls `check` every 100 ms until it is true or `SETTLE` passes.
fn wait_until(mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + SETTLE;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(binary) = args.first() else {
        eprintln!("usage: soak <path/to/rredis> [SECONDS]");
        return ExitCode::FAILURE;
    };
    // The server runs in a scratch directory: a relative path would not resolve there.
    let binary = std::fs::canonicalize(binary).unwrap_or_else(|_| binary.into());
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
    let dir = std::env::temp_dir().join(format!("rredis-soak-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err() {
        eprintln!("cannot create {}", dir.display());
        return ExitCode::FAILURE;
    }
    let port = free_port();
    let Some(mut server) = start_server(&binary, port, &dir) else {
        eprintln!("rredis did not start on port {port}");
        return ExitCode::FAILURE;
    };
    let code = soak(server.id(), port, seconds);
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    code
}

/// The run itself, against the server `pid` listening on `port`.
fn soak(pid: u32, port: u16, seconds: u64) -> ExitCode {
    let Ok(mut watch) = Conn::open(port) else {
        eprintln!("cannot connect");
        return ExitCode::FAILURE;
    };
    let baseline_clients = client_count(&mut watch);
    let baseline_rss = rss_kb(pid);
    let ops_before = info_field(&mut watch, "stats", "total_commands_processed");
    println!("soak: rredis pid {pid} port {port}, {seconds} s");

    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(Counters::default());
    let mut benchmarks = start_benchmarks(port);
    if benchmarks.is_empty() {
        println!("note: redis-benchmark not found; no mixed load, hostile clients only");
    }
    let mut workers = Vec::new();
    type Worker = fn(u16, &AtomicBool, &Counters);
    let kinds: [Worker; 5] = [
        |p, s, c| giant_bulks(p, s, &c.giant_bulks),
        |p, s, c| half_sent(p, s, &c.half_sent),
        |p, s, c| deaf_subscribers(p, s, &c.publishes, &c.deaf_subscribers),
        |p, s, c| storms(p, s, &c.storm_connections),
        |p, s, c| garbage(p, s, &c.garbage_connections),
    ];
    for work in kinds {
        let (stop, counters) = (Arc::clone(&stop), Arc::clone(&counters));
        workers.push(thread::spawn(move || work(port, &stop, &counters)));
    }

    let start = Instant::now();
    let mut peak_rss = baseline_rss;
    let mut peak_clients = baseline_clients;
    let mut slowest_ping = Duration::ZERO;
    let mut answering = true;
    while start.elapsed() < Duration::from_secs(seconds) {
        thread::sleep(Duration::from_secs(1));
        peak_rss = peak_rss.max(rss_kb(pid));
        if peak_rss > RSS_ABORT_KB {
            println!("FAIL: RSS passed {} MB; stopping", RSS_ABORT_KB / 1024);
            stop.store(true, Ordering::Relaxed);
            for child in &mut benchmarks {
                let _ = child.kill();
                let _ = child.wait();
            }
            return ExitCode::FAILURE;
        }
        peak_clients = peak_clients.max(client_count(&mut watch));
        let asked = Instant::now();
        answering = watch.cmd(&["PING"]).is_ok_and(|r| r == b"+PONG\r\n");
        slowest_ping = slowest_ping.max(asked.elapsed());
        if !answering {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for child in &mut benchmarks {
        let _ = child.kill();
        let _ = child.wait();
    }
    for worker in workers {
        let _ = worker.join();
    }
    let elapsed = start.elapsed();
    let ops =
        info_field(&mut watch, "stats", "total_commands_processed").saturating_sub(ops_before);
    let connections = info_field(&mut watch, "stats", "total_connections_received");
    let rss_loaded = rss_kb(pid);

    let clients_back = wait_until(|| client_count(&mut watch) == baseline_clients);
    let final_clients = client_count(&mut watch);
    let subscribers_gone = watch
        .cmd_str(&["PUBSUB", "NUMSUB", "soak-flood"])
        .is_ok_and(|r| r.ends_with(":0\r\n"));
    let flushed = watch.cmd(&["FLUSHALL"]).is_ok_and(|r| r == b"+OK\r\n");
    // jemalloc hands freed pages back to the kernel over about ten seconds (its default
    // decay), so the figure is read once that has passed.
    thread::sleep(ALLOCATOR_DECAY);
    let final_rss = rss_kb(pid);
    let rss_settled = final_rss <= baseline_rss + RSS_SLACK_KB;
    answering = answering && watch.cmd(&["PING"]).is_ok_and(|r| r == b"+PONG\r\n");

    let c = &counters;
    let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
    println!("duration:            {:.0} s", elapsed.as_secs_f64());
    println!(
        "commands processed:  {ops} ({:.0}/s)",
        ops as f64 / elapsed.as_secs_f64()
    );
    println!("connections:         {connections} accepted");
    println!(
        "hostile clients:     {} giant bulks, {} half-sent, {} deaf subscribers ({} messages published), {} storm connections, {} garbage connections",
        load(&c.giant_bulks),
        load(&c.half_sent),
        load(&c.deaf_subscribers),
        load(&c.publishes),
        load(&c.storm_connections),
        load(&c.garbage_connections)
    );
    println!(
        "slowest PING:        {:.1} ms",
        slowest_ping.as_secs_f64() * 1e3
    );
    println!("clients:             baseline {baseline_clients}, peak {peak_clients}, final {final_clients}");
    println!(
        "RSS:                 baseline {} MB, peak {} MB, after the load {} MB, final (after FLUSHALL) {} MB",
        baseline_rss / 1024,
        peak_rss / 1024,
        rss_loaded / 1024,
        final_rss / 1024
    );
    let mut ok = true;
    for (good, what) in [
        (answering, "the server stopped answering PING"),
        (
            clients_back,
            "clients leaked: CLIENT LIST did not return to the baseline",
        ),
        (subscribers_gone, "subscribers left on the flood channel"),
        (flushed, "FLUSHALL failed"),
        (rss_settled, "RSS did not come back near the baseline"),
    ] {
        if !good {
            println!("FAIL: {what}");
            ok = false;
        }
    }
    if ok {
        println!("PASS");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
