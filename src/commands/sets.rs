//! Set commands (Redis's t_set.c): SADD/SREM and the membership queries, the random
//! commands (SPOP, SRANDMEMBER), SMOVE, the algebra (SINTER, SUNION, SDIFF, their STORE forms
//! and SINTERCARD) and SSCAN.
//!
//! Every handler follows Redis's order of checks, which clients can observe: for example
//! SPOP parses its count before looking the key up, SSCAN parses its cursor before the key
//! and its options after it (so a missing key with bad options still gets the empty scan),
//! and SMOVE answers 0 for a missing source even when the destination has the wrong type.
//!
//! Results of the algebra commands are built as Redis builds them: a fresh intset that the
//! members are added to, so a result of few integers is an `intset` whatever its sources
//! were, and an intset result is listed in ascending order, as on Redis.

use std::collections::HashSet;

use bytes::Bytes;

use crate::client::Client;
use crate::commands::keyspace::{parse_scan_cursor_or_reply, parse_scan_options, scan_step};
use crate::commands::{acl, check_type, errors, flags::*, Command, WrongType};
use crate::db::{lookup_key_read, lookup_key_write, set_key_notify_new, signal_modified_key};
use crate::notify::{notify_keyspace_event, NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_SET};
use crate::propagate::{also_propagate, prevent_command_propagation, rewrite_command};
use crate::resp::reply::Reply;
use crate::server::Server;
use crate::types::set::SetMember;
use crate::types::{Obj, RSet, Value};
use crate::util::{parse_i64, string_match, Rng};

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command::new(
        "sadd",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::SET,
        sadd_command,
    ),
    Command::new("srem", -3, WRITE | FAST, (1, 1, 1), acl::SET, srem_command),
    Command::new(
        "scard",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::SET,
        scard_command,
    ),
    Command::new(
        "sismember",
        3,
        READONLY | FAST,
        (1, 1, 1),
        acl::SET,
        sismember_command,
    ),
    Command::new(
        "smismember",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        acl::SET,
        smismember_command,
    ),
    Command::new("smembers", 2, READONLY, (1, 1, 1), acl::SET, sinter_command),
    Command::new("spop", -2, WRITE | FAST, (1, 1, 1), acl::SET, spop_command),
    Command::new(
        "srandmember",
        -2,
        READONLY,
        (1, 1, 1),
        acl::SET,
        srandmember_command,
    ),
    Command::new("smove", 4, WRITE | FAST, (1, 2, 1), acl::SET, smove_command),
    Command::new("sinter", -2, READONLY, (1, -1, 1), acl::SET, sinter_command),
    Command::new(
        "sintercard",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        acl::SET,
        sintercard_command,
    ),
    Command::new(
        "sinterstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        acl::SET,
        sinterstore_command,
    ),
    Command::new("sunion", -2, READONLY, (1, -1, 1), acl::SET, sunion_command),
    Command::new(
        "sunionstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        acl::SET,
        sunionstore_command,
    ),
    Command::new("sdiff", -2, READONLY, (1, -1, 1), acl::SET, sdiff_command),
    Command::new(
        "sdiffstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        acl::SET,
        sdiffstore_command,
    ),
    Command::new("sscan", -3, READONLY, (1, 1, 1), acl::SET, sscan_command),
];

/// SPOP with a count switches strategy when fewer than `count / SPOP_MOVE_STRATEGY_MUL`
/// members would remain (Redis's constant of the same name): see [`spop_with_count_command`].
const SPOP_MOVE_STRATEGY_MUL: i64 = 5;

/// SRANDMEMBER with a positive count copies the whole set and removes members when the count
/// is more than `size / SRANDMEMBER_SUB_STRATEGY_MUL`, instead of drawing distinct members.
const SRANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

