//! Sorted set commands (Redis's t_zset.c command side): ZADD/ZINCRBY/ZREM and the readers
//! (ZCARD, ZSCORE, ZMSCORE, ZRANK, ZCOUNT, ZLEXCOUNT), the range family (ZRANGE with its
//! BYSCORE/BYLEX/REV/LIMIT forms, the legacy ZRANGEBY*/ZREV* commands, ZRANGESTORE), the
//! range removals (ZREMRANGEBY*), the pops (ZPOPMIN, ZPOPMAX, ZMPOP), ZRANDMEMBER, ZSCAN and
//! the algebra (ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD). Storage, encodings
//! and the range types live in `types/zset.rs`.
//!
//! Handlers follow Redis's order of checks, which clients can observe: arguments that need
//! no key (ZADD's options and scores, range bounds, counts) are parsed before the key's type
//! is checked; the algebra looks up (and type-checks) every source before it reads WEIGHTS
//! or AGGREGATE. A sorted set in the keyspace is never empty: every command that removes
//! members deletes the key with its last one.
//!
//! Every write tells the key's watchers ([`signal_modified_key`]) exactly where t_zset.c
//! calls signalModifiedKey, so only when something changed: ZADD/ZINCRBY when a member was
//! added or its score changed, the removals and pops when a member went (through
//! [`finish_removal`], also for the blocking pops when served), the STORE forms through
//! [`store_zset_or_delete`].
//!
//! The pops are split so that the blocking forms (BZPOPMIN, BZPOPMAX, BZMPOP) can wrap them:
//! [`generic_zpop_command`] pops from the first existing key of a list, and
//! [`parse_zmpop_args`] reads ZMPOP's arguments from any numkeys position.

use std::collections::HashSet;

use bytes::Bytes;

use crate::blocked::{get_timeout_or_reply, serve_or_block_for_keys, ServeFn};
use crate::client::{close_client_async, Client};
use crate::commands::hashes::parse_random_count_or_reply;
use crate::commands::keyspace::{parse_scan_cursor_or_reply, parse_scan_options, scan_step};
use crate::commands::{acl, check_type, errors, flags::*, Command, WrongType};
use crate::db::{lookup_key_read, lookup_key_write, set_key_notify_new, signal_modified_key};
use crate::notify::{notify_keyspace_event, NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_ZSET};
use crate::resp::reply::{Deferred, Reply};
use crate::server::Server;
use crate::types::set::SetMember;
use crate::types::zset::{AddFlags, AddOutcome, LexBound, LexRange, ScoreRange, ZSet, ZsetLimits};
use crate::types::{Obj, RSet, Value};
use crate::util::{format_double, parse_f64, parse_i64, parse_strtod, string_match, write_i64};

/// This module's rows of the command table (as COMMAND INFO prints them on Redis 7.0).
pub static COMMANDS: &[Command] = &[
    Command::new(
        "zadd",
        -4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zadd_command,
    ),
    Command::new(
        "zincrby",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zincrby_command,
    ),
    Command::new(
        "zrem",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zrem_command,
    ),
    Command::new(
        "zremrangebyscore",
        4,
        WRITE,
        (1, 1, 1),
        acl::SORTEDSET,
        zremrangebyscore_command,
    ),
    Command::new(
        "zremrangebyrank",
        4,
        WRITE,
        (1, 1, 1),
        acl::SORTEDSET,
        zremrangebyrank_command,
    ),
    Command::new(
        "zremrangebylex",
        4,
        WRITE,
        (1, 1, 1),
        acl::SORTEDSET,
        zremrangebylex_command,
    ),
    Command::new(
        "zunionstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        acl::SORTEDSET,
        zunionstore_command,
    ),
    Command::new(
        "zinterstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        acl::SORTEDSET,
        zinterstore_command,
    ),
    Command::new(
        "zdiffstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        acl::SORTEDSET,
        zdiffstore_command,
    ),
    Command::new(
        "zunion",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        acl::SORTEDSET,
        zunion_command,
    ),
    Command::new(
        "zinter",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        acl::SORTEDSET,
        zinter_command,
    ),
    Command::new(
        "zintercard",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        acl::SORTEDSET,
        zintercard_command,
    ),
    Command::new(
        "zdiff",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        acl::SORTEDSET,
        zdiff_command,
    ),
    Command::new(
        "zrange",
        -4,
        READONLY,
        (1, 1, 1),
        acl::SORTEDSET,
        zrange_command,
    ),
    Command::new(
        "zrangestore",
        -5,
        WRITE | DENYOOM,
        (1, 2, 1),
        acl::SORTEDSET,
        zrangestore_command,
    ),
    Command::new(
        "zrangebyscore",
        -4,
        READONLY,
        (1, 1, 1),
        acl::SORTEDSET,
        zrangebyscore_command,
    ),
    Command::new(
        "zrevrangebyscore",
        -4,
        READONLY,
        (1, 1, 1),
        acl::SORTEDSET,
        zrevrangebyscore_command,
    ),
    Command::new(
        "zrangebylex",
        -4,
        READONLY,
        (1, 1, 1),
        acl::SORTEDSET,
        zrangebylex_command,
    ),
    Command::new(
        "zrevrangebylex",
        -4,
        READONLY,
        (1, 1, 1),
        acl::SORTEDSET,
        zrevrangebylex_command,
    ),
    Command::new(
        "zcount",
        4,
        READONLY | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zcount_command,
    ),
    Command::new(
        "zlexcount",
        4,
        READONLY | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zlexcount_command,
    ),
    Command::new(
        "zrevrange",
        -4,
        READONLY,
        (1, 1, 1),
        acl::SORTEDSET,
        zrevrange_command,
    ),
    Command::new(
        "zcard",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zcard_command,
    ),
    Command::new(
        "zscore",
        3,
        READONLY | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zscore_command,
    ),
    Command::new(
        "zmscore",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zmscore_command,
    ),
    Command::new(
        "zrank",
        3,
        READONLY | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zrank_command,
    ),
    Command::new(
        "zrevrank",
        3,
        READONLY | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zrevrank_command,
    ),
    Command::new(
        "zscan",
        -3,
        READONLY,
        (1, 1, 1),
        acl::SORTEDSET,
        zscan_command,
    ),
    Command::new(
        "zpopmin",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zpopmin_command,
    ),
    Command::new(
        "zpopmax",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        acl::SORTEDSET,
        zpopmax_command,
    ),
    Command::new(
        "zmpop",
        -4,
        WRITE | MOVABLE_KEYS,
        (0, 0, 0),
        acl::SORTEDSET,
        zmpop_command,
    ),
    Command::new(
        "zrandmember",
        -2,
        READONLY,
        (1, 1, 1),
        acl::SORTEDSET,
        zrandmember_command,
    ),
    Command::new(
        "bzpopmin",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        (1, -2, 1),
        acl::SORTEDSET,
        bzpopmin_command,
    ),
    Command::new(
        "bzpopmax",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        (1, -2, 1),
        acl::SORTEDSET,
        bzpopmax_command,
    ),
    Command::new(
        "bzmpop",
        -5,
        WRITE | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        acl::SORTEDSET,
        bzmpop_command,
    ),
];

/// The largest reply ZRANDMEMBER with a negative count may build before the client is
/// dropped, as HRANDFIELD does (Redis has no limit and would exhaust memory).
const ZRANDMEMBER_MAX_REPLY_BYTES: usize = 512 << 20;

/// ZRANDMEMBER with a positive count copies the set and removes random members when the
/// count is more than `size / ZRANDMEMBER_SUB_STRATEGY_MUL` (Redis's constant).
const ZRANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// The sorted set in a looked-up object (Redis's checkType for zsets): `Ok(None)` for a
/// missing key, `Err` after replying WRONGTYPE for a key of another type.
fn check_zset<'a>(
    obj: Option<&'a mut Obj>,
    reply: &mut Reply,
) -> Result<Option<&'a mut ZSet>, WrongType> {
    check_type(obj, reply, Value::as_zset_mut)
}

