//! Shared integration-test support: start the real `rredis` binary (and, for differential
//! tests, a real `redis-server`) on a free port, and talk to it through the `redis` crate or
//! a raw TCP connection that returns each reply's exact bytes.
#![allow(dead_code)] // each test binary uses a different subset of these helpers

pub mod aof;
pub mod scenario;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a server may take to start accepting connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A port nothing listens on right now. Ports come from below Linux's ephemeral range
/// (32768+), so the tests' own outgoing connections can never be holding one; each test
/// process starts at its own offset and counts up, so parallel tests do not pick the same one.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20_000 + (std::process::id().wrapping_mul(997).wrapping_add(n) % 12_000) as u16;
        // Both families: a server binds `::1` too by default, and a taken optional address
        // that exists on the host is fatal at start-up (as in Redis).
        let v6_free =
            TcpListener::bind(("::1", port)).is_ok() || TcpListener::bind(("::1", 0)).is_err(); // no IPv6 loopback on this host
        if TcpListener::bind(("127.0.0.1", port)).is_ok() && v6_free {
            return port;
        }
    }
}

/// True if a server at `host:port` replies to an inline PING (any reply line will do: a
/// server started with `requirepass` answers `-NOAUTH`).
fn answers(host: &str, port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((host, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reply = [0u8; 1];
    stream.write_all(b"PING\r\n").is_ok() && matches!(stream.read(&mut reply), Ok(1))
}

/// Start-up attempts before giving up: a port found free can still be taken by another
/// process before the server binds it, in which case the server exits and we try another.
const START_ATTEMPTS: usize = 5;

/// A server process that is killed when the value is dropped.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Starts rredis with extra command-line arguments. Snapshots are off (`--save ""`, as for
    /// [`real_redis`]) so that no test writes a dump.rdb into the working directory at
    /// shutdown; a test that wants save points passes `--save` (the points then add up from
    /// none) and its own `--dir`.
    pub fn start_with(args: &[&str]) -> Server {
        Server::spawn_on_free_port(|port| {
            rredis_command(port, args)
                .stderr(Stdio::inherit())
                .spawn()
                .expect("spawn rredis")
        })
    }

    /// Like [`Server::start_with`], with the server's stderr (where a panic's message goes,
    /// including one in a forked child) written to [`Server::stderr_log`] instead of the
    /// test's own stderr, so a test can look for "panicked" in it.
    pub fn start_with_stderr_log(args: &[&str]) -> Server {
        Server::spawn_on_free_port(|port| {
            // After rredis_command, which empties the scratch directory.
            let mut command = rredis_command(port, args);
            let log = std::fs::File::create(scratch_path(port).join(STDERR_LOG))
                .expect("create the server's stderr log");
            command.stderr(log).spawn().expect("spawn rredis")
        })
    }

    /// What a server started by [`Server::start_with_stderr_log`] has written to stderr.
    pub fn stderr_log(&self) -> String {
        std::fs::read_to_string(scratch_path(self.port).join(STDERR_LOG)).unwrap_or_default()
    }

    /// Runs `spawn` with a free port until the server it starts is listening there.
    fn spawn_on_free_port(spawn: impl Fn(u16) -> Child) -> Server {
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            if let Some(server) = Server::wait_ready_on(spawn(port), "127.0.0.1", port) {
                return server;
            }
        }
        panic!("server did not start after {START_ATTEMPTS} attempts");
    }

    /// Starts rredis with default settings.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// A `redis` crate connection.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .and_then(|c| c.get_connection())
            .expect("connect with the redis crate")
    }

    /// A raw TCP connection.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// The process, for tests that signal or wait for it.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(scratch_path(self.port));
    }
}

/// The file in a server's scratch directory that [`Server::start_with_stderr_log`] sends its
/// stderr to.
const STDERR_LOG: &str = "stderr.log";

/// The rredis binary on `port` in its own scratch directory, logging warnings only, without
/// save points (`--save ""`), then `args`; stdout discarded.
fn rredis_command(port: u16, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rredis"));
    command
        .current_dir(scratch_dir(port))
        .args(["--port", &port.to_string(), "--loglevel", "warning"])
        .args(["--save", ""])
        .args(args)
        .stdout(Stdio::null());
    command
}

