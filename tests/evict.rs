//! `maxmemory` and its eight policies (src/evict.rs), on the real binary: what is refused
//! with `-OOM` and with which text (compared with redis-server 7.0), which keys each policy
//! may evict and which it prefers, and how an eviction is reported (INFO `evicted_keys`,
//! `evicted` keyspace events, a DEL in the AOF).
//!
//! The limit is set relative to the `used_memory` INFO reports once the keys are written,
//! so a test evicts a known number of keys' worth of memory whatever the build. Eviction
//! samples keys at random, so counts are asserted with margins; `maxmemory-eviction-tenacity
//! 100` (no time budget) makes each CONFIG SET finish its evictions before it replies, so
//! nothing continues in the background while a test looks.

mod common;

use std::time::{Duration, Instant};

use common::aof::{incr_commands, TempDir};
use common::scenario::{same_on_both, Step::*};
use common::{assert_same_replies, real_redis, Raw, Server};

const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

/// Keys each policy test writes, and the bytes of each value: enough keys that sampling
/// has a choice, few enough that a debug build writes them in milliseconds.
const KEYS: usize = 2000;
const VALUE_LEN: usize = 100;

/// Starts rredis with `policy` and eviction that always finishes within its command.
fn start(policy: &str) -> Server {
    Server::start_with(&[
        "--maxmemory-policy",
        policy,
        "--maxmemory-eviction-tenacity",
        "100",
    ])
}

/// The integer field `name` of `INFO section`.
fn info_u64(raw: &mut Raw, section: &str, name: &str) -> u64 {
    let info = raw.cmd_str(&["INFO", section]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in INFO {section}: {info}"))
}

/// The field names of `INFO section`, in order.
fn info_names(raw: &mut Raw, section: &str) -> Vec<String> {
    raw.cmd_str(&["INFO", section])
        .lines()
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.to_string()))
        .collect()
}

/// Sends every command before reading any reply (one round trip for thousands of writes);
/// returns the replies.
fn pipeline(raw: &mut Raw, commands: &[Vec<Vec<u8>>]) -> Vec<String> {
    for args in commands {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        raw.send_cmd(&args);
    }
    commands
        .iter()
        .map(|_| String::from_utf8_lossy(&raw.read_reply()).into_owned())
        .collect()
}

