//! Keyspace commands (Redis's db.c and object.c): commands that act on keys whatever their
//! type — delete, test, rename, copy, move, iterate, inspect — and on whole databases.
//!
//! Every command here first looks its keys up through `db.rs`, which expires (and counts) a
//! key past its deadline, before acting on them: DEL of an expired key replies 0, RENAME of
//! one replies `ERR no such key`. The exceptions are the commands that walk the whole table
//! (KEYS, SCAN, RANDOMKEY, DBSIZE), whose docs say how each treats expired keys.
//!
//! A handler's selected database is `srv.dbs[c.db]`: `Client::db` is always a valid index
//! (SELECT checks it, and the number of databases never changes), so that index cannot fail.

use crate::client::{Argv, Client};
use crate::commands::{acl, container_command, flags::*, Command, NO_KEYS};
use crate::db::{
    expire_if_needed, idle_seconds, lookup_key_read, lookup_key_read_with_flags, lookup_key_write,
    signal_modified_key, Key, LOOKUP_NONOTIFY, LOOKUP_NOTOUCH,
};
use crate::notify::{notify_keyspace_event, NOTIFY_GENERIC, NOTIFY_NEW};
use crate::server::Server;
use crate::types::{Obj, RString, Value};
use crate::util::{now_ms, parse_i64, parse_u64, string_match};

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command::new("del", -2, WRITE, (1, -1, 1), acl::KEYSPACE, del_command),
    Command::new(
        "unlink",
        -2,
        WRITE | FAST,
        (1, -1, 1),
        acl::KEYSPACE,
        unlink_command,
    ),
    Command::new(
        "exists",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        acl::KEYSPACE,
        exists_command,
    ),
    Command::new(
        "type",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        type_command,
    ),
    Command::new(
        "keys",
        2,
        READONLY,
        NO_KEYS,
        acl::KEYSPACE | acl::DANGEROUS,
        keys_command,
    ),
    Command::new("scan", -2, READONLY, NO_KEYS, acl::KEYSPACE, scan_command),
    Command::new("rename", 3, WRITE, (1, 2, 1), acl::KEYSPACE, rename_command),
    Command::new(
        "renamenx",
        3,
        WRITE | FAST,
        (1, 2, 1),
        acl::KEYSPACE,
        renamenx_command,
    ),
    Command::new(
        "randomkey",
        1,
        READONLY,
        NO_KEYS,
        acl::KEYSPACE,
        randomkey_command,
    ),
    Command::new(
        "copy",
        -3,
        WRITE | DENYOOM,
        (1, 2, 1),
        acl::KEYSPACE,
        copy_command,
    ),
    Command::new(
        "move",
        3,
        WRITE | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        move_command,
    ),
    Command::new(
        "touch",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        acl::KEYSPACE,
        touch_command,
    ),
    Command::new("object", -2, 0, NO_KEYS, 0, container_command)
        .with_subcommands(OBJECT_SUBCOMMANDS),
    Command::new(
        "dbsize",
        1,
        READONLY | FAST,
        NO_KEYS,
        acl::KEYSPACE,
        dbsize_command,
    ),
    Command::new(
        "flushdb",
        -1,
        WRITE,
        NO_KEYS,
        acl::KEYSPACE | acl::DANGEROUS,
        flushdb_command,
    ),
    Command::new(
        "flushall",
        -1,
        WRITE,
        NO_KEYS,
        acl::KEYSPACE | acl::DANGEROUS,
        flushall_command,
    ),
    Command::new(
        "swapdb",
        3,
        WRITE | FAST,
        NO_KEYS,
        acl::KEYSPACE | acl::DANGEROUS,
        swapdb_command,
    ),
];

