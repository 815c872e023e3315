//! The server's state and the path of one command through it (Redis's server.c).
//!
//! [`Server`] owns everything that outlives a single event: the settings, the databases, every
//! client, the counters INFO reports. Exactly one thread holds it, the event loop's, so nothing
//! in it is locked or shared.
//!
//! [`process_command`] is the gate a parsed request passes: find the command in the table,
//! check its arity and whether the client may run it, then queue it (inside MULTI) or
//! [`call`] its handler. [`server_cron`] is the timer that runs `hz`
//! times a second: active expiry, idle clients, incremental rehashing, stats sampling.

use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::Registry;
use slab::Slab;

use crate::acl::{auth_required, check_all_perm, noperm_error, Acl};
use crate::blocked::{handle_clients_blocked_on_keys, Blocked};
use crate::client::{
    close_client_async, close_client_on_output_buffer_limit_reached, put_client, take_client,
    Client, ReplyMode,
};
use crate::commands::debug::{debug_allowed, DEBUG_NOT_ALLOWED};
use crate::commands::latency::latency_add_sample_if_needed;
use crate::commands::monitor::replication_feed_monitors;
use crate::commands::multi::{
    exec_command_abort, flag_transaction, queue_multi_command, runs_inside_multi,
};
use crate::commands::pubsub::{
    allowed_in_pubsub_context, only_pubsub_allowed_error, replies_with_pushes, PubSub,
};
use crate::commands::slowlog::slowlog_push_current_command;
use crate::commands::{flags, unknown_subcommand, Command, CommandTable, LookupError};
use crate::config::Config;
use crate::db::Db;
use crate::expire::{active_expire_cycle, ExpireCycle};
use crate::pause::{pause_covers, postpone_client};
use crate::persist::bgsave::{
    rdb_save, rdb_save_points_cron, start_scheduled_bgsave, writes_denied_by_disk_error,
    RdbSaveState,
};
use crate::persist::fork::{
    check_children_done, has_active_child_process, kill_child, ActiveChild, ChildKind,
};
use crate::util::{now_ms, now_us, Rng};

/// Bytes asked of the kernel per read: the size of `Server::read_buf`.
pub const READ_SIZE: usize = 16 * 1024;

/// How long the cron may spend rehashing one database's tables per tick (Redis: 1 ms).
const REHASH_BUDGET: Duration = Duration::from_millis(1);

/// How often the instantaneous metrics (ops/sec, network kbps) are sampled, in ms (Redis: 100).
const STATS_SAMPLE_PERIOD_MS: i64 = 100;

/// Samples kept for each instantaneous metric's average (Redis's STATS_METRIC_SAMPLES).
const STATS_SAMPLES: usize = 16;

/// A drained query buffer bigger than this (bytes) is freed by the cron when its client has
/// been idle for [`IDLE_SHRINK_SECONDS`], so idle clients do not pin burst-sized memory.
pub const QUERY_BUF_KEEP: usize = 32 * 1024;

/// Seconds of inactivity after which the cron gives back a client's spare buffer memory.
const IDLE_SHRINK_SECONDS: i64 = 2;

/// Most distinct error codes INFO errorstats tracks (Redis's ERROR_STATS_NUMBER), so a
/// client inventing codes cannot grow the table without bound.
pub const ERRORSTATS_LIMIT: usize = 128;

/// Counts the error replies `c` was sent since the last call (Redis's afterErrorReply):
/// INFO's total_error_replies and errorstats.
pub fn account_error_replies(srv: &mut Server, c: &mut Client) {
    for code in c.reply.take_error_codes() {
        srv.stats.total_error_replies += 1;
        let stats = &mut srv.stats.errorstats;
        if let Some(count) = stats.get_mut(&code) {
            *count += 1;
        } else if stats.len() < ERRORSTATS_LIMIT {
            stats.insert(code, 1);
        }
    }
}

