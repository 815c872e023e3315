//! The eviction benchmark's client (driven by `scripts/evict-hitrate`): how well a server
//! under `maxmemory` keeps the hot part of a data set many times larger than the limit.
//!
//! Against one server (`--port`), already configured with its limit and policy:
//! 1. Fill: SET every key of the key space once (`--keys` × `--value-size` bytes, 1 GB by
//!    default), so the server evicts most of it.
//! 2. Cache: `--ops` operations of the cache-aside pattern: GET a key drawn from a Zipf
//!    distribution over the key space (`--zipf` exponent, fixed `--seed`), and on a miss SET
//!    it, as an application caching a database would. Requests go in pipelined batches
//!    (GETs, then the SETs of that batch's misses).
//! 3. Report one line of `key=value` fields: the hit rate counted here over phase 2, the
//!    server's own keyspace_hits / misses over the same phase, evicted_keys, used_memory,
//!    the RSS now and at its peak (`/proc/<pid>/status` VmRSS / VmHWM, the pid from INFO:
//!    the server must run on this machine), and the time each phase took.
//!
//! Both servers see the same sequence of keys (same seed), so the hit rates compare the
//! servers' eviction, not luck. std only: a raw RESP connection is all this needs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

/// Commands per pipelined batch: large enough that the round trip does not dominate, small
/// enough that the server's buffers for one batch stay a few hundred KB, negligible next to
/// the 100 MB limit.
const BATCH: usize = 256;

/// What the command line sets.
struct Options {
    port: u16,
    keys: u64,
    value_size: usize,
    ops: u64,
    zipf: f64,
    seed: u64,
}

impl Options {
    fn parse() -> Options {
        let mut o = Options {
            port: 6379,
            keys: 1_000_000,
            value_size: 1024,
            ops: 2_000_000,
            zipf: 0.99,
            seed: 42,
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        for pair in args.chunks(2) {
            let (name, value) = match pair {
                [name, value] => (name.as_str(), value.as_str()),
                _ => usage(),
            };
            match name {
                "--port" => o.port = value.parse().unwrap_or_else(|_| usage()),
                "--keys" => o.keys = value.parse().unwrap_or_else(|_| usage()),
                "--value-size" => o.value_size = value.parse().unwrap_or_else(|_| usage()),
                "--ops" => o.ops = value.parse().unwrap_or_else(|_| usage()),
                "--zipf" => o.zipf = value.parse().unwrap_or_else(|_| usage()),
                "--seed" => o.seed = value.parse().unwrap_or_else(|_| usage()),
                _ => usage(),
            }
        }
        o
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: evict_hitrate [--port P] [--keys N] [--value-size BYTES] [--ops N] \
         [--zipf S] [--seed N]"
    );
    std::process::exit(2)
}

/// splitmix64: a small, fast generator with a fixed seed, so every run and both servers
/// draw the same keys.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Zipf over ranks 0..n: the cumulative distribution, searched by bisection. Rank r is
/// mapped to a key by a fixed permutation ([`scatter`]) so the hot keys are spread over the
/// fill order instead of being the first keys written.
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: u64, s: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n as usize);
        let mut sum = 0.0;
        for rank in 1..=n {
            sum += 1.0 / (rank as f64).powf(s);
            cdf.push(sum);
        }
        for p in &mut cdf {
            *p /= sum;
        }
        Zipf { cdf }
    }

    fn sample(&self, rng: &mut Rng) -> u64 {
        let u = rng.next_f64();
        self.cdf.partition_point(|&p| p < u) as u64
    }
}

/// A bijection of 0..n (multiplication by an odd constant modulo the next power of two,
/// cycle-walked back into range).
fn scatter(rank: u64, n: u64) -> u64 {
    let mask = n.next_power_of_two() - 1;
    let mut x = rank;
    loop {
        x = x.wrapping_mul(0x5851_f42d_4c95_7f2d) & mask;
        x ^= x >> 7;
        if x < n {
            return x;
        }
    }
}

/// One connection: commands are written into a buffer and sent together; replies are
/// read back one by one.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    out: Vec<u8>,
}

