//! The memory limit (Redis's evict.c): when `maxmemory` is set and the bytes the allocator
//! counts ([`crate::zmalloc`]) go over it, keys are evicted before the next command runs,
//! chosen by `maxmemory-policy`; under `noeviction`, or when nothing is left to evict,
//! commands that may grow memory are refused with `-OOM`.
//!
//! Keys are picked as Redis picks them, approximately: no global ordering is kept. Each
//! round samples `maxmemory-samples` keys of every database (from all keys, or only from
//! keys with a TTL for the `volatile-*` policies) and merges them into the [`EvictionPool`],
//! the [`EVPOOL_SIZE`] best candidates seen so far, ordered by a score: idle time for LRU,
//! 255 minus the access counter for LFU, how soon the key expires for `volatile-ttl`. The
//! best one goes. The pool outlives the round, so good candidates found earlier still
//! compete with the next samples. The random policies just take a random key, cycling
//! through the databases.
//!
//! What a key remembers of its use is its object's `lru` field (`crate::types::Obj`), read
//! in one of two ways as in Redis: under an LRU (or any non-LFU) policy the 24-bit LRU clock
//! of its last access (`crate::db::lru_clock`, seconds); under an LFU policy 16 bits of the
//! minute it was last decremented and an 8-bit logarithmic access counter
//! ([`lfu_log_incr`], [`lfu_decr_and_return`]). Switching policies reinterprets the field
//! without converting it, as Redis does, so the scores need a while to mean something again.
//!
//! [`perform_evictions`] runs before every command while `maxmemory` is set (one atomic load
//! and a comparison when under the limit) and spends at most the time
//! `maxmemory-eviction-tenacity` allows; if memory is still over the limit then, the rest is
//! evicted from `before_sleep` ([`eviction_time_proc`]) on the following loop turns, while
//! commands run in between.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::client::Client;
use crate::commands::{flags, Command};
use crate::config::Config;
use crate::db::{idle_seconds, lfu_time_in_minutes, lru_clock, Key};
use crate::notify::{notify_keyspace_event, NOTIFY_EVICTED};
use crate::server::Server;
use crate::types::Obj;
use crate::util::Rng;

/// Candidates the eviction pool keeps between rounds (Redis's EVPOOL_SIZE).
pub const EVPOOL_SIZE: usize = 16;

/// The LFU counter of a new key (Redis's LFU_INIT_VAL): above zero, so a key just written
/// is not the first to go before it had a chance to be read.
pub const LFU_INIT_VAL: u8 = 5;

/// The LFU time field: minutes, modulo 2^16 (~45 days).
const LFU_MINUTES_MASK: u32 = 0xffff;

/// Evictions between two looks at the clock: reading it per key would cost more than
/// many evictions (Redis checks every 16 keys).
const KEYS_PER_TIME_CHECK: u64 = 16;

/// The error a command gets when memory cannot be brought under `maxmemory`.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// The names `maxmemory-policy` accepts, in Redis's order (its CONFIG SET error lists them
/// so).
pub const POLICY_NAMES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// What `maxmemory-policy` selects: which keys may go, and which of them first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl Policy {
    /// The policy a (valid, lower-case) `maxmemory-policy` value names.
    pub fn from_name(name: &str) -> Policy {
        match name {
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            "allkeys-lru" => Policy::AllkeysLru,
            "allkeys-lfu" => Policy::AllkeysLfu,
            "allkeys-random" => Policy::AllkeysRandom,
            _ => Policy::NoEviction,
        }
    }

    /// True if any key may be evicted, false if only keys with a TTL may.
    fn all_keys(self) -> bool {
        matches!(
            self,
            Policy::AllkeysLru | Policy::AllkeysLfu | Policy::AllkeysRandom
        )
    }

    /// True for the LRU policies, under which snapshots record each key's idle time.
    pub fn is_lru(self) -> bool {
        matches!(self, Policy::VolatileLru | Policy::AllkeysLru)
    }

    /// True for the LFU policies, under which `Obj::lru` holds a counter.
    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::VolatileLfu | Policy::AllkeysLfu)
    }

    /// True for the policies that pick a random key instead of using the pool.
    fn is_random(self) -> bool {
        matches!(self, Policy::VolatileRandom | Policy::AllkeysRandom)
    }
}

