//! Multi-connection *scenarios* replayed on rredis and on redis-server 7.0 and compared reply
//! by reply (used by tests/blocking.rs and tests/multi.rs).
//!
//! A scenario is a list of steps on numbered connections. A command that blocks has no reply
//! yet, so sending and reading are separate steps, and [`Step::Blocked`] waits (by polling
//! INFO, not by sleeping) until the server has parked the expected number of clients, so the
//! next step cannot overtake the blocking command; [`Step::Until`] likewise polls for any
//! state (a key gone by expiry...).

use std::time::{Duration, Instant};

use super::{real_redis, Raw, Server};

/// One step of a scenario.
pub enum Step {
    /// Send a command on connection `n` without reading its reply. `$ID<m>` in an argument
    /// is replaced by connection m's CLIENT ID on that server.
    Send(usize, &'static [&'static str]),
    /// Read one reply on connection `n`; it is compared across servers.
    Read(usize),
    /// Send and read (a command that does not block).
    Cmd(usize, &'static [&'static str]),
    /// Send and read a command whose reply is text of `name=value` fields (CLIENT LIST /
    /// CLIENT INFO); only the named fields are kept and compared, the others (addresses,
    /// memory) differ between servers.
    Fields(usize, &'static [&'static str], &'static [&'static str]),
    /// Read one reply on connection `n` and drop it (HELLO's, which carries the client id).
    Discard(usize),
    /// Wait until the server reports exactly this many blocked clients.
    Blocked(usize),
    /// Send this command on a separate control connection until it replies exactly these
    /// bytes (5 s at most), e.g. `Until(&["EXISTS", "k"], ":0\r\n")` once `k` expired.
    Until(&'static [&'static str], &'static str),
    /// Close connection `n`.
    Close(usize),
}

use Step::*;

/// Connections per scenario.
pub const CONNECTIONS: usize = 4;

/// Runs `steps` against the server on `port`; returns every reply read, in order.
pub fn run_scenario(port: u16, steps: &[Step]) -> Vec<String> {
    let mut conns: Vec<Option<Raw>> = (0..CONNECTIONS).map(|_| Some(Raw::connect(port))).collect();
    let ids: Vec<String> = conns
        .iter_mut()
        .map(|c| {
            let reply = c.as_mut().expect("open").cmd_str(&["CLIENT", "ID"]);
            reply.trim_start_matches(':').trim_end().to_string()
        })
        .collect();
    let mut control = Raw::connect(port);
    let mut replies = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            Send(n, args) | Cmd(n, args) | Fields(n, args, _) => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| match a.strip_prefix("$ID") {
                        Some(m) => ids[m.parse::<usize>().expect("$ID<n>")].clone(),
                        None => a.to_string(),
                    })
                    .collect();
                let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
                let conn = conns[*n].as_mut().expect("connection closed");
                conn.send_cmd(&args);
                match step {
                    Cmd(..) => replies.push(format!("step {i}: {}", reply_text(conn.read_reply()))),
                    Fields(_, _, names) => {
                        let text = reply_text(conn.read_reply());
                        replies.push(format!("step {i}: {}", fields(&text, names)));
                    }
                    _ => {}
                }
            }
            Read(n) => {
                let conn = conns[*n].as_mut().expect("connection closed");
                replies.push(format!("step {i}: {}", reply_text(conn.read_reply())));
            }
            Discard(n) => {
                conns[*n].as_mut().expect("connection closed").read_reply();
            }
            Blocked(want) => wait_blocked(&mut control, *want),
            Until(args, want) => wait_until(&mut control, args, want),
            Close(n) => conns[*n] = None,
        }
    }
    for conn in conns.iter_mut().flatten() {
        assert!(
            !conn.has_pending_input(),
            "unread reply left on a connection"
        );
    }
    replies
}

pub fn reply_text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The `name=value` words of `text` whose name is in `names`, in text order.
fn fields(text: &str, names: &[&str]) -> String {
    text.split_whitespace()
        .filter(|word| {
            word.split_once('=')
                .is_some_and(|(name, _)| names.contains(&name))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Polls INFO until `blocked_clients` is `want` (5 s at most).
pub fn wait_blocked(control: &mut Raw, want: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = control.cmd_str(&["INFO", "clients"]);
        if info.contains(&format!("blocked_clients:{want}\r\n")) {
            return;
        }
        assert!(Instant::now() < deadline, "never {want} blocked: {info}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Sends `args` until the reply is `want` (5 s at most).
fn wait_until(control: &mut Raw, args: &[&str], want: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = control.cmd_str(args);
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{args:?} never replied {want:?} (last: {got:?})"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Replays `steps` on rredis and, when installed, on redis-server; asserts identical
/// replies. Returns rredis's replies for further checks.
pub fn same_on_both(test: &str, steps: &[Step]) -> Vec<String> {
    let ours = Server::start();
    let got = run_scenario(ours.port, steps);
    if let Some(real) = real_redis(test) {
        let expected = run_scenario(real.port, steps);
        if let Some(i) = (0..got.len().max(expected.len())).find(|&i| got.get(i) != expected.get(i))
        {
            panic!(
                "replies differ from redis-server's at reply {i}:\n  rredis: {:?}\n  redis:  {:?}",
                got.get(i),
                expected.get(i)
            );
        }
    }
    got
}
