//! MEMORY and its subcommands (Redis's object.c memoryCommand), and the breakdown of
//! `used_memory` that MEMORY STATS, MEMORY DOCTOR and INFO memory share
//! ([`memory_overhead`], Redis's getMemoryOverheadData).
//!
//! Every figure comes from the counting allocator ([`crate::zmalloc`]) and the kernel's
//! resident set size. rredis does not query jemalloc's own statistics, so the `allocator.*`
//! figures are the counted bytes (allocated, active) and the RSS (resident), and MEMORY
//! MALLOC-STATS says the allocator gives no report.

use crate::client::Client;
use crate::commands::flags::*;
use crate::commands::server_cmds::{all_clients, client_memory, proc_kb};
use crate::commands::{container_command, errors, Command, NO_KEYS};
use crate::db::{Key, LOOKUP_NONOTIFY, LOOKUP_NOTOUCH};
use crate::dict::Dict;
use crate::resp::reply::Reply;
use crate::server::Server;
use crate::types::Obj;
use crate::util::parse_i64;
use crate::zmalloc::used_memory;

pub static COMMANDS: &[Command] = &[Command::new("memory", -2, 0, NO_KEYS, 0, container_command)
    .with_subcommands(MEMORY_SUBCOMMANDS)];

/// MEMORY's subcommands, in the order Redis's COMMAND INFO lists them.
static MEMORY_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "memory|malloc-stats",
        2,
        0,
        NO_KEYS,
        0,
        memory_malloc_stats_command,
    ),
    Command::new(
        "memory|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        0,
        memory_help_command,
    ),
    Command::new(
        "memory|usage",
        -3,
        READONLY,
        (2, 2, 1),
        0,
        memory_usage_command,
    ),
    Command::new("memory|stats", 2, 0, NO_KEYS, 0, memory_stats_command),
    Command::new("memory|doctor", 2, 0, NO_KEYS, 0, memory_doctor_command),
    Command::new("memory|purge", 2, 0, NO_KEYS, 0, memory_purge_command),
];

/// Below this many allocated bytes MEMORY DOCTOR declines to judge (Redis: 5 MB).
const DOCTOR_MIN_ALLOCATED: u64 = 5 * 1024 * 1024;

/// Where `used_memory` goes (Redis's struct redisMemOverhead): what the server needs whatever
/// the data (start-up, clients, hash tables) and what is left for the data itself.
pub struct MemoryOverhead {
    pub peak_allocated: u64,
    pub total_allocated: u64,
    pub startup_allocated: u64,
    pub clients_normal: u64,
    /// Per non-empty database: its index and the overhead of its key table and TTL table.
    pub dbs: Vec<(usize, u64, u64)>,
    pub overhead_total: u64,
    pub dataset: u64,
    pub total_keys: u64,
    pub bytes_per_key: u64,
    pub dataset_perc: f64,
    pub peak_perc: f64,
    pub rss: u64,
}

/// The breakdown of memory now (Redis's getMemoryOverheadData). `me` is the client asking,
/// whose slot is empty while its command runs.
pub fn memory_overhead(srv: &Server, me: &Client) -> MemoryOverhead {
    let total = used_memory();
    let startup = srv.initial_memory_usage;
    let clients_normal = all_clients(srv, me).map(client_memory).sum::<usize>() as u64;
    let dbs: Vec<(usize, u64, u64)> = srv
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.is_empty())
        .map(|(i, d)| {
            (
                i,
                d.dict.overhead_bytes() as u64,
                d.expires.overhead_bytes() as u64,
            )
        })
        .collect();
    let overhead_total = startup
        + clients_normal
        + dbs
            .iter()
            .map(|(_, main, expires)| main + expires)
            .sum::<u64>();
    let total_keys: u64 = srv.dbs.iter().map(|d| d.len() as u64).sum();
    let net_usage = total.saturating_sub(startup).max(1);
    let dataset = total.saturating_sub(overhead_total);
    let peak = srv.stats.used_memory_peak.max(total);
    MemoryOverhead {
        peak_allocated: peak,
        total_allocated: total,
        startup_allocated: startup,
        clients_normal,
        dbs,
        overhead_total,
        dataset,
        total_keys,
        bytes_per_key: net_usage.checked_div(total_keys).unwrap_or(0),
        dataset_perc: dataset as f64 * 100.0 / net_usage as f64,
        peak_perc: if peak == 0 {
            0.0
        } else {
            total as f64 * 100.0 / peak as f64
        },
        rss: proc_kb("/proc/self/status", "VmRSS:") * 1024,
    }
}