/// Looks argument `i` up for reading and type-checks it.
fn lookup_zset_read<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    i: usize,
) -> Result<Option<&'a ZSet>, WrongType> {
    let found = check_zset(lookup_key_read(srv, c.db, c.argv.arg(i)), &mut c.reply)?;
    Ok(found.map(|z| &*z))
}

/// Ends a command that removed `removed` members from the sorted set at `key` (ZREM, the
/// range removals, the pops and their blocking forms): deletes the key if that emptied it,
/// and, only if something was removed, tells its watchers ([`signal_modified_key`]) and
/// counts the changes, as t_zset.c does after each of them. Only a removal empties a set,
/// so with nothing removed there is nothing to delete either.
///
/// It also announces `event` (the command's: `zrem`, `zpopmin`...) and, for a deleted key,
/// `del` after it, as t_zset.c does.
fn finish_removal(srv: &mut Server, db: usize, key: &[u8], removed: usize, event: &str) {
    if removed == 0 {
        return;
    }
    notify_keyspace_event(srv, NOTIFY_ZSET, event, key, db);
    if let Some(d) = srv.dbs.get_mut(db) {
        let empty = d
            .dict
            .get(key)
            .and_then(|o| o.value.as_zset())
            .is_some_and(ZSet::is_empty);
        if empty {
            d.delete(key);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
        }
    }
    signal_modified_key(srv, db, key);
    srv.dirty += removed as u64;
}

/// Stores a computed set at `key` (Redis's setKey, TTL dropped, which tells the watchers
/// itself), or deletes the key when the set is empty; replies the set's size. An empty
/// result touches the destination only if it existed (Redis 7.0's
/// `if (dbDelete(..)) signalModifiedKey(..)` in ZRANGESTORE and the *STORE algebra).
/// A stored set is announced as `event` (`zrangestore`, `zunionstore`...), a deleted key as
/// `del`.
fn store_zset_or_delete(srv: &mut Server, c: &mut Client, key: &[u8], zset: ZSet, event: &str) {
    let n = zset.len();
    let db = c.db;
    if n > 0 {
        set_key_notify_new(srv, db, key, Value::ZSet(zset), false, false);
        notify_keyspace_event(srv, NOTIFY_ZSET, event, key, db);
        srv.dirty += 1;
    } else if srv.dbs[db].delete(key) {
        signal_modified_key(srv, db, key);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
        srv.dirty += 1;
    }
    c.reply.int(n as i64);
}

/// Writes one element of a range reply: the member, then with `withscores` its score (the
/// pair as a 2-element array in RESP3, flat in RESP2).
fn add_reply_element(reply: &mut Reply, member: &[u8], score: f64, withscores: bool) {
    if withscores && reply.resp >= 3 {
        reply.array_len(2);
    }
    reply.bulk(member);
    if withscores {
        reply.double(score);
    }
}

/// The aggregate length of `n` elements in a range reply: doubled when the scores are flat
/// beside the members (RESP2).
fn range_reply_len(reply: &Reply, n: usize, withscores: bool) -> usize {
    if withscores && reply.resp < 3 {
        n * 2
    } else {
        n
    }
}

/// Parses a score range (Redis's zslParseRange): `(` makes an end exclusive; each end is
/// read by `strtod` and must not be NaN.
fn parse_score_range(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
    let bound = |s: &[u8]| -> Option<(f64, bool)> {
        let (body, ex) = match s.split_first() {
            Some((b'(', rest)) => (rest, true),
            _ => (s, false),
        };
        let v = parse_strtod(body)?;
        (!v.is_nan()).then_some((v, ex))
    };
    let (min, minex) = bound(min)?;
    let (max, maxex) = bound(max)?;
    Some(ScoreRange {
        min,
        max,
        minex,
        maxex,
    })
}

/// Parses one end of a lex range (zslParseLexRangeItem): `+`, `-`, `[member` or `(member`.
/// `+` and `-` stand alone (Redis compares the byte after them to the C terminator).
fn parse_lex_bound(s: &[u8]) -> Option<LexBound> {
    let (&first, rest) = s.split_first()?;
    match first {
        b'+' | b'-' if rest.first().map_or(true, |&b| b == 0) => Some(if first == b'+' {
            LexBound::PosInf
        } else {
            LexBound::NegInf
        }),
        b'(' => Some(LexBound::Excl(rest.to_vec())),
        b'[' => Some(LexBound::Incl(rest.to_vec())),
        _ => None,
    }
}

/// Parses a lex range (zslParseLexRange).
fn parse_lex_range(min: &[u8], max: &[u8]) -> Option<LexRange> {
    Some(LexRange {
        min: parse_lex_bound(min)?,
        max: parse_lex_bound(max)?,
    })
}

const SCORE_RANGE_ERR: &str = "ERR min or max is not a float";
const LEX_RANGE_ERR: &str = "ERR min or max not valid string range item";

/// Clamps a rank range the way ZRANGE and ZREMRANGEBYRANK do (negative ranks count from the
/// end); `None` when it selects nothing, else ascending ranks `start..=end`.
fn clamp_rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

// ---------------------------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM
// ---------------------------------------------------------------------------------------------

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...].
fn zadd_command(srv: &mut Server, c: &mut Client) {
    zadd_generic_command(srv, c, false);
}

/// ZINCRBY key increment member: ZADD INCR with one pair (options are parsed the same way,
/// so `ZINCRBY k nx m` is a syntax error, as on Redis).
fn zincrby_command(srv: &mut Server, c: &mut Client) {
    zadd_generic_command(srv, c, true);
}