/// `parts` as one command's arguments.
fn args(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

fn key(i: usize) -> String {
    format!("key:{i}")
}

/// Writes keys `range` with `VALUE_LEN`-byte values; with `ttl`, each with that many
/// seconds plus its index (so keys expire in index order).
fn write_keys(raw: &mut Raw, range: std::ops::Range<usize>, ttl: Option<u64>) {
    let value = vec![b'v'; VALUE_LEN];
    let commands: Vec<_> = range
        .map(|i| {
            let k = key(i);
            match ttl {
                Some(t) => {
                    let ex = (t + i as u64).to_string();
                    args(&[b"SET", k.as_bytes(), &value, b"EX", ex.as_bytes()])
                }
                None => args(&[b"SET", k.as_bytes(), &value]),
            }
        })
        .collect();
    for reply in pipeline(raw, &commands) {
        assert_eq!(reply, "+OK\r\n");
    }
}

/// Which of keys `range` exist.
fn existing(raw: &mut Raw, range: std::ops::Range<usize>) -> Vec<bool> {
    let commands: Vec<_> = range
        .map(|i| args(&[b"EXISTS", key(i).as_bytes()]))
        .collect();
    pipeline(raw, &commands)
        .into_iter()
        .map(|r| r == ":1\r\n")
        .collect()
}

fn count(flags: &[bool]) -> usize {
    flags.iter().filter(|&&b| b).count()
}

/// Writes keys `0..KEYS`, those from `ttl_from` on with `ttl`; returns the bytes evicting
/// one of them frees ([`key_bytes`]).
fn fill(raw: &mut Raw, ttl_from: usize, ttl: Option<u64>) -> u64 {
    write_keys(raw, 0..ttl_from, None);
    write_keys(raw, ttl_from..KEYS, ttl);
    key_bytes(raw)
}

/// What one key costs (MEMORY USAGE of the last): the difference of `used_memory` before
/// and after writing the keys would also count the growth of the hash tables, which
/// evicting keys does not give back, and so overstate what an eviction frees.
fn key_bytes(raw: &mut Raw) -> u64 {
    let reply = raw.cmd_str(&["MEMORY", "USAGE", &key(KEYS - 1)]);
    reply[1..].trim_end().parse().expect("MEMORY USAGE")
}

/// Lowers `maxmemory` so that about `keys` keys of `per_key` bytes must go, then lifts the
/// limit again, so the commands that check what is left (whose buffers count against the
/// limit too) do not evict more. Returns the reply of the CONFIG SET during which the keys
/// went.
fn squeeze(raw: &mut Raw, keys: usize, per_key: u64) -> String {
    let reply = limit_below_used(raw, keys, per_key);
    raw.cmd_str(&["CONFIG", "SET", "maxmemory", "0"]);
    reply
}

/// Sets `maxmemory` `keys` × `per_key` bytes below the memory used now.
fn limit_below_used(raw: &mut Raw, keys: usize, per_key: u64) -> String {
    let used = info_u64(raw, "memory", "used_memory");
    let limit = used - keys as u64 * per_key;
    raw.cmd_str(&["CONFIG", "SET", "maxmemory", &limit.to_string()])
}

/// The same replies as Redis under `noeviction`: writes that may grow memory (`denyoom`)
/// are refused with Redis's text, reads and DEL run; inside MULTI every command but EXEC /
/// DISCARD is refused (the queue itself grows), so EXEC aborts.
#[test]
fn noeviction_refuses_writes_like_redis() {
    assert_same_replies(
        "noeviction_refuses_writes_like_redis",
        &[
            &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
            &["SET", "a", "1"],
            &["RPUSH", "list", "x"],
            &["CONFIG", "SET", "maxmemory", "1"],
            &["SET", "b", "2"],
            &["SETNX", "b", "2"],
            &["APPEND", "a", "x"],
            &["INCR", "a"],
            &["LPUSH", "list", "y"],
            &["HSET", "h", "f", "v"],
            &["SADD", "s", "m"],
            &["ZADD", "z", "1", "m"],
            &["RESTORE", "r", "0", "x"],
            &["COPY", "a", "a2"],
            &["GET", "a"],
            &["LRANGE", "list", "0", "-1"],
            &["EXPIRE", "a", "100"],
            &["PERSIST", "a"],
            &["LPOP", "list"],
            &["DBSIZE"],
            &["MULTI"],
            &["GET", "a"],
            &["EXEC"],
            &["MULTI"],
            &["DISCARD"],
            &["DEL", "a"],
            &["DBSIZE"],
            &["CONFIG", "SET", "maxmemory", "0"],
            &["SET", "b", "2"],
        ],
    );
}

/// A transaction queued under the limit whose EXEC comes once memory is over it is aborted
/// with the OOM reason, as in Redis (EXEC counts as `denyoom` when it would run such a
/// command); a read-only one queued over the limit fails at its first queued command.
#[test]
fn exec_over_the_limit_matches_redis() {
    let steps = vec![
        Cmd(1, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]),
        Cmd(0, &["MULTI"]),
        Cmd(0, &["SET", "x", "1"]),
        Cmd(0, &["GET", "x"]),
        Cmd(1, &["CONFIG", "SET", "maxmemory", "1"]),
        Cmd(0, &["EXEC"]),
        Cmd(0, &["GET", "x"]),
        Cmd(0, &["MULTI"]),
        Cmd(0, &["GET", "x"]),
        Cmd(0, &["EXEC"]),
        Cmd(1, &["CONFIG", "SET", "maxmemory", "0"]),
        Cmd(0, &["MULTI"]),
        Cmd(0, &["GET", "x"]),
        Cmd(1, &["CONFIG", "SET", "maxmemory", "1"]),
        Cmd(0, &["EXEC"]),
    ];
    same_on_both("exec_over_the_limit_matches_redis", &steps);
}

