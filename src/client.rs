//! One connection and its I/O (Redis's networking.c): reading the socket into the query
//! buffer, running the requests parsed from it, writing the replies back.
//!
//! mio is edge-triggered: a readiness event is reported once, not again while data remains. So
//! a client whose socket may still hold data is remembered (`readable`) and, when it ran out of
//! its per-turn budget, put on `Server::pending`; the loop then polls without sleeping and
//! comes back to it. Likewise a reply that could not be written in full either registers
//! WRITABLE interest (the socket is full: wait for the kernel) or stays on
//! `Server::pending_writes` (the client used its write budget: others go first).

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use crate::blocked::{unblock_client, BlockState};
use crate::commands::multi::MultiState;
use crate::commands::pubsub::ClientPubSub;
use crate::config::Config;
use crate::config::ObufClass;
use crate::dict::Prefetch;
use crate::resp::parser::{Parsed, RequestParser};
use crate::resp::reply::{Reply, PROTO_REPLY_CHUNK_BYTES};
use crate::server::{process_command_at, Server, QUERY_BUF_KEEP};
use crate::util::now_ms;

/// Most input bytes one client may have read in one loop turn; the rest waits for the next
/// turn so one client pipelining a flood cannot hold the loop (fairness across clients).
/// Redis reads 16 KB per event; with 64 KB, a PING client waited four times as long behind
/// a pipelining writer (docs/benchmarks.md).
const READ_BUDGET_PER_TURN: usize = 16 * 1024;

/// Most output bytes written to one client per loop turn (Redis's NET_MAX_WRITES_PER_EVENT
/// is 64 KB; a larger slice cuts syscalls for big replies while still sharing the loop).
const WRITE_BUDGET_PER_TURN: usize = 1024 * 1024;

/// The arguments of the request being executed, name first. Each shares the query buffer's
/// memory (no copy per argument); the vector is reused from request to request.
#[derive(Debug, Default)]
pub struct Argv(pub Vec<Bytes>);

impl Argv {
    /// Argument `i`, or an empty slice if there is none. Arity is checked before a handler
    /// runs, so handlers use this for the arguments the arity guarantees; it never panics.
    pub fn arg(&self, i: usize) -> &[u8] {
        self.0.get(i).map_or(&[], |a| a)
    }

    /// Argument `i` as a `Bytes` handle (a reference-count increment, no copy), for handlers
    /// that must keep it while they mutate the client; empty if there is none.
    pub fn arg_bytes(&self, i: usize) -> Bytes {
        self.0.get(i).cloned().unwrap_or_default()
    }
}

impl std::ops::Deref for Argv {
    type Target = Vec<Bytes>;
    fn deref(&self) -> &Vec<Bytes> {
        &self.0
    }
}

impl std::ops::DerefMut for Argv {
    fn deref_mut(&mut self) -> &mut Vec<Bytes> {
        &mut self.0
    }
}

/// CLIENT REPLY's modes (Redis's CLIENT_REPLY_OFF, CLIENT_REPLY_SKIP_NEXT and
/// CLIENT_REPLY_SKIP flags). `process_command` drops a command's reply when the mode is
/// `Off` or `Skip`, and no monitor line is queued to a client whose mode is `Off`. Push
/// messages get through in every mode (see [`Client::accepts_output`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// CLIENT REPLY SKIP ran: the next command's reply is dropped.
    SkipNext,
    /// The command running now is that next command.
    Skip,
}