/// OBJECT's subcommands, in the order Redis's COMMAND INFO lists them.
static OBJECT_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "object|idletime",
        3,
        READONLY,
        (2, 2, 1),
        acl::KEYSPACE,
        object_idletime_command,
    ),
    Command::new(
        "object|encoding",
        3,
        READONLY,
        (2, 2, 1),
        acl::KEYSPACE,
        object_encoding_command,
    ),
    Command::new(
        "object|freq",
        3,
        READONLY,
        (2, 2, 1),
        acl::KEYSPACE,
        object_freq_command,
    ),
    Command::new(
        "object|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        acl::KEYSPACE,
        object_help_command,
    ),
    Command::new(
        "object|refcount",
        3,
        READONLY,
        (2, 2, 1),
        acl::KEYSPACE,
        object_refcount_command,
    ),
];

/// Integers Redis keeps one shared object for (OBJ_SHARED_INTEGERS): every key whose value is
/// one of `0..10000` points at the same object.
const OBJ_SHARED_INTEGERS: i64 = 10_000;

/// The refcount Redis reports for a shared object (OBJ_SHARED_REFCOUNT, C's INT_MAX).
const OBJ_SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// The `ERR ...` of COPY and MOVE when source and destination are the same key
/// (shared.sameobjecterr).
const SAME_OBJECT_ERR: &str = "ERR source and destination objects are the same";

// ---------------------------------------------------------------------------------------------
// Argument helpers
// ---------------------------------------------------------------------------------------------

/// Parses argument `i` as a C `int` (Redis's getIntFromObjectOrReply). Without `msg` the two
/// failures have Redis's two texts: not an integer at all, or an integer outside the 32-bit
/// range; with `msg`, both reply `msg` (SWAPDB's "invalid first DB index").
fn get_int_from_object_or_reply(c: &mut Client, i: usize, msg: Option<&str>) -> Option<i32> {
    let error = match parse_i64(c.argv.arg(i)) {
        Some(n) => match i32::try_from(n) {
            Ok(n) => return Some(n),
            Err(_) => msg.unwrap_or(
                "ERR value is out of range, value must between -2147483648 and 2147483647",
            ),
        },
        None => msg.unwrap_or("ERR value is not an integer or out of range"),
    };
    c.reply.error(error);
    None
}

/// Parses argument `i` as the index of an existing database (COPY's DB option, MOVE).
fn get_db_index_or_reply(srv: &Server, c: &mut Client, i: usize) -> Option<usize> {
    let index = get_int_from_object_or_reply(c, i, None)?;
    let index = usize::try_from(index).ok().filter(|&n| n < srv.dbs.len());
    if index.is_none() {
        c.reply.error("ERR DB index is out of range");
    }
    index
}

// ---------------------------------------------------------------------------------------------
// DEL, UNLINK, EXISTS, TYPE, TOUCH
// ---------------------------------------------------------------------------------------------

/// DEL key [key ...]: deletes the keys; replies how many existed.
fn del_command(srv: &mut Server, c: &mut Client) {
    del_generic(srv, c);
}

/// UNLINK key [key ...]: DEL, for clients that want the memory reclaimed in the background.
/// rredis frees values synchronously, so the two are the same command here.
fn unlink_command(srv: &mut Server, c: &mut Client) {
    del_generic(srv, c);
}

/// The body of DEL and UNLINK (Redis's delGenericCommand). Each key is first expired if due,
/// so an expired key does not count as deleted; a key named twice counts once, since the
/// second time it is already gone.
fn del_generic(srv: &mut Server, c: &mut Client) {
    let mut deleted = 0;
    for key in c.argv.iter().skip(1) {
        expire_if_needed(srv, c.db, key);
        if srv.dbs[c.db].delete(key) {
            signal_modified_key(srv, c.db, key);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, c.db);
            deleted += 1;
        }
    }
    srv.dirty += deleted;
    c.reply.int(deleted as i64);
}

/// EXISTS key [key ...]: how many of the named keys exist. A key named twice is counted twice.
/// Counts keyspace hits and misses (as Redis does) without refreshing the keys' LRU.
fn exists_command(srv: &mut Server, c: &mut Client) {
    let mut count = 0;
    for key in c.argv.iter().skip(1) {
        if lookup_key_read_with_flags(srv, c.db, key, LOOKUP_NOTOUCH).is_some() {
            count += 1;
        }
    }
    c.reply.int(count);
}