/// Under an LFU policy a key that is overwritten keeps its access counter (Redis's
/// dbSetValue), plus the accesses of the write's lookups; a copy starts afresh. With
/// `lfu-log-factor 0` every access counts, so the counters are exact.
#[test]
fn overwritten_keys_keep_their_lfu_counter_like_redis() {
    assert_same_replies(
        "overwritten_keys_keep_their_lfu_counter_like_redis",
        &[
            // A limit far above use: rredis's integers are never shared, Redis's are
            // unless maxmemory is set.
            &["CONFIG", "SET", "maxmemory", "1000000000"],
            &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
            &["CONFIG", "SET", "lfu-log-factor", "0"],
            &["SET", "k", "v"],
            &["OBJECT", "FREQ", "k"],
            &["GET", "k"],
            &["GET", "k"],
            &["GET", "k"],
            &["OBJECT", "FREQ", "k"],
            &["SET", "k", "v2"],
            &["OBJECT", "FREQ", "k"],
            &["APPEND", "k", "x"],
            &["SET", "k", "v3", "KEEPTTL"],
            &["OBJECT", "FREQ", "k"],
            &["INCR", "n"],
            &["INCR", "n"],
            &["OBJECT", "FREQ", "n"],
            &["COPY", "k", "k2"],
            &["OBJECT", "FREQ", "k2"],
            &["RENAME", "k", "k3"],
            &["OBJECT", "FREQ", "k3"],
            &["SETEX", "k3", "100", "y"],
            &["OBJECT", "FREQ", "k3"],
            // Commands whose setKey looks the key up again count one more access.
            &["GETSET", "k3", "z"],
            &["OBJECT", "FREQ", "k3"],
            &["MSET", "k3", "a", "other", "b"],
            &["OBJECT", "FREQ", "k3"],
            &["SADD", "s", "m"],
            &["SUNIONSTORE", "k3", "s"],
            &["OBJECT", "FREQ", "k3"],
            &["ZADD", "z", "1", "m"],
            &["ZUNIONSTORE", "k3", "1", "z"],
            &["OBJECT", "FREQ", "k3"],
            &["RPUSH", "l", "b", "a"],
            &["SORT", "l", "ALPHA", "STORE", "k3"],
            &["OBJECT", "FREQ", "k3"],
            &["MSETNX", "k3", "x", "fresh", "y"],
            &["OBJECT", "FREQ", "k3"],
        ],
    );
}

/// With no key it may evict, a volatile policy refuses writes as `noeviction` does; an
/// allkeys policy evicts everything and then refuses too (the limit is below what an empty
/// server takes).
#[test]
fn policies_with_nothing_to_evict_refuse_like_redis() {
    let mut script: Vec<&[&str]> = vec![&["SET", "persistent", "1"], &["RPUSH", "l", "a", "b"]];
    let volatile: &[&[&str]] = &[
        &["CONFIG", "SET", "maxmemory-policy", "volatile-lru"],
        &["CONFIG", "SET", "maxmemory", "1"],
        &["SET", "x", "1"],
        &["CONFIG", "SET", "maxmemory-policy", "volatile-lfu"],
        &["SET", "x", "1"],
        &["CONFIG", "SET", "maxmemory-policy", "volatile-random"],
        &["SET", "x", "1"],
        &["CONFIG", "SET", "maxmemory-policy", "volatile-ttl"],
        &["SET", "x", "1"],
        &["DBSIZE"],
        &["GET", "persistent"],
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
        &["SET", "x", "1"],
        &["DBSIZE"],
    ];
    script.extend_from_slice(volatile);
    for policy in ["allkeys-lfu", "allkeys-random"] {
        let setup: Vec<&[&str]> = vec![
            &["CONFIG", "SET", "maxmemory", "0"],
            &["SET", "persistent", "1"],
            &["SELECT", "5"],
            &["SET", "in5", "1"],
            &["SELECT", "0"],
        ];
        script.extend(setup);
        script.push(match policy {
            "allkeys-lfu" => &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
            _ => &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
        });
        let evict: Vec<&[&str]> = vec![
            &["CONFIG", "SET", "maxmemory", "1"],
            &["SET", "x", "1"],
            &["DBSIZE"],
            &["SELECT", "5"],
            &["DBSIZE"],
            &["SELECT", "0"],
        ];
        script.extend(evict);
    }
    assert_same_replies("policies_with_nothing_to_evict_refuse_like_redis", &script);
}

