//! The reactor (Redis's ae.c plus the loop-facing half of server.c): one thread, one
//! `mio::Poll`, every socket.
//!
//! Each turn of [`run`]:
//! 1. `poll` sleeps until a socket is ready or the next timer is due (it does not sleep at
//!    all while some client still has work from an earlier turn);
//! 2. each event is dispatched: the listener accepts, a client reads and runs its requests,
//!    a signal asks for shutdown;
//! 3. clients with leftover input (`Server::pending`) get another budgeted slice;
//! 4. `server_cron` runs if its period has elapsed;
//! 5. [`before_sleep`] writes the replies produced this turn, frees the clients marked for
//!    closing and runs a fast expiry slice if expiry is behind.
//!
//! Tokens: a client's token is its slab key; listeners and the signal pipe use tokens at the
//! top of the range, which the slab never reaches.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;

use crate::client::{handle_client_input, put_client, take_client, write_to_client, Client};
use crate::expire::{active_expire_cycle, CycleKind, FAST_CYCLE};
use crate::server::{server_cron, Server, Shutdown};

/// Token of the signal pipe.
const SIGNAL_TOKEN: Token = Token(usize::MAX);

/// Listener `i` uses token `LISTENER_BASE - i`.
const LISTENER_BASE: usize = usize::MAX - 1;

/// Most readiness events taken from the kernel per poll.
const EVENTS_PER_POLL: usize = 1024;

/// Redis's reply to a non-loopback client while protected mode is on and no password is set.
const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Binds every configured address. An address with a leading `-` may fail (no IPv6 on this
/// host); any other failure is fatal, as in Redis.
pub fn listen(srv: &mut Server) -> io::Result<()> {
    if srv.config.port == 0 {
        return Ok(());
    }
    for spec in srv.config.bind.clone() {
        let (optional, host) = match spec.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, spec.as_str()),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            other => other,
        };
        let addr = if host.contains(':') {
            format!("[{host}]:{}", srv.config.port)
        } else {
            format!("{host}:{}", srv.config.port)
        };
        let bound = addr
            .parse::<SocketAddr>()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
            .and_then(TcpListener::bind);
        match bound {
            Ok(listener) => srv.listeners.push(listener),
            Err(e) if optional => log::debug!("Skipping optional bind address {addr}: {e}"),
            Err(e) => {
                log::warn!("Warning: Could not create server TCP listening socket {addr}: {e}");
                return Err(e);
            }
        }
    }
    if srv.listeners.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "no address could be bound",
        ));
    }
    Ok(())
}

/// Runs the loop until SHUTDOWN or SIGINT/SIGTERM.
pub fn run(srv: &mut Server) -> io::Result<()> {
    let mut poll = Poll::new()?;
    for (i, listener) in srv.listeners.iter_mut().enumerate() {
        poll.registry()
            .register(listener, Token(LISTENER_BASE - i), Interest::READABLE)?;
    }
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    poll.registry()
        .register(&mut signals, SIGNAL_TOKEN, Interest::READABLE)?;
    log::info!("Ready to accept connections");

    let mut events = Events::with_capacity(EVENTS_PER_POLL);
    while srv.shutdown == Shutdown::Running {
        let timeout = next_timeout(srv);
        if let Err(e) = poll.poll(&mut events, Some(timeout)) {
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        let registry = poll.registry();
        for event in events.iter() {
            match event.token() {
                SIGNAL_TOKEN => {
                    for signal in signals.pending() {
                        let name = if signal == SIGINT {
                            "SIGINT"
                        } else {
                            "SIGTERM"
                        };
                        log::warn!("Received {name} scheduling shutdown...");
                        srv.shutdown = Shutdown::Requested;
                    }
                }
                Token(t) if t > LISTENER_BASE - srv.listeners.len() => {
                    accept_clients(srv, registry, LISTENER_BASE - t);
                }
                Token(t) => {
                    let readable =
                        event.is_readable() || event.is_read_closed() || event.is_error();
                    client_event(srv, registry, t, readable, event.is_writable());
                }
            }
        }
        process_pending(srv);
        if srv.last_cron.elapsed() >= srv.cron_period() {
            srv.last_cron = Instant::now();
            server_cron(srv);
        }
        before_sleep(srv, registry);
    }
    log::warn!("User requested shutdown...");
    Ok(())
}

/// How long `poll` may sleep: not at all while clients have work queued, briefly while
/// expiry is behind, otherwise until the next cron tick.
fn next_timeout(srv: &Server) -> Duration {
    if !srv.pending.is_empty() || !srv.pending_writes.is_empty() {
        return Duration::ZERO;
    }
    let until_cron = srv.cron_period().saturating_sub(srv.last_cron.elapsed());
    if srv.expire_cycle.backlog {
        until_cron.min(FAST_CYCLE)
    } else {
        until_cron
    }
}

/// Accepts every waiting connection on listener `index` (until WouldBlock: the listener's
/// readiness is edge-triggered too).
fn accept_clients(srv: &mut Server, registry: &Registry, index: usize) {
    loop {
        let Some(listener) = srv.listeners.get(index) else {
            return;
        };
        match listener.accept() {
            Ok((sock, addr)) => accept_one(srv, registry, sock, addr),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                log::warn!("Accepting client connection: {e}");
                return;
            }
        }
    }
}

