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
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use socket2::{Domain, Socket, Type};

use crate::acl::client_set_default_auth;
use crate::blocked::{handle_blocked_clients_timeout, next_deadline};
use crate::client::{handle_client_input, put_client, take_client, write_to_client, Client};
use crate::commands::multi::discard_transaction;
use crate::commands::pubsub::pubsub_unsubscribe_all;
use crate::expire::{active_expire_cycle, CycleKind, FAST_CYCLE};
use crate::server::{prepare_for_shutdown, server_cron, Server, Shutdown, ShutdownFlags};
use crate::util::now_ms;

/// Token of the signal pipe.
const SIGNAL_TOKEN: Token = Token(usize::MAX);

/// Listener `i` uses token `LISTENER_BASE - i`.
const LISTENER_BASE: usize = usize::MAX - 1;

/// Most readiness events taken from the kernel per poll.
const EVENTS_PER_POLL: usize = 1024;

/// Redis's reply to a non-loopback client while protected mode is on and no password is set
/// (with Redis's "Setup a an" typo: clients may match the text).
const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Errors that mean "this kind of address does not exist on this host" (no IPv6, say):
/// Redis skips such an address, optional or not (Linux errno values ENOPROTOOPT,
/// EPROTONOSUPPORT, ESOCKTNOSUPPORT, EPFNOSUPPORT, EAFNOSUPPORT).
const UNSUPPORTED_ADDRESS_ERRNOS: [i32; 5] = [92, 93, 94, 96, 97];

/// Opens the listening sockets at start-up (Redis's listenToPort in initServer). An address
/// with a leading `-` may be missing on this host; any other failure is fatal, as is ending
/// up with nothing to listen on (port 0 or an empty `bind`: rredis has no Unix socket).
pub fn listen(srv: &mut Server) -> io::Result<()> {
    // With no current sockets to keep, every source is a newly bound socket.
    srv.listeners = open_listeners(srv, &[])?
        .into_iter()
        .filter_map(|source| match source {
            ListenerSource::Bound(listener) => Some(listener),
            ListenerSource::Kept(_) => None,
        })
        .collect();
    if srv.listeners.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "Configured to not listen anywhere",
        ));
    }
    Ok(())
}

/// Makes the listening sockets match the `port` and `bind` settings while the server runs
/// (CONFIG SET port / bind; Redis's changeListenPort and changeBindAddr).
///
/// Design: the command itself rebinds, through `Server::registry`, rather than leaving a
/// flag for the loop, because CONFIG SET must reply whether it worked. The new sockets are
/// opened while the old ones still listen, so a failure (the port is taken) leaves the
/// server exactly as it was and the caller replies with the error; an address that is
/// already bound keeps its socket, so clients queued on it are not dropped. Only then are
/// the sockets that are no longer wanted closed and every remaining one registered under its
/// new position's token.
///
/// The kernel refuses to bind a wildcard and a specific address on the same port at once
/// (`127.0.0.1:6379` to `0.0.0.0:6379`). When a new address is refused while one of our own
/// sockets holds that port, the old sockets are closed first and the new addresses bound
/// again, which is what Redis always does; if that fails too, CONFIG SET's rollback restores
/// the old settings and calls this again, which binds the old addresses anew.
///
/// Events already taken from the poller for a listener position are harmless after a
/// change: accepting on a listener with nothing pending just finds nothing.
pub fn change_listeners(srv: &mut Server) -> io::Result<()> {
    let port_is_ours = srv.listeners.iter().any(|l| {
        l.local_addr()
            .is_ok_and(|a| i64::from(a.port()) == srv.config.port)
    });
    let sources = match open_listeners(srv, &srv.listeners) {
        Err(e) if e.kind() == io::ErrorKind::AddrInUse && port_is_ours => {
            let old = std::mem::take(&mut srv.listeners);
            close_listeners(srv, old);
            open_listeners(srv, &[])?
        }
        result => result?,
    };
    let mut old: Vec<Option<TcpListener>> = std::mem::take(&mut srv.listeners)
        .into_iter()
        .map(Some)
        .collect();
    for source in sources {
        let listener = match source {
            ListenerSource::Kept(i) => old.get_mut(i).and_then(Option::take),
            ListenerSource::Bound(listener) => Some(listener),
        };
        srv.listeners.extend(listener);
    }
    let unwanted = old.into_iter().flatten().collect();
    close_listeners(srv, unwanted);
    match &srv.registry {
        Some(registry) => register_listeners(registry, &mut srv.listeners),
        None => Ok(()),
    }
}