/// TYPE key: the value's type as a status reply (`+string`), `+none` for a missing key.
fn type_command(srv: &mut Server, c: &mut Client) {
    let name = lookup_key_read_with_flags(srv, c.db, c.argv.arg(1), LOOKUP_NOTOUCH)
        .map_or("none", |obj| obj.value.type_name());
    c.reply.status(name);
}

/// TOUCH key [key ...]: refreshes the keys' last-access time; replies how many exist (a key
/// named twice is counted twice).
fn touch_command(srv: &mut Server, c: &mut Client) {
    let mut touched = 0;
    for key in c.argv.iter().skip(1) {
        if lookup_key_read(srv, c.db, key).is_some() {
            touched += 1;
        }
    }
    c.reply.int(touched);
}

// ---------------------------------------------------------------------------------------------
// KEYS, SCAN, RANDOMKEY, DBSIZE
// ---------------------------------------------------------------------------------------------

/// KEYS pattern: every key matching the glob `pattern`, in table order. Keys past their
/// deadline are left out but not deleted (KEYS only reads). Walks the whole database in one
/// go, which is why Redis files it under @dangerous.
fn keys_command(srv: &mut Server, c: &mut Client) {
    let pattern = c.argv.arg(1);
    let match_all = pattern == b"*";
    let now = now_ms();
    let db = &srv.dbs[c.db];
    let at = c.reply.deferred_len();
    let mut count = 0;
    for key in db.dict.keys() {
        if (match_all || string_match(pattern, key, false)) && !db.is_expired(key, now) {
            c.reply.bulk(key);
            count += 1;
        }
    }
    c.reply.set_array_len(at, count);
}

/// Parses argument `i` as a SCAN-family cursor (Redis's parseScanCursorOrReply). Redis reads
/// cursors with C's `strtoul`, quirks included (`-1`, `+5`, the empty string are accepted;
/// see [`parse_u64`]); anything it rejects is `ERR invalid cursor`.
pub fn parse_scan_cursor_or_reply(c: &mut Client, i: usize) -> Option<u64> {
    let cursor = parse_u64(c.argv.arg(i));
    if cursor.is_none() {
        c.reply.error("ERR invalid cursor");
    }
    cursor
}

/// The options of a SCAN-family command (COUNT, MATCH, and for SCAN itself TYPE).
pub struct ScanOptions<'a> {
    /// Elements to aim for per call: the scan stops visiting buckets once it has this many
    /// (before filtering), or after `10 * count` buckets.
    pub count: usize,
    /// MATCH's glob; `None` when absent or `*` (which matches everything).
    pub pattern: Option<&'a [u8]>,
    /// TYPE's type name (SCAN only), compared without regard to case.
    pub type_name: Option<&'a [u8]>,
}

/// Parses the options from argument `first` on (Redis's scanGenericCommand). Options may come
/// in any order and repeat (the last wins); each needs its value. COUNT must be an integer of
/// at least 1. TYPE is accepted only when `allow_type` (SCAN, not HSCAN and friends). An
/// unknown type name is not an error: it just matches no key. Returns Redis's error text on
/// failure.
pub fn parse_scan_options(
    argv: &Argv,
    first: usize,
    allow_type: bool,
) -> Result<ScanOptions<'_>, &'static str> {
    let mut opts = ScanOptions {
        count: 10,
        pattern: None,
        type_name: None,
    };
    let mut i = first;
    while i < argv.len() {
        let (option, value) = (argv.arg(i), argv.get(i + 1));
        match value {
            Some(value) if option.eq_ignore_ascii_case(b"count") => {
                let count =
                    parse_i64(value).ok_or("ERR value is not an integer or out of range")?;
                if count < 1 {
                    return Err("ERR syntax error");
                }
                opts.count = usize::try_from(count).unwrap_or(usize::MAX);
            }
            Some(value) if option.eq_ignore_ascii_case(b"match") => {
                opts.pattern = (&value[..] != b"*").then_some(&value[..]);
            }
            Some(value) if allow_type && option.eq_ignore_ascii_case(b"type") => {
                opts.type_name = Some(&value[..]);
            }
            _ => return Err("ERR syntax error"),
        }
        i += 2;
    }
    Ok(opts)
}

