//! Hash commands (Redis's t_hash.c): HSET and friends, the readers (HGET, HMGET, HGETALL,
//! HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN), the counters (HINCRBY, HINCRBYFLOAT), HRANDFIELD
//! and HSCAN. Storage and encodings live in `types/hash.rs`.
//!
//! Each `*_command` is a thin handler over a few shared helpers, named as in Redis:
//! [`hash_type_lookup_write_or_create`] for writers, [`lookup_hash_read`] for readers. As in
//! the string commands, the order of checks is visible to clients and copied from Redis:
//! argument errors that need no key (HSET's odd argument count, HINCRBY's increment,
//! HRANDFIELD's count and WITHVALUES) come before WRONGTYPE; HSCAN checks the cursor, then
//! the key's type, then its options.
//!
//! Invariant: a hash in the keyspace is never empty. Writers create the key only when they
//! are sure to write a field, and HDEL deletes the key with its last field.

use std::collections::HashSet;

use crate::client::{close_client_async, Client};
use crate::commands::keyspace::{parse_scan_cursor_or_reply, parse_scan_options, scan_step};
use crate::commands::strings::long_double_sum_or_reply;
use crate::commands::{acl, check_type, errors, flags::*, Command, WrongType};
use crate::db::{lookup_key_read, lookup_key_write, signal_modified_key};
use crate::notify::{notify_keyspace_event, NOTIFY_GENERIC, NOTIFY_HASH, NOTIFY_NEW};
use crate::resp::reply::Reply;
use crate::server::Server;
use crate::types::hash::{Bytes, FieldText, Hash, ListpackLimits};
use crate::types::{Obj, Value};
use crate::util::{parse_i64, string_match, LongDouble};

/// This module's rows of the command table (as COMMAND INFO prints them on Redis 7.0).
pub static COMMANDS: &[Command] = &[
    Command::new(
        "hset",
        -4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::HASH,
        hset_command,
    ),
    Command::new(
        "hsetnx",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::HASH,
        hsetnx_command,
    ),
    Command::new(
        "hmset",
        -4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::HASH,
        hmset_command,
    ),
    Command::new(
        "hget",
        3,
        READONLY | FAST,
        (1, 1, 1),
        acl::HASH,
        hget_command,
    ),
    Command::new(
        "hmget",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        acl::HASH,
        hmget_command,
    ),
    Command::new("hdel", -3, WRITE | FAST, (1, 1, 1), acl::HASH, hdel_command),
    Command::new(
        "hlen",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::HASH,
        hlen_command,
    ),
    Command::new(
        "hstrlen",
        3,
        READONLY | FAST,
        (1, 1, 1),
        acl::HASH,
        hstrlen_command,
    ),
    Command::new(
        "hexists",
        3,
        READONLY | FAST,
        (1, 1, 1),
        acl::HASH,
        hexists_command,
    ),
    Command::new(
        "hincrby",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::HASH,
        hincrby_command,
    ),
    Command::new(
        "hincrbyfloat",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::HASH,
        hincrbyfloat_command,
    ),
    Command::new("hkeys", 2, READONLY, (1, 1, 1), acl::HASH, hkeys_command),
    Command::new("hvals", 2, READONLY, (1, 1, 1), acl::HASH, hvals_command),
    Command::new(
        "hgetall",
        2,
        READONLY,
        (1, 1, 1),
        acl::HASH,
        hgetall_command,
    ),
    Command::new(
        "hrandfield",
        -2,
        READONLY,
        (1, 1, 1),
        acl::HASH,
        hrandfield_command,
    ),
    Command::new("hscan", -3, READONLY, (1, 1, 1), acl::HASH, hscan_command),
];

/// A `(field, value)` pair of a hash, as the hash gives it.
type Pair<'a> = (FieldText<'a>, FieldText<'a>);

/// A reply larger than this stops HRANDFIELD's negative-count loop and closes the client.
/// Redis stops the same loop when the client is marked CLIENT_CLOSE_ASAP by an output buffer
/// limit; without a limit (normal clients have none by default) `HRANDFIELD k -<huge>` would
/// exhaust memory, which rredis refuses to let a client do.
const HRANDFIELD_MAX_REPLY_BYTES: usize = 512 << 20;

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// The hash in a looked-up object (Redis's checkType for hashes): `Ok(None)` for a missing
/// key, `Err` after replying WRONGTYPE for a key of another type.
fn check_hash<'a>(
    obj: Option<&'a mut Obj>,
    reply: &mut Reply,
) -> Result<Option<&'a mut Hash>, WrongType> {
    check_type(obj, reply, Value::as_hash_mut)
}