/// Admits one new connection, or refuses it with Redis's error (Redis's acceptCommonHandler).
fn accept_one(srv: &mut Server, registry: &Registry, mut sock: TcpStream, addr: SocketAddr) {
    if srv.clients.len() as i64 >= srv.config.maxclients {
        // Best effort: the socket is new, so its send buffer has room for one short line.
        let _ = sock.write(b"-ERR max number of clients reached\r\n");
        srv.stats.rejected_connections += 1;
        return;
    }
    if srv.config.protected_mode && !addr.ip().is_loopback() {
        let _ = sock.write(PROTECTED_MODE_DENIED);
        srv.stats.rejected_connections += 1;
        return;
    }
    // Replies are written whole per turn already; Nagle's delay would only add latency.
    let _ = sock.set_nodelay(true);
    let entry = srv.clients.vacant_entry();
    let token = entry.key();
    if let Err(e) = registry.register(&mut sock, Token(token), Interest::READABLE) {
        log::warn!("Registering client socket: {e}");
        return;
    }
    let id = srv.next_client_id;
    srv.next_client_id += 1;
    entry.insert(Some(Box::new(Client::new(id, token, sock, addr))));
    srv.stats.total_connections_received += 1;
    log::debug!("Accepted {addr}");
}

/// Handles a readiness event of client `token`.
fn client_event(
    srv: &mut Server,
    registry: &Registry,
    token: usize,
    readable: bool,
    writable: bool,
) {
    let Some(mut c) = take_client(srv, token) else {
        return;
    };
    if !c.close_asap {
        if writable {
            write_to_client(srv, registry, &mut c);
        }
        if readable {
            c.readable = true;
            handle_client_input(srv, &mut c);
        }
    }
    put_client(srv, c);
}

/// Gives each client with leftover input another budgeted slice.
fn process_pending(srv: &mut Server) {
    for token in std::mem::take(&mut srv.pending) {
        let Some(mut c) = take_client(srv, token) else {
            continue;
        };
        c.work_queued = false;
        if !c.close_asap {
            handle_client_input(srv, &mut c);
        }
        put_client(srv, c);
    }
}

/// Work done just before the loop sleeps (Redis's beforeSleep): write replies, free closed
/// clients, and catch up on expiry.
fn before_sleep(srv: &mut Server, registry: &Registry) {
    active_expire_cycle(srv, CycleKind::Fast);
    for token in std::mem::take(&mut srv.pending_writes) {
        let Some(mut c) = take_client(srv, token) else {
            continue;
        };
        c.write_queued = false;
        if !c.close_asap {
            write_to_client(srv, registry, &mut c);
        }
        put_client(srv, c);
    }
    free_closing_clients(srv, registry);
}

/// Frees the clients marked for closing (Redis's freeClientsInAsyncFreeQueue).
fn free_closing_clients(srv: &mut Server, registry: &Registry) {
    for token in std::mem::take(&mut srv.closing) {
        if let Some(Some(mut c)) = srv.clients.try_remove(token) {
            let _ = registry.deregister(&mut c.sock);
            log::debug!("Client closed id={} addr={}", c.id, c.addr);
        }
    }
}