/// One call's worth of a table scan (the loop of Redis's scanGenericCommand): visits buckets
/// from `cursor`, handing each entry to `visit`, until `count` elements were collected (an
/// entry counts `per_entry`: 2 for HSCAN and ZSCAN, which reply a field and a value) or
/// `10 * count` buckets were visited. Returns the next cursor (0 when done).
pub fn scan_step<K: std::hash::Hash + Eq, V>(
    d: &crate::dict::Dict<K, V>,
    cursor: u64,
    count: usize,
    per_entry: usize,
    mut visit: impl FnMut(&K, &V),
) -> u64 {
    let mut buckets_left = count.saturating_mul(10);
    let mut collected = 0usize;
    let mut cursor = cursor;
    loop {
        cursor = d.scan(cursor, |k, v| {
            collected += per_entry;
            visit(k, v);
        });
        buckets_left -= 1;
        if cursor == 0 || buckets_left == 0 || collected >= count {
            return cursor;
        }
    }
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: one step of an iteration over the
/// keyspace. Replies `[next-cursor, [keys...]]`; a next cursor of `0` ends the iteration.
///
/// The guarantee comes from `Dict::scan`: a key present from the first call to the last is
/// returned at least once, however the table grows or shrinks meanwhile. A call visits buckets
/// until it has collected COUNT keys or visited 10×COUNT buckets, *then* filters them, as
/// Redis does, so a call with MATCH or TYPE may return fewer keys than COUNT, even none,
/// with a non-zero cursor. Filters run in Redis's order: the pattern, then the type (whose
/// lookup expires a due key and counts a keyspace hit), then expiry (an expired key is
/// deleted and left out).
fn scan_command(srv: &mut Server, c: &mut Client) {
    let Some(cursor) = parse_scan_cursor_or_reply(c, 1) else {
        return;
    };
    let opts = match parse_scan_options(&c.argv, 2, true) {
        Ok(opts) => opts,
        Err(e) => return c.reply.error(e),
    };
    let db = &srv.dbs[c.db];
    let mut keys: Vec<Key> = Vec::new();
    let cursor = scan_step(&db.dict, cursor, opts.count, 1, |key, _| {
        keys.push(key.clone())
    });

    c.reply.array_len(2);
    c.reply.bulk(cursor.to_string().as_bytes());
    let at = c.reply.deferred_len();
    let mut count = 0;
    for key in &keys {
        if opts.pattern.is_some_and(|p| !string_match(p, key, false)) {
            continue;
        }
        if let Some(wanted) = opts.type_name {
            let found = lookup_key_read_with_flags(srv, c.db, key, LOOKUP_NOTOUCH)
                .map_or("none", |obj| obj.value.type_name());
            if !found.as_bytes().eq_ignore_ascii_case(wanted) {
                continue;
            }
        }
        if expire_if_needed(srv, c.db, key) {
            continue;
        }
        c.reply.bulk(key);
        count += 1;
    }
    c.reply.set_array_len(at, count);
}

/// RANDOMKEY: a random key, or null when the database is empty.
///
/// A sampled key past its deadline is deleted and another is drawn, as in Redis, so the loop
/// ends: every round either returns a live key or removes one expired key. When every key has
/// expired, one call reclaims them all and replies null. During CLIENT PAUSE expired keys
/// stay, so after [`RANDOMKEY_PAUSED_TRIES`] expired draws the last one is returned
/// (Redis 7.2's fix of 7.0's endless loop there).
fn randomkey_command(srv: &mut Server, c: &mut Client) {
    let mut tries = RANDOMKEY_PAUSED_TRIES;
    loop {
        let rng = &mut srv.rng;
        let Some(key) = srv.dbs[c.db]
            .dict
            .random_entry(&mut || rng.next_u64())
            .map(|(key, _)| key.clone())
        else {
            return c.reply.null();
        };
        if !expire_if_needed(srv, c.db, &key) {
            return c.reply.bulk(&key);
        }
        if srv.client_pause.is_some() {
            tries -= 1;
            if tries == 0 {
                return c.reply.bulk(&key);
            }
        }
    }
}

/// Expired keys RANDOMKEY draws during CLIENT PAUSE before it returns one anyway (Redis
/// 7.2's maxtries).
const RANDOMKEY_PAUSED_TRIES: usize = 100;

/// DBSIZE: the number of keys in the selected database, counting keys that have expired but
/// have not been reclaimed yet (as Redis does: it is the table's size).
fn dbsize_command(srv: &mut Server, c: &mut Client) {
    c.reply.int(srv.dbs[c.db].len() as i64);
}

// ---------------------------------------------------------------------------------------------
// RENAME, RENAMENX, COPY, MOVE
// ---------------------------------------------------------------------------------------------

/// RENAME key newkey: moves the value and its TTL to `newkey`, replacing whatever was there.
fn rename_command(srv: &mut Server, c: &mut Client) {
    rename_generic(srv, c, false);
}

/// RENAMENX key newkey: RENAME only if `newkey` does not exist; replies 1 if renamed, else 0.
fn renamenx_command(srv: &mut Server, c: &mut Client) {
    rename_generic(srv, c, true);
}

/// The body of RENAME and RENAMENX (Redis's renameGenericCommand). A missing source is
/// `ERR no such key` even when both names are the same; an existing key renamed to itself
/// is a successful no-op for RENAME and a 0 for RENAMENX (the destination "exists").
fn rename_generic(srv: &mut Server, c: &mut Client, nx: bool) {
    let (src, dst) = (c.argv.arg(1), c.argv.arg(2));
    if lookup_key_write(srv, c.db, src).is_none() {
        return c.reply.error("ERR no such key");
    }
    if src != dst {
        if lookup_key_write(srv, c.db, dst).is_some() {
            if nx {
                return c.reply.int(0);
            }
            srv.dbs[c.db].delete(dst);
        }
        let db = &mut srv.dbs[c.db];
        if let Some((obj, expire)) = db.take(src) {
            db.add(dst, obj, expire);
        }
        // Redis's dbAdd announces the destination as a new key first.
        notify_keyspace_event(srv, NOTIFY_NEW, "new", dst, c.db);
        signal_modified_key(srv, c.db, src);
        signal_modified_key(srv, c.db, dst);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "rename_from", src, c.db);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "rename_to", dst, c.db);
        srv.dirty += 1;
    }
    if nx {
        c.reply.int(i64::from(src != dst));
    } else {
        c.reply.ok();
    }
}