/// The working directory of the server on `port`: its own empty directory, so whatever a
/// server writes there (a dump.rdb, an AOF directory) never lands in the repository, where
/// every later server would load it at start-up.
fn scratch_path(port: u16) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("rredis-test-{}-{port}", std::process::id()))
}

/// Creates (empty) and returns [`scratch_path`]`(port)`.
fn scratch_dir(port: u16) -> std::path::PathBuf {
    let dir = scratch_path(port);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the server's scratch directory");
    dir
}

/// True when tests that need redis-server / redis-cli must run (CI sets it).
pub fn redis_required() -> bool {
    std::env::var("RREDIS_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

/// True if `tool` is on PATH. When it is missing: panics if `RREDIS_REQUIRE_REDIS=1`, otherwise
/// prints a loud skip notice and returns false.
pub fn have_tool(tool: &str, test: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            !redis_required(),
            "{tool} is required (RREDIS_REQUIRE_REDIS=1) but not installed"
        );
        eprintln!("\n*** SKIPPING {test}: {tool} not installed (apt-get install redis-server redis-tools) ***\n");
    }
    found
}

/// Starts the real redis-server 7.0 on a free port with persistence off, or `None` (after a
/// loud notice) when it is not installed and not required.
pub fn real_redis(test: &str) -> Option<Server> {
    real_redis_with(test, &[])
}

/// [`real_redis`] with extra command-line arguments (`--dir`, `--save "1 1"`: save points add
/// up from none; `--aclfile`, `--requirepass` ...).
pub fn real_redis_with(test: &str, args: &[&str]) -> Option<Server> {
    if !have_tool("redis-server", test) {
        return None;
    }
    Some(Server::spawn_on_free_port(|port| {
        Command::new("redis-server")
            .current_dir(scratch_dir(port))
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--loglevel", "warning"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn redis-server")
    }))
}

/// Starts `program` (rredis's binary, or `redis-server`) with `config_file` as its first
/// argument, where redis-server requires it, then a free `--port` and `args`. The file's
/// save points stay (a test that checks them needs them), harmless for tests that change no
/// keys: the process is killed, which saves nothing.
pub fn start_with_config_file(
    program: &str,
    config_file: &std::path::Path,
    args: &[&str],
) -> Server {
    Server::spawn_on_free_port(|port| {
        Command::new(program)
            .current_dir(scratch_dir(port))
            .arg(config_file)
            .args(["--port", &port.to_string(), "--loglevel", "warning"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"))
    })
}

/// A raw connection that sends bytes and reads whole RESP replies, byte for byte.
pub struct Raw {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        Raw::from_stream(TcpStream::connect(("127.0.0.1", port)).expect("connect"))
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("send");
    }

    /// Sends one command in multibulk form.
    pub fn send_cmd(&mut self, args: &[&[u8]]) {
        self.send(&encode(args));
    }

    /// Sends a command and returns its reply's raw bytes.
    pub fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send_cmd(&args);
        self.read_reply()
    }

    /// Sends a command and returns its reply as text (lossy), for readable assertions.
    pub fn cmd_str(&mut self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.cmd(args)).into_owned()
    }

    /// Reads exactly one complete reply (nested aggregates included) and returns its bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        read_resp(&mut self.reader, &mut out).expect("read reply");
        out
    }

    /// True once the server has closed the connection (reads EOF).
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.reader.read(&mut byte), Ok(0))
    }
}

/// Encodes a command in multibulk form.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    rredis::resp::cat_command(&mut out, args);
    out
}