/// The body of ZADD and ZINCRBY (Redis's zaddGenericCommand). Checks, in order: options,
/// pairs (`ERR syntax error`), NX+XX, GT/LT/NX, INCR with one pair, every score, then the
/// key's type. Replies the number of added (with CH: added or updated) members, or with INCR
/// the new score (null when an option prevented the change).
fn zadd_generic_command(srv: &mut Server, c: &mut Client, zincrby: bool) {
    let mut flags = AddFlags {
        incr: zincrby,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut scoreidx = 2;
    while scoreidx < c.argv.len() {
        let opt = c.argv.arg(scoreidx);
        if opt.eq_ignore_ascii_case(b"nx") {
            flags.nx = true;
        } else if opt.eq_ignore_ascii_case(b"xx") {
            flags.xx = true;
        } else if opt.eq_ignore_ascii_case(b"ch") {
            ch = true;
        } else if opt.eq_ignore_ascii_case(b"incr") {
            flags.incr = true;
        } else if opt.eq_ignore_ascii_case(b"gt") {
            flags.gt = true;
        } else if opt.eq_ignore_ascii_case(b"lt") {
            flags.lt = true;
        } else {
            break;
        }
        scoreidx += 1;
    }
    let elements = c.argv.len() - scoreidx;
    if elements % 2 != 0 || elements == 0 {
        return c.reply.error(errors::SYNTAX);
    }
    let elements = elements / 2;
    if flags.nx && flags.xx {
        return c
            .reply
            .error("ERR XX and NX options at the same time are not compatible");
    }
    if [flags.gt, flags.lt, flags.nx]
        .iter()
        .filter(|&&f| f)
        .count()
        > 1
    {
        return c
            .reply
            .error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if flags.incr && elements > 1 {
        return c
            .reply
            .error("ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        match parse_f64(c.argv.arg(scoreidx + j * 2)) {
            Some(s) => scores.push(s),
            None => return c.reply.error("ERR value is not a valid float"),
        }
    }
    let limits = ZsetLimits::from_config(&srv.config);
    let db = c.db;
    let key = c.argv.arg(1);
    // One keyspace lookup for an existing key; a new one is created (unless XX) with the
    // encoding its first member calls for, as Redis does.
    let zset = match check_zset(lookup_key_write(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(Some(z)) => Some(z),
        Ok(None) if flags.xx => None,
        Ok(None) => {
            let first = c.argv.arg(scoreidx + 1);
            let zset = ZSet::with_hint(1, first.len(), limits);
            let obj = Obj {
                value: Value::ZSet(zset),
                lru: crate::evict::new_object_lru(),
            };
            srv.dbs[db].add(key, obj, None);
            notify_keyspace_event(srv, NOTIFY_NEW, "new", key, db);
            srv.dbs[db]
                .dict
                .get_mut(key)
                .and_then(|o| o.value.as_zset_mut())
        }
    };
    let mut added = 0u64;
    let mut updated = 0u64;
    let mut processed = 0u64;
    let mut score = 0.0;
    let mut nan = false;
    if let Some(zset) = zset {
        for (j, &s) in scores.iter().enumerate() {
            let member = c.argv.arg(scoreidx + 1 + j * 2);
            let Some((outcome, newscore)) = zset.add(s, member, flags, limits) else {
                // INCR made a NaN: nothing changed (the member existed, so no empty key).
                nan = true;
                break;
            };
            match outcome {
                AddOutcome::Added => added += 1,
                AddOutcome::Updated => updated += 1,
                AddOutcome::Unchanged | AddOutcome::Nop => {}
            }
            if outcome != AddOutcome::Nop {
                processed += 1;
            }
            score = newscore;
        }
    }
    // Watchers are told only when a member was added or its score changed (Redis 7.0's
    // `if (added || updated)`): not for NX on an existing member, XX on a missing one, a
    // GT/LT that does not apply, nor a score set (or incremented by 0) to what it was. A
    // new key always has its first member added, so it is never created silently.
    let changed = added + updated;
    if changed > 0 {
        signal_modified_key(srv, db, key);
        let event = if flags.incr { "zincr" } else { "zadd" };
        notify_keyspace_event(srv, NOTIFY_ZSET, event, key, db);
    }
    srv.dirty += changed;
    if nan {
        return c.reply.error("ERR resulting score is not a number (NaN)");
    }
    if flags.incr {
        if processed > 0 {
            c.reply.double(score);
        } else {
            c.reply.null();
        }
    } else {
        c.reply
            .int((if ch { added + updated } else { added }) as i64);
    }
}

/// ZREM key member [member ...]: removes the members; replies how many were there. The key
/// goes with its last member (the remaining arguments are not looked at).
fn zrem_command(srv: &mut Server, c: &mut Client) {
    let db = c.db;
    let key = c.argv.arg(1);
    let removed = match check_zset(lookup_key_write(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => 0,
        Ok(Some(zset)) => {
            let mut removed = 0;
            for m in c.argv.get(2..).unwrap_or_default() {
                if zset.remove(m) {
                    removed += 1;
                    if zset.is_empty() {
                        break;
                    }
                }
            }
            removed
        }
    };
    finish_removal(srv, db, key, removed, "zrem");
    c.reply.int(removed as i64);
}

// ---------------------------------------------------------------------------------------------
// ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT
// ---------------------------------------------------------------------------------------------

/// ZCARD key: the number of members (0 for a missing key).
fn zcard_command(srv: &mut Server, c: &mut Client) {
    if let Ok(z) = lookup_zset_read(srv, c, 1) {
        c.reply.int(z.map_or(0, |z| z.len() as i64));
    }
}

/// ZSCORE key member: the member's score, or null.
fn zscore_command(srv: &mut Server, c: &mut Client) {
    let Ok(z) = lookup_zset_read(srv, c, 1) else {
        return;
    };
    match z.and_then(|z| z.score(c.argv.arg(2))) {
        Some(s) => c.reply.double(s),
        None => c.reply.null(),
    }
}

/// ZMSCORE key member [member ...]: ZSCORE of each member, as an array (all nulls for a
/// missing key).
fn zmscore_command(srv: &mut Server, c: &mut Client) {
    let Ok(z) = lookup_zset_read(srv, c, 1) else {
        return;
    };
    let members = c.argv.get(2..).unwrap_or_default();
    c.reply.array_len(members.len());
    for m in members {
        match z.and_then(|z| z.score(m)) {
            Some(s) => c.reply.double(s),
            None => c.reply.null(),
        }
    }
}

/// ZRANK key member: the member's 0-based rank by ascending score, or null.
fn zrank_command(srv: &mut Server, c: &mut Client) {
    zrank_generic_command(srv, c, false);
}

/// ZREVRANK key member: the rank by descending score.
fn zrevrank_command(srv: &mut Server, c: &mut Client) {
    zrank_generic_command(srv, c, true);
}

/// The body of ZRANK and ZREVRANK (Redis's zrankGenericCommand).
fn zrank_generic_command(srv: &mut Server, c: &mut Client, reverse: bool) {
    let Ok(z) = lookup_zset_read(srv, c, 1) else {
        return;
    };
    match z.and_then(|z| z.rank(c.argv.arg(2), reverse)) {
        Some(r) => c.reply.int(r as i64),
        None => c.reply.null(),
    }
}

/// ZCOUNT key min max: how many members have a score in the range.
fn zcount_command(srv: &mut Server, c: &mut Client) {
    let Some(range) = parse_score_range(c.argv.arg(2), c.argv.arg(3)) else {
        return c.reply.error(SCORE_RANGE_ERR);
    };
    let Ok(z) = lookup_zset_read(srv, c, 1) else {
        return;
    };
    let count = z.map_or(0, |z| {
        match (
            z.first_in_score_range(&range),
            z.last_in_score_range(&range),
        ) {
            (Some(first), Some(last)) if last >= first => last - first + 1,
            _ => 0,
        }
    });
    c.reply.int(count as i64);
}

/// ZLEXCOUNT key min max: how many members are in the lex range (counted from the first
/// one in range while they stay below the maximum, as Redis walks a listpack).
fn zlexcount_command(srv: &mut Server, c: &mut Client) {
    let Some(range) = parse_lex_range(c.argv.arg(2), c.argv.arg(3)) else {
        return c.reply.error(LEX_RANGE_ERR);
    };
    let Ok(z) = lookup_zset_read(srv, c, 1) else {
        return;
    };
    let count = z.map_or(0, |z| match z {
        ZSet::Listpack(_) => z.first_in_lex_range(&range).map_or(0, |first| {
            z.iter_from(first, false)
                .take_while(|(m, _)| range.lte_max(m))
                .count()
        }),
        ZSet::Skiplist(_) => match (z.first_in_lex_range(&range), z.last_in_lex_range(&range)) {
            (Some(first), Some(last)) if last >= first => last - first + 1,
            _ => 0,
        },
    });
    c.reply.int(count as i64);
}

// ---------------------------------------------------------------------------------------------
// The ZRANGE family
// ---------------------------------------------------------------------------------------------

/// How a range is selected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

/// Which way a range is walked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// Where the elements of a range go (Redis's zrange_result_handler): to the client, or into
/// a new set stored at the end.
enum RangeSink<'a> {
    Client {
        reply: &'a mut Reply,
        withscores: bool,
        /// The header to fill in when the length is known only at the end.
        deferred: Option<Deferred>,
        count: usize,
    },
    Store {
        zset: ZSet,
        limits: ZsetLimits,
    },
}

impl RangeSink<'_> {
    /// Starts the result; `len` is its size when known in advance.
    fn begin(&mut self, len: Option<usize>) {
        match self {
            RangeSink::Client {
                reply,
                withscores,
                deferred,
                ..
            } => match len {
                Some(n) => {
                    let n = range_reply_len(reply, n, *withscores);
                    reply.array_len(n);
                }
                None => *deferred = Some(reply.deferred_len()),
            },
            RangeSink::Store { zset, limits } => {
                *zset = ZSet::with_hint(len.unwrap_or(0), 0, *limits);
            }
        }
    }

    fn emit(&mut self, member: &[u8], score: f64) {
        match self {
            RangeSink::Client {
                reply,
                withscores,
                count,
                ..
            } => {
                add_reply_element(reply, member, score, *withscores);
                *count += 1;
            }
            RangeSink::Store { zset, limits } => {
                let nx = AddFlags {
                    nx: true,
                    ..AddFlags::default()
                };
                zset.add(score, member, nx, *limits);
            }
        }
    }

    /// Ends a result whose header was deferred.
    fn finish(&mut self) {
        if let RangeSink::Client {
            reply,
            withscores,
            deferred,
            count,
        } = self
        {
            if let Some(at) = deferred.take() {
                let n = range_reply_len(reply, *count, *withscores);
                reply.set_array_len(at, n);
            }
        }
    }
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES].
fn zrange_command(srv: &mut Server, c: &mut Client) {
    zrange_generic_command(srv, c, 1, false, RangeType::Auto, Direction::Auto);
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count].
fn zrangestore_command(srv: &mut Server, c: &mut Client) {
    zrange_generic_command(srv, c, 2, true, RangeType::Auto, Direction::Auto);
}

/// ZREVRANGE key start stop [WITHSCORES].
fn zrevrange_command(srv: &mut Server, c: &mut Client) {
    zrange_generic_command(srv, c, 1, false, RangeType::Rank, Direction::Reverse);
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count].
fn zrangebyscore_command(srv: &mut Server, c: &mut Client) {
    zrange_generic_command(srv, c, 1, false, RangeType::Score, Direction::Forward);
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count].
fn zrevrangebyscore_command(srv: &mut Server, c: &mut Client) {
    zrange_generic_command(srv, c, 1, false, RangeType::Score, Direction::Reverse);
}

/// ZRANGEBYLEX key min max [LIMIT offset count].
fn zrangebylex_command(srv: &mut Server, c: &mut Client) {
    zrange_generic_command(srv, c, 1, false, RangeType::Lex, Direction::Forward);
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count].
fn zrevrangebylex_command(srv: &mut Server, c: &mut Client) {
    zrange_generic_command(srv, c, 1, false, RangeType::Lex, Direction::Reverse);
}

/// A parsed range request.
enum RangeSpec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// The body of every range command (Redis's zrangeGenericCommand). `argc_start` is the
/// source key's position; options follow the two bounds. Checks, in order: each option
/// (LIMIT's integers), LIMIT with a rank range, WITHSCORES with BYLEX, the bounds, then the
/// key.
fn zrange_generic_command(
    srv: &mut Server,
    c: &mut Client,
    argc_start: usize,
    store: bool,
    mut rangetype: RangeType,
    mut direction: Direction,
) {
    let mut minidx = argc_start + 1;
    let mut maxidx = argc_start + 2;
    let mut withscores = false;
    let mut offset: i64 = 0;
    let mut limit: i64 = -1;
    let mut j = argc_start + 3;
    while j < c.argv.len() {
        let leftargs = c.argv.len() - j - 1;
        let arg = c.argv.arg(j);
        if !store && arg.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else if arg.eq_ignore_ascii_case(b"limit") && leftargs >= 2 {
            let (Some(o), Some(l)) = (parse_i64(c.argv.arg(j + 1)), parse_i64(c.argv.arg(j + 2)))
            else {
                return c.reply.error(errors::NOT_INTEGER);
            };
            offset = o;
            limit = l;
            j += 2;
        } else if direction == Direction::Auto && arg.eq_ignore_ascii_case(b"rev") {
            direction = Direction::Reverse;
        } else if rangetype == RangeType::Auto && arg.eq_ignore_ascii_case(b"bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && arg.eq_ignore_ascii_case(b"byscore") {
            rangetype = RangeType::Score;
        } else {
            return c.reply.error(errors::SYNTAX);
        }
        j += 1;
    }
    if direction == Direction::Auto {
        direction = Direction::Forward;
    }
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    if limit != -1 && rangetype == RangeType::Rank {
        return c.reply.error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && rangetype == RangeType::Lex {
        return c
            .reply
            .error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    let reverse = direction == Direction::Reverse;
    if reverse && rangetype != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let (min, max) = (c.argv.arg(minidx), c.argv.arg(maxidx));
    let spec = match rangetype {
        RangeType::Score => match parse_score_range(min, max) {
            Some(r) => RangeSpec::Score(r),
            None => return c.reply.error(SCORE_RANGE_ERR),
        },
        RangeType::Lex => match parse_lex_range(min, max) {
            Some(r) => RangeSpec::Lex(r),
            None => return c.reply.error(LEX_RANGE_ERR),
        },
        RangeType::Rank | RangeType::Auto => match (parse_i64(min), parse_i64(max)) {
            (Some(a), Some(b)) => RangeSpec::Rank(a, b),
            _ => return c.reply.error(errors::NOT_INTEGER),
        },
    };
    let limits = ZsetLimits::from_config(&srv.config);
    let db = c.db;
    let src = c.argv.arg_bytes(argc_start);
    let zset = match check_zset(lookup_key_read(srv, db, &src), &mut c.reply) {
        Err(WrongType) => return,
        Ok(z) => z.map(|z| &*z),
    };
    if store {
        let mut sink = RangeSink::Store {
            zset: ZSet::with_hint(0, 0, limits),
            limits,
        };
        if let Some(z) = zset {
            emit_range(z, &spec, reverse, offset, limit, &mut sink);
        }
        let RangeSink::Store { zset: result, .. } = sink else {
            return;
        };
        let dst = c.argv.arg_bytes(1);
        return store_zset_or_delete(srv, c, &dst, result, "zrangestore");
    }
    let Some(z) = zset else {
        return c.reply.array_len(0);
    };
    let mut sink = RangeSink::Client {
        reply: &mut c.reply,
        withscores,
        deferred: None,
        count: 0,
    };
    emit_range(z, &spec, reverse, offset, limit, &mut sink);
}

/// A test of whether an element is still in range, as a range walk goes on.
type ElementCheck<'a> = Box<dyn Fn(&[u8], f64) -> bool + 'a>;

/// Emits the elements of a range into `sink` (Redis's genericZrangeby{rank,score,lex}Command).
/// By score or lex: the walk starts at the first element in range (the last with `reverse`),
/// skips `offset` elements without checking them, then emits up to `limit` (negative: no
/// limit) while they stay in range. A negative offset selects nothing.
fn emit_range(
    z: &ZSet,
    spec: &RangeSpec,
    reverse: bool,
    offset: i64,
    limit: i64,
    sink: &mut RangeSink<'_>,
) {
    let (start, in_range): (Option<usize>, ElementCheck<'_>) = match spec {
        RangeSpec::Rank(start, end) => {
            let Some((start, end)) = clamp_rank_range(*start, *end, z.len()) else {
                sink.begin(Some(0));
                return;
            };
            let n = end - start + 1;
            sink.begin(Some(n));
            let from = if reverse { z.len() - 1 - start } else { start };
            for (m, s) in z.iter_from(from, reverse).take(n) {
                sink.emit(m, s);
            }
            return;
        }
        RangeSpec::Score(range) => {
            let start = if reverse {
                z.last_in_score_range(range)
            } else {
                z.first_in_score_range(range)
            };
            let check: ElementCheck<'_> = if reverse {
                Box::new(move |_, s| range.gte_min(s))
            } else {
                Box::new(move |_, s| range.lte_max(s))
            };
            (start, check)
        }
        RangeSpec::Lex(range) => {
            let start = if reverse {
                z.last_in_lex_range(range)
            } else {
                z.first_in_lex_range(range)
            };
            let check: ElementCheck<'_> = if reverse {
                Box::new(move |m, _| range.gte_min(m))
            } else {
                Box::new(move |m, _| range.lte_max(m))
            };
            (start, check)
        }
    };
    sink.begin(None);
    if offset > 0 && offset as u64 >= z.len() as u64 {
        sink.finish();
        return;
    }
    if let (Some(start), true) = (start, offset >= 0) {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        for (m, s) in z
            .iter_from(start, reverse)
            .skip(offset as usize)
            .take(limit)
        {
            if !in_range(m, s) {
                break;
            }
            sink.emit(m, s);
        }
    }
    sink.finish();
}

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX
// ---------------------------------------------------------------------------------------------

/// ZREMRANGEBYRANK key start stop.
fn zremrangebyrank_command(srv: &mut Server, c: &mut Client) {
    let (Some(start), Some(end)) = (parse_i64(c.argv.arg(2)), parse_i64(c.argv.arg(3))) else {
        return c.reply.error(errors::NOT_INTEGER);
    };
    zremrange_generic_command(srv, c, RangeSpec::Rank(start, end));
}

/// ZREMRANGEBYSCORE key min max.
fn zremrangebyscore_command(srv: &mut Server, c: &mut Client) {
    match parse_score_range(c.argv.arg(2), c.argv.arg(3)) {
        Some(r) => zremrange_generic_command(srv, c, RangeSpec::Score(r)),
        None => c.reply.error(SCORE_RANGE_ERR),
    }
}

/// ZREMRANGEBYLEX key min max.
fn zremrangebylex_command(srv: &mut Server, c: &mut Client) {
    match parse_lex_range(c.argv.arg(2), c.argv.arg(3)) {
        Some(r) => zremrange_generic_command(srv, c, RangeSpec::Lex(r)),
        None => c.reply.error(LEX_RANGE_ERR),
    }
}

/// The body of the range removals (Redis's zremrangeGenericCommand): removes the contiguous
/// run of elements the range selects, deletes an emptied key, replies how many went.
fn zremrange_generic_command(srv: &mut Server, c: &mut Client, spec: RangeSpec) {
    let db = c.db;
    let key = c.argv.arg(1);
    let z = match check_zset(lookup_key_write(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return c.reply.int(0),
        Ok(Some(z)) => z,
    };
    let run = match &spec {
        RangeSpec::Rank(start, end) => clamp_rank_range(*start, *end, z.len()),
        RangeSpec::Score(range) => z.first_in_score_range(range).map(|first| {
            let n = z
                .iter_from(first, false)
                .take_while(|(_, s)| range.lte_max(*s))
                .count();
            (first, first + n - 1)
        }),
        RangeSpec::Lex(range) => z.first_in_lex_range(range).map(|first| {
            let n = z
                .iter_from(first, false)
                .take_while(|(m, _)| range.lte_max(m))
                .count();
            (first, first + n - 1)
        }),
    };
    let removed = run.map_or(0, |(start, end)| z.delete_rank_range(start, end));
    let event = match spec {
        RangeSpec::Rank(..) => "zremrangebyrank",
        RangeSpec::Score(_) => "zremrangebyscore",
        RangeSpec::Lex(_) => "zremrangebylex",
    };
    finish_removal(srv, db, key, removed, event);
    c.reply.int(removed as i64);
}

// ---------------------------------------------------------------------------------------------
// ZPOPMIN, ZPOPMAX, ZMPOP
// ---------------------------------------------------------------------------------------------

/// Which end a pop takes from (Redis's ZSET_MIN / ZSET_MAX).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZsetEnd {
    Min,
    Max,
}

/// ZPOPMIN key [count].
fn zpopmin_command(srv: &mut Server, c: &mut Client) {
    zpop_min_max_command(srv, c, ZsetEnd::Min);
}

/// ZPOPMAX key [count].
fn zpopmax_command(srv: &mut Server, c: &mut Client) {
    zpop_min_max_command(srv, c, ZsetEnd::Max);
}

/// The body of ZPOPMIN and ZPOPMAX (Redis's zpopMinMaxCommand). The reply is flat
/// (member, score, ...) in RESP2 and without a count; in RESP3 with a count it is an array
/// of pairs.
fn zpop_min_max_command(srv: &mut Server, c: &mut Client, where_: ZsetEnd) {
    if c.argv.len() > 3 {
        return c.reply.error(errors::SYNTAX);
    }
    let mut count = None;
    if c.argv.len() == 3 {
        match parse_i64(c.argv.arg(2)) {
            Some(n) if n >= 0 => count = Some(n),
            _ => return c.reply.error("ERR value is out of range, must be positive"),
        }
    }
    let nested = c.reply.resp >= 3 && count.is_some();
    let keys = [c.argv.arg_bytes(1)];
    generic_zpop_command(srv, c, &keys, where_, false, count, nested, false);
}

/// Pops up to `count` elements (1 when `None`) from the first key of `keys` that holds a
/// sorted set (Redis's genericZpopCommand), replying in the shape the caller asks for:
///
/// - `emit_key = false`, `nested = false`: a flat `[member, score, ...]` (ZPOPMIN, and its
///   RESP2 form with a count);
/// - `emit_key = false`, `nested = true`: `[[member, score], ...]` (ZPOPMIN count, RESP3);
/// - `emit_key = true`, `nested = false`: `[key, member, score, ...]` (BZPOPMIN/BZPOPMAX);
/// - `emit_key = true`, `nested = true`: `[key, [[member, score], ...]]` (ZMPOP/BZMPOP).
///
/// A key of another type stops the scan with WRONGTYPE (keys before it were missing). With
/// no sorted set at all the reply is the null array when `reply_nil_when_empty` (ZMPOP),
/// else the empty array. A count of 0 answers the empty array and changes nothing. The
/// emptied key is deleted; the key's watchers are told of any pop ([`finish_removal`]), a
/// blocked client's served pop included.
/// Returns true when something was popped (a blocking wrapper blocks otherwise, after
/// checking the keys itself).
#[allow(clippy::too_many_arguments)]
pub(crate) fn generic_zpop_command(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    where_: ZsetEnd,
    emit_key: bool,
    count: Option<i64>,
    nested: bool,
    reply_nil_when_empty: bool,
) -> bool {
    let db = c.db;
    let mut found = None;
    for key in keys {
        match check_zset(lookup_key_write(srv, db, key), &mut c.reply) {
            Err(WrongType) => return false,
            Ok(None) => continue,
            Ok(Some(_)) => {
                found = Some(key);
                break;
            }
        }
    }
    let Some(key) = found else {
        if reply_nil_when_empty {
            c.reply.null_array();
        } else {
            c.reply.array_len(0);
        }
        return false;
    };
    if count == Some(0) {
        c.reply.array_len(0);
        return false;
    }
    let count = count.unwrap_or(1).max(1) as u64;
    let Some(zset) = srv.dbs[db]
        .dict
        .get_mut(&key[..])
        .and_then(|o| o.value.as_zset_mut())
    else {
        c.reply.array_len(0);
        return false;
    };
    let rangelen = count.min(zset.len() as u64) as usize;
    match (emit_key, nested) {
        (false, false) => c.reply.array_len(rangelen * 2),
        (false, true) => c.reply.array_len(rangelen),
        (true, false) => {
            c.reply.array_len(rangelen * 2 + 1);
            c.reply.bulk(key);
        }
        (true, true) => {
            c.reply.array_len(2);
            c.reply.bulk(key);
            c.reply.array_len(rangelen);
        }
    }
    for _ in 0..rangelen {
        let Some((member, score)) = zset.pop(where_ == ZsetEnd::Max) else {
            break;
        };
        if nested {
            c.reply.array_len(2);
        }
        c.reply.bulk(&member);
        c.reply.double(score);
    }
    let event = match where_ {
        ZsetEnd::Min => "zpopmin",
        ZsetEnd::Max => "zpopmax",
    };
    finish_removal(srv, db, key, rangelen, event);
    // The forms that name a key in their reply (BZPOPMIN/BZPOPMAX, ZMPOP, BZMPOP) are
    // propagated as ZPOPMIN/ZPOPMAX, with the number popped when a count was given; ZPOPMIN
    // and ZPOPMAX themselves as sent (Redis's genericZpopCommand).
    if emit_key && rangelen > 0 {
        let name: &[u8] = match where_ {
            ZsetEnd::Min => b"ZPOPMIN",
            ZsetEnd::Max => b"ZPOPMAX",
        };
        let n = rangelen.to_string();
        if nested {
            crate::propagate::rewrite_command(srv, &[name, key, n.as_bytes()]);
        } else {
            crate::propagate::rewrite_command(srv, &[name, key]);
        }
    }
    rangelen > 0
}

/// ZMPOP's (and BZMPOP's) arguments after the numkeys at `numkeys_idx`.
pub(crate) struct ZmpopArgs {
    /// The keys, as an index range of `c.argv`.
    pub keys: std::ops::Range<usize>,
    pub where_: ZsetEnd,
    /// COUNT, 1 when absent.
    pub count: i64,
}

/// Parses `numkeys key [key ...] MIN|MAX [COUNT count]` from `numkeys_idx` (Redis's
/// zmpopGenericCommand before the pop), replying the error and returning `None` when they
/// are malformed: numkeys and COUNT must be positive (`ERR numkeys should be greater than
/// 0`, `ERR count should be greater than 0`, also for non-integers), MIN or MAX must follow
/// the keys, and only one COUNT may follow (`ERR syntax error`).
pub(crate) fn parse_zmpop_args(c: &mut Client, numkeys_idx: usize) -> Option<ZmpopArgs> {
    let Some(numkeys) = parse_i64(c.argv.arg(numkeys_idx)).filter(|&n| n >= 1) else {
        c.reply.error("ERR numkeys should be greater than 0");
        return None;
    };
    let where_idx = (numkeys as u64).saturating_add(numkeys_idx as u64 + 1);
    if where_idx >= c.argv.len() as u64 {
        c.reply.error(errors::SYNTAX);
        return None;
    }
    let where_idx = where_idx as usize;
    let where_arg = c.argv.arg(where_idx);
    let where_ = if where_arg.eq_ignore_ascii_case(b"min") {
        ZsetEnd::Min
    } else if where_arg.eq_ignore_ascii_case(b"max") {
        ZsetEnd::Max
    } else {
        c.reply.error(errors::SYNTAX);
        return None;
    };
    let mut count = None;
    let mut j = where_idx + 1;
    while j < c.argv.len() {
        let more = c.argv.len() - 1 - j;
        if count.is_none() && more > 0 && c.argv.arg(j).eq_ignore_ascii_case(b"count") {
            j += 1;
            match parse_i64(c.argv.arg(j)).filter(|&n| n >= 1) {
                Some(n) => count = Some(n),
                None => {
                    c.reply.error("ERR count should be greater than 0");
                    return None;
                }
            }
        } else {
            c.reply.error(errors::SYNTAX);
            return None;
        }
        j += 1;
    }
    Some(ZmpopArgs {
        keys: numkeys_idx + 1..where_idx,
        where_,
        count: count.unwrap_or(1),
    })
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: pops from the first non-empty sorted
/// set; replies `[key, [[member, score], ...]]`, or the null array when every key is empty.
fn zmpop_command(srv: &mut Server, c: &mut Client) {
    let Some(args) = parse_zmpop_args(c, 1) else {
        return;
    };
    let keys: Vec<Bytes> = c.argv.get(args.keys).unwrap_or_default().to_vec();
    generic_zpop_command(
        srv,
        c,
        &keys,
        args.where_,
        true,
        Some(args.count),
        true,
        true,
    );
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------------------------

/// ZRANDMEMBER key [count [WITHSCORES]]: a random member (null for a missing key); with a
/// count, as HRANDFIELD: up to `count` distinct members, or with a negative count `|count|`
/// members that may repeat. The arguments are checked before the key, as HRANDFIELD's
/// ([`parse_random_count_or_reply`]).
fn zrandmember_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() < 3 {
        let Ok(z) = lookup_zset_read(srv, c, 1) else {
            return;
        };
        if z.is_none() {
            return c.reply.null();
        }
        let Server { dbs, rng, .. } = &mut *srv;
        let Some(z) = dbs[c.db]
            .dict
            .get(c.argv.arg(1))
            .and_then(|o| o.value.as_zset())
        else {
            return c.reply.null();
        };
        match z.random(rng.next_u64()) {
            Some((m, _)) => c.reply.bulk(m),
            None => c.reply.null(),
        }
        return;
    }
    let Some((l, withscores)) = parse_random_count_or_reply(c, b"withscores") else {
        return;
    };
    zrandmember_with_count_command(srv, c, l, withscores);
}

/// The counted forms of ZRANDMEMBER (Redis's zrandmemberWithCountCommand).
fn zrandmember_with_count_command(srv: &mut Server, c: &mut Client, l: i64, withscores: bool) {
    let Ok(z) = lookup_zset_read(srv, c, 1) else {
        return;
    };
    if z.is_none() {
        return c.reply.array_len(0);
    }
    let Server { dbs, rng, .. } = &mut *srv;
    let Some(z) = dbs[c.db]
        .dict
        .get(c.argv.arg(1))
        .and_then(|o| o.value.as_zset())
    else {
        return c.reply.array_len(0);
    };
    let count = l.unsigned_abs();
    if count == 0 {
        return c.reply.array_len(0);
    }
    let size = z.len();
    if l < 0 || count == 1 {
        let n = range_reply_len(&c.reply, count as usize, withscores);
        c.reply.array_len(n);
        let mut too_big = false;
        let sampler = z.sampler();
        for _ in 0..count {
            let Some((m, s)) = sampler.pick(rng.next_u64()) else {
                break;
            };
            add_reply_element(&mut c.reply, m, s, withscores);
            if c.reply.pending_len() > ZRANDMEMBER_MAX_REPLY_BYTES {
                too_big = true;
                break;
            }
        }
        if too_big {
            close_client_async(srv, c);
        }
        return;
    }
    if count >= size as u64 {
        // The whole set, walked from the top down as Redis's zui iterator walks a zset.
        let n = range_reply_len(&c.reply, size, withscores);
        c.reply.array_len(n);
        for (m, s) in z.iter_from(size - 1, true) {
            add_reply_element(&mut c.reply, m, s, withscores);
        }
        return;
    }
    let count = count as usize;
    let mut ranks: Vec<usize> =
        if count * ZRANDMEMBER_SUB_STRATEGY_MUL > size || matches!(z, ZSet::Listpack(_)) {
            // A large share (or a small set): a partial Fisher-Yates shuffle of every rank.
            let mut all: Vec<usize> = (0..size).collect();
            for i in 0..count {
                let j = i + rng.below((size - i) as u64) as usize;
                all.swap(i, j);
            }
            all.truncate(count);
            all
        } else {
            let mut seen = HashSet::with_capacity(count);
            while seen.len() < count {
                seen.insert(rng.below(size as u64) as usize);
            }
            seen.into_iter().collect()
        };
    if matches!(z, ZSet::Listpack(_)) {
        // Redis's lpRandomPairsUnique keeps the listpack's order.
        ranks.sort_unstable();
    }
    let n = range_reply_len(&c.reply, count, withscores);
    c.reply.array_len(n);
    let sampler = z.sampler();
    for r in ranks {
        if let Some((m, s)) = sampler.at(r) {
            add_reply_element(&mut c.reply, m, s, withscores);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------------------------

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: `[next-cursor, [member, score, ...]]`,
/// scores as bulk strings (`%.17g`) in both protocols. Checks in Redis's order: cursor, key,
/// options. A listpack comes whole with cursor 0; a skiplist's table is scanned as HSCAN
/// scans a hash (COUNT counts members and scores).
fn zscan_command(srv: &mut Server, c: &mut Client) {
    let Some(cursor) = parse_scan_cursor_or_reply(c, 2) else {
        return;
    };
    let Ok(found) = lookup_zset_read(srv, c, 1) else {
        return;
    };
    let Some(z) = found else {
        return c.reply.raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
    };
    let opts = match parse_scan_options(&c.argv, 3, false) {
        Ok(opts) => opts,
        Err(e) => return c.reply.error(e),
    };
    let mut pairs: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut next = 0;
    match z {
        ZSet::Listpack(_) => pairs.extend(z.iter().map(|(m, s)| (m.to_vec(), s))),
        ZSet::Skiplist(sl) => {
            next = scan_step(&sl.dict, cursor, opts.count, 2, |m, s| {
                pairs.push((m.to_vec(), *s))
            });
        }
    }
    if let Some(pattern) = opts.pattern {
        pairs.retain(|(m, _)| string_match(pattern, m, false));
    }
    c.reply.array_len(2);
    c.reply.bulk(next.to_string().as_bytes());
    c.reply.array_len(pairs.len() * 2);
    let listpack = matches!(z, ZSet::Listpack(_));
    let mut text = Vec::with_capacity(24);
    for (m, s) in pairs {
        c.reply.bulk(&m);
        text.clear();
        if listpack {
            listpack_score_text(s, &mut text);
        } else {
            format_double(s, &mut text);
        }
        c.reply.bulk(&text);
    }
}

/// A score as a listpack stores it, which ZSCAN of a listpack returns (Redis's d2string):
/// an integer's digits when the score is integral and within +/- 2^62, else `%.17g`.
fn listpack_score_text(score: f64, buf: &mut Vec<u8>) {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if score.fract() == 0.0 && (-LIMIT..=LIMIT).contains(&score) {
        write_i64(buf, score as i64);
    } else {
        format_double(score, buf);
    }
}

// ---------------------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD
// ---------------------------------------------------------------------------------------------

/// The operation of [`zunion_inter_diff_generic_command`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

/// How scores of one member in several inputs combine (AGGREGATE).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Combines `val` into `target` (Redis's zunionInterAggregate): a sum of `inf` and `-inf`
/// is 0, not NaN.
fn aggregate_into(target: &mut f64, val: f64, aggr: Aggregate) {
    match aggr {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// One input of the algebra: a sorted set, a plain set (every member scoring 1), or a missing
/// key (empty).
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    ZSet(&'a ZSet),
    Set(&'a RSet),
}

impl<'a> Source<'a> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::ZSet(z) => z.len(),
            Source::Set(s) => s.len(),
        }
    }

    /// The member's score in this input (1 for a set member).
    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::ZSet(z) => z.score(member),
            Source::Set(s) => s.contains(member).then_some(1.0),
        }
    }

    /// Calls `f` with every element until it returns false. An intset's numbers are written
    /// into one reused buffer: they have no bytes to lend.
    fn for_each(&self, mut f: impl FnMut(&[u8], f64) -> bool) {
        match self {
            Source::Missing => {}
            Source::ZSet(z) => {
                for (m, s) in z.iter() {
                    if !f(m, s) {
                        return;
                    }
                }
            }
            Source::Set(set) => {
                let mut text = Vec::with_capacity(20);
                for m in set.iter() {
                    let bytes = match m {
                        SetMember::Str(b) => b,
                        SetMember::Int(n) => {
                            text.clear();
                            write_i64(&mut text, n);
                            &text[..]
                        }
                    };
                    if !f(bytes, 1.0) {
                        return;
                    }
                }
            }
        }
    }
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX].
fn zunionstore_command(srv: &mut Server, c: &mut Client) {
    let dst = c.argv.arg_bytes(1);
    zunion_inter_diff_generic_command(srv, c, Some(dst), 2, SetOp::Union, false);
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX].
fn zinterstore_command(srv: &mut Server, c: &mut Client) {
    let dst = c.argv.arg_bytes(1);
    zunion_inter_diff_generic_command(srv, c, Some(dst), 2, SetOp::Inter, false);
}

/// ZDIFFSTORE destination numkeys key [key ...].
fn zdiffstore_command(srv: &mut Server, c: &mut Client) {
    let dst = c.argv.arg_bytes(1);
    zunion_inter_diff_generic_command(srv, c, Some(dst), 2, SetOp::Diff, false);
}

/// ZUNION numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES].
fn zunion_command(srv: &mut Server, c: &mut Client) {
    zunion_inter_diff_generic_command(srv, c, None, 1, SetOp::Union, false);
}

/// ZINTER numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES].
fn zinter_command(srv: &mut Server, c: &mut Client) {
    zunion_inter_diff_generic_command(srv, c, None, 1, SetOp::Inter, false);
}

/// ZDIFF numkeys key [key ...] [WITHSCORES].
fn zdiff_command(srv: &mut Server, c: &mut Client) {
    zunion_inter_diff_generic_command(srv, c, None, 1, SetOp::Diff, false);
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit].
fn zintercard_command(srv: &mut Server, c: &mut Client) {
    zunion_inter_diff_generic_command(srv, c, None, 1, SetOp::Inter, true);
}

/// The algebra (Redis's zunionInterDiffGenericCommand). Checks, in order: numkeys (an
/// integer, at least 1: `ERR at least 1 input key is needed for '<cmd>' command`; no more
/// than the arguments left: syntax error), every source's type (sorted sets and sets), then
/// the options: WEIGHTS (`ERR weight value is not a float`) and AGGREGATE for ZUNION/ZINTER,
/// WITHSCORES without a destination, LIMIT for ZINTERCARD (`ERR LIMIT can't be negative`).
///
/// Union and intersection visit the inputs smallest first (a stable sort by size), so a sum
/// adds in Redis's order; the intersection walks the smallest input and looks its members up
/// in the others. The difference keeps the first input's members found in no other, with
/// their own scores. A result is built as a skiplist; stored, it is made a listpack again if
/// it fits.
fn zunion_inter_diff_generic_command(
    srv: &mut Server,
    c: &mut Client,
    dst: Option<Bytes>,
    numkeys_idx: usize,
    op: SetOp,
    cardinality_only: bool,
) {
    let Some(setnum) = parse_i64(c.argv.arg(numkeys_idx)) else {
        return c.reply.error(errors::NOT_INTEGER);
    };
    if setnum < 1 {
        return c.reply.error(&format!(
            "ERR at least 1 input key is needed for '{}' command",
            c.last_cmd
        ));
    }
    if setnum as u64 > (c.argv.len() - (numkeys_idx + 1)) as u64 {
        return c.reply.error(errors::SYNTAX);
    }
    let setnum = setnum as usize;
    let db = c.db;
    let first_key = numkeys_idx + 1;
    for j in first_key..first_key + setnum {
        if let Some(obj) = lookup_key_read(srv, db, c.argv.arg(j)) {
            if !matches!(obj.value, Value::ZSet(_) | Value::Set(_)) {
                return c.reply.error(errors::WRONGTYPE);
            }
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut limit: u64 = 0;
    let mut j = first_key + setnum;
    while j < c.argv.len() {
        let remaining = c.argv.len() - j;
        let arg = c.argv.arg(j);
        if op != SetOp::Diff
            && !cardinality_only
            && remaining > setnum
            && arg.eq_ignore_ascii_case(b"weights")
        {
            j += 1;
            for w in weights.iter_mut() {
                match parse_f64(c.argv.arg(j)) {
                    Some(v) => *w = v,
                    None => return c.reply.error("ERR weight value is not a float"),
                }
                j += 1;
            }
        } else if op != SetOp::Diff
            && !cardinality_only
            && remaining >= 2
            && arg.eq_ignore_ascii_case(b"aggregate")
        {
            let a = c.argv.arg(j + 1);
            aggregate = if a.eq_ignore_ascii_case(b"sum") {
                Aggregate::Sum
            } else if a.eq_ignore_ascii_case(b"min") {
                Aggregate::Min
            } else if a.eq_ignore_ascii_case(b"max") {
                Aggregate::Max
            } else {
                return c.reply.error(errors::SYNTAX);
            };
            j += 2;
        } else if dst.is_none() && !cardinality_only && arg.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
            j += 1;
        } else if cardinality_only && remaining >= 2 && arg.eq_ignore_ascii_case(b"limit") {
            match parse_i64(c.argv.arg(j + 1)) {
                Some(l) if l >= 0 => limit = l as u64,
                _ => return c.reply.error("ERR LIMIT can't be negative"),
            }
            j += 2;
        } else {
            return c.reply.error(errors::SYNTAX);
        }
    }

    let limits = ZsetLimits::from_config(&srv.config);
    let keyspace = &srv.dbs[db];
    let mut sources: Vec<(Source<'_>, f64)> = (0..setnum)
        .map(|i| {
            let key = c.argv.arg(first_key + i);
            let src = match keyspace.dict.get(key).map(|o| &o.value) {
                Some(Value::ZSet(z)) => Source::ZSet(z),
                Some(Value::Set(s)) => Source::Set(s),
                _ => Source::Missing,
            };
            (src, weights[i])
        })
        .collect();
    if op != SetOp::Diff {
        sources.sort_by_key(|(s, _)| s.len());
    }
    let mut result = ZSet::with_hint(usize::MAX, usize::MAX, limits);
    let mut cardinality = 0u64;
    let insert = |result: &mut ZSet, m: &[u8], s: f64| {
        result.add(s, m, AddFlags::default(), limits);
    };
    match op {
        SetOp::Inter => {
            if let Some(((first, w0), others)) = sources.split_first() {
                first.for_each(|m, s| {
                    let mut score = w0 * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    for (src, w) in others {
                        match src.score(m) {
                            Some(v) => aggregate_into(&mut score, v * w, aggregate),
                            None => return true,
                        }
                    }
                    if cardinality_only {
                        cardinality += 1;
                        return limit == 0 || cardinality < limit;
                    }
                    insert(&mut result, m, score);
                    true
                });
            }
        }
        SetOp::Union => {
            let mut acc: crate::dict::Dict<Box<[u8]>, f64> = crate::dict::Dict::new();
            for (src, w) in &sources {
                src.for_each(|m, s| {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(cur) => aggregate_into(cur, score, aggregate),
                        None => {
                            acc.insert(Box::from(m), score);
                        }
                    }
                    true
                });
            }
            for (m, s) in acc.iter() {
                insert(&mut result, m, *s);
            }
        }
        SetOp::Diff => {
            if let Some(((first, _), others)) = sources.split_first() {
                first.for_each(|m, s| {
                    if others.iter().all(|(src, _)| src.score(m).is_none()) {
                        insert(&mut result, m, s);
                    }
                    true
                });
            }
        }
    }
    if let Some(dst) = dst {
        result.convert_to_listpack_if_needed(limits);
        let event = match op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        return store_zset_or_delete(srv, c, &dst, result, event);
    }
    if cardinality_only {
        return c.reply.int(cardinality as i64);
    }
    let n = range_reply_len(&c.reply, result.len(), withscores);
    c.reply.array_len(n);
    for (m, s) in result.iter() {
        add_reply_element(&mut c.reply, m, s, withscores);
    }
}

// ---------------------------------------------------------------------------------------------
// Blocking pops (the client side of `crate::blocked`)
// ---------------------------------------------------------------------------------------------

/// BZPOPMIN key [key ...] timeout
fn bzpopmin_command(srv: &mut Server, c: &mut Client) {
    bzpop_min_max_command(srv, c, serve_bzpopmin);
}

/// BZPOPMAX key [key ...] timeout
fn bzpopmax_command(srv: &mut Server, c: &mut Client) {
    bzpop_min_max_command(srv, c, serve_bzpopmax);
}

/// BZPOPMIN and BZPOPMAX: the timeout is the last argument, every other one a key.
fn bzpop_min_max_command(srv: &mut Server, c: &mut Client, serve: ServeFn) {
    let timeout_idx = c.argv.len() - 1;
    let keys = c.argv.get(1..timeout_idx).unwrap_or_default().to_vec();
    blocking_generic_zpop_command(srv, c, &keys, timeout_idx, serve);
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the arguments are checked
/// before the timeout (Redis's zmpopGenericCommand).
fn bzmpop_command(srv: &mut Server, c: &mut Client) {
    let Some(args) = parse_zmpop_args(c, 2) else {
        return;
    };
    let keys = c.argv.get(args.keys).unwrap_or_default().to_vec();
    blocking_generic_zpop_command(srv, c, &keys, 1, serve_bzmpop);
}

/// The blocking pops (Redis's blockingGenericZpopCommand): the first sorted set among
/// `keys` is popped at once, a key of another type stops with WRONGTYPE, and when none
/// exists the client waits until `serve` can pop from one that gets created.
fn blocking_generic_zpop_command(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    timeout_idx: usize,
    serve: ServeFn,
) {
    let Some(deadline) = get_timeout_or_reply(srv, c, timeout_idx) else {
        return;
    };
    serve_or_block_for_keys(srv, c, keys, deadline, Value::as_zset_mut, serve);
}

/// Pops for a BZPOPMIN from `key`: `[key, member, score]`.
fn serve_bzpopmin(srv: &mut Server, c: &mut Client, key: &[u8]) -> bool {
    serve_bzpop(srv, c, key, ZsetEnd::Min)
}

/// Pops for a BZPOPMAX from `key`: `[key, member, score]`.
fn serve_bzpopmax(srv: &mut Server, c: &mut Client, key: &[u8]) -> bool {
    serve_bzpop(srv, c, key, ZsetEnd::Max)
}

/// One element from `key` if it holds a sorted set; any other type leaves the client
/// waiting (Redis's serveClientsBlockedOnSortedSetKey).
fn serve_bzpop(srv: &mut Server, c: &mut Client, key: &[u8], where_: ZsetEnd) -> bool {
    if !zset_is_ready(srv, c.db, key) {
        return false;
    }
    let key = Bytes::copy_from_slice(key);
    generic_zpop_command(srv, c, &[key], where_, true, None, false, false)
}

/// Up to COUNT elements for a BZMPOP from `key`: `[key, [[member, score], ...]]`, its
/// options read again from the kept `argv`.
fn serve_bzmpop(srv: &mut Server, c: &mut Client, key: &[u8]) -> bool {
    if !zset_is_ready(srv, c.db, key) {
        return false;
    }
    let Some(args) = parse_zmpop_args(c, 2) else {
        return false;
    };
    let key = Bytes::copy_from_slice(key);
    generic_zpop_command(
        srv,
        c,
        &[key],
        args.where_,
        true,
        Some(args.count),
        true,
        true,
    )
}

/// True if `key` holds a sorted set now (a stored one is never empty).
fn zset_is_ready(srv: &mut Server, db: usize, key: &[u8]) -> bool {
    lookup_key_write(srv, db, key).is_some_and(|o| o.value.as_zset().is_some())
}