impl Conn {
    fn connect(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| {
            eprintln!("connect to port {port}: {e}");
            std::process::exit(1)
        });
        let _ = stream.set_nodelay(true);
        let writer = stream.try_clone().expect("clone the socket");
        Conn {
            reader: BufReader::with_capacity(1 << 20, stream),
            writer,
            out: Vec::with_capacity(1 << 20),
        }
    }

    fn push(&mut self, args: &[&[u8]]) {
        rredis::resp::cat_command(&mut self.out, args);
    }

    fn flush(&mut self) {
        self.writer.write_all(&self.out).expect("send");
        self.out.clear();
    }

    /// Reads one reply; returns whether it was a hit (not a null) and fails on an error.
    fn read(&mut self) -> bool {
        let mut line = Vec::new();
        self.reader
            .read_until(b'\n', &mut line)
            .expect("read reply");
        match line.first() {
            Some(b'$') => {
                let len: i64 = std::str::from_utf8(&line[1..line.len() - 2])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .expect("bulk length");
                if len < 0 {
                    return false;
                }
                let mut body = vec![0; len as usize + 2];
                self.reader.read_exact(&mut body).expect("read bulk");
                true
            }
            Some(b'+') | Some(b':') => true,
            _ => panic!("unexpected reply {:?}", String::from_utf8_lossy(&line)),
        }
    }

    /// A command's whole bulk reply as text (INFO).
    fn text(&mut self, args: &[&[u8]]) -> String {
        self.push(args);
        self.flush();
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read");
        let len: usize = std::str::from_utf8(&line[1..line.len() - 2])
            .ok()
            .and_then(|s| s.parse().ok())
            .expect("bulk length");
        let mut body = vec![0; len + 2];
        self.reader.read_exact(&mut body).expect("read bulk");
        String::from_utf8_lossy(&body).into_owned()
    }

    /// An integer reply (DBSIZE).
    fn int(&mut self, args: &[&[u8]]) -> u64 {
        self.push(args);
        self.flush();
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read");
        std::str::from_utf8(&line[1..line.len() - 2])
            .ok()
            .and_then(|s| s.parse().ok())
            .expect("integer reply")
    }

    /// The numeric INFO field `name`.
    fn info(&mut self, name: &str) -> u64 {
        let info = self.text(&[b"INFO", b"everything"]);
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in INFO"))
    }
}

/// A `/proc/<pid>/status` field in bytes (it is given in kB).
fn proc_status(pid: u64, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn key_name(i: u64) -> Vec<u8> {
    format!("key:{i:010}").into_bytes()
}

fn main() {
    let o = Options::parse();
    let mut conn = Conn::connect(o.port);
    let pid = conn.info("process_id");
    let value = vec![b'x'; o.value_size];

    // Phase 1: write the whole key space once.
    let start = Instant::now();
    let mut i = 0;
    while i < o.keys {
        let end = (i + BATCH as u64).min(o.keys);
        for k in i..end {
            conn.push(&[b"SET", &key_name(k), &value]);
        }
        conn.flush();
        for _ in i..end {
            conn.read();
        }
        i = end;
    }
    let fill_secs = start.elapsed().as_secs_f64();

    // Phase 2: cache-aside over a Zipf distribution.
    let zipf = Zipf::new(o.keys, o.zipf);
    let mut rng = Rng(o.seed);
    let hits_before = conn.info("keyspace_hits");
    let misses_before = conn.info("keyspace_misses");
    let start = Instant::now();
    let (mut hits, mut done) = (0u64, 0u64);
    let mut batch = Vec::with_capacity(BATCH);
    while done < o.ops {
        batch.clear();
        let n = (o.ops - done).min(BATCH as u64);
        for _ in 0..n {
            batch.push(key_name(scatter(zipf.sample(&mut rng), o.keys)));
        }
        for k in &batch {
            conn.push(&[b"GET", k]);
        }
        conn.flush();
        let mut misses = Vec::new();
        for k in &batch {
            if conn.read() {
                hits += 1;
            } else {
                misses.push(k);
            }
        }
        for k in &misses {
            conn.push(&[b"SET", k, &value]);
        }
        conn.flush();
        for _ in &misses {
            conn.read();
        }
        done += n;
    }
    let cache_secs = start.elapsed().as_secs_f64();
    let server_hits = conn.info("keyspace_hits") - hits_before;
    let server_misses = conn.info("keyspace_misses") - misses_before;
    println!(
        "hit_rate={:.4} server_hit_rate={:.4} evicted_keys={} keys_left={} used_memory={} \
         rss={} peak_rss={} fill_secs={:.1} cache_secs={:.1}",
        hits as f64 / o.ops as f64,
        server_hits as f64 / (server_hits + server_misses).max(1) as f64,
        conn.info("evicted_keys"),
        conn.int(&[b"DBSIZE"]),
        conn.info("used_memory"),
        proc_status(pid, "VmRSS:"),
        proc_status(pid, "VmHWM:"),
        fill_secs,
        cache_secs,
    );
}