/// Where the socket for one wanted address comes from.
enum ListenerSource {
    /// `Server::listeners[i]` is already bound to it.
    Kept(usize),
    /// A socket just bound to it.
    Bound(TcpListener),
}

/// Finds or binds a socket for every address of `bind` on `port` (Redis's listenToPort):
/// an address one of `current` is bound to keeps that socket (each at most once), any other
/// is bound now. Addresses this host lacks are skipped (see [`UNSUPPORTED_ADDRESS_ERRNOS`];
/// an optional `-address` also when it is not available). On any other failure the sockets
/// bound so far are closed and the error, naming the address, returned: nothing changes.
fn open_listeners(srv: &Server, current: &[TcpListener]) -> io::Result<Vec<ListenerSource>> {
    let mut sources = Vec::new();
    let Ok(port) = u16::try_from(srv.config.port) else {
        return Ok(sources);
    };
    if port == 0 {
        return Ok(sources);
    }
    let mut kept = vec![false; current.len()];
    for spec in &srv.config.bind {
        let (optional, host) = match spec.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, spec.as_str()),
        };
        let bound = resolve_bind_address(host, port).and_then(|addr| {
            let reusable = current.iter().enumerate().position(|(i, l)| {
                kept.get(i) == Some(&false) && l.local_addr().ok() == Some(addr)
            });
            match reusable {
                Some(i) => {
                    if let Some(k) = kept.get_mut(i) {
                        *k = true;
                    }
                    Ok(ListenerSource::Kept(i))
                }
                None => bind_listener(addr, srv.config.tcp_backlog).map(ListenerSource::Bound),
            }
        });
        match bound {
            Ok(source) => sources.push(source),
            Err(e) => {
                let missing = e
                    .raw_os_error()
                    .is_some_and(|errno| UNSUPPORTED_ADDRESS_ERRNOS.contains(&errno));
                if missing || (optional && e.kind() == io::ErrorKind::AddrNotAvailable) {
                    log::debug!("Skipping bind address {host}:{port}: {e}");
                    continue;
                }
                return Err(io::Error::new(
                    e.kind(),
                    format!("Could not create server TCP listening socket {host}:{port}: {e}"),
                ));
            }
        }
    }
    Ok(sources)
}

/// The socket address a `bind` entry names on `port`: `*` is every IPv4 address, `::*`
/// every IPv6 one; otherwise an address or a host name, looked up as IPv6 if it contains a
/// `:` and as IPv4 if not (as Redis chooses the family). A host name is resolved on the
/// spot, blocking the loop for the lookup, as Redis does too.
fn resolve_bind_address(host: &str, port: u16) -> io::Result<SocketAddr> {
    let host = match host {
        "*" => "0.0.0.0",
        "::*" => "::",
        other => other,
    };
    let ipv6 = host.contains(':');
    (host, port)
        .to_socket_addrs()?
        .find(|addr| addr.is_ipv6() == ipv6)
        .ok_or_else(|| io::Error::from(io::ErrorKind::AddrNotAvailable))
}

/// Opens one listening socket as Redis does: SO_REUSEADDR (a restart can bind while old
/// connections linger in TIME_WAIT), IPV6_V6ONLY for IPv6 (so `::` and `0.0.0.0` can share a
/// port), the configured accept backlog, non-blocking, close-on-exec.
fn bind_listener(addr: SocketAddr, backlog: i64) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    socket.set_nonblocking(true)?;
    Ok(TcpListener::from_std(socket.into()))
}

/// The poller token of listener `index`.
fn listener_token(index: usize) -> Token {
    Token(LISTENER_BASE - index)
}

/// Registers every listener under its position's token. A listener kept by
/// [`change_listeners`] may be registered under an older position: it is taken off the
/// poller first (for a new one that fails, harmlessly) and registered afresh.
fn register_listeners(registry: &Registry, listeners: &mut [TcpListener]) -> io::Result<()> {
    for (i, listener) in listeners.iter_mut().enumerate() {
        let _ = registry.deregister(listener);
        registry.register(listener, listener_token(i), Interest::READABLE)?;
    }
    Ok(())
}

/// Takes `listeners` off the poller and closes them.
fn close_listeners(srv: &Server, listeners: Vec<TcpListener>) {
    for mut listener in listeners {
        if let Some(registry) = &srv.registry {
            let _ = registry.deregister(&mut listener);
        }
    }
}