/// `a / b` as the ratios of INFO and MEMORY STATS (0 when `b` is 0).
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// MEMORY HELP.
fn memory_help_command(_srv: &mut Server, c: &mut Client) {
    c.reply.help(
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
}

/// MEMORY USAGE key [SAMPLES count]: the bytes the key costs: its table entry, its name
/// and its value. Name and value are measured, not estimated: they are copied and the counting
/// allocator says how much the copy took (a copy is packed, so spare capacity the original
/// may hold is not counted). So the answer is exact but takes time in proportion to the
/// value's size, as Redis's SAMPLES 0; SAMPLES is checked as Redis checks it and otherwise
/// unused.
fn memory_usage_command(srv: &mut Server, c: &mut Client) {
    let mut j = 3;
    while j < c.argv.len() {
        if c.argv.arg(j).eq_ignore_ascii_case(b"samples") && j + 1 < c.argv.len() {
            match parse_i64(c.argv.arg(j + 1)) {
                None => return c.reply.error(errors::NOT_INTEGER),
                Some(n) if n < 0 => return c.reply.error(errors::SYNTAX),
                Some(_) => {}
            }
            j += 2;
        } else {
            return c.reply.error(errors::SYNTAX);
        }
    }
    let key = c.argv.arg(2);
    let flags = LOOKUP_NOTOUCH | LOOKUP_NONOTIFY;
    let Some(obj) = crate::db::lookup_key_read_with_flags(srv, c.db, key, flags) else {
        return c.reply.null();
    };
    // The name is measured the same way: a short one lives inside the entry and costs
    // nothing beyond it (see `crate::key`).
    let before = used_memory();
    let copy = (Key::from(key), obj.value.clone());
    let name_and_value_bytes = used_memory().saturating_sub(before);
    drop(copy);
    let per_entry = Dict::<Key, Obj>::entry_overhead();
    c.reply
        .int((name_and_value_bytes + per_entry as u64) as i64);
}

/// MEMORY STATS: [`memory_overhead`] as Redis's map of names to numbers.
fn memory_stats_command(srv: &mut Server, c: &mut Client) {
    let mh = memory_overhead(srv, c);
    let r = &mut c.reply;
    r.map_len(27 + mh.dbs.len());
    let int = |r: &mut Reply, name: &str, v: u64| {
        r.bulk(name.as_bytes());
        r.int(v as i64);
    };
    int(r, "peak.allocated", mh.peak_allocated);
    int(r, "total.allocated", mh.total_allocated);
    int(r, "startup.allocated", mh.startup_allocated);
    int(r, "replication.backlog", 0);
    int(r, "clients.slaves", 0);
    int(r, "clients.normal", mh.clients_normal);
    int(r, "cluster.links", 0);
    int(r, "aof.buffer", 0);
    int(r, "lua.caches", 0);
    int(r, "functions.caches", 0);
    for &(db, main, expires) in &mh.dbs {
        r.bulk(format!("db.{db}").as_bytes());
        r.map_len(3);
        int(r, "overhead.hashtable.main", main);
        int(r, "overhead.hashtable.expires", expires);
        int(r, "overhead.hashtable.slot-to-keys", 0);
    }
    int(r, "overhead.total", mh.overhead_total);
    int(r, "keys.count", mh.total_keys);
    int(r, "keys.bytes-per-key", mh.bytes_per_key);
    int(r, "dataset.bytes", mh.dataset);
    let double = |r: &mut Reply, name: &str, v: f64| {
        r.bulk(name.as_bytes());
        r.double(v);
    };
    double(r, "dataset.percentage", mh.dataset_perc);
    double(r, "peak.percentage", mh.peak_perc);
    // No jemalloc statistics: allocated and active are the counted bytes, resident the RSS.
    let allocated = mh.total_allocated;
    int(r, "allocator.allocated", allocated);
    int(r, "allocator.active", allocated);
    int(r, "allocator.resident", mh.rss);
    double(r, "allocator-fragmentation.ratio", 1.0);
    int(r, "allocator-fragmentation.bytes", 0);
    double(r, "allocator-rss.ratio", ratio(mh.rss, allocated));
    int(r, "allocator-rss.bytes", mh.rss.saturating_sub(allocated));
    double(r, "rss-overhead.ratio", 1.0);
    int(r, "rss-overhead.bytes", 0);
    double(r, "fragmentation", ratio(mh.rss, allocated));
    int(r, "fragmentation.bytes", mh.rss.saturating_sub(allocated));
}

/// MEMORY DOCTOR: Redis's report for an instance too small to judge, or its all-clear. The
/// individual problem reports (peak far above use, fragmentation, big client buffers) are
/// not diagnosed.
fn memory_doctor_command(srv: &mut Server, c: &mut Client) {
    let mh = memory_overhead(srv, c);
    let text = if mh.total_allocated < DOCTOR_MIN_ALLOCATED {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector \
         can't be used in these conditions. Please, leave for your mission on Earth and fill \
         it with some data. The new Sam and I will be back to our programming as soon as I \
         finished rebooting."
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what \
         occurs on this base."
    };
    c.reply.verbatim(text.as_bytes());
}

/// MEMORY MALLOC-STATS: Redis's answer when its allocator has no report to give.
fn memory_malloc_stats_command(_srv: &mut Server, c: &mut Client) {
    c.reply
        .bulk(b"Stats not supported for the current allocator");
}

/// MEMORY PURGE: jemalloc returns dirty pages on its own schedule; nothing to force.
fn memory_purge_command(_srv: &mut Server, c: &mut Client) {
    c.reply.ok();
}