/// The error texts around eviction: OBJECT FREQ without an LFU policy, OBJECT IDLETIME with
/// one, a bad policy name, the range checks of the tuning parameters.
#[test]
fn eviction_error_texts_match_redis() {
    assert_same_replies(
        "eviction_error_texts_match_redis",
        &[
            &["SET", "k", "v"],
            &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
            &["OBJECT", "FREQ", "k"],
            &["CONFIG", "SET", "maxmemory-policy", "volatile-ttl"],
            &["OBJECT", "FREQ", "k"],
            &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
            &["OBJECT", "IDLETIME", "k"],
            &["OBJECT", "FREQ", "nokey"],
            &["CONFIG", "SET", "maxmemory-policy", "VOLATILE-LFU"],
            &["CONFIG", "GET", "maxmemory-policy"],
            &["OBJECT", "IDLETIME", "k"],
            &["CONFIG", "SET", "maxmemory-policy", "lru"],
            &["CONFIG", "SET", "maxmemory-policy", ""],
            &["CONFIG", "GET", "maxmemory-policy"],
            &["CONFIG", "SET", "maxmemory-samples", "0"],
            &["CONFIG", "SET", "maxmemory-samples", "64"],
            &["CONFIG", "SET", "lfu-log-factor", "-1"],
            &["CONFIG", "SET", "lfu-decay-time", "-1"],
            &["CONFIG", "SET", "maxmemory-eviction-tenacity", "101"],
            &["CONFIG", "SET", "maxmemory", "-1"],
            &["CONFIG", "SET", "maxmemory", "1kb"],
            &["CONFIG", "GET", "maxmemory"],
        ],
    );
}

/// An evicted key is announced as `evicted` on both channels with `KEe`, as by Redis
/// (one key, so which key goes is not left to chance).
#[test]
fn evicted_events_match_redis() {
    let steps = vec![
        Cmd(1, &["CONFIG", "SET", "notify-keyspace-events", "KEe"]),
        Cmd(0, &["PSUBSCRIBE", "__key*__:*"]),
        Cmd(1, &["SET", "victim", "v"]),
        Cmd(1, &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]),
        Cmd(1, &["CONFIG", "SET", "maxmemory", "1"]),
        Read(0),
        Read(0),
        Cmd(1, &["CONFIG", "SET", "maxmemory", "0"]),
        Cmd(1, &["PUBLISH", "__keyspace@0__:end", "end"]),
        Read(0),
    ];
    let got = same_on_both("evicted_events_match_redis", &steps);
    assert!(
        got.iter().any(|r| r.contains("__keyevent@0__:evicted")),
        "{got:?}"
    );
}

/// A client caching an evicted key is told to drop it, and a transaction WATCHing it
/// fails, as for any other deletion (Redis's signalModifiedKey in performEvictions).
#[test]
fn eviction_invalidates_tracked_and_watched_keys_like_redis() {
    let steps = vec![
        Send(0, &["HELLO", "3"]),
        Discard(0),
        Cmd(0, &["CLIENT", "TRACKING", "ON"]),
        Cmd(1, &["SET", "victim", "v"]),
        Cmd(0, &["GET", "victim"]),
        Cmd(2, &["WATCH", "victim"]),
        Cmd(1, &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]),
        Cmd(1, &["CONFIG", "SET", "maxmemory", "1"]),
        Read(0),
        Cmd(1, &["CONFIG", "SET", "maxmemory", "0"]),
        Cmd(2, &["MULTI"]),
        Cmd(2, &["PING"]),
        Cmd(2, &["EXEC"]),
        Cmd(0, &["GET", "victim"]),
    ];
    let got = same_on_both(
        "eviction_invalidates_tracked_and_watched_keys_like_redis",
        &steps,
    );
    assert!(got.iter().any(|r| r.contains("invalidate")), "{got:?}");
}

/// allkeys-random takes keys with and without a TTL alike.
#[test]
fn allkeys_random_evicts_any_key() {
    let server = start("allkeys-random");
    let mut raw = server.raw();
    let per_key = fill(&mut raw, KEYS / 2, Some(1000));
    assert_eq!(squeeze(&mut raw, KEYS / 2, per_key), "+OK\r\n");
    let left = existing(&mut raw, 0..KEYS);
    let (persistent, volatile) = left.split_at(KEYS / 2);
    // About half of each half went (a quarter of all keys each, ± sampling).
    for (name, half) in [("persistent", persistent), ("volatile", volatile)] {
        let gone = half.len() - count(half);
        assert!(
            (KEYS / 8..=KEYS * 3 / 8).contains(&gone),
            "{gone} {name} keys evicted"
        );
    }
    let evicted = info_u64(&mut raw, "stats", "evicted_keys") as usize;
    assert_eq!(evicted, KEYS - count(&left));
}