/// Looks the command's key (argument 1) up for reading (Redis's lookupKeyRead +
/// checkType).
fn lookup_hash_read<'a>(
    srv: &'a mut Server,
    c: &mut Client,
) -> Result<Option<&'a Hash>, WrongType> {
    let found = check_hash(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply)?;
    Ok(found.map(|h| &*h))
}

/// The hash at argument 1, created empty if the key is missing (Redis's
/// hashTypeLookupWriteOrCreate). Callers must write at least one field before returning, so
/// the keyspace never holds an empty hash; the errors they may still reply after this call
/// (HINCRBY's "not an integer", overflow; HINCRBYFLOAT's "not a float", infinity) all need
/// an existing field, so they never happen on a hash just created.
fn hash_type_lookup_write_or_create<'a>(
    srv: &'a mut Server,
    c: &mut Client,
) -> Result<&'a mut Hash, WrongType> {
    let key = c.argv.arg(1);
    let exists = check_hash(lookup_key_write(srv, c.db, key), &mut c.reply)?.is_some();
    if !exists {
        srv.dbs[c.db].set_key(key, Value::Hash(Hash::default()), false);
        notify_keyspace_event(srv, NOTIFY_NEW, "new", key, c.db);
    }
    match srv.dbs[c.db]
        .dict
        .get_mut(key)
        .and_then(|obj| obj.value.as_hash_mut())
    {
        Some(h) => Ok(h),
        // Unreachable: the key was just found or stored as a hash.
        None => {
            c.reply.error(errors::WRONGTYPE);
            Err(WrongType)
        }
    }
}

/// Replies Redis's "wrong number of arguments" error for the running command (HSET with a
/// field but no value passes the arity check, -4, but is refused this way).
fn reply_arity_error(c: &mut Client) {
    c.reply.error(&format!(
        "ERR wrong number of arguments for '{}' command",
        c.cmd
    ));
}

// ---------------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------------

/// The shared body of HSET and HMSET: sets every field/value pair and returns how many fields
/// were new, or `None` after replying an error. Every argument is checked for listpack size
/// before the first write (hashTypeTryConversion), as Redis does.
fn hset_generic(srv: &mut Server, c: &mut Client) -> Option<i64> {
    if c.argv.len() % 2 == 1 {
        reply_arity_error(c);
        return None;
    }
    let limits = ListpackLimits::from_config(&srv.config);
    let h = hash_type_lookup_write_or_create(srv, c).ok()?;
    h.try_conversion(limits, (2..c.argv.len()).map(|i| c.argv.arg(i)));
    let mut created = 0;
    for i in (2..c.argv.len()).step_by(2) {
        created += h.set(limits, c.argv.arg(i), c.argv.arg(i + 1)) as i64;
    }
    signal_modified_key(srv, c.db, c.argv.arg(1));
    notify_keyspace_event(srv, NOTIFY_HASH, "hset", c.argv.arg(1), c.db);
    srv.dirty += (c.argv.len() as u64 - 2) / 2;
    Some(created)
}

/// HSET key field value [field value ...]: sets the fields and replies how many were new.
fn hset_command(srv: &mut Server, c: &mut Client) {
    if let Some(created) = hset_generic(srv, c) {
        c.reply.int(created);
    }
}

/// HMSET key field value [field value ...]: HSET's deprecated twin, replying `+OK`.
fn hmset_command(srv: &mut Server, c: &mut Client) {
    if hset_generic(srv, c).is_some() {
        c.reply.ok();
    }
}

/// HSETNX key field value: sets the field only if it does not exist; replies 1 if it was
/// set, 0 otherwise.
fn hsetnx_command(srv: &mut Server, c: &mut Client) {
    // A key this creates has no field, so the set below always runs: no empty hash is left.
    let limits = ListpackLimits::from_config(&srv.config);
    let Ok(h) = hash_type_lookup_write_or_create(srv, c) else {
        return;
    };
    let (field, value) = (c.argv.arg(2), c.argv.arg(3));
    if h.contains(field) {
        c.reply.int(0);
        return;
    }
    h.try_conversion(limits, [field, value]);
    h.set(limits, field, value);
    signal_modified_key(srv, c.db, c.argv.arg(1));
    notify_keyspace_event(srv, NOTIFY_HASH, "hset", c.argv.arg(1), c.db);
    srv.dirty += 1;
    c.reply.int(1);
}