/// Counters INFO stats reports. CONFIG RESETSTAT zeroes them ([`Stats::reset`]).
#[derive(Debug, Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    /// Error replies by code (INFO errorstats), sorted by code as Redis lists them; at most
    /// [`ERRORSTATS_LIMIT`] codes, later new ones are only counted in the total.
    pub errorstats: std::collections::BTreeMap<Box<[u8]>, u64>,
    /// Forks for background saves and rewrites, and how long the last one took the parent,
    /// in microseconds (INFO's total_forks, latest_fork_usec; see [`crate::persist::fork`]).
    pub total_forks: u64,
    pub latest_fork_usec: u64,
    /// RDB saves started by SAVE and BGSAVE, save points included (INFO's rdb_saves; as in
    /// Redis, the saves SHUTDOWN and FLUSHALL make do not count).
    pub rdb_saves: u64,
    /// Highest `used_memory` seen after a command, by the cron or by INFO (INFO's
    /// used_memory_peak; Redis samples it at the same points).
    pub used_memory_peak: u64,
    /// Keys evicted to stay under `maxmemory` (INFO's evicted_keys).
    pub evicted_keys: u64,
    /// How long memory stayed over `maxmemory` in total, in ms, and since when it has been
    /// over it now (INFO's total_eviction_exceeded_time, current_eviction_exceeded_time).
    pub total_eviction_exceeded_ms: u64,
    pub eviction_exceeded_since: Option<Instant>,
    /// Recent commands per second (INFO's instantaneous_ops_per_sec).
    pub inst_ops: InstMetric,
    /// Recent input and output bytes per second (instantaneous_input_kbps / _output_kbps).
    pub inst_net_input: InstMetric,
    pub inst_net_output: InstMetric,
}

impl Stats {
    /// Average of the recent ops/sec samples (INFO's instantaneous_ops_per_sec).
    pub fn instantaneous_ops_per_sec(&self) -> u64 {
        self.inst_ops.average()
    }

    /// Starts every counter again from zero, as at start-up (Redis's resetServerStats, for
    /// CONFIG RESETSTAT). The memory peak is kept: Redis clears it only at start-up.
    pub fn reset(&mut self, now: i64) {
        *self = Stats {
            used_memory_peak: self.used_memory_peak,
            ..Stats::default()
        };
        for metric in [
            &mut self.inst_ops,
            &mut self.inst_net_input,
            &mut self.inst_net_output,
        ] {
            metric.last_sample_ms = now;
        }
    }

    /// Takes one sample of every instantaneous metric (Redis's trackInstantaneousMetric
    /// calls in serverCron).
    fn sample(&mut self, now: i64) {
        self.inst_ops.track(now, self.total_commands_processed);
        self.inst_net_input.track(now, self.net_input_bytes);
        self.inst_net_output.track(now, self.net_output_bytes);
    }
}

/// A rate over the last couple of seconds: a ring of per-second rates, each computed from
/// the growth of a counter between two samples (Redis's inst_metric).
#[derive(Debug, Default)]
pub struct InstMetric {
    /// Time of the last sample (unix ms) and the counter's value then.
    last_sample_ms: i64,
    last_sample_count: u64,
    /// Ring of recent per-second rates.
    samples: [u64; STATS_SAMPLES],
    index: usize,
}

impl InstMetric {
    /// Records the counter's current value, at most once per [`STATS_SAMPLE_PERIOD_MS`].
    fn track(&mut self, now: i64, count: u64) {
        let elapsed = now - self.last_sample_ms;
        if elapsed < STATS_SAMPLE_PERIOD_MS {
            return;
        }
        let growth = count.saturating_sub(self.last_sample_count);
        self.samples[self.index] = growth * 1000 / elapsed as u64;
        self.index = (self.index + 1) % STATS_SAMPLES;
        self.last_sample_ms = now;
        self.last_sample_count = count;
    }

    /// The average of the recent per-second rates.
    pub fn average(&self) -> u64 {
        self.samples.iter().sum::<u64>() / STATS_SAMPLES as u64
    }
}

/// Why the server is going down, set by SHUTDOWN or a signal and acted on by the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    Running,
    Requested,
}