/// The volatile policies evict only keys with a TTL; once none is left, writes get -OOM
/// and the keys without a TTL are all still there.
#[test]
fn volatile_policies_never_evict_persistent_keys() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let server = start(policy);
        let mut raw = server.raw();
        let per_key = fill(&mut raw, KEYS / 2, Some(1000));
        assert_eq!(squeeze(&mut raw, KEYS / 4, per_key), "+OK\r\n");
        let left = existing(&mut raw, 0..KEYS);
        let (persistent, volatile) = left.split_at(KEYS / 2);
        assert_eq!(
            count(persistent),
            KEYS / 2,
            "{policy}: a persistent key went"
        );
        let gone = volatile.len() - count(volatile);
        assert!(
            (KEYS / 8..=KEYS / 2).contains(&gone),
            "{policy}: {gone} volatile keys evicted"
        );
        // Beyond what the volatile keys hold: all of them go, and it is not enough. CONFIG
        // SET itself succeeds, as in Redis, whatever eviction achieved.
        assert_eq!(limit_below_used(&mut raw, KEYS * 3 / 4, per_key), "+OK\r\n");
        let left = existing(&mut raw, 0..KEYS);
        assert_eq!(count(&left[..KEYS / 2]), KEYS / 2, "{policy}");
        assert_eq!(count(&left[KEYS / 2..]), 0, "{policy}");
        assert_eq!(raw.cmd_str(&["SET", "new", "v"]), OOM, "{policy}");
        let value = format!("${VALUE_LEN}\r\n{}\r\n", "v".repeat(VALUE_LEN));
        assert_eq!(raw.cmd_str(&["GET", "key:0"]), value, "{policy}");
        assert_eq!(
            info_u64(&mut raw, "stats", "evicted_keys") as usize,
            KEYS / 2,
            "{policy}"
        );
    }
}

/// volatile-ttl evicts the keys that expire soonest: with a quarter of the keys evicted,
/// the later-expiring half is untouched and the earliest keys are the ones gone.
#[test]
fn volatile_ttl_evicts_the_soonest_expiring_first() {
    let server = start("volatile-ttl");
    let mut raw = server.raw();
    // Every key has a TTL; key i expires at 1000 + i seconds.
    let per_key = fill(&mut raw, 0, Some(1000));
    assert_eq!(squeeze(&mut raw, KEYS / 4, per_key), "+OK\r\n");
    let left = existing(&mut raw, 0..KEYS);
    assert_eq!(count(&left[KEYS / 2..]), KEYS / 2, "a late key was evicted");
    // The soonest tenth is mostly gone. Not all: a key that no round happened to sample
    // stays, as in Redis (each of ~500 rounds samples 5 of 2000 keys, so about a quarter
    // of the keys are never looked at).
    let early_left = count(&left[..KEYS / 10]);
    assert!(
        early_left <= KEYS / 20,
        "{early_left} of the earliest keys left"
    );
}

/// Writes all keys idle for 10000 seconds (RESTORE IDLETIME), then reads the even ones,
/// which makes them recently used.
fn write_cold_keys_and_read_the_even_ones(raw: &mut Raw, ttl: bool) {
    raw.cmd_str(&["SET", "template", &"v".repeat(VALUE_LEN)]);
    let dump = raw.cmd(&["DUMP", "template"]);
    raw.cmd_str(&["DEL", "template"]);
    // The payload: the bulk string's bytes between its header line and the final CRLF.
    let start = dump.iter().position(|&b| b == b'\n').expect("bulk header") + 1;
    let payload = &dump[start..dump.len() - 2];
    let ttl = if ttl { &b"1000000"[..] } else { b"0" };
    let commands: Vec<_> = (0..KEYS)
        .map(|i| {
            args(&[
                b"RESTORE",
                key(i).as_bytes(),
                ttl,
                payload,
                b"IDLETIME",
                b"10000",
            ])
        })
        .collect();
    for reply in pipeline(raw, &commands) {
        assert_eq!(reply, "+OK\r\n");
    }
    // 10000 s, plus the seconds the RESTOREs took on a loaded machine.
    let idle = idle_seconds(raw, "key:0");
    assert!((10_000..10_060).contains(&idle), "{idle}");
    let reads: Vec<_> = (0..KEYS)
        .step_by(2)
        .map(|i| args(&[b"GET", key(i).as_bytes()]))
        .collect();
    pipeline(raw, &reads);
    assert!(idle_seconds(raw, "key:0") < 60);
}

/// OBJECT IDLETIME of `key`.
fn idle_seconds(raw: &mut Raw, key: &str) -> u64 {
    let reply = raw.cmd_str(&["OBJECT", "IDLETIME", key]);
    reply[1..].trim_end().parse().expect("OBJECT IDLETIME")
}