/// HDEL key field [field ...]: removes the fields and replies how many existed. Removing the
/// last field deletes the key (and stops there, as Redis does: the remaining arguments are
/// not looked at).
fn hdel_command(srv: &mut Server, c: &mut Client) {
    let key = c.argv.arg(1);
    let Ok(found) = check_hash(lookup_key_write(srv, c.db, key), &mut c.reply) else {
        return;
    };
    let Some(h) = found else {
        c.reply.int(0);
        return;
    };
    let mut deleted = 0;
    let mut emptied = false;
    for i in 2..c.argv.len() {
        if h.delete(c.argv.arg(i)) {
            deleted += 1;
            if h.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if emptied {
        srv.dbs[c.db].delete(key);
    }
    if deleted > 0 {
        signal_modified_key(srv, c.db, key);
        notify_keyspace_event(srv, NOTIFY_HASH, "hdel", key, c.db);
        if emptied {
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, c.db);
        }
    }
    srv.dirty += deleted as u64;
    c.reply.int(deleted);
}

/// HINCRBY key field increment: adds a 64-bit integer to the field (a missing field counts
/// as 0) and replies the new value. Errors, in order: the increment is not an integer,
/// WRONGTYPE, the field's value is not an integer (`ERR hash value is not an integer`), the
/// sum overflows (`ERR increment or decrement would overflow`).
fn hincrby_command(srv: &mut Server, c: &mut Client) {
    let Some(incr) = parse_i64(c.argv.arg(3)) else {
        c.reply.error(errors::NOT_INTEGER);
        return;
    };
    let limits = ListpackLimits::from_config(&srv.config);
    let Ok(h) = hash_type_lookup_write_or_create(srv, c) else {
        return;
    };
    let field = c.argv.arg(2);
    let Some(current) = field_number_or_reply(
        h,
        field,
        parse_i64,
        0,
        &mut c.reply,
        "ERR hash value is not an integer",
    ) else {
        return;
    };
    let Some(value) = current.checked_add(incr) else {
        c.reply.error("ERR increment or decrement would overflow");
        return;
    };
    h.set(limits, field, value.to_string().as_bytes());
    signal_modified_key(srv, c.db, c.argv.arg(1));
    notify_keyspace_event(srv, NOTIFY_HASH, "hincrby", c.argv.arg(1), c.db);
    srv.dirty += 1;
    c.reply.int(value);
}

/// The number stored in `field` for HINCRBY/HINCRBYFLOAT (`zero` when the field is missing),
/// or `None` after replying `not_a_number` (the command's error text) when it does not parse.
fn field_number_or_reply<T>(
    h: &Hash,
    field: &[u8],
    parse: fn(&[u8]) -> Option<T>,
    zero: T,
    reply: &mut Reply,
    not_a_number: &str,
) -> Option<T> {
    let Some(stored) = h.get(field) else {
        return Some(zero);
    };
    let number = parse(&stored);
    if number.is_none() {
        reply.error(not_a_number);
    }
    number
}

/// HINCRBYFLOAT key field increment: adds in C `long double` precision ([`LongDouble`]) and
/// replies the new value as text (`%.17Lf` without trailing zeros). Errors, in order: the
/// increment is not a float (`ERR value is not a valid float`), it is infinite (`ERR value is
/// NaN or Infinity`), WRONGTYPE, the field's value is not a float (`ERR hash value is not a
/// float`), the sum is infinite (`ERR increment would produce NaN or Infinity`).
fn hincrbyfloat_command(srv: &mut Server, c: &mut Client) {
    let Some(incr) = LongDouble::parse(c.argv.arg(3)) else {
        c.reply.error("ERR value is not a valid float");
        return;
    };
    if !incr.is_finite() {
        c.reply.error("ERR value is NaN or Infinity");
        return;
    }
    let limits = ListpackLimits::from_config(&srv.config);
    let Ok(h) = hash_type_lookup_write_or_create(srv, c) else {
        return;
    };
    let field = c.argv.arg(2);
    let Some(current) = field_number_or_reply(
        h,
        field,
        LongDouble::parse,
        LongDouble::ZERO,
        &mut c.reply,
        "ERR hash value is not a float",
    ) else {
        return;
    };
    let Some(text) = long_double_sum_or_reply(&mut c.reply, current, incr) else {
        return;
    };
    h.set(limits, field, &text);
    signal_modified_key(srv, c.db, c.argv.arg(1));
    notify_keyspace_event(srv, NOTIFY_HASH, "hincrbyfloat", c.argv.arg(1), c.db);
    srv.dirty += 1;
    // Replayed as the exact result (Redis's hincrbyfloatCommand).
    let argv: [&[u8]; 4] = [b"HSET", c.argv.arg(1), c.argv.arg(2), &text];
    crate::propagate::rewrite_command(srv, &argv);
    c.reply.bulk(&text);
}

// ---------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------

/// HGET key field: the field's value, or null.
fn hget_command(srv: &mut Server, c: &mut Client) {
    let Ok(found) = lookup_hash_read(srv, c) else {
        return;
    };
    match found.and_then(|h| h.get(c.argv.arg(2))) {
        Some(v) => c.reply.bulk(&v),
        None => c.reply.null(),
    }
}

/// HMGET key field [field ...]: each field's value or null, in argument order (all nulls
/// for a missing key).
fn hmget_command(srv: &mut Server, c: &mut Client) {
    let Ok(found) = lookup_hash_read(srv, c) else {
        return;
    };
    c.reply.array_len(c.argv.len() - 2);
    for i in 2..c.argv.len() {
        match found.and_then(|h| h.get(c.argv.arg(i))) {
            Some(v) => c.reply.bulk(&v),
            None => c.reply.null(),
        }
    }
}

/// HLEN key: the number of fields, 0 for a missing key.
fn hlen_command(srv: &mut Server, c: &mut Client) {
    if let Ok(found) = lookup_hash_read(srv, c) {
        c.reply.int(found.map_or(0, |h| h.len() as i64));
    }
}

/// HSTRLEN key field: the length of the field's value, 0 if missing.
fn hstrlen_command(srv: &mut Server, c: &mut Client) {
    if let Ok(found) = lookup_hash_read(srv, c) {
        let len = found
            .and_then(|h| h.get(c.argv.arg(2)))
            .map_or(0, |v| v.len());
        c.reply.int(len as i64);
    }
}

/// HEXISTS key field: 1 if the field exists, else 0.
fn hexists_command(srv: &mut Server, c: &mut Client) {
    if let Ok(found) = lookup_hash_read(srv, c) {
        let exists = found.is_some_and(|h| h.contains(c.argv.arg(2)));
        c.reply.int(exists as i64);
    }
}

/// What [`generic_hgetall_command`] replies per field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Fields,
    Values,
    Both,
}