/// COPY source destination [DB destination-db] [REPLACE]: copies the value and its TTL;
/// replies 1 if copied, 0 if the source is missing or the destination exists (without
/// REPLACE). The copy is a new object with the source's encoding.
fn copy_command(srv: &mut Server, c: &mut Client) {
    let mut dst_db = c.db;
    let mut replace = false;
    let mut i = 3;
    while i < c.argv.len() {
        let option = c.argv.arg(i);
        if option.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if option.eq_ignore_ascii_case(b"db") && i + 1 < c.argv.len() {
            let Some(db) = get_db_index_or_reply(srv, c, i + 1) else {
                return;
            };
            dst_db = db;
            i += 1;
        } else {
            return c.reply.error("ERR syntax error");
        }
        i += 1;
    }

    let (src, dst) = (c.argv.arg(1), c.argv.arg(2));
    if dst_db == c.db && src == dst {
        return c.reply.error(SAME_OBJECT_ERR);
    }
    if lookup_key_read(srv, c.db, src).is_none() {
        return c.reply.int(0);
    }
    if lookup_key_write(srv, dst_db, dst).is_some() {
        if !replace {
            return c.reply.int(0);
        }
        srv.dbs[dst_db].delete(dst);
    }
    let source = &srv.dbs[c.db];
    let expire = source.get_expire(src);
    let Some(value) = source.dict.get(src).map(|obj| obj.value.clone()) else {
        return c.reply.int(0);
    };
    let target = &mut srv.dbs[dst_db];
    target.set_key(dst, value, false);
    if let Some(when) = expire {
        target.set_expire(dst, when);
    }
    notify_keyspace_event(srv, NOTIFY_NEW, "new", dst, dst_db);
    notify_keyspace_event(srv, NOTIFY_GENERIC, "copy_to", dst, dst_db);
    srv.dirty += 1;
    c.reply.int(1);
}

