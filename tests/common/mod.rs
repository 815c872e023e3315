//! Shared integration-test support: start the real `rredis` binary (and, for differential
//! tests, a real `redis-server`) on a free port, and talk to it through the `redis` crate or
//! a raw TCP connection that returns each reply's exact bytes.
#![allow(dead_code)] // each test binary uses a different subset of these helpers

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to start accepting connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A port nothing listens on right now (the OS picks it; the tiny window before the server
/// binds it is acceptable in tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// A server process that is killed when the value is dropped.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Starts rredis with extra command-line arguments.
    pub fn start_with(args: &[&str]) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_rredis"))
            .args(["--port", &port.to_string(), "--loglevel", "warning"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn rredis");
        Server::wait_ready(child, port)
    }

    /// Starts rredis with default settings.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Polls until the port accepts connections.
    fn wait_ready(mut child: Child, port: u16) -> Server {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Server { child, port };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("server exited during start-up: {status}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        panic!("server did not start listening on port {port}");
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
    }
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
    if !have_tool("redis-server", test) {
        return None;
    }
    let port = free_port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--loglevel", "warning"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn redis-server");
    Some(Server::wait_ready(child, port))
}

/// A raw connection that sends bytes and reads whole RESP replies, byte for byte.
pub struct Raw {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let writer = stream.try_clone().expect("clone");
        Raw {
            reader: BufReader::new(stream),
            writer,
        }
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
        self.read_into(&mut out);
        out
    }

    fn read_line(&mut self, out: &mut Vec<u8>) -> Vec<u8> {
        let mut line = Vec::new();
        self.reader
            .read_until(b'\n', &mut line)
            .expect("read reply line");
        assert!(
            line.ends_with(b"\r\n"),
            "connection closed or bad line: {line:?}"
        );
        out.extend_from_slice(&line);
        line.truncate(line.len() - 2);
        line
    }

    fn read_into(&mut self, out: &mut Vec<u8>) {
        let line = self.read_line(out);
        let (kind, rest) = line.split_first().expect("empty reply line");
        let n = || -> i64 { String::from_utf8_lossy(rest).parse().expect("length") };
        match kind {
            b'$' | b'=' | b'!' if n() >= 0 => {
                let mut body = vec![0; n() as usize + 2];
                self.reader.read_exact(&mut body).expect("read bulk");
                out.extend_from_slice(&body);
            }
            b'*' | b'~' | b'>' => (0..n().max(0)).for_each(|_| self.read_into(out)),
            b'%' | b'|' => (0..2 * n().max(0)).for_each(|_| self.read_into(out)),
            _ => {}
        }
    }

    /// True once the server has closed the connection (reads EOF).
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.reader.read(&mut byte), Ok(0))
    }
}

/// Encodes a command in multibulk form.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
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