/// Whether an LFU policy is in force, for the code that stamps objects without the server
/// at hand ([`new_object_lru`]). Set by [`apply_policy`]; one thread uses it, it is an
/// atomic only because it is a `static`.
static LFU_SELECTED: AtomicBool = AtomicBool::new(false);

/// True when `Obj::lru` fields hold LFU data (an LFU policy is selected).
pub fn lfu_selected() -> bool {
    LFU_SELECTED.load(Ordering::Relaxed)
}

/// Caches the parsed `maxmemory-policy` (start-up and CONFIG SET), so neither the command
/// path nor every key access compares strings.
pub fn apply_policy(srv: &mut Server) {
    let policy = Policy::from_name(&srv.config.maxmemory_policy);
    srv.evict.policy = policy;
    LFU_SELECTED.store(policy.is_lfu(), Ordering::Relaxed);
    // Scores from the previous policy mean nothing under the new one.
    srv.evict.pool.clear();
}

/// CONFIG SET maxmemory (Redis's updateMaxmemory): a limit below the memory in use is
/// warned about, and eviction starts at once.
pub fn apply_maxmemory(srv: &mut Server) {
    if srv.config.maxmemory == 0 {
        return;
    }
    let used = crate::zmalloc::used_memory();
    if srv.config.maxmemory < used {
        log::warn!(
            "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the \
             current memory usage ({used}). This will result in key eviction and/or the \
             inability to accept new write commands depending on the maxmemory-policy.",
            srv.config.maxmemory
        );
    }
    perform_evictions(srv);
}

/// The `lru` stamp of a new object (Redis's createObject): the LRU clock now, or, under
/// an LFU policy, this minute and the initial counter.
pub fn new_object_lru() -> u32 {
    if lfu_selected() {
        (lfu_time_in_minutes() << 8) | LFU_INIT_VAL as u32
    } else {
        lru_clock()
    }
}

/// The `lru` stamp of an object loaded with its access data (RESTORE's IDLETIME / FREQ, an
/// RDB's IDLE / FREQ opcodes; Redis's objectSetLRUOrLFU): FREQ counts under an LFU policy,
/// IDLE under the others, and what the policy does not use is dropped.
pub fn object_lru_from(idle_seconds: Option<u64>, freq: Option<u8>) -> u32 {
    if lfu_selected() {
        if let Some(freq) = freq {
            return (lfu_time_in_minutes() << 8) | freq as u32;
        }
    } else if let Some(idle) = idle_seconds {
        let idle = (idle % (crate::db::LRU_CLOCK_MAX as u64 + 1)) as u32;
        return lru_clock().wrapping_sub(idle) & crate::db::LRU_CLOCK_MAX;
    }
    new_object_lru()
}

/// Records an access to `obj` (Redis's lookupKey): the LRU clock, or under an LFU policy
/// the decayed counter, incremented with logarithmic probability, and this minute.
pub fn update_object_access(obj: &mut Obj, config: &Config, rng: &mut Rng) {
    if lfu_selected() {
        let counter = lfu_decr_and_return(obj.lru, config.lfu_decay_time);
        let counter = lfu_log_incr(counter, config.lfu_log_factor, rng);
        obj.lru = (lfu_time_in_minutes() << 8) | counter as u32;
    } else {
        obj.lru = lru_clock();
    }
}