/// Runs the loop until SHUTDOWN or SIGINT/SIGTERM.
pub fn run(srv: &mut Server) -> io::Result<()> {
    let mut poll = Poll::new()?;
    register_listeners(poll.registry(), &mut srv.listeners)?;
    srv.registry = Some(poll.registry().try_clone()?);
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    poll.registry()
        .register(&mut signals, SIGNAL_TOKEN, Interest::READABLE)?;
    log::info!("Ready to accept connections");

    let mut events = Events::with_capacity(EVENTS_PER_POLL);
    let mut busy_poll = BusyPoll::default();
    while srv.shutdown == Shutdown::Running {
        let timeout = next_timeout(srv);
        busy_poll.wait(&mut poll, &mut events, timeout)?;
        srv.now_ms = now_ms();
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
                        // If the final save fails the server keeps running, as Redis
                        // does; prepare_for_shutdown has logged why.
                        prepare_for_shutdown(srv, ShutdownFlags::default());
                    }
                }
                Token(t) if t > LISTENER_BASE - srv.listeners.len() => {
                    accept_clients(srv, registry, LISTENER_BASE - t);
                }
                Token(t) => {
                    let closed = event.is_read_closed() || event.is_error();
                    let readable = event.is_readable() || closed;
                    client_event(srv, registry, t, readable, closed, event.is_writable());
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
    Ok(())
}

/// The longest the loop polls without sleeping before it blocks (µs): a little more than
/// the gap between a reply and the next request of a client that sends back to back, and
/// small next to the 100 ms cron tick, so a server that goes quiet stops spinning at once.
const BUSY_POLL_MAX: Duration = Duration::from_micros(50);

/// The window a successful short sleep starts the busy polling at (µs).
const BUSY_POLL_START: Duration = Duration::from_micros(10);

/// Adaptive busy polling: when requests arrive close together, the loop polls for a few
/// microseconds without sleeping before it blocks in `epoll_wait` (Redis's ae always
/// blocks; this is KVM's halt polling, applied to the reactor).
///
/// Why: a sleeping loop must be woken by the kernel when a request arrives, and on the
/// client's side of the connection that wake-up (an inter-processor interrupt, on a virtual
/// machine a trip through the hypervisor) is paid by the *client's* CPU inside its `write`.
/// A server that answers fast enough to drain its sockets before the next requests arrive
/// goes to sleep after nearly every turn, so the faster the server, the more every client
/// pays to reach it: measured on a 2-core VM, rredis slept 16,000 times a second under
/// `redis-benchmark -P 16` where Redis, slower per request and so rarely idle, slept 2,000
/// times, and the client, the bottleneck, managed 5-10% fewer requests with rredis.
///
/// The window adapts, so an idle or lightly loaded server never spins: a turn whose sleep
/// ended with events within [`BUSY_POLL_MAX`] of the start of the wait grows the window
/// (spinning that long would have caught them), and a sleep longer than that, or one ended by
/// a timer, halves it, so a few quiet gaps bring it to zero. The cost is bounded by the gaps in a dense stream of
/// requests: at most `BUSY_POLL_MAX` of CPU per gap, and only while gaps stay that short.
#[derive(Default)]
struct BusyPoll {
    /// How long the next wait polls without sleeping; zero or between [`BUSY_POLL_START`]
    /// and [`BUSY_POLL_MAX`].
    window: Duration,
}

impl BusyPoll {
    /// Fills `events`: polls without sleeping for up to the current window, then blocks for
    /// the rest of `timeout`, and adapts the window to what the sleep showed.
    fn wait(&mut self, poll: &mut Poll, events: &mut Events, timeout: Duration) -> io::Result<()> {
        if timeout.is_zero() {
            return poll_events(poll, events, Duration::ZERO);
        }
        let start = Instant::now();
        if !self.window.is_zero() {
            loop {
                poll_events(poll, events, Duration::ZERO)?;
                if !events.is_empty() {
                    return Ok(());
                }
                if start.elapsed() >= self.window {
                    break;
                }
                std::hint::spin_loop();
            }
        }
        poll_events(poll, events, timeout.saturating_sub(start.elapsed()))?;
        self.adapt(!events.is_empty(), start.elapsed());
        Ok(())
    }