/// The largest |count| SRANDMEMBER accepts with a negative count. Redis has no such limit:
/// it would build a reply of up to 2^63 members until memory runs out (its normal clients
/// have no output-buffer limit). rredis refuses counts above 2^27 (a reply of at least 1 GB)
/// with Redis's own out-of-range text instead: a deliberate deviation for inputs no real
/// client sends, so that one command cannot take the whole server down.
const SRANDMEMBER_MAX_REPEATS: u64 = 1 << 27;

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// The set in a looked-up object (Redis's checkType for sets): `Ok(None)` for a missing key,
/// `Err` after replying WRONGTYPE for a key of another type.
fn check_set<'a>(
    obj: Option<&'a mut Obj>,
    reply: &mut Reply,
) -> Result<Option<&'a mut RSet>, WrongType> {
    check_type(obj, reply, Value::as_set_mut)
}

/// The `set-max-intset-entries` setting, read once per command before the keyspace is
/// borrowed.
fn max_intset_entries(srv: &Server) -> usize {
    usize::try_from(srv.config.set_max_intset_entries).unwrap_or(usize::MAX)
}

/// Writes one member as a bulk string.
fn add_reply_member(reply: &mut Reply, member: SetMember<'_>) {
    match member {
        SetMember::Int(n) => reply.bulk_i64(n),
        SetMember::Str(s) => reply.bulk(s),
    }
}

/// Replies with a whole set as a RESP3 set (an array in RESP2), in the set's order.
fn add_reply_set(reply: &mut Reply, set: &RSet) {
    reply.set_len(set.len());
    for member in set.iter() {
        add_reply_member(reply, member);
    }
}

/// The empty set reply (Redis's `shared.emptyset`): `~0` in RESP3, `*0` in RESP2.
fn add_reply_empty_set(reply: &mut Reply) {
    reply.set_len(0);
}

/// Stores `set` under `key`, replacing any value and its TTL (Redis's setKey), or deletes the
/// key when the set is empty: a set key never holds an empty set. Returns true when the
/// database changed (and the key's watchers were then signalled). Announces `event` (the
/// command's name: `sinterstore`...) for a stored set, `del` for a deleted key.
fn store_set_or_delete(srv: &mut Server, db: usize, key: &[u8], set: RSet, event: &str) -> bool {
    if set.is_empty() {
        if !srv.dbs.get_mut(db).is_some_and(|d| d.delete(key)) {
            return false;
        }
        signal_modified_key(srv, db, key);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
    } else {
        set_key_notify_new(srv, db, key, Value::Set(Box::new(set)), false, false);
        notify_keyspace_event(srv, NOTIFY_SET, event, key, db);
    }
    true
}

/// The set at `key` (already looked up and type-checked) together with the server's random
/// generator: two disjoint borrows of the server, which a lookup helper could not give.
fn set_and_rng<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Option<(&'a mut RSet, &'a mut Rng)> {
    let Server { dbs, rng, .. } = srv;
    let set = dbs.get_mut(db)?.dict.get_mut(key)?.value.as_set_mut()?;
    Some((set, rng))
}