/// Squeezes memory to a quarter of the keys and checks that the even keys (the ones read)
/// nearly all stayed while most odd ones (never read) went.
fn assert_keeps_the_even_keys(raw: &mut Raw, per_key: u64, policy: &str) {
    assert_eq!(squeeze(raw, KEYS / 4, per_key), "+OK\r\n");
    let left = existing(raw, 0..KEYS);
    let hot_left = left.iter().step_by(2).filter(|&&b| b).count();
    let cold_left = left.iter().skip(1).step_by(2).filter(|&&b| b).count();
    assert!(
        hot_left >= KEYS / 2 - KEYS / 100,
        "{policy}: {hot_left} of the read keys left"
    );
    assert!(
        cold_left <= KEYS * 3 / 8,
        "{policy}: {cold_left} cold keys left"
    );
}

/// The LRU policies keep what was read recently: with a quarter of the keys evicted, the
/// keys read since they were written survive, and the evicted are the untouched ones.
/// Nearly all: while the pool is still filling, a round whose samples are all recent keys
/// evicts the best of them, as in Redis (1 in 2^10 rounds with 10 samples).
#[test]
fn lru_policies_keep_recently_used_keys() {
    for (policy, ttl) in [("allkeys-lru", false), ("volatile-lru", true)] {
        let server = start(policy);
        let mut raw = server.raw();
        raw.cmd_str(&["CONFIG", "SET", "maxmemory-samples", "10"]);
        write_cold_keys_and_read_the_even_ones(&mut raw, ttl);
        let per_key = key_bytes(&mut raw);
        assert_keeps_the_even_keys(&mut raw, per_key, policy);
    }
}

/// The LFU policies keep what is read often: with `lfu-log-factor 0` every read counts,
/// so ten reads take a key's counter from 5 to 15 and the unread keys go first.
#[test]
fn lfu_policies_keep_frequently_read_keys() {
    for (policy, ttl) in [("allkeys-lfu", None), ("volatile-lfu", Some(1000))] {
        let server = start(policy);
        let mut raw = server.raw();
        raw.cmd_str(&["CONFIG", "SET", "maxmemory-samples", "10"]);
        raw.cmd_str(&["CONFIG", "SET", "lfu-log-factor", "0"]);
        // No decay: a minute boundary during the test must not lower the counters.
        raw.cmd_str(&["CONFIG", "SET", "lfu-decay-time", "0"]);
        let per_key = fill(&mut raw, 0, ttl);
        assert_eq!(raw.cmd_str(&["OBJECT", "FREQ", "key:0"]), ":5\r\n");
        let reads: Vec<_> = (0..10)
            .flat_map(|_| (0..KEYS).step_by(2))
            .map(|i| args(&[b"GET", key(i).as_bytes()]))
            .collect();
        pipeline(&mut raw, &reads);
        assert_eq!(raw.cmd_str(&["OBJECT", "FREQ", "key:0"]), ":15\r\n");
        assert_keeps_the_even_keys(&mut raw, per_key, policy);
    }
}

/// Every eviction is counted in INFO's `evicted_keys` and announced once on
/// `__keyevent@0__:evicted` (`Ee`) and on the key's own channel (`Ke`).
#[test]
fn evictions_are_counted_and_announced() {
    let server = start("allkeys-random");
    let mut raw = server.raw();
    let per_key = fill(&mut raw, KEYS, None);
    raw.cmd_str(&["CONFIG", "SET", "notify-keyspace-events", "KEe"]);
    let mut sub = server.raw();
    sub.cmd_str(&["SUBSCRIBE", "__keyevent@0__:evicted"]);
    sub.cmd_str(&["PSUBSCRIBE", "__keyspace@0__:*"]);
    assert_eq!(squeeze(&mut raw, KEYS / 4, per_key), "+OK\r\n");
    raw.cmd_str(&["PUBLISH", "__keyspace@0__:end", "end"]);
    let evicted = info_u64(&mut raw, "stats", "evicted_keys") as usize;
    assert_eq!(evicted, KEYS - count(&existing(&mut raw, 0..KEYS)));
    assert!(evicted >= KEYS / 8, "{evicted}");
    // Per eviction: the keyspace event (`Ke`, the event as payload), then the keyevent one
    // (`Ee`, the key as payload).
    let (mut keyspace, mut keyevent) = (0, 0);
    loop {
        let msg = String::from_utf8_lossy(&sub.read_reply()).into_owned();
        if msg.starts_with("*4\r\n$8\r\npmessage") && msg.ends_with("$7\r\nevicted\r\n") {
            keyspace += 1;
        } else if msg.starts_with("*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted") {
            assert!(msg.contains("\r\nkey:"), "{msg:?}");
            keyevent += 1;
        } else {
            assert!(msg.ends_with("$3\r\nend\r\n"), "unexpected message {msg:?}");
            break;
        }
    }
    assert_eq!((keyspace, keyevent), (evicted, evicted));
}