    /// Adapts the window after a wait that had to sleep and took `waited` in all: events
    /// that came within [`BUSY_POLL_MAX`] double it (from [`BUSY_POLL_START`]), anything
    /// else halves it, down to zero.
    fn adapt(&mut self, got_events: bool, waited: Duration) {
        self.window = if got_events && waited <= BUSY_POLL_MAX {
            (self.window * 2).clamp(BUSY_POLL_START, BUSY_POLL_MAX)
        } else if self.window / 2 >= BUSY_POLL_START {
            self.window / 2
        } else {
            Duration::ZERO
        };
    }
}

/// One `epoll_wait`; an interrupted wait returns no events rather than an error.
fn poll_events(poll: &mut Poll, events: &mut Events, timeout: Duration) -> io::Result<()> {
    match poll.poll(events, Some(timeout)) {
        Err(e) if e.kind() != io::ErrorKind::Interrupted => Err(e),
        _ => Ok(()),
    }
}

/// How long `poll` may sleep: not at all while clients have work queued, briefly while
/// expiry is behind, otherwise until the next cron tick.
fn next_timeout(srv: &Server) -> Duration {
    if !srv.pending.is_empty() || !srv.pending_writes.is_empty() {
        return Duration::ZERO;
    }
    let mut timeout = srv.cron_period().saturating_sub(srv.last_cron.elapsed());
    if srv.expire_cycle.backlog {
        timeout = timeout.min(FAST_CYCLE);
    }
    if let Some(deadline) = next_deadline(srv) {
        // Wake up when the first blocked client's wait is over (1 ms after, as the
        // deadline is exclusive and the clock is read in whole milliseconds).
        let until = u64::try_from(deadline + 1 - now_ms()).unwrap_or(0);
        timeout = timeout.min(Duration::from_millis(until));
    }
    if let Some(pause) = srv.client_pause {
        // Wake up when the pause is over, to run the requests it postponed.
        let until = u64::try_from(pause.end_ms - now_ms()).unwrap_or(0);
        timeout = timeout.min(Duration::from_millis(until));
    }
    timeout
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
    if srv.config.protected_mode && srv.acl.default_user_nopass() && !addr.ip().is_loopback() {
        let _ = sock.write(PROTECTED_MODE_DENIED);
        srv.stats.rejected_connections += 1;
        return;
    }
    // Replies are written whole per turn already; Nagle's delay would only add latency.
    let _ = sock.set_nodelay(true);
    set_keepalive(&sock, srv.config.tcp_keepalive);
    let entry = srv.clients.vacant_entry();
    let token = entry.key();
    if let Err(e) = registry.register(&mut sock, Token(token), Interest::READABLE) {
        log::warn!("Registering client socket: {e}");
        return;
    }
    let id = srv.next_client_id;
    srv.next_client_id += 1;
    let mut client = Box::new(Client::new(id, token, Some(sock), addr));
    client_set_default_auth(&srv.acl, &mut client);
    entry.insert(Some(client));
    srv.stats.total_connections_received += 1;
    log::debug!("Accepted {addr}");
}

/// Turns on TCP keepalive probes for a client socket, as Redis's anetKeepAlive: the first
/// probe after `seconds` idle, then every `seconds / 3`, and the peer is declared dead after
/// three unanswered probes — so a vanished client (crashed host, cut cable) is noticed and
/// freed. `0` disables it.
fn set_keepalive(sock: &TcpStream, seconds: i64) {
    if seconds <= 0 {
        return;
    }
    let idle = Duration::from_secs(seconds as u64);
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(idle)
        .with_interval((idle / 3).max(Duration::from_secs(1)))
        .with_retries(3);
    if let Err(e) = socket2::SockRef::from(sock).set_tcp_keepalive(&keepalive) {
        log::debug!("Setting TCP keepalive: {e}");
    }
}

/// Handles a readiness event of client `token`.
fn client_event(
    srv: &mut Server,
    registry: &Registry,
    token: usize,
    readable: bool,
    closed: bool,
    writable: bool,
) {
    let Some(mut c) = take_client(srv, token) else {
        return;
    };
    if !c.close_asap {
        if writable {
            // Replies queued this turn (a served blocked client) may follow writes not yet
            // in the AOF.
            crate::persist::aof::flush_before_reply(srv);
            write_to_client(srv, registry, &mut c);
        }
        if readable {
            c.readable = true;
            c.peer_closed |= closed;
            handle_client_input(srv, &mut c);
        }
    }
    put_client(srv, c);
}