/// After members left the set at `key` (SREM, SPOP, SMOVE): announces `event`, then deletes
/// the key if the set emptied and announces `del`, as Redis does.
fn set_elements_removed(srv: &mut Server, db: usize, key: &[u8], event: &str) {
    notify_keyspace_event(srv, NOTIFY_SET, event, key, db);
    if let Some(d) = srv.dbs.get_mut(db) {
        let empty = d
            .dict
            .get(key)
            .and_then(|o| o.value.as_set())
            .is_some_and(RSet::is_empty);
        if empty {
            d.delete(key);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SADD, SREM, SCARD, SISMEMBER, SMISMEMBER
// ---------------------------------------------------------------------------------------------

/// SADD key member [member ...]: adds the members, creating the set (in the encoding its first
/// member calls for) if needed; replies how many were not there before.
fn sadd_command(srv: &mut Server, c: &mut Client) {
    let max = max_intset_entries(srv);
    let db = c.db;
    let key = c.argv.arg(1);
    let members = c.argv.get(2..).unwrap_or_default();
    let added = match check_set(lookup_key_write(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(Some(set)) => members.iter().filter(|m| set.add(m, max)).count(),
        Ok(None) => {
            let mut set = RSet::create_for(c.argv.arg(2));
            let added = members.iter().filter(|m| set.add(m, max)).count();
            let obj = Obj {
                value: Value::Set(Box::new(set)),
                lru: crate::evict::new_object_lru(),
            };
            srv.dbs[db].add(key, obj, None);
            notify_keyspace_event(srv, NOTIFY_NEW, "new", key, db);
            added
        }
    };
    if added > 0 {
        signal_modified_key(srv, db, key);
        notify_keyspace_event(srv, NOTIFY_SET, "sadd", key, db);
    }
    srv.dirty += added as u64;
    c.reply.int(added as i64);
}

/// SREM key member [member ...]: removes the members; replies how many were there. The key is
/// deleted as soon as the set is empty (the remaining members are not even looked at).
fn srem_command(srv: &mut Server, c: &mut Client) {
    let db = c.db;
    let key = c.argv.arg(1);
    let members = c.argv.get(2..).unwrap_or_default();
    let removed = match check_set(lookup_key_write(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => 0,
        Ok(Some(set)) => {
            let mut removed = 0;
            for m in members {
                if set.remove(m) {
                    removed += 1;
                    if set.is_empty() {
                        break;
                    }
                }
            }
            removed
        }
    };
    if removed > 0 {
        signal_modified_key(srv, db, key);
        set_elements_removed(srv, db, key, "srem");
    }
    srv.dirty += removed as u64;
    c.reply.int(removed);
}

/// SCARD key: the number of members (0 for a missing key).
fn scard_command(srv: &mut Server, c: &mut Client) {
    match check_set(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply) {
        Err(WrongType) => {}
        Ok(set) => c.reply.int(set.map_or(0, |s| s.len() as i64)),
    }
}

/// SISMEMBER key member: 1 if the member is in the set, else 0 (an integer in RESP3 too).
fn sismember_command(srv: &mut Server, c: &mut Client) {
    match check_set(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply) {
        Err(WrongType) => {}
        Ok(set) => {
            let found = set.is_some_and(|s| s.contains(c.argv.arg(2)));
            c.reply.int(found as i64);
        }
    }
}

/// SMISMEMBER key member [member ...]: SISMEMBER for each member, as an array of 1s and 0s
/// (a missing key answers all 0s).
fn smismember_command(srv: &mut Server, c: &mut Client) {
    let set = match check_set(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply) {
        Err(WrongType) => return,
        Ok(set) => set,
    };
    let members = c.argv.get(2..).unwrap_or_default();
    c.reply.array_len(members.len());
    for m in members {
        let found = set.as_ref().is_some_and(|s| s.contains(m));
        c.reply.int(found as i64);
    }
}

// ---------------------------------------------------------------------------------------------
// SPOP, SRANDMEMBER
// ---------------------------------------------------------------------------------------------

/// SPOP key [count]: removes and returns a random member (null for a missing key), or with a
/// count, up to that many distinct members as a set.
fn spop_command(srv: &mut Server, c: &mut Client) {
    match c.argv.len() {
        3 => return spop_with_count_command(srv, c),
        n if n > 3 => return c.reply.error(errors::SYNTAX),
        _ => {}
    }
    let db = c.db;
    let key = c.argv.arg(1);
    match check_set(lookup_key_write(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return c.reply.null(),
        Ok(Some(_)) => {}
    }
    let Some((set, rng)) = set_and_rng(srv, db, key) else {
        return c.reply.null();
    };
    let popped = set.pop_random(rng);
    match &popped {
        Some(member) => c.reply.bulk(member),
        None => c.reply.null(),
    }
    set_elements_removed(srv, db, key, "spop");
    signal_modified_key(srv, db, key);
    srv.dirty += 1;
    // Replayed as the removal of the member it happened to pick (Redis's spopCommand).
    if let Some(member) = popped {
        rewrite_command(srv, &[b"SREM", key, &member]);
    }
}

/// SPOP key count. Redis's three strategies, which differ in cost and in the encoding the
/// remaining set ends up with:
/// 1. `count >= size`: the whole set is the reply (as SUNION would list it) and the key is
///    deleted;
/// 2. more than `count * 5` members would remain: pop `count` random members one by one;
/// 3. otherwise: draw the few members that *stay* into a new set (created like SADD creates
///    one, so a hashtable whose survivors are all integers becomes an intset again), reply
///    with what is left of the old set, and store the new set in its place (TTL kept).
fn spop_with_count_command(srv: &mut Server, c: &mut Client) {
    let max = max_intset_entries(srv);
    let Some(count) = parse_i64(c.argv.arg(2)).filter(|&n| n >= 0) else {
        return c.reply.error("ERR value is out of range, must be positive");
    };
    let db = c.db;
    let key = c.argv.arg(1);
    let size = match check_set(lookup_key_write(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return add_reply_empty_set(&mut c.reply),
        Ok(Some(set)) => set.len() as i64,
    };
    if count == 0 {
        return add_reply_empty_set(&mut c.reply);
    }
    if count >= size {
        // Redis replies through SUNION of the key, so the reply is a rebuilt set: ascending
        // when every member is an integer, even if the set itself was a hashtable.
        if let Some((obj, _)) = srv.dbs[db].take(key) {
            let mut all = RSet::new_intset();
            for m in obj.value.as_set().into_iter().flat_map(RSet::iter) {
                all.add_member(m, max);
            }
            add_reply_set(&mut c.reply, &all);
        }
        signal_modified_key(srv, db, key);
        notify_keyspace_event(srv, NOTIFY_SET, "spop", key, db);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
        srv.dirty += size as u64;
        rewrite_command(srv, &[b"DEL", key]);
        return;
    }
    let remaining = size - count;
    let wanted = srv.propagation.wanted;
    let Some((set, rng)) = set_and_rng(srv, db, key) else {
        return add_reply_empty_set(&mut c.reply);
    };
    c.reply.set_len(count as usize);
    // Each popped member is propagated as an SREM of its own, the command itself not at
    // all (Redis 7.0's spopWithCountCommand); several SREMs make the unit a MULTI/EXEC.
    let mut popped: Vec<Vec<u8>> = Vec::new();
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        for _ in 0..count {
            if let Some(member) = set.pop_random(rng) {
                c.reply.bulk(&member);
                if wanted {
                    popped.push(member);
                }
            }
        }
    } else {
        let mut newset: Option<RSet> = None;
        for _ in 0..remaining {
            let Some(member) = set.pop_random(rng) else {
                break;
            };
            newset
                .get_or_insert_with(|| RSet::create_for(&member))
                .add(&member, max);
        }
        for member in set.iter() {
            add_reply_member(&mut c.reply, member);
            if wanted {
                popped.push(member.to_vec());
            }
        }
        *set = newset.unwrap_or_default();
    }
    signal_modified_key(srv, db, key);
    notify_keyspace_event(srv, NOTIFY_SET, "spop", key, db);
    srv.dirty += count as u64;
    prevent_command_propagation(srv);
    for member in popped {
        let argv = vec![
            Bytes::from_static(b"SREM"),
            Bytes::copy_from_slice(key),
            Bytes::from(member),
        ];
        also_propagate(srv, db, argv);
    }
}

/// SRANDMEMBER key [count]: a random member (null for a missing key); with a count, an array
/// of up to `count` distinct members, or with a negative count exactly `|count|` members that
/// may repeat. Unlike SPOP's, the reply is always an array, even in RESP3.
fn srandmember_command(srv: &mut Server, c: &mut Client) {
    match c.argv.len() {
        3 => return srandmember_with_count_command(srv, c),
        n if n > 3 => return c.reply.error(errors::SYNTAX),
        _ => {}
    }
    let (db, key) = (c.db, c.argv.arg(1));
    match check_set(lookup_key_read(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return c.reply.null(),
        Ok(Some(_)) => {}
    }
    let Some((set, rng)) = set_and_rng(srv, db, key) else {
        return c.reply.null();
    };
    match set.random(rng) {
        Some(member) => add_reply_member(&mut c.reply, member),
        None => c.reply.null(),
    }
}

/// SRANDMEMBER key count: the cases of Redis's srandmemberWithCountCommand.
/// - negative: `|count|` independent draws, repeats allowed;
/// - `count >= size`: the whole set;
/// - `count * 3 > size`: copy every member, then remove random ones until `count` remain;
/// - otherwise: draw random members until `count` distinct ones are found.
fn srandmember_with_count_command(srv: &mut Server, c: &mut Client) {
    let Some(l) = parse_i64(c.argv.arg(2)) else {
        return c.reply.error(errors::NOT_INTEGER);
    };
    if l < 0 && l.unsigned_abs() > SRANDMEMBER_MAX_REPEATS {
        return c.reply.error(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        );
    }
    let (db, key) = (c.db, c.argv.arg(1));
    match check_set(lookup_key_read(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return c.reply.array_len(0),
        Ok(Some(_)) => {}
    }
    let Some((set, rng)) = set_and_rng(srv, db, key) else {
        return c.reply.array_len(0);
    };
    let set: &RSet = set;
    if l == 0 {
        return c.reply.array_len(0);
    }
    let size = set.len();
    if l < 0 {
        let count = l.unsigned_abs() as usize;
        c.reply.array_len(count);
        for _ in 0..count {
            if let Some(member) = set.random(rng) {
                add_reply_member(&mut c.reply, member);
            }
        }
        return;
    }
    let count = l as u64;
    if count >= size as u64 {
        c.reply.array_len(size);
        for member in set.iter() {
            add_reply_member(&mut c.reply, member);
        }
        return;
    }
    let count = count as usize;
    let chosen: Vec<SetMember<'_>> = if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        let mut all: Vec<SetMember<'_>> = set.iter().collect();
        while all.len() > count {
            let at = rng.below(all.len() as u64) as usize;
            all.swap_remove(at);
        }
        all
    } else {
        let mut seen = HashSet::with_capacity(count);
        let mut picked = Vec::with_capacity(count);
        while picked.len() < count {
            let Some(member) = set.random(rng) else {
                break;
            };
            if seen.insert(member) {
                picked.push(member);
            }
        }
        picked
    };
    c.reply.array_len(chosen.len());
    for member in chosen {
        add_reply_member(&mut c.reply, member);
    }
}

// ---------------------------------------------------------------------------------------------
// SMOVE
// ---------------------------------------------------------------------------------------------

/// SMOVE source destination member: moves the member; 1 if it was in the source, else 0.
/// Order of checks as Redis: a missing source answers 0 before any type check; then both
/// keys must be sets (a missing destination is created); moving within one key only
/// reports membership.
fn smove_command(srv: &mut Server, c: &mut Client) {
    let max = max_intset_entries(srv);
    let db = c.db;
    let (src, dst, member) = (c.argv.arg(1), c.argv.arg(2), c.argv.arg(3));
    let src_is_set = lookup_key_write(srv, db, src).map(|o| o.value.as_set().is_some());
    let dst_is_set = lookup_key_write(srv, db, dst).map(|o| o.value.as_set().is_some());
    let Some(src_is_set) = src_is_set else {
        return c.reply.int(0);
    };
    if !src_is_set || dst_is_set == Some(false) {
        return c.reply.error(errors::WRONGTYPE);
    }
    let d = &mut srv.dbs[db];
    let Some(srcset) = d.dict.get_mut(src).and_then(|o| o.value.as_set_mut()) else {
        return c.reply.int(0);
    };
    if src == dst {
        let found = srcset.contains(member);
        return c.reply.int(found as i64);
    }
    if !srcset.remove(member) {
        return c.reply.int(0);
    }
    set_elements_removed(srv, db, src, "srem");
    signal_modified_key(srv, db, src);
    srv.dirty += 1;
    let d = &mut srv.dbs[db];
    match d.dict.get_mut(dst).and_then(|o| o.value.as_set_mut()) {
        Some(dstset) => {
            if dstset.add(member, max) {
                signal_modified_key(srv, db, dst);
                notify_keyspace_event(srv, NOTIFY_SET, "sadd", dst, db);
                srv.dirty += 1;
            }
        }
        None => {
            let mut set = RSet::create_for(member);
            set.add(member, max);
            let obj = Obj {
                value: Value::Set(Box::new(set)),
                lru: crate::evict::new_object_lru(),
            };
            d.add(dst, obj, None);
            notify_keyspace_event(srv, NOTIFY_NEW, "new", dst, db);
            signal_modified_key(srv, db, dst);
            notify_keyspace_event(srv, NOTIFY_SET, "sadd", dst, db);
            srv.dirty += 1;
        }
    }
    c.reply.int(1);
}

// ---------------------------------------------------------------------------------------------
// SINTER, SINTERCARD, SINTERSTORE (and SMEMBERS, which is SINTER of one key)
// ---------------------------------------------------------------------------------------------

/// Looks up every key of a multi-key set command for reading (Redis 7.0's lookupKeyRead,
/// which counts keyspace hits and misses, even for the sources of the STORE forms). Replies
/// WRONGTYPE and returns `None` if any existing key is not a set; otherwise returns which
/// keys exist. Every key is checked, even after a missing one.
fn lookup_sets_or_reply(srv: &mut Server, c: &mut Client, keys: &[Bytes]) -> Option<Vec<bool>> {
    let mut exists = Vec::with_capacity(keys.len());
    for key in keys {
        match lookup_key_read(srv, c.db, key) {
            None => exists.push(false),
            Some(o) if o.value.as_set().is_some() => exists.push(true),
            Some(_) => {
                c.reply.error(errors::WRONGTYPE);
                return None;
            }
        }
    }
    Some(exists)
}

/// The sets of `keys` that exist, in key order (after [`lookup_sets_or_reply`]).
fn existing_sets<'a>(srv: &'a Server, db: usize, keys: &[Bytes]) -> Vec<Option<&'a RSet>> {
    keys.iter()
        .map(|k| {
            srv.dbs
                .get(db)
                .and_then(|d| d.dict.get(&k[..]))
                .and_then(|o| o.value.as_set())
        })
        .collect()
}

/// What [`sinter_generic`] does with the intersection.
enum InterTarget {
    /// Reply with the members (SINTER, SMEMBERS).
    Reply,
    /// Reply with their number, stopping once it reaches the limit (0: none) (SINTERCARD).
    Cardinality(u64),
    /// Store them at this key, replying the count (SINTERSTORE).
    Store(Bytes),
}

/// SMEMBERS key / SINTER key [key ...]: the members common to every set. A missing key is
/// an empty set, so the result is then empty (after every key is type-checked).
fn sinter_command(srv: &mut Server, c: &mut Client) {
    let keys: Vec<Bytes> = c.argv.get(1..).unwrap_or_default().to_vec();
    sinter_generic(srv, c, &keys, InterTarget::Reply);
}

/// SINTERSTORE destination key [key ...]: stores the intersection, replacing the destination
/// (deleting it when the result is empty); replies the result's size.
fn sinterstore_command(srv: &mut Server, c: &mut Client) {
    let keys: Vec<Bytes> = c.argv.get(2..).unwrap_or_default().to_vec();
    let dst = c.argv.arg_bytes(1);
    sinter_generic(srv, c, &keys, InterTarget::Store(dst));
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the intersection, counting
/// stops at LIMIT when it is not 0.
fn sintercard_command(srv: &mut Server, c: &mut Client) {
    let Some(numkeys) = parse_i64(c.argv.arg(1)).filter(|&n| n > 0) else {
        return c.reply.error("ERR numkeys should be greater than 0");
    };
    let numkeys = numkeys as u64;
    if numkeys > (c.argv.len() - 2) as u64 {
        return c
            .reply
            .error("ERR Number of keys can't be greater than number of args");
    }
    let numkeys = numkeys as usize;
    let mut limit = 0u64;
    let mut j = 2 + numkeys;
    while j < c.argv.len() {
        let more = j + 1 < c.argv.len();
        if more && c.argv.arg(j).eq_ignore_ascii_case(b"limit") {
            let Some(l) = parse_i64(c.argv.arg(j + 1)).filter(|&l| l >= 0) else {
                return c.reply.error("ERR LIMIT can't be negative");
            };
            limit = l as u64;
            j += 2;
        } else {
            return c.reply.error(errors::SYNTAX);
        }
    }
    let keys: Vec<Bytes> = c.argv.get(2..2 + numkeys).unwrap_or_default().to_vec();
    sinter_generic(srv, c, &keys, InterTarget::Cardinality(limit));
}

/// The intersection (Redis's sinterGenericCommand): the sets are sorted by size and the
/// smallest one's members are tested against the others, so the cost is bounded by the
/// smallest set; the result follows that set's order (ascending for an intset).
fn sinter_generic(srv: &mut Server, c: &mut Client, keys: &[Bytes], target: InterTarget) {
    let max = max_intset_entries(srv);
    let Some(exists) = lookup_sets_or_reply(srv, c, keys) else {
        return;
    };
    let db = c.db;
    if exists.contains(&false) {
        match target {
            InterTarget::Store(dst) => {
                if srv.dbs[db].delete(&dst) {
                    signal_modified_key(srv, db, &dst);
                    notify_keyspace_event(srv, NOTIFY_GENERIC, "del", &dst, db);
                    srv.dirty += 1;
                }
                c.reply.int(0);
            }
            InterTarget::Cardinality(_) => c.reply.int(0),
            InterTarget::Reply => add_reply_empty_set(&mut c.reply),
        }
        return;
    }
    let mut sets: Vec<&RSet> = existing_sets(srv, db, keys).into_iter().flatten().collect();
    sets.sort_by_key(|s| s.len());
    let Some((smallest, others)) = sets.split_first() else {
        return add_reply_empty_set(&mut c.reply);
    };
    let common = smallest
        .iter()
        .filter(|&m| others.iter().all(|s| s.contains_member(m)));
    match target {
        InterTarget::Reply => {
            let members: Vec<SetMember<'_>> = common.collect();
            c.reply.set_len(members.len());
            for m in members {
                add_reply_member(&mut c.reply, m);
            }
        }
        InterTarget::Cardinality(limit) => {
            let mut n = 0u64;
            for _ in common {
                n += 1;
                if n == limit {
                    break;
                }
            }
            c.reply.int(n as i64);
        }
        InterTarget::Store(dst) => {
            let mut result = RSet::new_intset();
            for m in common {
                result.add_member(m, max);
            }
            let n = result.len();
            if store_set_or_delete(srv, db, &dst, result, "sinterstore") {
                srv.dirty += 1;
            }
            c.reply.int(n as i64);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE
// ---------------------------------------------------------------------------------------------

/// Which operation [`sunion_diff_generic`] computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/// SUNION key [key ...]: every member of any of the sets (missing keys are empty sets).
fn sunion_command(srv: &mut Server, c: &mut Client) {
    let keys: Vec<Bytes> = c.argv.get(1..).unwrap_or_default().to_vec();
    sunion_diff_generic(srv, c, &keys, None, SetOp::Union);
}

/// SUNIONSTORE destination key [key ...]: stores the union; replies its size.
fn sunionstore_command(srv: &mut Server, c: &mut Client) {
    let keys: Vec<Bytes> = c.argv.get(2..).unwrap_or_default().to_vec();
    let dst = c.argv.arg_bytes(1);
    sunion_diff_generic(srv, c, &keys, Some(dst), SetOp::Union);
}

/// SDIFF key [key ...]: the members of the first set that are in none of the others.
fn sdiff_command(srv: &mut Server, c: &mut Client) {
    let keys: Vec<Bytes> = c.argv.get(1..).unwrap_or_default().to_vec();
    sunion_diff_generic(srv, c, &keys, None, SetOp::Diff);
}

/// SDIFFSTORE destination key [key ...]: stores the difference; replies its size.
fn sdiffstore_command(srv: &mut Server, c: &mut Client) {
    let keys: Vec<Bytes> = c.argv.get(2..).unwrap_or_default().to_vec();
    let dst = c.argv.arg_bytes(1);
    sunion_diff_generic(srv, c, &keys, Some(dst), SetOp::Diff);
}

/// Union and difference (Redis's sunionDiffGenericCommand). The result is built in a fresh
/// intset, so its encoding and (for an intset) its ascending order match Redis's.
///
/// For the difference Redis picks one of two algorithms by estimated work, and rredis does
/// the same because the choice shows in the result's encoding:
/// 1. for each member of the first set, add it unless another set has it (cost: first set's
///    size times the number of sets, halved as a bonus);
/// 2. add the whole first set, then remove every member of the others (cost: the total
///    size), which may leave a hashtable holding only integers.
///
/// A key given again after the first one makes the difference empty.
fn sunion_diff_generic(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    dst: Option<Bytes>,
    op: SetOp,
) {
    let max = max_intset_entries(srv);
    if lookup_sets_or_reply(srv, c, keys).is_none() {
        return;
    }
    let db = c.db;
    let sets = existing_sets(srv, db, keys);
    let mut result = RSet::new_intset();
    match op {
        SetOp::Union => {
            for set in sets.iter().flatten() {
                for m in set.iter() {
                    result.add_member(m, max);
                }
            }
        }
        SetOp::Diff => {
            let same_set = keys.iter().skip(1).any(|k| Some(k) == keys.first());
            if let (Some(Some(first)), false) = (sets.first(), same_set) {
                let others: Vec<&RSet> = sets.iter().skip(1).flatten().copied().collect();
                let algo_one_work = (first.len() * (1 + others.len())) / 2;
                let algo_two_work = first.len() + others.iter().map(|s| s.len()).sum::<usize>();
                if algo_one_work <= algo_two_work {
                    for m in first.iter() {
                        if !others.iter().any(|s| s.contains_member(m)) {
                            result.add_member(m, max);
                        }
                    }
                } else {
                    for m in first.iter() {
                        result.add_member(m, max);
                    }
                    for set in &others {
                        for m in set.iter() {
                            result.remove_member(m);
                        }
                        if result.is_empty() {
                            break;
                        }
                    }
                }
            }
        }
    }
    match dst {
        None => add_reply_set(&mut c.reply, &result),
        Some(dst) => {
            let n = result.len();
            let event = match op {
                SetOp::Union => "sunionstore",
                SetOp::Diff => "sdiffstore",
            };
            if store_set_or_delete(srv, db, &dst, result, event) {
                srv.dirty += 1;
            }
            c.reply.int(n as i64);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------------------------

/// SSCAN key cursor [MATCH pattern] [COUNT count]: one step of an iteration over a set's
/// members. An intset is returned whole with cursor 0 (COUNT is ignored, as in Redis); a
/// hashtable is scanned bucket by bucket with the keyspace SCAN's guarantee. The cursor is
/// parsed before the key is looked up and the options after, as in Redis: a missing key
/// answers the empty scan whatever its options.
fn sscan_command(srv: &mut Server, c: &mut Client) {
    let Some(cursor) = parse_scan_cursor_or_reply(c, 2) else {
        return;
    };
    let Some(obj) = lookup_key_read(srv, c.db, c.argv.arg(1)) else {
        return c.reply.raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
    };
    let Some(set) = obj.value.as_set() else {
        return c.reply.error(errors::WRONGTYPE);
    };
    let opts = match parse_scan_options(&c.argv, 3, false) {
        Ok(opts) => opts,
        Err(e) => return c.reply.error(e),
    };
    // Members are copied out: the dict's scan lends each key only for its callback.
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut cursor = cursor;
    match set {
        RSet::Intset(_) => {
            found.extend(set.iter().map(SetMember::to_vec));
            cursor = 0;
        }
        RSet::Hashtable(d) => {
            cursor = scan_step(d, cursor, opts.count, 1, |k, _| found.push(k.to_vec()));
        }
    }
    if let Some(pattern) = opts.pattern {
        found.retain(|m| string_match(pattern, m, false));
    }
    c.reply.array_len(2);
    c.reply.bulk(cursor.to_string().as_bytes());
    c.reply.array_len(found.len());
    for m in &found {
        c.reply.bulk(m);
    }
}