/// A connected client. Created by the accept handler, stored in `Server::clients` under its
/// token; freed in `before_sleep` after it is marked closing (never in the middle of a batch
/// of events, since a later event of the batch may name the same slab key).
pub struct Client {
    /// CLIENT ID: unique for the server's life, never reused.
    pub id: u64,
    /// The slab key and mio token of this client.
    pub token: usize,
    /// The connection; `None` only for the fake client that replays the AOF at start-up
    /// (Redis's fake client with fd -1), which is never in `Server::clients`.
    pub sock: Option<TcpStream>,
    /// Peer and local addresses (CLIENT LIST addr / laddr).
    pub addr: SocketAddr,
    pub laddr: Option<SocketAddr>,
    /// Bytes read but not yet parsed into a whole request.
    pub querybuf: BytesMut,
    /// Progress through a multibulk request split across reads.
    pub parser: RequestParser,
    /// The request being executed; handlers read their arguments here.
    pub argv: Argv,
    /// Replies waiting to be written.
    pub reply: Reply,
    /// Selected database index. Invariant: `< Server::dbs.len()`.
    pub db: usize,
    /// CLIENT SETNAME value; never contains spaces or newlines.
    pub name: Option<Bytes>,
    /// The name of the user whose permissions apply (`Acl::users`; Redis's `c->user`):
    /// `default` until AUTH names another.
    pub user: Bytes,
    /// The connection has authenticated as `user`, or needed not (see [`crate::acl`]).
    /// Starts false; the accept handler sets it from the default user.
    pub authenticated: bool,
    /// Connection time and last activity, unix ms (CLIENT LIST age / idle, `timeout`).
    pub ctime_ms: i64,
    pub last_interaction_ms: i64,
    /// Full name of the last command run (CLIENT LIST cmd=).
    pub last_cmd: &'static str,
    /// Full name of the command running now (Redis's `c->cmd`), set by `server::call`: the
    /// same as `last_cmd` except inside EXEC, where it names each queued command in turn
    /// while `last_cmd` stays `exec`. Error texts that name the command read this.
    pub cmd: &'static str,
    /// The socket may hold unread data (no WouldBlock seen since the last readable event).
    pub readable: bool,
    /// The poller reported the peer's FIN or a socket error: keep reading until EOF instead
    /// of treating a short read as "drained", since no further edge will come.
    pub peer_closed: bool,
    /// Stop reading: the connection closes once `reply` is written (QUIT, protocol error).
    pub close_after_reply: bool,
    /// Already queued on `Server::closing`; do no more I/O.
    pub close_asap: bool,
    /// WRITABLE interest is registered with the poller (the socket was full).
    pub write_interest: bool,
    /// Already queued on `Server::pending_writes`.
    pub write_queued: bool,
    /// Already queued on `Server::pending`.
    pub work_queued: bool,
    /// Set while a blocking command (BLPOP...) waits for a key: no request is run until it
    /// is cleared (see [`crate::blocked`]).
    pub blocked: Option<BlockState>,
    /// The transaction being queued, from MULTI to EXEC / DISCARD / RESET (Redis's
    /// CLIENT_MULTI flag and `mstate`); `None` outside MULTI. EXEC keeps it while the queued
    /// commands run, so CLIENT INFO inside the transaction still shows `flags=x`, as in Redis.
    pub multi: Option<MultiState>,
    /// The keys this client WATCHes, as (database index, key), without duplicates. Each has
    /// exactly one entry for this client in that database's `Db::watched_keys`; both sides
    /// are changed only by `commands::multi` (watch_for_key / unwatch_all_keys).
    pub watched_keys: Vec<(usize, Bytes)>,
    /// Redis's CLIENT_DENY_BLOCKING: set while EXEC runs the queued commands, so a blocking
    /// command there answers as if it had timed out instead of parking the client (see
    /// [`Client::may_block`]).
    pub deny_blocking: bool,
    /// This client's subscriptions (channels, patterns, shard channels). Each entry has a
    /// matching entry for this client's token in `Server::pubsub`; both sides are changed
    /// only by `commands::pubsub`.
    pub pubsub: ClientPubSub,
    /// When (unix seconds) the pending output first reached its class's soft limit, 0 while
    /// under it (Redis's obuf_soft_limit_reached_time; see
    /// [`check_client_output_buffer_limits`]).
    pub obuf_soft_limit_reached_time: i64,
    /// Client-side caching settings, `Some` exactly while CLIENT TRACKING is on; counted in
    /// `Tracking::clients` and changed only by `crate::tracking` (enable / disable).
    pub tracking: Option<crate::tracking::ClientTracking>,
    /// Set by MONITOR: the client receives every command the server runs
    /// (`commands/monitor.rs`); its token is then in `Server::monitors`.
    pub monitor: bool,
    /// Arguments of the current command that must not be shown in the slow log or to
    /// monitors (AUTH's password), as a bit per argument position; cleared before each
    /// command. Positions past 63 cannot be redacted, and no command needs it.
    pub redacted: u64,
    /// Parked by CLIENT PAUSE with its request in `argv`, not reading further requests until
    /// the pause ends (see `crate::pause`); its token is then in `Server::paused_clients`.
    pub postponed: bool,
    /// CLIENT REPLY: whether this client's replies are sent (see [`ReplyMode`]).
    pub reply_mode: ReplyMode,
    /// CLIENT NO-EVICT ON: shown in CLIENT LIST's flags (`e`); rredis has no client
    /// eviction (`maxmemory-clients`) for it to exempt the client from.
    pub no_evict: bool,
}