/// MOVE key db: moves the key, with its TTL, to another database; replies 1 if moved, 0 if
/// the key is missing or already exists there.
fn move_command(srv: &mut Server, c: &mut Client) {
    let Some(dst_db) = get_db_index_or_reply(srv, c, 2) else {
        return;
    };
    if dst_db == c.db {
        return c.reply.error(SAME_OBJECT_ERR);
    }
    let key = c.argv.arg(1);
    if lookup_key_write(srv, c.db, key).is_none() || lookup_key_write(srv, dst_db, key).is_some() {
        return c.reply.int(0);
    }
    if let Some((obj, expire)) = srv.dbs[c.db].take(key) {
        srv.dbs[dst_db].add(key, obj, expire);
    }
    notify_keyspace_event(srv, NOTIFY_NEW, "new", key, dst_db);
    signal_modified_key(srv, c.db, key);
    signal_modified_key(srv, dst_db, key);
    notify_keyspace_event(srv, NOTIFY_GENERIC, "move_from", key, c.db);
    notify_keyspace_event(srv, NOTIFY_GENERIC, "move_to", key, dst_db);
    srv.dirty += 1;
    c.reply.int(1);
}

// ---------------------------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------------------------

/// OBJECT HELP.
fn object_help_command(_srv: &mut Server, c: &mut Client) {
    c.reply.help(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
}

/// The key lookup of the OBJECT subcommands (Redis's objectCommandLookupOrReply): it counts a
/// hit or miss but does not refresh the LRU (inspecting a key is not using it, and IDLETIME
/// would otherwise always say 0). A missing key gets the null reply.
fn object_command_lookup_or_reply<'a>(srv: &'a mut Server, c: &mut Client) -> Option<&'a Obj> {
    // No `keymiss` for OBJECT, as in Redis.
    let obj =
        lookup_key_read_with_flags(srv, c.db, c.argv.arg(2), LOOKUP_NOTOUCH | LOOKUP_NONOTIFY);
    if obj.is_none() {
        c.reply.null();
    }
    obj.map(|obj| &*obj)
}

/// OBJECT ENCODING key: the value's internal encoding (`int`, `embstr`, `raw`, ...).
fn object_encoding_command(srv: &mut Server, c: &mut Client) {
    if let Some(obj) = object_command_lookup_or_reply(srv, c) {
        c.reply.bulk(obj.value.encoding().as_bytes());
    }
}

/// OBJECT REFCOUNT key: how many references Redis would hold to the value. rredis shares
/// nothing, so this is Redis's answer: 2147483647 (a shared object) for an integer-encoded
/// string in 0..9999, which Redis stores as one shared object per number, and 1 otherwise.
fn object_refcount_command(srv: &mut Server, c: &mut Client) {
    if let Some(obj) = object_command_lookup_or_reply(srv, c) {
        let shared = matches!(
            obj.value,
            Value::Str(RString::Int(n)) if (0..OBJ_SHARED_INTEGERS).contains(&n)
        );
        c.reply.int(if shared { OBJ_SHARED_REFCOUNT } else { 1 });
    }
}

/// OBJECT IDLETIME key: seconds since the key was last read or written. Under an LFU
/// policy the stamp holds a counter instead, and Redis's error says so.
fn object_idletime_command(srv: &mut Server, c: &mut Client) {
    if let Some(obj) = object_command_lookup_or_reply(srv, c) {
        if crate::evict::lfu_selected() {
            return c.reply.error(
                "ERR An LFU maxmemory policy is selected, idle time not tracked. Please \
                 note that when switching between policies at runtime LRU and LFU data \
                 will take some time to adjust.",
            );
        }
        c.reply.int(idle_seconds(obj.lru) as i64);
    }
}