/// The whole server state. Created in `main`, driven by the event loop, dropped at exit.
pub struct Server {
    pub config: Config,
    /// Absolute path of the config file the server was started with, if any (INFO's
    /// config_file; what CONFIG REWRITE writes). Made absolute at start-up, as Redis does, so
    /// that it still names the file after `dir` changes the working directory.
    pub config_file: Option<String>,
    /// `config.databases` databases. Invariant: never resized after start.
    pub dbs: Vec<Db>,
    /// Every connected client, keyed by its mio token. A slot is `None` only while that
    /// client's own commands run (the handler holds it), so handlers see every *other*
    /// client here.
    pub clients: Slab<Option<Box<Client>>>,
    /// The listening sockets, one per bound address. Listener `i` is registered with the
    /// poller under the token `event_loop` derives from `i`, so the vector is only changed
    /// by `event_loop`'s functions, which register it again.
    pub listeners: Vec<TcpListener>,
    /// A handle on the event loop's poller, set when the loop starts. Commands that add or
    /// remove sockets outside the loop's own code (CONFIG SET port/bind rebinding the
    /// listeners) register them through it, and so can reply at once with the outcome; the
    /// loop itself uses its `Poll`'s registry, which this is a clone of.
    pub registry: Option<Registry>,
    /// The command lookup map.
    pub commands: CommandTable,
    pub stats: Stats,
    /// Id for the next client (CLIENT ID); ids are never reused.
    pub next_client_id: u64,
    /// Writes since start (the `dirty` counter save points will use).
    pub dirty: u64,
    /// The time, unix ms, as of the start of the running command (or loop turn). Every expiry
    /// decision within one command uses this one instant, so a command never sees a key alive
    /// in one step and expired in the next (Redis 7.2's command time snapshot); it also saves
    /// a clock read per key lookup.
    pub now_ms: i64,
    /// Input scratch: each socket read lands here and only the bytes received are appended
    /// to the client's query buffer, so no per-read zero-filling of spare capacity is needed.
    /// Its length is the most one `read()` takes.
    pub read_buf: Vec<u8>,
    /// Unix ms at start-up (uptime_in_seconds).
    pub start_time_ms: i64,
    /// Unix seconds of the last successful save (LASTSAVE, INFO rdb_last_save_time). As in
    /// Redis, the start time until a save happens; the persistence work updates it.
    pub lastsave: i64,
    /// Run id, 40 hex characters, random per start (INFO's run_id).
    pub run_id: String,
    /// Randomness for RANDOMKEY, sampling and SCAN-free choices.
    pub rng: Rng,
    pub shutdown: Shutdown,
    /// Clients with work left over from an earlier loop turn: unread input they had no
    /// budget for, or output they could not yet write without blocking elsewhere. While
    /// non-empty the loop polls without sleeping.
    pub pending: Vec<usize>,
    /// Clients that got replies this turn; `before_sleep` writes them.
    pub pending_writes: Vec<usize>,
    /// Clients to free in `before_sleep` (never mid-batch: a later event of this batch could
    /// carry the same slab key).
    pub closing: Vec<usize>,
    /// Blocked clients: how many, and their deadlines (see [`crate::blocked`]).
    pub blocked: Blocked,
    /// State of the active expiry cycle between ticks.
    pub expire_cycle: ExpireCycle,
    /// Ticks of `server_cron` since start.
    pub cron_loops: u64,
    /// When `server_cron` last ran.
    pub last_cron: Instant,
    /// Every subscription, by channel and pattern (see [`crate::commands::pubsub`]).
    pub pubsub: PubSub,
    /// Client-side caching: who may cache which keys (see [`crate::tracking`]).
    pub tracking: crate::tracking::Tracking,
    /// The commands the running execution unit leaves for the AOF (see [`crate::propagate`]).
    pub propagation: crate::propagate::Propagation,
    /// The append-only file (see [`crate::persist::aof`]).
    pub aof: crate::persist::aof::Aof,
    /// True while the data is being loaded at start-up (Redis's server.loading): nothing
    /// expires and nothing is propagated, so the loaded commands rebuild the dataset exactly.
    pub loading: bool,
    /// The slow log (see [`crate::commands::slowlog`]).
    pub slowlog: crate::commands::slowlog::SlowLog,
    /// False after DEBUG SET-ACTIVE-EXPIRE 0: the cron's expiry cycle does not run (keys
    /// still expire when looked up).
    pub active_expire_enabled: bool,
    /// Per-command counters, one per table row, indexed by `CommandTable::id` (see
    /// [`crate::commandstats`]).
    pub command_stats: Vec<crate::commandstats::CommandStats>,
    /// The running client's count of pending error replies when its current command (or
    /// the previous command of its transaction) started: an error reply beyond it makes the
    /// command a failed call (Redis's prev_err_count).
    pub errors_seen: usize,
    /// The latency monitor's events (see [`crate::commands::latency`]).
    pub latency: crate::commands::latency::LatencyMonitor,
    /// Tokens of the clients in MONITOR mode, in the order they started.
    pub monitors: Vec<usize>,
    /// CLIENT PAUSE in force, if any (see [`crate::pause`]).
    pub client_pause: Option<crate::pause::ClientPause>,
    /// Tokens of the clients parked by the pause, in the order they were parked.
    pub paused_clients: Vec<usize>,
    /// When the command about to run started, in µs since the epoch: set by
    /// `process_command` from its clock read, and moved on by `call` to the end of each
    /// command, so the commands of a transaction are timed one after the other with one
    /// clock read each.
    pub cmd_start_us: i64,
    /// The forked child writing an RDB snapshot or rewriting the AOF, if one runs (at most
    /// one; see [`crate::persist::fork`]).
    pub child: Option<ActiveChild>,
    /// Outcome and timing of RDB saves (see [`crate::persist::bgsave`]).
    pub rdb: RdbSaveState,
    /// Users, their permissions, and the ACL log (see [`crate::acl`]).
    pub acl: Acl,
    /// When the last POST / Host: security warning was logged, unix ms (0: never).
    pub last_security_warning_ms: i64,
    /// The eviction policy in force and its candidate pool (see [`crate::evict`]).
    pub evict: crate::evict::EvictState,
    /// Bytes allocated once the server was set up, before any data (MEMORY STATS'
    /// startup.allocated, INFO's used_memory_startup).
    pub initial_memory_usage: u64,
}