/// HKEYS, HVALS and HGETALL (Redis's genericHgetallCommand). HGETALL replies a map (a flat
/// array in RESP2; `%0` for a missing key in RESP3), the others an array.
fn generic_hgetall_command(srv: &mut Server, c: &mut Client, part: Part) {
    let Ok(found) = lookup_hash_read(srv, c) else {
        return;
    };
    let len = found.map_or(0, Hash::len);
    if part == Part::Both {
        c.reply.map_len(len);
    } else {
        c.reply.array_len(len);
    }
    for (field, value) in found.into_iter().flat_map(Hash::iter) {
        if part != Part::Values {
            c.reply.bulk(&field);
        }
        if part != Part::Fields {
            c.reply.bulk(&value);
        }
    }
}

/// HKEYS key: every field.
fn hkeys_command(srv: &mut Server, c: &mut Client) {
    generic_hgetall_command(srv, c, Part::Fields);
}

/// HVALS key: every value.
fn hvals_command(srv: &mut Server, c: &mut Client) {
    generic_hgetall_command(srv, c, Part::Values);
}

/// HGETALL key: every field and its value.
fn hgetall_command(srv: &mut Server, c: &mut Client) {
    generic_hgetall_command(srv, c, Part::Both);
}

// ---------------------------------------------------------------------------------------------
// HRANDFIELD
// ---------------------------------------------------------------------------------------------