/// Differential check: runs `script` on a fresh rredis and on the real redis-server and
/// asserts that every reply is byte-for-byte the same. Skips loudly (see [`real_redis`]) when
/// redis-server is missing. Scripts must be deterministic: no TTL readings, no ordering of
/// several keys from KEYS/SCAN, no random picks among several keys.
pub fn assert_same_replies(test: &str, script: &[&[&str]]) {
    let Some(real_server) = real_redis(test) else {
        return;
    };
    let our_server = Server::start();
    let (mut ours, mut real) = (our_server.raw(), real_server.raw());
    for args in script {
        let expected = String::from_utf8_lossy(&real.cmd(args)).into_owned();
        let got = String::from_utf8_lossy(&ours.cmd(args)).into_owned();
        assert_eq!(
            got, expected,
            "reply to {args:?} differs from redis-server's"
        );
    }
}
impl Server {
    /// Starts rredis with exactly `args` in the working directory `cwd` (which the caller
    /// owns) and waits until it accepts connections on `port`.
    pub fn start_exact_in(cwd: &std::path::Path, args: &[&str], port: u16) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_rredis"))
            .current_dir(cwd)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn rredis");
        Server::wait_ready_on(child, "127.0.0.1", port)
            .unwrap_or_else(|| panic!("server exited during start-up on port {port}"))
    }

    /// Starts rredis with exactly `args` (no `--port` added: the caller chooses how the port
    /// is given, e.g. in a config file) and waits until `host:port` accepts connections.
    pub fn start_exact(args: &[&str], host: &str, port: u16) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_rredis"))
            .current_dir(scratch_dir(port))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn rredis");
        Server::wait_ready_on(child, host, port)
            .unwrap_or_else(|| panic!("server exited during start-up on {host}:{port}"))
    }

    /// Polls until the server at `host:port` answers a request. `None` if the process exits
    /// first (its port was taken); panics if it neither answers nor exits in time. A reply,
    /// not just a completed connect, is the signal: the kernel completes handshakes as soon
    /// as the first address is bound, before a later bind may still fail and end the process.
    fn wait_ready_on(mut child: Child, host: &str, port: u16) -> Option<Server> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return None;
            }
            if answers(host, port) {
                return Some(Server { child, port });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        panic!("server did not start listening on {host}:{port}");
    }

    /// A raw connection to another address of the server (for `--bind` tests).
    pub fn raw_at(&self, host: &str) -> Raw {
        Raw::from_stream(TcpStream::connect((host, self.port)).expect("connect"))
    }

    /// Waits (polling, up to `timeout`) for the process to exit and returns its status, or
    /// `None` if it is still running at the deadline.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        wait_child(&mut self.child, timeout)
    }
}

impl Server {
    /// Starts `program` (the rredis binary or `redis-server`) on a free port, persistence off,
    /// through `sh -c 'ulimit -n NOFILE; exec ...'`: the process starts with at most
    /// `nofile` open files, soft and hard limit alike (an unprivileged process cannot raise
    /// them again). `args` are passed on unquoted, so they must not contain blanks.
    pub fn start_with_nofile(program: &str, nofile: u64, args: &[&str]) -> Server {
        Server::spawn_on_free_port(|port| {
            let script = format!(
                "ulimit -n {nofile} && exec {program} --port {port} --save '' {}",
                args.join(" ")
            );
            Command::new("sh")
                .current_dir(scratch_dir(port))
                .args(["-c", &script])
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("spawn sh")
        })
    }