impl Server {
    /// A server with `config`, no listeners and no clients yet.
    pub fn new(mut config: Config, config_file: Option<String>) -> Server {
        config.clamp_hz();
        let mut rng = Rng::new(crate::util::random_seed());
        let run_id = (0..40)
            .map(|_| char::from_digit(rng.below(16) as u32, 16).unwrap_or('0'))
            .collect();
        let databases = config.databases.max(1) as usize;
        let start_time_ms = now_ms();
        crate::db::update_lru_clock();
        let commands = CommandTable::default();
        let command_stats = vec![Default::default(); commands.row_count()];
        let acl = Acl::new(&commands, &config.requirepass);
        let mut srv = Server {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            config,
            config_file,
            clients: Slab::new(),
            listeners: Vec::new(),
            registry: None,
            commands,
            stats: Stats::default(),
            next_client_id: 1,
            dirty: 0,
            start_time_ms,
            now_ms: start_time_ms,
            read_buf: vec![0; READ_SIZE],
            lastsave: start_time_ms / 1000,
            run_id,
            rng,
            shutdown: Shutdown::Running,
            pending: Vec::new(),
            pending_writes: Vec::new(),
            closing: Vec::new(),
            blocked: Blocked::default(),
            expire_cycle: ExpireCycle::default(),
            cron_loops: 0,
            last_cron: Instant::now(),
            pubsub: PubSub::default(),
            tracking: crate::tracking::Tracking::default(),
            propagation: crate::propagate::Propagation::default(),
            aof: crate::persist::aof::Aof::default(),
            loading: false,
            slowlog: Default::default(),
            latency: Default::default(),
            command_stats,
            errors_seen: 0,
            active_expire_enabled: true,
            monitors: Vec::new(),
            client_pause: None,
            paused_clients: Vec::new(),
            cmd_start_us: 0,
            child: None,
            rdb: RdbSaveState::default(),
            acl,
            last_security_warning_ms: 0,
            evict: Default::default(),
            initial_memory_usage: 0,
        };
        crate::evict::apply_policy(&mut srv);
        srv.initial_memory_usage = crate::zmalloc::used_memory();
        srv
    }

    /// Interval between `server_cron` runs (`hz` is kept in range by `Config::clamp_hz`;
    /// the `max` only rules out a division by zero).
    pub fn cron_period(&self) -> Duration {
        Duration::from_millis(1000 / self.config.hz.max(1) as u64)
    }

    /// Number of connected clients, including the one whose command is running.
    pub fn connected_clients(&self) -> usize {
        self.clients.len()
    }
}

/// Runs one parsed request of client `c` (Redis's processCommand): resolve the command,
/// check arity, check the client may run it (authentication, `no_multi` inside MULTI, its
/// user's permissions: see [`crate::acl`]), then queue it if the client is in MULTI, else
/// [`call`] it. A rejected request is answered with its error and flags the client's
/// transaction, if any ([`reject_command`]). Errors are replied to; the connection stays
/// open. (Error replies are counted for INFO by the reply
/// layer, whoever writes them.)
///
/// Clients blocked on keys are served here, after the command, never inside [`call`]: so an
/// EXEC's pushes wake them only once the whole transaction has run.
pub fn process_command(srv: &mut Server, c: &mut Client) {
    process_command_at(srv, c, now_us());
}

/// [`process_command`] with the clock already read: `now` is µs since the epoch. A client's
/// pipelined requests after the first start when the previous one's `call` ended
/// (`Server::cmd_start_us`), which saves a clock read per request (the two reads per command
/// were a tenth of the CPU time of a pipelined PING).
pub fn process_command_at(srv: &mut Server, c: &mut Client, now: i64) {
    srv.cmd_start_us = now;
    srv.now_ms = now.div_euclid(1000);
    c.redacted = 0;
    // CLIENT REPLY: a command's reply is dropped once it is complete (so a reply the
    // command itself turns back on, CLIENT REPLY ON's +OK, is kept).
    if c.reply_mode == ReplyMode::SkipNext {
        c.reply_mode = ReplyMode::Skip;
    }
    let reply_start = c.reply.deferred_len();
    process_command_generic(srv, c);
    // The subscription commands answer with push messages, which CLIENT REPLY lets through.
    let muted = matches!(c.reply_mode, ReplyMode::Off | ReplyMode::Skip);
    if muted && !replies_with_pushes(c.last_cmd) {
        c.reply.truncate(reply_start);
    }
    if c.reply_mode == ReplyMode::Skip {
        c.reply_mode = ReplyMode::On;
    }
    // Keyspace events this client caused and is subscribed to follow its reply, then the
    // invalidations owed to it (Redis's afterCommand).
    crate::commands::pubsub::deliver_pending_messages(srv, Some(c));
    crate::tracking::tracking_handle_pending_key_invalidations(srv, c);
}