/// Writes one HRANDFIELD element: the field, or with `withvalues` the pair (a 2-element
/// array in RESP3, two flat elements in RESP2).
fn add_rand_pair(reply: &mut Reply, field: &[u8], value: &[u8], withvalues: bool) {
    if withvalues && reply.resp >= 3 {
        reply.array_len(2);
    }
    reply.bulk(field);
    if withvalues {
        reply.bulk(value);
    }
}

/// HRANDFIELD key [count [WITHVALUES]]: random fields.
///
/// Without a count: one field, or null for a missing key. With a count (Redis's
/// hrandfieldWithCountCommand): a positive count gives that many *distinct* fields (the
/// whole hash, in its own order, when count >= its size); a negative count gives |count|
/// fields that may repeat, in random order. Checks, in order, before the key is looked
/// up: the count is an integer (`ERR value is not an integer or out of range`) and not
/// i64::MIN (`ERR value is out of range, value must between ...`); only WITHVALUES may
/// follow (`ERR syntax error`); with WITHVALUES |count| <= i64::MAX/2 (`ERR value is out of
/// range`).
fn hrandfield_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() < 3 {
        let Ok(found) = lookup_hash_read(srv, c) else {
            return;
        };
        let exists = found.is_some();
        let (h, rng) = hash_and_rng(srv, c, exists);
        match h.and_then(|h| h.random_pair(&mut || rng.next_u64())) {
            Some((field, _)) => c.reply.bulk(&field),
            None => c.reply.null(),
        }
        return;
    }
    let Some((l, withvalues)) = parse_random_count_or_reply(c, b"withvalues") else {
        return;
    };
    hrandfield_with_count_command(srv, c, l, withvalues);
}

/// The `count [WITHVALUES|WITHSCORES]` arguments of HRANDFIELD and ZRANDMEMBER (argument 2
/// on), checked in Redis's order: the count is an integer (`ERR value is not an integer or
/// out of range`) other than i64::MIN (`ERR value is out of range, value must between ...`),
/// only `with_word` may follow (`ERR syntax error`), and with it |count| <= i64::MAX / 2
/// (`ERR value is out of range`). Returns the count and whether `with_word` was given, or
/// `None` after replying the error.
pub(crate) fn parse_random_count_or_reply(c: &mut Client, with_word: &[u8]) -> Option<(i64, bool)> {
    let Some(l) = parse_i64(c.argv.arg(2)) else {
        c.reply.error(errors::NOT_INTEGER);
        return None;
    };
    if l == i64::MIN {
        c.reply.error(&format!(
            "ERR value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        ));
        return None;
    }
    let with = c.argv.len() == 4;
    if c.argv.len() > 4 || (with && !c.argv.arg(3).eq_ignore_ascii_case(with_word)) {
        c.reply.error(errors::SYNTAX);
        return None;
    }
    if with && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        c.reply.error("ERR value is out of range");
        return None;
    }
    Some((l, with))
}

/// The hash at argument 1 (already looked up, and known to exist when `exists`) beside the
/// server's random generator: two disjoint borrows of `srv`, which the lookup helpers, taking
/// all of `srv`, cannot give.
fn hash_and_rng<'a>(
    srv: &'a mut Server,
    c: &Client,
    exists: bool,
) -> (Option<&'a Hash>, &'a mut crate::util::Rng) {
    let h = if exists {
        srv.dbs[c.db]
            .dict
            .get(c.argv.arg(1))
            .and_then(|obj| obj.value.as_hash())
    } else {
        None
    };
    (h, &mut srv.rng)
}

