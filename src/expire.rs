//! Active expiry (Redis's expire.c `activeExpireCycle`).
//!
//! Lazy expiry (db.rs) removes a key when someone touches it; keys nobody touches would stay
//! in memory forever without this cycle. It walks each database's `expires` table with a SCAN
//! cursor, a sample of [`KEYS_PER_LOOP`] keys at a time, deletes those past their deadline, and
//! repeats on the same database while more than a quarter of the sample had expired (a sign
//! that many more have).
//!
//! The cycle is always bounded in time so the loop never stalls: the *slow* cycle runs from
//! `server_cron` every tick; if it stops at its time limit with expired keys left, the *fast*
//! cycle runs from `before_sleep` in 1 ms slices, at most every other millisecond, until the
//! backlog is gone. A million keys expiring at once are reclaimed in about a second or two of
//! wall time without any single pause longer than a couple of milliseconds.

use std::time::{Duration, Instant};

use crate::db::Key;
use crate::notify::{notify_keyspace_event, NOTIFY_EXPIRED};
use crate::server::Server;
use crate::util::now_ms;

/// Keys sampled per iteration (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: usize = 20;

/// Most buckets one iteration may visit looking for its sample, so a sparse table after
/// mass deletion does not turn one iteration into a full scan.
const MAX_BUCKETS_PER_LOOP: usize = KEYS_PER_LOOP * 20;

/// Keep sampling the same database while more than this percentage of the sample expired.
const REPEAT_ABOVE_PERCENT: usize = 25;

/// Share of each cron tick the slow cycle may use (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC),
/// capped by [`SLOW_CYCLE_MAX`].
const SLOW_CYCLE_TICK_PERCENT: u32 = 25;

/// Longest single slow cycle. Redis allows 25 ms at hz 10; rredis caps it lower and lets
/// the fast cycle carry any backlog, so no client waits behind a long expiry pause.
const SLOW_CYCLE_MAX: Duration = Duration::from_millis(2);

/// Length of one fast cycle (ACTIVE_EXPIRE_CYCLE_FAST_DURATION).
pub const FAST_CYCLE: Duration = Duration::from_millis(1);

/// Iterations between clock checks: reading the clock every iteration would cost more than
/// the sampling itself.
const ITERATIONS_PER_TIME_CHECK: u32 = 16;

/// Which cycle is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleKind {
    /// From `server_cron`, every tick.
    Slow,
    /// From `before_sleep`, only while a backlog remains.
    Fast,
}

/// What the cycle remembers between runs. Owned by the `Server`.
#[derive(Debug, Default)]
pub struct ExpireCycle {
    /// Database the next cycle starts with, so every database gets its turn even when the
    /// cycles keep running out of time on the first ones.
    next_db: usize,
    /// The last cycle stopped at its time limit, so expired keys are probably left: the fast
    /// cycle should run and the loop should not sleep long.
    pub backlog: bool,
    /// Start of the last fast cycle (fast cycles are spaced by at least [`FAST_CYCLE`]).
    last_fast_start: Option<Instant>,
}

/// Runs one expiry cycle of the given kind, and records its duration for the latency
/// monitor (event `expire-cycle`).
pub fn active_expire_cycle(srv: &mut Server, kind: CycleKind) {
    let start = Instant::now();
    expire_cycle(srv, kind, start);
    let ms = start.elapsed().as_millis() as u64;
    crate::commands::latency::latency_add_sample_if_needed(srv, "expire-cycle", ms);
}

/// The body of [`active_expire_cycle`], which started at `start`.
fn expire_cycle(srv: &mut Server, kind: CycleKind, start: Instant) {
    if !srv.active_expire_enabled || crate::pause::check_client_pause_timeout(srv) {
        return;
    }
    let budget = match kind {
        CycleKind::Slow => (srv.cron_period() * SLOW_CYCLE_TICK_PERCENT / 100).min(SLOW_CYCLE_MAX),
        CycleKind::Fast => {
            if !srv.expire_cycle.backlog {
                return;
            }
            if srv
                .expire_cycle
                .last_fast_start
                .is_some_and(|t| t.elapsed() < FAST_CYCLE * 2)
            {
                return;
            }
            srv.expire_cycle.last_fast_start = Some(start);
            FAST_CYCLE
        }
    };
    let dbs = srv.dbs.len();
    let mut iterations = 0u32;
    let mut expired_total = 0u64;
    for offset in 0..dbs {
        let index = (srv.expire_cycle.next_db + offset) % dbs;
        loop {
            let expired = expire_sample(srv, index);
            expired_total += expired.expired as u64;
            iterations += 1;
            if iterations % ITERATIONS_PER_TIME_CHECK == 0 && start.elapsed() > budget {
                srv.expire_cycle.next_db = index;
                srv.expire_cycle.backlog = true;
                srv.stats.expired_keys += expired_total;
                return;
            }
            if expired.sampled == 0
                || expired.expired * 100 <= expired.sampled * REPEAT_ABOVE_PERCENT
            {
                break;
            }
        }
    }
    srv.stats.expired_keys += expired_total;
    srv.expire_cycle.next_db = (srv.expire_cycle.next_db + 1) % dbs.max(1);
    srv.expire_cycle.backlog = false;
}

/// Counts of one sampling iteration.
struct Sample {
    sampled: usize,
    expired: usize,
}

/// Samples up to [`KEYS_PER_LOOP`] keys of database `index` from its expiry cursor and
/// deletes those whose deadline has passed.
fn expire_sample(srv: &mut Server, index: usize) -> Sample {
    let now = now_ms();
    let Some(db) = srv.dbs.get_mut(index) else {
        return Sample {
            sampled: 0,
            expired: 0,
        };
    };
    let mut sampled = 0;
    let mut due: Vec<Key> = Vec::new();
    let mut cursor = db.expires_cursor;
    let mut buckets = 0;
    while !db.expires.is_empty() && sampled < KEYS_PER_LOOP && buckets < MAX_BUCKETS_PER_LOOP {
        cursor = db.expires.scan(cursor, |key, &when| {
            sampled += 1;
            if now > when {
                due.push(key.clone());
            }
        });
        buckets += 1;
        if cursor == 0 {
            break;
        }
    }
    db.expires_cursor = cursor;
    for key in &due {
        if let Some(db) = srv.dbs.get_mut(index) {
            db.delete(key);
            db.touch_watched_key(key);
        }
        // Redis's deleteExpiredKeyAndPropagate: the event follows each deletion, and the
        // DEL is propagated as a unit of its own.
        notify_keyspace_event(srv, NOTIFY_EXPIRED, "expired", key, index);
        crate::propagate::propagate_deletion(srv, index, key);
        crate::propagate::propagate_pending_commands(srv);
    }
    Sample {
        sampled,
        expired: due.len(),
    }
}