/// The body of [`process_command`], from the lookup to the blocked clients served after it.
fn process_command_generic(srv: &mut Server, c: &mut Client) {
    // CLIENT CACHING applies to the next command only; inside MULTI to the whole
    // transaction (Redis's resetClient clears the flag unless in MULTI or after CLIENT).
    if let Some(t) = &mut c.tracking {
        if t.caching && c.multi.is_none() && !c.last_cmd.starts_with("client|") {
            t.caching = false;
        }
    }
    // An HTTP request (a browser made to talk to Redis by a hostile page, or SSRF): close
    // without a reply (Redis's securityWarningCommand).
    if let Some(name) = c.argv.first() {
        if name.eq_ignore_ascii_case(b"post") || name.eq_ignore_ascii_case(b"host:") {
            return security_warning_command(srv, c);
        }
    }
    // CLIENT LIST's cmd= names what was looked up, even if refused: NULL when nothing was.
    let cmd = match srv.commands.resolve(&c.argv) {
        Ok(cmd) => cmd,
        Err(LookupError::UnknownSubcommand(container)) => {
            c.last_cmd = "NULL";
            unknown_subcommand(c, container.name);
            return flag_transaction(c);
        }
        Err(LookupError::Unknown) => {
            c.last_cmd = "NULL";
            reply_unknown_command(c);
            return flag_transaction(c);
        }
    };
    c.last_cmd = cmd.name;
    if !cmd.arity_ok(c.argv.len()) {
        let msg = format!("ERR wrong number of arguments for '{}' command", cmd.name);
        return reject_command(srv, c, cmd, &msg);
    }
    if cmd.flags & flags::NO_AUTH == 0 && auth_required(&srv.acl, c) {
        return reject_command(srv, c, cmd, "NOAUTH Authentication required.");
    }
    if c.multi.is_some() && cmd.flags & flags::NO_MULTI != 0 {
        let msg = "ERR Command not allowed inside a transaction";
        return reject_command(srv, c, cmd, msg);
    }
    // The user's permissions: the command, its keys, its channels (see `crate::acl`).
    if let Err(reason) = check_all_perm(srv, c, cmd) {
        return reject_command(srv, c, cmd, &noperm_error(reason, cmd));
    }
    // Over `maxmemory`: evict first; refuse what would grow memory if that was not enough.
    if srv.config.maxmemory > 0 && crate::evict::reject_on_oom(srv, c, cmd) {
        return reject_command(srv, c, cmd, crate::evict::OOM_ERROR);
    }
    // While snapshots or AOF writes fail, writes are refused (MISCONF) so clients learn their
    // data is not reaching the disk; PING too, as in Redis, so health checks notice. An EXEC counts as a
    // write if it would run one.
    if let Some(msg) = writes_denied_by_disk_error(srv) {
        if is_write_command(c, cmd) || cmd.name == "ping" {
            return reject_command(srv, c, cmd, &msg);
        }
    }
    // A RESP2 connection with subscriptions reads messages as arrays in its reply stream, so
    // only commands whose replies it can tell apart from them may run (RESP3 pushes are
    // out of band: no limit there).
    if c.pubsub.is_subscribed() && c.reply.resp == 2 && !allowed_in_pubsub_context(cmd) {
        return reject_command(srv, c, cmd, &only_pubsub_allowed_error(cmd));
    }
    // A monitor is a replica to Redis, and replicas may not touch keys.
    if c.monitor && cmd.flags & (flags::WRITE | flags::READONLY | flags::MAY_REPLICATE) != 0 {
        return reject_command(srv, c, cmd, "ERR Replica can't interact with the keyspace");
    }
    if cmd.flags & flags::PROTECTED != 0 && !debug_allowed(srv, c) {
        return reject_command(srv, c, cmd, DEBUG_NOT_ALLOWED);
    }
    if pause_covers(srv, c, cmd) {
        return postpone_client(srv, c);
    }
    if c.multi.is_some() && !runs_inside_multi(cmd) {
        return queue_multi_command(srv, c, cmd);
    }
    srv.errors_seen = c.reply.pending_errors();
    call(srv, c, cmd);
    // Output limits are checked where output is added: here for the client's own replies
    // (a class without limits, the default for normal clients, costs one comparison), in
    // PUBLISH for the subscribers it writes to.
    close_client_on_output_buffer_limit_reached(srv, c);
    // Keys created by this command may wake blocked clients; they are served now, before
    // this client's next command, so a woken client can take what was just pushed.
    if srv.blocked.count > 0 {
        handle_clients_blocked_on_keys(srv);
        // What the served clients changed is invalidated with this client still the
        // running one, as in Redis (its current_client stays the pusher while it serves).
        crate::tracking::tracking_invalidate_changed_keys(srv);
    }
}