/// Evicted keys reach the AOF as DELs, so a reload does not bring them back.
#[test]
fn evicted_keys_are_deleted_in_the_aof() {
    let dir = TempDir::new("evicted_keys_are_deleted_in_the_aof");
    let server = Server::start_with(&[
        "--dir",
        dir.str(),
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--maxmemory-policy",
        "allkeys-random",
        "--maxmemory-eviction-tenacity",
        "100",
    ]);
    let mut raw = server.raw();
    let per_key = fill(&mut raw, KEYS, None);
    assert_eq!(squeeze(&mut raw, KEYS / 4, per_key), "+OK\r\n");
    let evicted = info_u64(&mut raw, "stats", "evicted_keys") as usize;
    assert!(evicted >= KEYS / 8, "{evicted}");
    // The AOF is written before the next replies go out; poll for the last DEL anyway.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let dels: Vec<_> = incr_commands(&dir.aof_dir())
            .into_iter()
            .filter(|c| c.first().is_some_and(|n| n.eq_ignore_ascii_case(b"del")))
            .collect();
        if dels.len() == evicted {
            let left = existing(&mut raw, 0..KEYS);
            for del in dels {
                let name = String::from_utf8_lossy(&del[1]).into_owned();
                let i: usize = name["key:".len()..].parse().expect("key index");
                assert!(!left[i], "{name} deleted in the AOF but still present");
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} DELs in the AOF for {evicted} evictions",
            dels.len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Replies, once written, stop counting in `used_memory` (as Redis frees its reply blocks):
/// a 200 KB burst of GET replies once stayed allocated in the client's buffer, and under
/// `maxmemory` each such burst cost its size in evicted keys.
#[test]
fn written_replies_stop_counting_against_maxmemory() {
    let server = Server::start();
    let mut raw = server.raw();
    let big = "v".repeat(10_000);
    raw.cmd_str(&["SET", "big", &big]);
    let before = info_u64(&mut raw, "memory", "used_memory");
    let reads: Vec<_> = (0..200).map(|_| args(&[b"GET", b"big"])).collect();
    pipeline(&mut raw, &reads);
    let after = info_u64(&mut raw, "memory", "used_memory");
    // 2 MB of replies went out; what stays is the small buffer every client keeps and the
    // query buffer, tens of KB.
    assert!(
        after < before + 256 * 1024,
        "{} bytes still held after 2 MB of replies were written",
        after - before
    );
}

/// A snapshot keeps what keys remember of their use, as Redis's does (IDLE under an LRU
/// policy, FREQ under an LFU one), so a restarted server evicts in the same order.
#[test]
fn snapshots_keep_idle_time_and_access_frequency() {
    for (policy, option, set_to, query, want) in [
        ("allkeys-lru", "IDLETIME", "5000", "IDLETIME", 5000..=5010),
        ("volatile-lru", "IDLETIME", "5000", "IDLETIME", 5000..=5010),
        // A minute boundary between RESTORE and OBJECT FREQ decays the counter by one.
        ("allkeys-lfu", "FREQ", "100", "FREQ", 99..=100),
    ] {
        let dir = TempDir::new(&format!("snapshots_keep_access_data_{policy}"));
        let args = ["--dir", dir.str(), "--maxmemory-policy", policy];
        {
            let server = Server::start_with(&args);
            let mut raw = server.raw();
            raw.cmd_str(&["SET", "template", "v"]);
            let dump = raw.cmd(&["DUMP", "template"]);
            let start = dump.iter().position(|&b| b == b'\n').expect("bulk header") + 1;
            let payload = &dump[start..dump.len() - 2];
            let restore: [&[u8]; 6] = [
                b"RESTORE",
                b"k",
                b"0",
                payload,
                option.as_bytes(),
                set_to.as_bytes(),
            ];
            raw.send_cmd(&restore);
            assert_eq!(raw.read_reply(), b"+OK\r\n");
            assert_eq!(raw.cmd_str(&["SAVE"]), "+OK\r\n");
        }
        let server = Server::start_with(&args);
        let mut raw = server.raw();
        let reply = raw.cmd_str(&["OBJECT", query, "k"]);
        let got: u64 = reply[1..].trim_end().parse().expect("integer");
        assert!(
            want.contains(&got),
            "{policy}: OBJECT {query} {got} after a restart"
        );
    }
}

/// While a child process runs, lookups leave the LRU stamp alone (as Redis's lookupKey does:
/// updating it would copy the object's page for the child's sake).
#[test]
fn lookups_during_a_background_save_do_not_touch_keys() {
    let dir = TempDir::new("lookups_during_a_background_save");
    let server = Server::start_with(&[
        "--dir",
        dir.str(),
        "--maxmemory-policy",
        "allkeys-lru",
        "--rdb-key-save-delay",
        "300000",
    ]);
    let mut raw = server.raw();
    raw.cmd_str(&["SET", "template", "v"]);
    let dump = raw.cmd(&["DUMP", "template"]);
    raw.cmd_str(&["DEL", "template"]);
    let start = dump.iter().position(|&b| b == b'\n').expect("bulk header") + 1;
    let payload = &dump[start..dump.len() - 2];
    raw.send_cmd(&[b"RESTORE", b"k", b"0", payload, b"IDLETIME", b"5000"]);
    assert_eq!(raw.read_reply(), b"+OK\r\n");
    assert_eq!(raw.cmd_str(&["BGSAVE"]), "+Background saving started\r\n");
    assert_eq!(raw.cmd_str(&["GET", "k"]), "$1\r\nv\r\n");
    // The child sleeps 0.3 s on its one key, so it is still running here.
    assert_eq!(
        info_u64(&mut raw, "persistence", "rdb_bgsave_in_progress"),
        1
    );
    let idle = idle_seconds(&mut raw, "k");
    assert!((5000..5060).contains(&idle), "{idle}");
    // Once it is done, lookups count again.
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_u64(&mut raw, "persistence", "rdb_bgsave_in_progress") == 1 {
        assert!(Instant::now() < deadline, "the BGSAVE never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
    raw.cmd_str(&["GET", "k"]);
    assert!(idle_seconds(&mut raw, "k") < 60);
}

/// MEMORY USAGE of small values: rredis measures its own encodings, which are not Redis's
/// listpacks and intsets, so the figures differ; they must stay within a small factor of
/// Redis's (printed for the record).
#[test]
fn memory_usage_is_in_redis_ballpark() {
    let Some(real) = real_redis("memory_usage_is_in_redis_ballpark") else {
        return;
    };
    let ours = Server::start();
    let setup: &[&[&str]] = &[
        &["SET", "str", "hello"],
        &["SET", "int", "12345"],
        &["SET", "long", &"a".repeat(100)],
        &["RPUSH", "list", "a", "b", "c"],
        &["HSET", "hash", "f1", "v1", "f2", "v2"],
        &["SADD", "intset", "1", "2", "3"],
        &["SADD", "set", "a", "b", "c"],
        &["ZADD", "zset", "1", "a", "2", "b"],
    ];
    let (mut o, mut r) = (ours.raw(), real.raw());
    for cmd in setup {
        assert_eq!(o.cmd_str(cmd), r.cmd_str(cmd));
    }
    for key in [
        "str", "int", "long", "list", "hash", "intset", "set", "zset",
    ] {
        let usage = |raw: &mut Raw| -> i64 {
            let reply = raw.cmd_str(&["MEMORY", "USAGE", key]);
            reply
                .trim_start_matches(':')
                .trim_end()
                .parse()
                .expect("integer")
        };
        let (got, want) = (usage(&mut o), usage(&mut r));
        eprintln!("MEMORY USAGE {key}: rredis {got}, redis {want}");
        assert!(
            want / 2 <= got && got <= want * 4,
            "MEMORY USAGE {key}: rredis {got}, redis {want}"
        );
    }
    assert_eq!(o.cmd_str(&["MEMORY", "USAGE", "nokey"]), "$-1\r\n");
}

/// INFO memory has Redis's fields in Redis's order, and INFO stats has `evicted_keys`.
#[test]
fn info_memory_fields_match_redis() {
    let Some(real) = real_redis("info_memory_fields_match_redis") else {
        return;
    };
    let ours = Server::start();
    let (mut o, mut r) = (ours.raw(), real.raw());
    assert_eq!(info_names(&mut o, "memory"), info_names(&mut r, "memory"));
    assert_eq!(info_u64(&mut o, "stats", "evicted_keys"), 0);
}