impl Client {
    /// A client for a freshly accepted socket (`None`: the AOF loader's fake client).
    pub fn new(id: u64, token: usize, sock: Option<TcpStream>, addr: SocketAddr) -> Client {
        let now = now_ms();
        Client {
            id,
            token,
            laddr: sock.as_ref().and_then(|s| s.local_addr().ok()),
            sock,
            addr,
            querybuf: BytesMut::new(),
            parser: RequestParser::default(),
            argv: Argv::default(),
            reply: Reply::default(),
            db: 0,
            name: None,
            user: Bytes::from_static(crate::acl::DEFAULT_USER),
            authenticated: false,
            ctime_ms: now,
            last_interaction_ms: now,
            last_cmd: "NULL",
            cmd: "NULL",
            readable: true,
            peer_closed: false,
            close_after_reply: false,
            close_asap: false,
            write_interest: false,
            write_queued: false,
            work_queued: false,
            blocked: None,
            multi: None,
            watched_keys: Vec::new(),
            deny_blocking: false,
            pubsub: ClientPubSub::default(),
            obuf_soft_limit_reached_time: 0,
            tracking: None,
            monitor: false,
            redacted: 0,
            postponed: false,
            reply_mode: ReplyMode::On,
            no_evict: false,
        }
    }

    /// False when a blocking command must not park this client (inside EXEC): BLPOP and its
    /// relatives then answer at once as their non-blocking forms would with nothing to pop
    /// (the null array; a null bulk for BLMOVE / BRPOPLPUSH). Every blocking command asks
    /// this just before it would call `block_for_keys`, where Redis tests
    /// CLIENT_DENY_BLOCKING.
    pub fn may_block(&self) -> bool {
        !self.deny_blocking
    }

    /// False when replies and monitor lines must not be queued: the client is closing, or
    /// turned its replies off (CLIENT REPLY OFF; Redis's prepareClientToWrite refuses both).
    /// Push messages (pub/sub, invalidations) are not replies and ignore CLIENT REPLY, as
    /// Redis's CLIENT_PUSHING lets them through; they check `close_asap` alone.
    pub fn accepts_output(&self) -> bool {
        !self.close_asap && self.reply_mode != ReplyMode::Off
    }

    /// Hides argument `j` of the current command from the slow log and from monitors
    /// (Redis's redactClientCommandArgument).
    pub fn redact_argument(&mut self, j: usize) {
        if j < 64 {
            self.redacted |= 1 << j;
        }
    }

    /// True if argument `j` of the current command was redacted.
    pub fn is_redacted(&self, j: usize) -> bool {
        j < 64 && self.redacted & (1 << j) != 0
    }

    /// Frees spare query buffer memory of an idle client (Redis's
    /// clientsCronResizeQueryBuffer). The reply buffer needs no such care: it gives a burst's
    /// memory back as soon as it is written (`Reply::consume`).
    pub fn shrink_buffers(&mut self) {
        if self.querybuf.is_empty() && self.querybuf.capacity() > QUERY_BUF_KEEP {
            self.querybuf = BytesMut::new();
        }
    }
}

/// Takes client `token` out of its slot so its commands can run with `&mut Server`.
pub fn take_client(srv: &mut Server, token: usize) -> Option<Box<Client>> {
    srv.clients.get_mut(token)?.take()
}

/// Puts a client taken by [`take_client`] back into its slot.
pub fn put_client(srv: &mut Server, c: Box<Client>) {
    if let Some(slot) = srv.clients.get_mut(c.token) {
        *slot = Some(c);
    }
}

/// Marks the client for freeing in `before_sleep` (Redis's freeClientAsync). A blocked
/// client stops waiting at once, so no key is ever offered to a closing connection.
pub fn close_client_async(srv: &mut Server, c: &mut Client) {
    unblock_client(srv, c);
    if !c.close_asap {
        c.close_asap = true;
        srv.closing.push(c.token);
    }
}