/// Runs `cmd`'s handler on the request in `c.argv` and accounts for it (Redis's call()):
/// the one path of every executed command, whether it comes straight from the client or
/// from a transaction's queue (EXEC calls it per queued command). It does not serve blocked
/// clients; `process_command` does once the client's request is done.
pub fn call(srv: &mut Server, c: &mut Client, cmd: &'static Command) {
    c.cmd = cmd.name;
    srv.tracking.current_client = c.id;
    let unit = crate::propagate::begin(srv);
    let start = srv.cmd_start_us;
    (cmd.handler)(srv, c);
    let end = now_us();
    srv.cmd_start_us = end;
    update_command_stats(srv, c, cmd, end - start);
    // A command that blocked is logged when it is served, not now (Redis: the slow log
    // is about execution time, not waiting).
    if cmd.flags & flags::SKIP_SLOWLOG == 0 && c.blocked.is_none() {
        let event = if cmd.flags & flags::FAST != 0 {
            "fast-command"
        } else {
            "command"
        };
        latency_add_sample_if_needed(srv, event, ((end - start) / 1000) as u64);
        slowlog_push_current_command(srv, c, end - start);
    }
    if !srv.monitors.is_empty() && cmd.flags & (flags::SKIP_MONITOR | flags::ADMIN) == 0 {
        replication_feed_monitors(srv, c);
    }
    // EXEC does not propagate itself: its queued commands did (Redis's call()).
    let own = cmd.name != "exec";
    crate::propagate::end(srv, unit, c.db, &c.argv, own);
    crate::tracking::tracking_invalidate_changed_keys(srv);
    // A tracking client may now cache what this read returned (Redis's call():
    // trackingRememberKeys); one test for everybody else.
    if c.tracking.is_some() && cmd.flags & flags::READONLY != 0 {
        crate::tracking::tracking_remember_keys(srv, c, cmd);
    }
    srv.stats.total_commands_processed += 1;
    // The peak is taken after each command, before the next one's eviction (as Redis).
    let used = crate::zmalloc::used_memory();
    srv.stats.used_memory_peak = srv.stats.used_memory_peak.max(used);
}

/// Least time between two logged security warnings, in ms (Redis: 60 s), so an attack
/// cannot flood the log.
const SECURITY_WARNING_PERIOD_MS: i64 = 60_000;

/// Logs a possible cross-protocol attack (rate-limited) and closes the connection.
fn security_warning_command(srv: &mut Server, c: &mut Client) {
    if srv.now_ms - srv.last_security_warning_ms > SECURITY_WARNING_PERIOD_MS {
        log::warn!(
            "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: \
             commands to Redis. This is likely due to an attacker attempting to use Cross \
             Protocol Scripting to compromise your Redis instance. Connection aborted."
        );
        srv.last_security_warning_ms = srv.now_ms;
    }
    close_client_async(srv, c);
}

/// True if `cmd` may change the data set: a command with the `write` flag, or an EXEC whose
/// transaction queued one (Redis's processCommand `is_write_command`).
fn is_write_command(c: &Client, cmd: &Command) -> bool {
    cmd.flags & flags::WRITE != 0
        || (cmd.name == "exec"
            && c.multi
                .as_ref()
                .is_some_and(|m| m.commands.iter().any(|q| q.cmd.flags & flags::WRITE != 0)))
}

/// Counts one execution of `cmd` that took `duration` µs, failed if it replied with an
/// error (Redis's call(): `calls`, `microseconds`, `failed_calls`, the latency histogram).
fn update_command_stats(srv: &mut Server, c: &Client, cmd: &'static Command, duration: i64) {
    let id = srv.commands.id(cmd);
    let errors = c.reply.pending_errors();
    let failed = errors > srv.errors_seen;
    srv.errors_seen = errors;
    let track_latency = srv.config.latency_tracking;
    let Some(stats) = srv.command_stats.get_mut(id) else {
        return;
    };
    let duration = duration.max(0) as u64;
    stats.calls += 1;
    stats.usec += duration;
    stats.failed_calls += u64::from(failed);
    if track_latency {
        stats
            .latency
            .get_or_insert_with(Default::default)
            .record(duration * 1000);
    }
}