/// Minutes since the LFU time `ldt`, allowing for one wrap of the 16-bit field (Redis's
/// LFUTimeElapsed).
fn lfu_time_elapsed(ldt: u32) -> u32 {
    let now = lfu_time_in_minutes();
    if now >= ldt {
        now - ldt
    } else {
        LFU_MINUTES_MASK - ldt + now
    }
}

/// The counter incremented with probability 1 / ((counter - LFU_INIT_VAL) * factor + 1)
/// (Redis's LFULogIncr): with the default factor 10, about a million accesses saturate it.
pub fn lfu_log_incr(counter: u8, log_factor: i64, rng: &mut Rng) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let r = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// The counter of an LFU stamp after its decay: one less per `lfu-decay-time` minutes since
/// it was last touched (Redis's LFUDecrAndReturn; 0 minutes means no decay). OBJECT FREQ's
/// answer.
pub fn lfu_decr_and_return(lru: u32, decay_time: i64) -> u8 {
    let ldt = lru >> 8;
    let counter = (lru & 0xff) as u8;
    if decay_time <= 0 {
        return counter;
    }
    let periods = lfu_time_elapsed(ldt) as u64 / decay_time as u64;
    counter.saturating_sub(periods.min(u8::MAX as u64) as u8)
}

/// One candidate of the eviction pool: a copy of the key's name (the pool outlives the
/// round, and the key may be deleted or changed meanwhile), its database and its score.
#[derive(Debug)]
struct PoolEntry {
    /// Higher is a better candidate for eviction.
    idle: u64,
    key: Key,
    db: usize,
}

/// The eviction pool (Redis's EvictionPoolLRU): at most [`EVPOOL_SIZE`] candidates, sorted
/// by ascending score, so the best is last. Lives in [`EvictState`] for the server's life.
#[derive(Debug, Default)]
pub struct EvictionPool {
    entries: Vec<PoolEntry>,
}

impl EvictionPool {
    fn clear(&mut self) {
        self.entries.clear();
    }

    /// Adds a sampled key with its score, as Redis's evictionPoolPopulate: a candidate
    /// worse than all of a full pool is dropped, else it goes in its place and a full
    /// pool drops its worst. As in Redis, a key sampled again may take a second place: its
    /// copy is skipped as a ghost once the key is gone, whereas looking for it first
    /// compared each sample's name with the whole pool (an eighth of the time of an
    /// eviction-bound write load, where most scores tie).
    fn insert(&mut self, idle: u64, key: &[u8], db: usize) {
        let mut at = self.entries.partition_point(|e| e.idle < idle);
        if self.entries.len() == EVPOOL_SIZE {
            if at == 0 {
                return;
            }
            self.entries.remove(0);
            at -= 1;
        }
        // The name is copied only for a candidate that stays.
        let entry = PoolEntry {
            idle,
            key: key.into(),
            db,
        };
        self.entries.insert(at, entry);
    }

    /// Takes the best candidate out.
    fn pop_best(&mut self) -> Option<PoolEntry> {
        self.entries.pop()
    }
}

/// Eviction state kept between commands, owned by the `Server`.
#[derive(Debug)]
pub struct EvictState {
    /// The parsed `maxmemory-policy` (see [`apply_policy`]).
    pub policy: Policy,
    pub pool: EvictionPool,
    /// The database the random policies look at next, so they spread over all of them.
    next_db: usize,
    /// True while memory is over the limit and [`eviction_time_proc`] keeps evicting from
    /// `before_sleep` (Redis's isEvictionProcRunning).
    proc_running: bool,
}

impl Default for EvictState {
    fn default() -> Self {
        EvictState {
            policy: Policy::NoEviction,
            pool: EvictionPool::default(),
            next_db: 0,
            proc_running: false,
        }
    }
}

/// What [`perform_evictions`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictResult {
    /// Memory is under the limit (or eviction does not apply now).
    Ok,
    /// Over the limit, but the time budget ran out; eviction continues in `before_sleep`.
    Running,
    /// Over the limit and nothing (more) can be evicted.
    Fail,
}