    /// The process id (to read its /proc entries).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Polls `child` until it exits or `timeout` passes.
pub fn wait_child(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Raw {
    /// Wraps an already connected stream (10 s read timeout, like [`Raw::connect`]).
    pub fn from_stream(stream: TcpStream) -> Raw {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let writer = stream.try_clone().expect("clone");
        Raw {
            reader: BufReader::new(stream),
            writer,
        }
    }

    /// The underlying socket (timeouts, `TCP_NODELAY`, shutdown, a second handle for a
    /// writer thread). Writes through it bypass nothing: `Raw` does not buffer writes.
    pub fn stream(&self) -> &TcpStream {
        &self.writer
    }

    /// Sends a command given as byte strings and reads its reply, reporting a closed
    /// connection, a timeout or malformed reply as an error instead of panicking.
    pub fn try_cmd(&mut self, args: &[&[u8]]) -> std::io::Result<Vec<u8>> {
        self.writer.write_all(&encode(args))?;
        self.try_read_reply()
    }

    /// Like [`Raw::read_reply`], but returns an error instead of panicking.
    pub fn try_read_reply(&mut self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        read_resp(&mut self.reader, &mut out)?;
        Ok(out)
    }

    /// Reads everything until the server closes the connection (EOF or reset) or `timeout`
    /// passes. Returns the bytes and whether the connection was seen closed.
    pub fn read_until_closed(&mut self, timeout: Duration) -> (Vec<u8>, bool) {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (out, false);
            }
            let _ = self.reader.get_ref().set_read_timeout(Some(left));
            match self.reader.read(&mut chunk) {
                Ok(0) => return (out, true),
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return (out, false)
                }
                // ECONNRESET and friends: the server closed with our data unread.
                Err(_) => return (out, true),
            }
        }
    }

    /// True if reply bytes are waiting to be read right now (does not block, consumes
    /// nothing).
    pub fn has_pending_input(&mut self) -> bool {
        if !self.reader.buffer().is_empty() {
            return true;
        }
        let sock = self.reader.get_ref();
        sock.set_nonblocking(true).expect("nonblocking");
        let mut byte = [0u8; 1];
        let pending = matches!(sock.peek(&mut byte), Ok(n) if n > 0);
        sock.set_nonblocking(false).expect("blocking");
        pending
    }
}

/// Reads one complete RESP reply (nested aggregates included) from `reader`, appending its
/// exact bytes to `out`. EOF, a timeout or a malformed header is an error.
pub fn read_resp(reader: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\r\n") {
        let what = if line.is_empty() {
            "connection closed".to_string()
        } else {
            format!(
                "connection closed mid-line: {:?}",
                line.escape_ascii().to_string()
            )
        };
        return Err(Error::new(ErrorKind::UnexpectedEof, what));
    }
    out.extend_from_slice(&line);
    let body = &line[..line.len() - 2];
    let Some((&kind, rest)) = body.split_first() else {
        return Err(Error::new(ErrorKind::InvalidData, "empty reply line"));
    };
    let len = || -> std::io::Result<i64> {
        std::str::from_utf8(rest)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::new(ErrorKind::InvalidData, "bad length in reply header"))
    };
    match kind {
        b'$' | b'=' | b'!' => {
            let n = len()?;
            if n >= 0 {
                let start = out.len();
                out.resize(start + n as usize + 2, 0);
                reader.read_exact(&mut out[start..])?;
            }
        }
        b'*' | b'~' | b'>' => {
            for _ in 0..len()?.max(0) {
                read_resp(reader, out)?;
            }
        }
        b'%' | b'|' => {
            for _ in 0..2 * len()?.max(0) {
                read_resp(reader, out)?;
            }
        }
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {}
        _ => return Err(Error::new(ErrorKind::InvalidData, "unknown reply type")),
    }
    Ok(())
}

/// Makes sure this process may open at least `want` file descriptors, raising the soft
/// RLIMIT_NOFILE with `prlimit` (util-linux) if needed. Servers spawned afterwards inherit the
/// limit. Panics with an explanation if the limit cannot be raised.
pub fn ensure_fd_limit(want: u64) {
    fn current() -> Option<(u64, u64)> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        let mut fields = line["Max open files".len()..].split_whitespace();
        let parse = |f: Option<&str>| match f? {
            "unlimited" => Some(u64::MAX),
            n => n.parse().ok(),
        };
        Some((parse(fields.next())?, parse(fields.next())?))
    }
    let Some((soft, hard)) = current() else {
        eprintln!("note: cannot read /proc/self/limits; assuming the fd limit suffices");
        return;
    };
    if soft >= want {
        return;
    }
    // `soft:` raises only the soft limit; past the hard limit both must move (root only).
    let spec = if hard >= want {
        format!("--nofile={want}:")
    } else {
        format!("--nofile={want}:{want}")
    };
    let _ = Command::new("prlimit")
        .args(["--pid", &std::process::id().to_string(), &spec])
        .status();
    let (soft, _) = current().unwrap_or((0, 0));
    assert!(
        soft >= want,
        "this test needs {want} open files but RLIMIT_NOFILE is {soft} and prlimit could not \
         raise it; run `ulimit -n {want}` first"
    );
}