/// Reads what the budget allows and runs every complete request (Redis's
/// readQueryFromClient + processInputBuffer). Called on a readable event and again from the
/// pending list while the client has input left.
pub fn handle_client_input(srv: &mut Server, c: &mut Client) {
    let mut read_this_turn = 0;
    loop {
        if c.close_asap || c.close_after_reply {
            return;
        }
        process_input_buffer(srv, c);
        if c.close_asap || c.close_after_reply || !c.readable {
            break;
        }
        if read_this_turn >= READ_BUDGET_PER_TURN {
            queue_pending(srv, c);
            break;
        }
        match read_once(srv, c) {
            Ok(0) => {
                log::debug!("Client closed connection id={} addr={}", c.id, c.addr);
                close_client_async(srv, c);
                return;
            }
            Ok(n) => {
                read_this_turn += n;
                // A short read emptied the socket: anything arriving later raises a new
                // readiness edge, so asking again now would only cost a syscall that
                // answers WouldBlock.
                // Unless the peer's FIN came with the same edge: then no new edge will
                // announce the end of the stream, so read on until EOF.
                if n < srv.read_buf.len() && !c.peer_closed {
                    c.readable = false;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => c.readable = false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                log::debug!("Reading from client: {e}");
                close_client_async(srv, c);
                return;
            }
        }
    }
    if c.querybuf.len() as u64 > srv.config.client_query_buffer_limit {
        // Redis's line: the CLIENT LIST line and the first 64 bytes, quoted as MONITOR does.
        let info = crate::commands::server_cmds::cat_client_info_string(srv, c, srv.now_ms);
        let mut initial = Vec::new();
        crate::commands::monitor::cat_repr(
            &mut initial,
            c.querybuf.get(..64).unwrap_or(&c.querybuf),
        );
        log::warn!(
            "Closing client that reached max query buffer length: {info} (qbuf initial bytes: {})",
            String::from_utf8_lossy(&initial)
        );
        close_client_async(srv, c);
    }
    if c.reply.pending_len() > 0 {
        queue_write(srv, c);
    }
}

/// One `read()` into the server's scratch buffer, whose received bytes are appended to the
/// query buffer.
fn read_once(srv: &mut Server, c: &mut Client) -> io::Result<usize> {
    let Some(sock) = &mut c.sock else {
        return Ok(0);
    };
    let n = sock.read(&mut srv.read_buf)?;
    c.querybuf
        .extend_from_slice(srv.read_buf.get(..n).unwrap_or_default());
    if n > 0 {
        srv.stats.net_input_bytes += n as u64;
        c.last_interaction_ms = srv.now_ms;
    }
    Ok(n)
}

/// Parses and runs every complete request in the query buffer.
fn process_input_buffer(srv: &mut Server, c: &mut Client) {
    prefetch_pipelined_keys(srv, c);
    // The first request reads the clock; each later one starts where the previous ended.
    let mut now = None;
    while !c.close_asap
        && !c.close_after_reply
        && c.blocked.is_none()
        && !c.postponed
        && !c.querybuf.is_empty()
    {
        let max_bulk = srv.config.proto_max_bulk_len.min(usize::MAX as u64) as usize;
        c.parser.unauthenticated = crate::acl::auth_required(&srv.acl, c);
        match c.parser.parse(&mut c.querybuf, &mut c.argv, max_bulk) {
            Ok(Parsed::NeedMore) => break,
            Ok(Parsed::Command) => {
                if !c.argv.is_empty() {
                    let start = *now.get_or_insert_with(crate::util::now_us);
                    process_command_at(srv, c, start);
                    now = Some(srv.cmd_start_us);
                }
            }
            Err(e) => {
                log::debug!(
                    "Protocol error ({}) from client: id={} addr={}",
                    String::from_utf8_lossy(&e.0),
                    c.id,
                    c.addr
                );
                c.reply.error_bytes(&[&b"ERR "[..], &e.0].concat());
                c.close_after_reply = true;
                c.querybuf.clear();
            }
        }
    }
    crate::server::account_error_replies(srv, c);
}

/// Most pipelined requests whose keys are prefetched at once: a batch of `-P 16`, and more
/// than a CPU can have outstanding misses for (Zen and recent Intel cores track about 20).
const PREFETCH_BATCH: usize = 16;

/// Smallest database worth prefetching in, in keys: below this its entries (80 bytes each)
/// stay in the CPU's caches and a prefetch would only cost its hashing.
const PREFETCH_MIN_KEYS: usize = 8192;

/// Starts fetching from memory the keyspace entries of the next pipelined requests in the
/// query buffer, before any of them runs (what Redis 8 does for a batch of commands).
///
/// At a million keys each lookup waits twice for memory (the bucket, then the entry), and
/// run one after another those waits are most of the time a GET takes. Here every bucket of
/// the batch is asked for first, then every entry (by then the buckets are arriving), so the
/// waits overlap and the commands then find their entries in the cache. The key is guessed
/// as the second argument, which it is for nearly every command with keys; a wrong guess
/// costs a hash and a useless hint, never a wrong result, since a prefetch changes nothing.
///
/// A batch whose first two requests name the same key is taken for a run on one big value
/// (SADD or HSET into one set or hash): that key's entry the first request brings into the
/// cache anyway, and the misses are in the value's own table, so if the value is a set or
/// hash in a hash table its members (the third arguments) are prefetched the same way;
/// otherwise (LPUSH into a list...) the look ahead stops there. A lone request (no
/// pipelining) has nothing to overlap with and is left alone.
fn prefetch_pipelined_keys(srv: &Server, c: &Client) {
    if !c.parser.at_request_boundary() {
        return;
    }
    let Some(db) = srv.dbs.get(c.db) else {
        return;
    };
    if db.dict.len() < PREFETCH_MIN_KEYS {
        return;
    }
    let mut args: [(&[u8], &[u8]); PREFETCH_BATCH] = [(&[], &[]); PREFETCH_BATCH];
    let mut n = 0;
    // The member table of the one key of a run, once the second request has shown it is
    // a run.
    let mut run_table = None;
    crate::resp::parser::peek_key_args(&c.querybuf, PREFETCH_BATCH, |key, member| {
        if n > 0 {
            let first_key = args[0].0;
            if n == 1 && key == first_key {
                match db.dict.get(key).and_then(|obj| obj.value.member_table()) {
                    Some(table) => run_table = Some(table),
                    None => return false,
                }
            } else if run_table.is_some() != (key == first_key) {
                // The batch changes shape (a run that ends, a key that comes back): the
                // requests so far are enough to go on.
                return false;
            }
        }
        match args.get_mut(n) {
            Some(slot) => {
                *slot = (key, member);
                n += 1;
                true
            }
            None => false,
        }
    });
    if n < 2 {
        return;
    }
    // A run looks up its members in the value's table, anything else its keys in the keyspace.
    let by_member = run_table.is_some();
    let table: &dyn Prefetch = run_table.unwrap_or(&db.dict);
    let mut hashes = [0u64; PREFETCH_BATCH];
    for (hash, &(key, member)) in hashes.iter_mut().zip(&args[..n]) {
        *hash = table.prefetch_bucket(if by_member { member } else { key });
    }
    for &hash in &hashes[..n] {
        table.prefetch_entry(hash);
    }
}

/// Puts the client on the list of clients with replies to write before the loop sleeps.
pub fn queue_write(srv: &mut Server, c: &mut Client) {
    queue_write_on(&mut srv.pending_writes, c);
}

/// [`queue_write`] given only the list, for code that holds other parts of the `Server`
/// borrowed at the same time (PUBLISH walks `Server::pubsub` while it fills subscribers'
/// replies).
pub fn queue_write_on(pending_writes: &mut Vec<usize>, c: &mut Client) {
    if !c.write_queued {
        c.write_queued = true;
        pending_writes.push(c.token);
    }
}

/// The class whose `client-output-buffer-limit` applies to `c` (Redis's getClientType as
/// checkClientOutputBufferLimits uses it): a client with subscriptions is a pubsub client,
/// whatever its protocol; every other connection is normal (rredis has no replicas).
pub fn obuf_class(c: &Client) -> ObufClass {
    if c.pubsub.is_subscribed() {
        ObufClass::PubSub
    } else {
        ObufClass::Normal
    }
}

/// True when `c`'s pending output is over its class's limit (Redis's
/// checkClientOutputBufferLimits): at or over the hard limit, or at or over the soft limit
/// for more than its seconds, measured from the first check that found it over (a check
/// that finds it under starts the clock again). Called whenever output is added to a client
/// that may not be reading: after each command, and for each subscriber a message reaches.
pub fn check_client_output_buffer_limits(config: &Config, c: &mut Client, now_ms: i64) -> bool {
    let Some(limit) = config.client_obuf_limits.get(obuf_class(c) as usize) else {
        return false;
    };
    // Redis counts only the reply list beyond each client's 16 KB static buffer, so a
    // limit never applies to a small pending reply; the same allowance is made here.
    let used = c
        .reply
        .pending_len()
        .saturating_sub(PROTO_REPLY_CHUNK_BYTES) as u64;
    let hard = limit.hard_limit_bytes != 0 && used >= limit.hard_limit_bytes;
    let mut soft = limit.soft_limit_bytes != 0 && used >= limit.soft_limit_bytes;
    let now = now_ms / 1000;
    if soft {
        if c.obuf_soft_limit_reached_time == 0 {
            c.obuf_soft_limit_reached_time = now;
            soft = false;
        } else if now - c.obuf_soft_limit_reached_time <= limit.soft_limit_seconds {
            soft = false;
        }
    } else {
        c.obuf_soft_limit_reached_time = 0;
    }
    hard || soft
}

/// Puts the client on the list of clients with input left to read next turn.
pub fn queue_pending(srv: &mut Server, c: &mut Client) {
    if !c.work_queued {
        c.work_queued = true;
        srv.pending.push(c.token);
    }
}

/// Writes as much of the reply as the socket and the budget take (Redis's writeToClient).
/// When the socket is full, asks the poller for WRITABLE; when the budget runs out first,
/// requeues the client so the next turn continues; once drained, drops WRITABLE interest.
pub fn write_to_client(srv: &mut Server, registry: &Registry, c: &mut Client) {
    let mut written = 0;
    let mut socket_full = false;
    while c.reply.pending_len() > 0 && written < WRITE_BUDGET_PER_TURN {
        let pending = c.reply.pending();
        let chunk = pending
            .get(..pending.len().min(WRITE_BUDGET_PER_TURN))
            .unwrap_or(pending);
        let Some(sock) = &mut c.sock else {
            return;
        };
        match sock.write(chunk) {
            Ok(0) => break,
            Ok(n) => {
                c.reply.consume(n);
                written += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                socket_full = true;
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                log::debug!("Error writing to client: {e}");
                close_client_async(srv, c);
                return;
            }
        }
    }
    srv.stats.net_output_bytes += written as u64;
    if written > 0 {
        c.last_interaction_ms = srv.now_ms;
    }
    let want_writable = c.reply.pending_len() > 0 && socket_full;
    if want_writable != c.write_interest {
        let interest = if want_writable {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        let registered = match &mut c.sock {
            Some(sock) => registry.reregister(sock, Token(c.token), interest),
            None => Ok(()),
        };
        if registered.is_err() {
            close_client_async(srv, c);
            return;
        }
        c.write_interest = want_writable;
    }
    if c.reply.pending_len() > 0 && !socket_full {
        queue_write(srv, c);
    } else if c.reply.pending_len() == 0 && c.close_after_reply {
        close_client_async(srv, c);
    }
}

/// Schedules `c` for closing if its output is over its class's limit, with Redis's warning
/// line (closeClientOnOutputBufferLimitReached, async form). Returns true if it is (or
/// already was) closing. Its pending output is dropped when it is freed in `before_sleep`,
/// so a subscriber that stopped reading gives its memory back and costs the publisher
/// nothing more.
pub fn close_client_on_output_buffer_limit_reached(srv: &mut Server, c: &mut Client) -> bool {
    if c.close_asap {
        return true;
    }
    if !check_client_output_buffer_limits(&srv.config, c, srv.now_ms) {
        return false;
    }
    let info = crate::commands::server_cmds::cat_client_info_string(srv, c, srv.now_ms);
    log::warn!("Client {info} scheduled to be closed ASAP for overcoming of output buffer limits.");
    close_client_async(srv, c);
    true
}