/// Bytes to free to get under `maxmemory`, or `None` when under it (Redis's
/// getMaxmemoryState). Everything the allocator counts counts, client buffers included, as
/// in Redis, except the AOF buffer (Redis's freeMemoryGetNotCountedMemory; replica output
/// buffers, its other exception, do not exist in rredis).
pub fn bytes_over_limit(srv: &Server) -> Option<u64> {
    let limit = srv.config.maxmemory;
    let used = crate::zmalloc::used_memory().saturating_sub(srv.aof.buffer_allocated());
    (limit > 0 && used > limit).then(|| used - limit)
}

/// How long one call of [`perform_evictions`] may run, in µs, from
/// `maxmemory-eviction-tenacity` (Redis's evictionTimeLimitUs): 50 µs per step up to 10
/// (the default, 500 µs), then 15% more per step, and no limit at 100.
fn eviction_time_limit_us(tenacity: i64) -> u64 {
    if tenacity <= 10 {
        50 * tenacity.max(0) as u64
    } else if tenacity < 100 {
        (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64
    } else {
        u64::MAX
    }
}

/// Evicts keys until memory is under `maxmemory`, the policy forbids it, nothing is left to
/// evict, or the time budget is spent (Redis's performEvictions). Each evicted key is
/// deleted as expiry deletes one (its watchers touched, client caches invalidated) and
/// announced with an `evicted` event; INFO counts it in `evicted_keys`.
pub fn perform_evictions(srv: &mut Server) -> EvictResult {
    let result = evict_until_under_limit(srv);
    // INFO's total/current_eviction_exceeded_time: how long memory has stayed over the
    // limit (Redis's update_metrics).
    match result {
        EvictResult::Running | EvictResult::Fail => {
            if srv.stats.eviction_exceeded_since.is_none() {
                srv.stats.eviction_exceeded_since = Some(Instant::now());
            }
        }
        EvictResult::Ok => {
            if let Some(since) = srv.stats.eviction_exceeded_since.take() {
                srv.stats.total_eviction_exceeded_ms += since.elapsed().as_millis() as u64;
            }
        }
    }
    result
}

/// The loop of [`perform_evictions`].
fn evict_until_under_limit(srv: &mut Server) -> EvictResult {
    // While clients are paused the dataset must not change (Redis's
    // isSafeToPerformEvictions); a write cannot run then anyway.
    if crate::pause::check_client_pause_timeout(srv) {
        return EvictResult::Ok;
    }
    let Some(to_free) = bytes_over_limit(srv) else {
        return EvictResult::Ok;
    };
    if srv.evict.policy == Policy::NoEviction {
        return EvictResult::Fail;
    }
    let limit_us = eviction_time_limit_us(srv.config.maxmemory_eviction_tenacity);
    let start = Instant::now();
    let mut freed: u64 = 0;
    let mut keys_freed: u64 = 0;
    srv.evict.proc_running = false;
    while freed < to_free {
        let Some((db, key)) = find_best_key(srv) else {
            return EvictResult::Fail;
        };
        let before = crate::zmalloc::used_memory();
        evict_key(srv, db, &key);
        drop(key);
        freed += before.saturating_sub(crate::zmalloc::used_memory());
        keys_freed += 1;
        if keys_freed % KEYS_PER_TIME_CHECK == 0
            && start.elapsed().as_micros() as u64 > limit_us
            && bytes_over_limit(srv).is_some()
        {
            srv.evict.proc_running = true;
            return EvictResult::Running;
        }
    }
    EvictResult::Ok
}

/// Keeps evicting on each loop turn while a [`perform_evictions`] ran out of time with
/// memory still over the limit (Redis's evictionTimeProc, a timer firing every turn).
pub fn eviction_time_proc(srv: &mut Server) {
    if srv.evict.proc_running && perform_evictions(srv) != EvictResult::Running {
        srv.evict.proc_running = false;
    }
}

/// Deletes one chosen key and tells everybody (the body of Redis's eviction loop). The
/// invalidation for caching clients follows the running command, or the loop turn.
fn evict_key(srv: &mut Server, db: usize, key: &[u8]) {
    let Some(d) = srv.dbs.get_mut(db) else {
        return;
    };
    d.delete(key);
    d.touch_watched_key(key);
    srv.stats.evicted_keys += 1;
    // The DEL goes to the AOF as a unit of its own, unless a command's unit is running
    // (CONFIG SET maxmemory evicting at once), which then carries it.
    crate::propagate::propagate_deletion(srv, db, key);
    if srv.propagation.nesting == 0 {
        crate::propagate::propagate_pending_commands(srv);
    }
    notify_keyspace_event(srv, NOTIFY_EVICTED, "evicted", key, db);
}

/// The next key to evict and its database, by the policy, or `None` when no key qualifies.
fn find_best_key(srv: &mut Server) -> Option<(usize, Key)> {
    let policy = srv.evict.policy;
    if policy.is_random() {
        return random_key(srv, policy.all_keys());
    }
    loop {
        let mut total_keys = 0;
        for db in 0..srv.dbs.len() {
            let keys = if policy.all_keys() {
                srv.dbs[db].dict.len()
            } else {
                srv.dbs[db].expires.len()
            };
            if keys > 0 {
                eviction_pool_populate(srv, db);
                total_keys += keys;
            }
        }
        if total_keys == 0 {
            return None;
        }
        // Best first; a candidate deleted since it was sampled (a ghost) is skipped. The
        // pool cannot run dry here: the samples just taken came from non-empty tables.
        while let Some(best) = srv.evict.pool.pop_best() {
            let d = &srv.dbs[best.db];
            let present = if policy.all_keys() {
                d.dict.contains_key(&best.key[..])
            } else {
                d.expires.contains_key(&best.key[..])
            };
            if present {
                return Some((best.db, best.key));
            }
        }
    }
}

/// A random key for the random policies, from the next database that has one.
fn random_key(srv: &mut Server, all_keys: bool) -> Option<(usize, Key)> {
    let dbnum = srv.dbs.len();
    for _ in 0..dbnum {
        srv.evict.next_db = (srv.evict.next_db + 1) % dbnum;
        let index = srv.evict.next_db;
        let d = &srv.dbs[index];
        let rng = &mut srv.rng;
        let key = if all_keys {
            d.dict.random_entry(&mut || rng.next_u64()).map(|(k, _)| k)
        } else {
            d.expires
                .random_entry(&mut || rng.next_u64())
                .map(|(k, _)| k)
        };
        if let Some(key) = key {
            return Some((index, key.clone()));
        }
    }
    None
}

/// Samples `maxmemory-samples` keys of database `db` and offers each to the pool with its
/// score (Redis's evictionPoolPopulate).
fn eviction_pool_populate(srv: &mut Server, db: usize) {
    let policy = srv.evict.policy;
    let samples = srv.config.maxmemory_samples.max(1);
    let decay_time = srv.config.lfu_decay_time;
    let d = &srv.dbs[db];
    let rng = &mut srv.rng;
    let pool = &mut srv.evict.pool;
    for _ in 0..samples {
        let mut rand = || rng.next_u64();
        let (key, idle) = if policy.all_keys() {
            let Some((key, obj)) = d.dict.random_entry(&mut rand) else {
                return;
            };
            (key, score(policy, obj, decay_time))
        } else {
            let Some((key, &when)) = d.expires.random_entry(&mut rand) else {
                return;
            };
            let idle = if policy == Policy::VolatileTtl {
                // Sooner deadlines score higher.
                u64::MAX - when.max(0) as u64
            } else {
                match d.dict.get(&key[..]) {
                    Some(obj) => score(policy, obj, decay_time),
                    None => continue,
                }
            };
            (key, idle)
        };
        pool.insert(idle, key, db);
    }
}

/// How good a candidate `obj` is under an LRU or LFU policy (higher goes first): its idle
/// time in seconds, or 255 minus its decayed access counter.
fn score(policy: Policy, obj: &Obj, decay_time: i64) -> u64 {
    if policy.is_lfu() {
        255 - lfu_decr_and_return(obj.lru, decay_time) as u64
    } else {
        idle_seconds(obj.lru)
    }
}

/// The maxmemory gate of `process_command` (Redis's processCommand): evicts what needs
/// evicting, then says whether the command must be refused with [`OOM_ERROR`] — when memory
/// could not be brought under the limit and the command may grow it (`denyoom`, or an EXEC
/// whose transaction queued such a command), or the client is queueing a transaction (any
/// command but EXEC, DISCARD, QUIT and RESET: the queue itself grows).
pub fn reject_on_oom(srv: &mut Server, c: &Client, cmd: &Command) -> bool {
    let out_of_memory = perform_evictions(srv) == EvictResult::Fail;
    if !out_of_memory {
        return false;
    }
    let queued_denyoom = || {
        c.multi
            .as_ref()
            .is_some_and(|m| m.commands.iter().any(|q| q.cmd.flags & flags::DENYOOM != 0))
    };
    let denyoom = cmd.flags & flags::DENYOOM != 0 || (cmd.name == "exec" && queued_denyoom());
    let queueing = c.multi.is_some() && !matches!(cmd.name, "exec" | "discard" | "quit" | "reset");
    denyoom || queueing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_keeps_the_best_candidates_in_order() {
        let mut pool = EvictionPool::default();
        for i in 0..40u64 {
            // Scores 0, 7, 14, ... in a scrambled order.
            let idle = (i * 17 % 40) * 7;
            pool.insert(idle, format!("k{idle}").as_bytes(), 0);
        }
        assert_eq!(pool.entries.len(), EVPOOL_SIZE);
        let scores: Vec<u64> = pool.entries.iter().map(|e| e.idle).collect();
        let best: Vec<u64> = (24..40).map(|i| i * 7).collect();
        assert_eq!(scores, best);
        // A candidate worse than all is dropped.
        pool.insert(1, b"worse", 0);
        assert_eq!(pool.entries.len(), EVPOOL_SIZE);
        assert!(pool.entries.iter().all(|e| &*e.key != b"worse"));
        assert_eq!(pool.pop_best().map(|e| e.idle), Some(39 * 7));
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        crate::db::update_lru_clock();
        let mut rng = Rng::new(1);
        let mut counter = LFU_INIT_VAL;
        for _ in 0..1000 {
            counter = lfu_log_incr(counter, 10, &mut rng);
        }
        // Redis's table for factor 10: 1K hits take the counter to about 18.
        assert!((12..=25).contains(&counter), "{counter}");
        // Factor 0: every hit counts.
        assert_eq!(lfu_log_incr(7, 0, &mut rng), 8);
        assert_eq!(lfu_log_incr(255, 0, &mut rng), 255);
        // Touched 3 minutes ago with decay 1: three less; decay 0: none.
        let ago = (lfu_time_in_minutes().wrapping_sub(3) & LFU_MINUTES_MASK) << 8;
        assert_eq!(lfu_decr_and_return(ago | 10, 1), 7);
        assert_eq!(lfu_decr_and_return(ago | 10, 0), 10);
        assert_eq!(lfu_decr_and_return(ago | 2, 1), 0);
    }

    #[test]
    fn tenacity_sets_the_time_budget() {
        assert_eq!(eviction_time_limit_us(0), 0);
        assert_eq!(eviction_time_limit_us(10), 500);
        assert_eq!(eviction_time_limit_us(11), 575);
        assert_eq!(eviction_time_limit_us(100), u64::MAX);
    }
}