/// Answers a request refused before it ran with the error `msg` and flags the client's
/// transaction (Redis's rejectCommand). A refused EXEC instead aborts the transaction, with
/// the reason in its EXECABORT error.
fn reject_command(srv: &mut Server, c: &mut Client, cmd: &Command, msg: &str) {
    flag_transaction(c);
    let id = srv.commands.id(cmd);
    if let Some(stats) = srv.command_stats.get_mut(id) {
        stats.rejected_calls += 1;
    }
    if cmd.name == "exec" {
        exec_command_abort(srv, c, msg);
    } else {
        c.reply.error(msg);
    }
}

/// Longest quotation of client input in an error text, in bytes (Redis's `%.128s`).
const ERROR_QUOTE_MAX: usize = 128;

/// What C's `%.Ns` prints of `arg`: up to its first NUL byte, at most `max` bytes.
pub fn c_string_prefix(arg: &[u8], max: usize) -> &[u8] {
    let end = arg
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(arg.len())
        .min(max);
    arg.get(..end).unwrap_or_default()
}

/// `-ERR unknown command 'foo', with args beginning with: 'a' 'b' `, as Redis words it: the
/// name cut at 128 bytes, and arguments quoted while the quoted list is under 128 bytes, each
/// cut to the room left.
fn reply_unknown_command(c: &mut Client) {
    let mut args = Vec::new();
    for arg in c.argv.iter().skip(1) {
        if args.len() >= ERROR_QUOTE_MAX {
            break;
        }
        args.push(b'\'');
        args.extend_from_slice(c_string_prefix(arg, ERROR_QUOTE_MAX - args.len() + 1));
        args.extend_from_slice(b"' ");
    }
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend_from_slice(c_string_prefix(c.argv.arg(0), ERROR_QUOTE_MAX));
    msg.extend_from_slice(b"', with args beginning with: ");
    msg.extend_from_slice(&args);
    c.reply.error_bytes(&msg);
}

/// The timer: runs every `1000/hz` ms from the event loop (Redis's serverCron).
pub fn server_cron(srv: &mut Server) {
    let now = now_ms();
    srv.cron_loops += 1;
    crate::db::update_lru_clock();
    srv.stats.sample(now);
    clients_cron(srv, now);
    active_expire_cycle(srv, crate::expire::CycleKind::Slow);
    databases_cron(srv);
    crate::persist::aof::aof_cron(srv);
    if has_active_child_process(srv) {
        check_children_done(srv);
    } else {
        rdb_save_points_cron(srv);
    }
    start_scheduled_bgsave(srv);
}

/// File descriptors kept for everything but clients (Redis's CONFIG_MIN_RESERVED_FDS): the
/// listeners, the poller, the log, RDB/AOF files, a child's pipe, with room to spare.
pub const CONFIG_MIN_RESERVED_FDS: u64 = 32;

/// Step (in descriptors) by which a refused open-files limit is lowered before asking again,
/// as Redis steps down: the limit settled on is the largest `maxclients + 32 - 16k` the
/// kernel grants.
const OPEN_FILES_LIMIT_STEP: u64 = 16;

/// Makes room for `maxclients` connections (Redis's adjustOpenFilesLimit, run at start-up and
/// by CONFIG SET maxclients): the process needs `maxclients + 32` file descriptors. If
/// RLIMIT_NOFILE is lower it is raised, soft and hard limit together as Redis sets them, to
/// that figure or, when the kernel refuses (an unprivileged process cannot pass its hard
/// limit), to the highest value it grants in steps of 16 down; `maxclients` is then reduced
/// to what fits, with Redis's three warning lines. Otherwise a client accepted past the
/// descriptor limit would fail in `accept()` instead of getting Redis's "max number of
/// clients reached". `Err` (with Redis's text) when not even 33 descriptors are available:
/// the server cannot start.
pub fn adjust_open_files_limit(config: &mut Config) -> Result<(), String> {
    let requested = u64::try_from(config.maxclients).unwrap_or(0);
    let maxfiles = requested + CONFIG_MIN_RESERVED_FDS;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == -1 {
        log::warn!(
            "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max \
             clients configuration accordingly.",
            crate::util::strerror(&std::io::Error::last_os_error())
        );
        config.maxclients = (1024 - CONFIG_MIN_RESERVED_FDS) as i64;
        return Ok(());
    }
    let oldlimit = limit.rlim_cur;
    if oldlimit >= maxfiles {
        return Ok(());
    }
    let mut best = maxfiles;
    let mut refusal = None;
    while best > oldlimit {
        let wanted = libc::rlimit {
            rlim_cur: best,
            rlim_max: best,
        };
        // SAFETY: setrlimit only reads the struct.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) } == 0 {
            break;
        }
        refusal = Some(std::io::Error::last_os_error());
        if best < OPEN_FILES_LIMIT_STEP {
            best = oldlimit;
            break;
        }
        best -= OPEN_FILES_LIMIT_STEP;
    }
    // A last attempt below the original limit leaves that limit in force.
    let best = best.max(oldlimit);
    if best >= maxfiles {
        log::info!(
            "Increased maximum number of open files to {maxfiles} (it was originally set to \
             {oldlimit})."
        );
        return Ok(());
    }
    if best <= CONFIG_MIN_RESERVED_FDS {
        return Err(format!(
            "Your current 'ulimit -n' of {oldlimit} is not enough for the server to start. \
             Please increase your open file limit to at least {maxfiles}. Exiting."
        ));
    }
    config.maxclients = (best - CONFIG_MIN_RESERVED_FDS) as i64;
    let why = refusal.map_or_else(String::new, |e| crate::util::strerror(&e));
    log::warn!("You requested maxclients of {requested} requiring at least {maxfiles} max file descriptors.");
    log::warn!("Server can't set maximum open files to {maxfiles} because of OS error: {why}.");
    log::warn!(
        "Current maximum open files is {best}. maxclients has been reduced to {} to compensate \
         for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
        config.maxclients
    );
    Ok(())
}