/// Gives each client with leftover input another budgeted slice.
fn process_pending(srv: &mut Server) {
    let mut list = std::mem::take(&mut srv.pending);
    for &token in &list {
        let Some(mut c) = take_client(srv, token) else {
            continue;
        };
        c.work_queued = false;
        if !c.close_asap {
            handle_client_input(srv, &mut c);
        }
        put_client(srv, c);
    }
    give_back(&mut srv.pending, &mut list);
}

/// Returns a drained work list's allocation to `slot` when nothing was queued there
/// meanwhile, so the lists filled every turn are not freed and regrown every turn.
fn give_back(slot: &mut Vec<usize>, list: &mut Vec<usize>) {
    if slot.is_empty() {
        list.clear();
        std::mem::swap(slot, list);
    }
}

/// Work done just before the loop sleeps (Redis's beforeSleep): catch up on expiry, time out
/// blocked clients, write replies, free closed clients.
fn before_sleep(srv: &mut Server, registry: &Registry) {
    active_expire_cycle(srv, CycleKind::Fast);
    crate::evict::eviction_time_proc(srv);
    if !srv.blocked.timeouts.is_empty() {
        srv.now_ms = now_ms();
        handle_blocked_clients_timeout(srv);
    }
    crate::pause::handle_unpaused_clients(srv);
    // BCAST invalidations collected this turn go out with this turn's replies.
    crate::tracking::tracking_broadcast_invalidation_messages(srv);
    crate::commands::pubsub::deliver_pending_messages(srv, None);
    // The turn's writes reach the AOF (and, with `appendfsync always`, the disk) before
    // any reply of this turn is written: a client never sees +OK for a lost write.
    crate::persist::aof::before_sleep(srv);
    let mut list = std::mem::take(&mut srv.pending_writes);
    for &token in &list {
        let Some(mut c) = take_client(srv, token) else {
            continue;
        };
        c.write_queued = false;
        if !c.close_asap {
            write_to_client(srv, registry, &mut c);
        }
        put_client(srv, c);
    }
    give_back(&mut srv.pending_writes, &mut list);
    free_closing_clients(srv, registry);
}

/// Frees the clients marked for closing (Redis's freeClientsInAsyncFreeQueue).
fn free_closing_clients(srv: &mut Server, registry: &Registry) {
    for token in std::mem::take(&mut srv.closing) {
        if let Some(Some(mut c)) = srv.clients.try_remove(token) {
            // A gone client's transaction goes with it, and its watches must not outlive it
            // in `Db::watched_keys` (Redis's freeClient: unwatchAllKeys).
            discard_transaction(srv, &mut c);
            // Its subscriptions go before its token can be reused by a new client.
            pubsub_unsubscribe_all(srv, &mut c);
            // And its BCAST registrations (default-mode entries are skipped when met).
            crate::tracking::disable_tracking(srv, &mut c);
            crate::commands::monitor::stop_monitoring(srv, &mut c);
            crate::pause::remove_postponed_client(srv, &mut c);
            if let Some(sock) = &mut c.sock {
                let _ = registry.deregister(sock);
            }
            log::debug!("Client closed id={} addr={}", c.id, c.addr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_poll_window_grows_with_short_sleeps_and_fades_with_long_ones() {
        let short = BUSY_POLL_MAX / 2;
        let long = BUSY_POLL_MAX * 3;
        let mut b = BusyPoll::default();
        b.adapt(false, short);
        assert_eq!(
            b.window,
            Duration::ZERO,
            "a timer wake-up never starts spinning"
        );
        b.adapt(true, long);
        assert_eq!(
            b.window,
            Duration::ZERO,
            "a long sleep never starts spinning"
        );
        b.adapt(true, short);
        assert_eq!(b.window, BUSY_POLL_START);
        b.adapt(true, short);
        assert_eq!(b.window, BUSY_POLL_START * 2);
        for _ in 0..10 {
            b.adapt(true, short);
        }
        assert_eq!(b.window, BUSY_POLL_MAX);
        b.adapt(true, long);
        assert_eq!(b.window, BUSY_POLL_MAX / 2);
        b.adapt(false, short);
        assert_eq!(b.window, BUSY_POLL_MAX / 4);
        b.adapt(true, long);
        assert_eq!(b.window, Duration::ZERO, "below the start value it stops");
    }
}