/// OBJECT FREQ key: the key's LFU access counter, decayed to now, tracked only under an
/// LFU maxmemory policy (Redis's error otherwise, after the lookup: a missing key still
/// gets null).
fn object_freq_command(srv: &mut Server, c: &mut Client) {
    let decay_time = srv.config.lfu_decay_time;
    if let Some(obj) = object_command_lookup_or_reply(srv, c) {
        if !crate::evict::lfu_selected() {
            return c.reply.error(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
                 Please note that when switching between policies at runtime LRU and LFU data \
                 will take some time to adjust.",
            );
        }
        c.reply
            .int(crate::evict::lfu_decr_and_return(obj.lru, decay_time) as i64);
    }
}

// ---------------------------------------------------------------------------------------------
// FLUSHDB, FLUSHALL, SWAPDB
// ---------------------------------------------------------------------------------------------

/// Checks FLUSHDB/FLUSHALL's optional argument (Redis's getFlushCommandFlags): nothing, SYNC
/// or ASYNC. Both modes empty the tables before replying here: rredis has no background
/// freeing thread, so ASYNC is accepted for compatibility and behaves as SYNC.
fn flush_args_ok_or_reply(c: &mut Client) -> bool {
    let ok = match c.argv.len() {
        1 => true,
        2 => {
            let mode = c.argv.arg(1);
            mode.eq_ignore_ascii_case(b"sync") || mode.eq_ignore_ascii_case(b"async")
        }
        _ => false,
    };
    if !ok {
        c.reply.error("ERR syntax error");
    }
    ok
}

/// FLUSHDB [ASYNC|SYNC]: deletes every key of the selected database.
fn flushdb_command(srv: &mut Server, c: &mut Client) {
    if flush_args_ok_or_reply(c) {
        srv.dirty += srv.dbs[c.db].clear() as u64;
        crate::db::signal_flushed_db(srv);
        // Propagated even when the database was already empty (Redis's flushdbCommand).
        crate::propagate::force_command_propagation(srv);
        c.reply.ok();
    }
}

/// FLUSHALL [ASYNC|SYNC]: deletes every key of every database, and resets the snapshot to
/// match ([`crate::persist::bgsave::rdb_reset_after_flushall`]).
fn flushall_command(srv: &mut Server, c: &mut Client) {
    if flush_args_ok_or_reply(c) {
        let removed: usize = srv.dbs.iter_mut().map(|db| db.clear()).sum();
        srv.dirty += removed as u64;
        crate::db::signal_flushed_db(srv);
        crate::persist::bgsave::rdb_reset_after_flushall(srv);
        // Propagated even when everything was already empty (Redis's flushallCommand).
        crate::propagate::force_command_propagation(srv);
        c.reply.ok();
    }
}

/// SWAPDB index1 index2: exchanges the contents of two databases, so clients that selected
/// one see the other's keys. Swapping a database with itself is a successful no-op.
fn swapdb_command(srv: &mut Server, c: &mut Client) {
    let Some(first) = get_int_from_object_or_reply(c, 1, Some("ERR invalid first DB index")) else {
        return;
    };
    let Some(second) = get_int_from_object_or_reply(c, 2, Some("ERR invalid second DB index"))
    else {
        return;
    };
    let valid = |index: i32| usize::try_from(index).ok().filter(|&n| n < srv.dbs.len());
    let (Some(first), Some(second)) = (valid(first), valid(second)) else {
        return c.reply.error("ERR DB index is out of range");
    };
    if first != second {
        let (low, high) = (first.min(second), first.max(second));
        let now = srv.now_ms;
        if let Some([a, .., b]) = srv.dbs.get_mut(low..=high) {
            a.swap_data(b, now);
        }
    }
    srv.dirty += 1;
    c.reply.ok();
}