/// How a shutdown treats the snapshot (SHUTDOWN's options; a signal uses the defaults).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownFlags {
    /// SAVE: write the snapshot even without save points.
    pub save: bool,
    /// NOSAVE: do not write it even with save points.
    pub nosave: bool,
    /// FORCE: exit even if the snapshot could not be written.
    pub force: bool,
}

/// Gets the server ready to exit (Redis's prepareForShutdown and finishShutdown): a running
/// child is killed (its half-written file would otherwise race the final save), then, if
/// save points are configured (unless NOSAVE) or SAVE was asked for, the snapshot is written
/// in the foreground. True if the server may exit now, and then `srv.shutdown` says so; false
/// if the save failed without FORCE: the server keeps running, as Redis does, since exiting
/// would lose the data that could not be saved.
pub fn prepare_for_shutdown(srv: &mut Server, flags: ShutdownFlags) -> bool {
    log::warn!("User requested shutdown...");
    match srv.child.map(|child| child.kind) {
        Some(ChildKind::Rdb) => log::warn!("There is a child saving an .rdb. Killing it!"),
        Some(ChildKind::Aof) => log::warn!("There is a child rewriting the AOF. Killing it!"),
        None => {}
    }
    kill_child(srv);
    // Whatever the AOF buffers is written and fsynced, whatever the fsync policy.
    crate::persist::aof::flush_and_sync_on_shutdown(srv);
    if (!srv.config.save_params.is_empty() && !flags.nosave) || flags.save {
        log::info!("Saving the final RDB snapshot before exiting.");
        if rdb_save(srv).is_err() {
            if !flags.force {
                log::warn!("Error trying to save the DB, can't exit.");
                log::warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
                return false;
            }
            log::warn!("Error trying to save the DB. Exit anyway.");
        }
    }
    srv.shutdown = Shutdown::Requested;
    true
}

/// Per-client housekeeping: idle timeouts and giving back buffer memory. A blocked client
/// is idle by design and is not timed out (its own timeout, if any, applies); neither is a
/// client with subscriptions, which only listens (Redis's clientsCronHandleTimeout).
fn clients_cron(srv: &mut Server, now: i64) {
    let timeout_ms = srv.config.timeout * 1000;
    let mut expired = Vec::new();
    for (token, slot) in srv.clients.iter_mut() {
        let Some(c) = slot else { continue };
        let idle_ms = now - c.last_interaction_ms;
        if timeout_ms > 0
            && idle_ms > timeout_ms
            && c.blocked.is_none()
            && !c.pubsub.is_subscribed()
        {
            log::debug!("Closing idle client");
            expired.push(token);
            continue;
        }
        if idle_ms > IDLE_SHRINK_SECONDS * 1000 {
            c.shrink_buffers();
        }
    }
    for token in expired {
        if let Some(mut c) = take_client(srv, token) {
            close_client_async(srv, &mut c);
            put_client(srv, c);
        }
    }
}

/// Database housekeeping: finish rehashes a little at a time and shrink tables emptied by
/// deletions (Redis's databasesCron). Not while a child runs: moving every entry of a table
/// would touch pages the child still shares, copying them for nothing.
fn databases_cron(srv: &mut Server) {
    if has_active_child_process(srv) {
        return;
    }
    for db in &mut srv.dbs {
        db.dict.shrink_if_needed();
        db.expires.shrink_if_needed();
        if db.dict.rehash_for(REHASH_BUDGET) || db.expires.rehash_for(REHASH_BUDGET) {
            // One database per tick, as Redis, so a tick never spends more than ~1 ms here.
            break;
        }
    }
}