/// How [`Twin::run`] compares the two replies to one command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Byte for byte.
    Exact,
    /// An aggregate listed in hash-table order (HGETALL, SMEMBERS of a hashtable...): its
    /// elements are compared as a multiset of groups of `n` consecutive elements (2 keeps
    /// HGETALL's field/value pairs together). Any other reply is compared exactly.
    Unordered(usize),
    /// A `[cursor, elements]` scan reply: the cursor exactly, the elements as
    /// `Unordered(n)`.
    Scan(usize),
    /// A random pick (SRANDMEMBER, HRANDFIELD): only the reply's type, nullness and element
    /// count must agree.
    Shape,
}

/// rredis and a real redis-server side by side, running the same commands in lockstep: the
/// engine of the random-operation differential tests. Each command goes to both servers
/// before either reply is read; the first disagreement panics with the command, both
/// replies and the commands before it. A generator that needs to know the state (SCARD before
/// a deterministic SPOP) asks through [`Twin::run`] too, so its questions are compared as
/// well.
pub struct Twin {
    ours: Raw,
    real: Raw,
    /// The most recent commands, for the failure report.
    recent: std::collections::VecDeque<String>,
    /// Commands run so far.
    pub steps: usize,
    // Dropped last: the servers are killed after the connections close.
    _servers: (Server, Server),
}

/// How many preceding commands a [`Twin`] failure report shows.
const TWIN_HISTORY: usize = 30;

impl Twin {
    /// Starts both servers with `config` applied to each (`CONFIG SET` name/value pairs), or
    /// `None` (after a loud notice) when redis-server is missing and not required.
    pub fn start(test: &str, config: &[(&str, &str)]) -> Option<Twin> {
        let real_server = real_redis(test)?;
        let our_server = Server::start();
        let mut twin = Twin {
            ours: our_server.raw(),
            real: real_server.raw(),
            recent: std::collections::VecDeque::new(),
            steps: 0,
            _servers: (our_server, real_server),
        };
        for (name, value) in config {
            let args = [&b"CONFIG"[..], b"SET", name.as_bytes(), value.as_bytes()];
            assert_eq!(
                twin.run(&args, Check::Exact),
                b"+OK\r\n",
                "CONFIG SET {name}"
            );
        }
        Some(twin)
    }

    /// Like [`Twin::start`], with both connections switched to RESP3 (`HELLO 3`, whose
    /// replies differ in the client id only and are not compared) before `config` is applied.
    pub fn start_resp3(test: &str, config: &[(&str, &str)]) -> Option<Twin> {
        let mut twin = Twin::start(test, &[])?;
        let hello = encode(&[b"HELLO", b"3"]);
        twin.real.send(&hello);
        twin.ours.send(&hello);
        assert!(
            twin.real.read_reply().starts_with(b"%"),
            "redis-server HELLO 3"
        );
        assert!(twin.ours.read_reply().starts_with(b"%"), "rredis HELLO 3");
        for (name, value) in config {
            let args = [&b"CONFIG"[..], b"SET", name.as_bytes(), value.as_bytes()];
            assert_eq!(
                twin.run(&args, Check::Exact),
                b"+OK\r\n",
                "CONFIG SET {name}"
            );
        }
        Some(twin)
    }

    /// Runs one command on both servers, panics if the replies disagree under `check`, and
    /// returns redis-server's reply.
    pub fn run<A: AsRef<[u8]>>(&mut self, args: &[A], check: Check) -> Vec<u8> {
        let args: Vec<&[u8]> = args.iter().map(AsRef::as_ref).collect();
        let shown = args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        self.steps += 1;
        let request = encode(&args);
        self.real.send(&request);
        self.ours.send(&request);
        let want = self.real.read_reply();
        let got = self
            .ours
            .try_read_reply()
            .unwrap_or_else(|e| self.fail(&shown, &want, format!("<no reply: {e}>").as_bytes()));
        if !replies_agree(check, &want, &got) {
            self.fail(&shown, &want, &got);
        }
        self.recent.push_back(shown);
        if self.recent.len() > TWIN_HISTORY {
            self.recent.pop_front();
        }
        want
    }