/// The counted forms of HRANDFIELD (see [`hrandfield_command`]).
fn hrandfield_with_count_command(srv: &mut Server, c: &mut Client, l: i64, withvalues: bool) {
    let Ok(found) = lookup_hash_read(srv, c) else {
        return;
    };
    let exists = found.is_some();
    let (h, rng) = hash_and_rng(srv, c, exists);
    let Some(h) = h else {
        c.reply.array_len(0);
        return;
    };
    let count = l.unsigned_abs();
    if count == 0 {
        c.reply.array_len(0);
        return;
    }
    let flat = |n: u64| {
        if withvalues && c.reply.resp < 3 {
            n * 2
        } else {
            n
        }
    };

    // Repeats allowed (or a single field): sample the whole hash every time.
    if l < 0 || count == 1 {
        let header = flat(count);
        c.reply.array_len(header as usize);
        let mut too_big = false;
        let sampler = h.sampler();
        for _ in 0..count {
            let Some((field, value)) = sampler.pick(&mut || rng.next_u64()) else {
                break;
            };
            add_rand_pair(&mut c.reply, &field, &value, withvalues);
            if c.reply.pending_len() > HRANDFIELD_MAX_REPLY_BYTES {
                too_big = true;
                break;
            }
        }
        if too_big {
            close_client_async(srv, c);
        }
        return;
    }

    let size = h.len();
    // Asking for at least the whole hash: the whole hash, in its order.
    if count >= size as u64 {
        c.reply.array_len(flat(size as u64) as usize);
        for (field, value) in h.iter() {
            add_rand_pair(&mut c.reply, &field, &value, withvalues);
        }
        return;
    }
    let count = count as usize;
    c.reply.array_len(flat(count as u64) as usize);
    let pairs: Vec<Pair> = if count * 3 > size || matches!(h, Hash::Listpack(_)) {
        // A large share (or a small hash): pick `count` distinct positions of a copy by a
        // partial Fisher-Yates shuffle. A listpack keeps its own order, as Redis's
        // lpRandomPairsUnique does.
        let mut all: Vec<(usize, Pair)> = h.iter().enumerate().collect();
        for i in 0..count {
            let j = i + rng.below((all.len() - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(count);
        if matches!(h, Hash::Listpack(_)) {
            all.sort_unstable_by_key(|(i, _)| *i);
        }
        all.into_iter().map(|(_, p)| p).collect()
    } else {
        // A small share of a large hash: draw until `count` distinct fields are found.
        let mut seen: HashSet<FieldText> = HashSet::with_capacity(count);
        let mut picked = Vec::with_capacity(count);
        while picked.len() < count {
            let Some((field, value)) = h.random_pair(&mut || rng.next_u64()) else {
                break;
            };
            if seen.insert(field) {
                picked.push((field, value));
            }
        }
        picked
    };
    for (field, value) in pairs {
        add_rand_pair(&mut c.reply, &field, &value, withvalues);
    }
}

// ---------------------------------------------------------------------------------------------
// HSCAN
// ---------------------------------------------------------------------------------------------

/// HSCAN key cursor [MATCH pattern] [COUNT count]: one step of an iteration over the fields.
/// Replies `[next-cursor, [field, value, ...]]`.
///
/// Checks in Redis's order: the cursor (`ERR invalid cursor`), then the key (a missing key
/// replies an empty scan whatever the options; WRONGTYPE), then the options (no TYPE here).
/// A `listpack` hash is returned whole in one call with cursor 0, as Redis does; a
/// `hashtable` is walked with `Dict::scan`, visiting buckets until COUNT *elements* (a field
/// and a value count as two, as in Redis's scanGenericCommand) or 10×COUNT buckets, then
/// MATCH filters the fields.
fn hscan_command(srv: &mut Server, c: &mut Client) {
    let Some(cursor) = parse_scan_cursor_or_reply(c, 2) else {
        return;
    };
    let Ok(found) = lookup_hash_read(srv, c) else {
        return;
    };
    let Some(h) = found else {
        c.reply.array_len(2);
        c.reply.bulk(b"0");
        c.reply.array_len(0);
        return;
    };
    let opts = match parse_scan_options(&c.argv, 3, false) {
        Ok(opts) => opts,
        Err(e) => return c.reply.error(e),
    };
    // Copies: `Dict::scan` lends each entry only for the duration of its callback.
    let mut pairs: Vec<(Bytes, Bytes)> = Vec::new();
    let mut next = 0;
    match h {
        Hash::Listpack(_) => {
            pairs.extend(h.iter().map(|(f, v)| (Bytes::from(&*f), Bytes::from(&*v))))
        }
        Hash::Table(d) => {
            next = scan_step(d, cursor, opts.count, 2, |f, v| {
                pairs.push((f.clone(), v.clone()))
            });
        }
    }
    if let Some(pattern) = opts.pattern {
        pairs.retain(|(f, _)| string_match(pattern, f, false));
    }
    c.reply.array_len(2);
    c.reply.bulk(next.to_string().as_bytes());
    c.reply.array_len(pairs.len() * 2);
    for (field, value) in pairs {
        c.reply.bulk(&field);
        c.reply.bulk(&value);
    }
}