    fn fail(&self, shown: &str, want: &[u8], got: &[u8]) -> ! {
        let history: Vec<&str> = self.recent.iter().map(String::as_str).collect();
        panic!(
            "step {}: {shown}\n  redis-server: {}\n  rredis:       {}\nprevious commands:\n  {}",
            self.steps,
            want.escape_ascii(),
            got.escape_ascii(),
            history.join("\n  ")
        );
    }
}

/// True if two replies agree under `check` (see [`Check`]).
fn replies_agree(check: Check, a: &[u8], b: &[u8]) -> bool {
    // RESP3 nests pairs (HRANDFIELD ... WITHVALUES, ZRANGE ... WITHSCORES): an array whose
    // items are all arrays is already grouped.
    let nested = |items: &[Vec<u8>]| items.iter().all(|i| i.starts_with(b"*"));
    let multiset = |a: &[u8], b: &[u8], n: usize| match (aggregate_items(a), aggregate_items(b)) {
        (Some((ha, ia)), Some((hb, ib))) => {
            let n = if nested(&ia) && nested(&ib) { 1 } else { n };
            ha == hb && grouped(ia, n) == grouped(ib, n)
        }
        _ => a == b,
    };
    match check {
        Check::Exact => a == b,
        Check::Unordered(n) => multiset(a, b, n),
        Check::Scan(n) => match (aggregate_items(a), aggregate_items(b)) {
            (Some((ha, ia)), Some((hb, ib))) if ia.len() == 2 && ib.len() == 2 => {
                ha == hb && ia[0] == ib[0] && multiset(&ia[1], &ib[1], n)
            }
            _ => a == b,
        },
        Check::Shape => reply_shape(a) == reply_shape(b),
    }
}

/// `items` in groups of `n`, sorted.
fn grouped(items: Vec<Vec<u8>>, n: usize) -> Vec<Vec<Vec<u8>>> {
    let mut groups: Vec<Vec<Vec<u8>>> = items.chunks(n.max(1)).map(<[_]>::to_vec).collect();
    groups.sort();
    groups
}

/// The header line and the raw elements of an aggregate reply (`*`, `~`, or `%`, whose keys
/// and values alternate); `None` for any other reply.
pub fn aggregate_items(reply: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let eol = reply.windows(2).position(|w| w == b"\r\n")? + 2;
    let (header, mut rest) = reply.split_at(eol);
    let per_entry = match header.first()? {
        b'*' | b'~' => 1,
        b'%' => 2,
        _ => return None,
    };
    let n: i64 = std::str::from_utf8(header.get(1..header.len() - 2)?)
        .ok()?
        .parse()
        .ok()?;
    let mut items = Vec::new();
    for _ in 0..n.max(0) * per_entry {
        let mut item = Vec::new();
        read_resp(&mut rest, &mut item).ok()?;
        items.push(item);
    }
    Some((header.to_vec(), items))
}

/// What [`Check::Shape`] compares: an aggregate's header (type and length), or a scalar's
/// type byte, with nulls kept apart from values.
fn reply_shape(reply: &[u8]) -> Vec<u8> {
    match reply.first() {
        Some(b'*' | b'~' | b'%') => aggregate_items(reply).map_or(reply.to_vec(), |(h, _)| h),
        _ if reply == b"$-1\r\n" || reply == b"_\r\n" => reply.to_vec(),
        _ => reply.get(..1).unwrap_or_default().to_vec(),
    }
}

/// A small seeded generator for random-operation tests (splitmix64): the same seed gives the
/// same script on every run and machine, so a failure can be replayed.
pub struct TestRng(u64);

impl TestRng {
    /// The generator for `seed`, or for `RREDIS_TEST_SEED` when set (to replay or explore
    /// other scripts). Prints the seed in use.
    pub fn from_env_or(test: &str, seed: u64) -> TestRng {
        let seed = std::env::var("RREDIS_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(seed);
        eprintln!("{test}: seed {seed} (RREDIS_TEST_SEED={seed} replays it)");
        TestRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One element of `items` (not empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}
