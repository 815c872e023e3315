//! List commands (Redis's t_list.c): the pushes (LPUSH, RPUSH and their X forms), the pops
//! (LPOP, RPOP with or without a count, LMPOP), the readers (LLEN, LRANGE, LINDEX, LPOS), the
//! editors (LSET, LINSERT, LREM, LTRIM) and the moves (LMOVE, RPOPLPUSH). Storage lives in
//! `types/list.rs`.
//!
//! As everywhere, the order of checks is visible to clients and copied from Redis: LRANGE,
//! LTRIM and LREM parse their numbers before looking the key up, LINDEX and LSET after (so
//! `LSET missing x y` is "no such key", not a number error); LPOP parses its count first but
//! answers a missing key before looking at a count of 0; LPOS and LMPOP parse every option
//! before any key.
//!
//! The blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) close the module. They
//! share their non-blocking forms' steps, as Redis does ([`parse_lmpop_args`],
//! [`list_pop_and_reply`], [`list_pop_range_and_reply_with_key`], [`lmove_generic`]), and park
//! the client through `crate::blocked` when every key is empty. Keys are created only through
//! `Db::add`, the hook that wakes blocked clients.
//!
//! Invariant: a list in the keyspace is never empty. Every command that removes elements
//! deletes the key with its last one.

use bytes::Bytes;

use crate::blocked::{block_for_keys, get_timeout_or_reply, serve_or_block_for_keys, ServeFn};
use crate::client::Client;
use crate::commands::{acl, check_type, errors, first_key_of_type, flags::*, Command, WrongType};
use crate::db::{lookup_key_read, lookup_key_write, signal_modified_key};
use crate::notify::{notify_keyspace_event, NOTIFY_GENERIC, NOTIFY_LIST, NOTIFY_NEW};
use crate::propagate::rewrite_command;
use crate::resp::reply::Reply;
use crate::server::Server;
use crate::types::list::{Entry, Fill, Where};
use crate::types::{List, Obj, Value};
use crate::util::parse_i64;

/// This module's rows of the command table (as COMMAND INFO prints them on Redis 7.0).
pub static COMMANDS: &[Command] = &[
    Command::new(
        "lpush",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::LIST,
        lpush_command,
    ),
    Command::new(
        "rpush",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::LIST,
        rpush_command,
    ),
    Command::new(
        "lpushx",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::LIST,
        lpushx_command,
    ),
    Command::new(
        "rpushx",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::LIST,
        rpushx_command,
    ),
    Command::new("lpop", -2, WRITE | FAST, (1, 1, 1), acl::LIST, lpop_command),
    Command::new("rpop", -2, WRITE | FAST, (1, 1, 1), acl::LIST, rpop_command),
    Command::new(
        "llen",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::LIST,
        llen_command,
    ),
    Command::new("lrange", 4, READONLY, (1, 1, 1), acl::LIST, lrange_command),
    Command::new("lindex", 3, READONLY, (1, 1, 1), acl::LIST, lindex_command),
    Command::new(
        "lset",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        acl::LIST,
        lset_command,
    ),
    Command::new(
        "linsert",
        5,
        WRITE | DENYOOM,
        (1, 1, 1),
        acl::LIST,
        linsert_command,
    ),
    Command::new("lrem", 4, WRITE, (1, 1, 1), acl::LIST, lrem_command),
    Command::new("ltrim", 4, WRITE, (1, 1, 1), acl::LIST, ltrim_command),
    Command::new("lpos", -3, READONLY, (1, 1, 1), acl::LIST, lpos_command),
    Command::new(
        "lmove",
        5,
        WRITE | DENYOOM,
        (1, 2, 1),
        acl::LIST,
        lmove_command,
    ),
    Command::new(
        "rpoplpush",
        3,
        WRITE | DENYOOM,
        (1, 2, 1),
        acl::LIST,
        rpoplpush_command,
    ),
    Command::new(
        "lmpop",
        -4,
        WRITE | MOVABLE_KEYS,
        (0, 0, 0),
        acl::LIST,
        lmpop_command,
    ),
    Command::new(
        "blpop",
        -3,
        WRITE | NOSCRIPT | BLOCKING,
        (1, -2, 1),
        acl::LIST,
        blpop_command,
    ),
    Command::new(
        "brpop",
        -3,
        WRITE | NOSCRIPT | BLOCKING,
        (1, -2, 1),
        acl::LIST,
        brpop_command,
    ),
    Command::new(
        "blmove",
        6,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        (1, 2, 1),
        acl::LIST,
        blmove_command,
    ),
    Command::new(
        "brpoplpush",
        4,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        (1, 2, 1),
        acl::LIST,
        brpoplpush_command,
    ),
    Command::new(
        "blmpop",
        -5,
        WRITE | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        acl::LIST,
        blmpop_command,
    ),
];

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// The list in a looked-up object (Redis's checkType for lists): `Ok(None)` for a missing key,
/// `Err` after replying WRONGTYPE for a key of another type.
fn check_list<'a>(
    obj: Option<&'a mut Obj>,
    reply: &mut Reply,
) -> Result<Option<&'a mut List>, WrongType> {
    check_type(obj, reply, Value::as_list_mut)
}

/// The node limits of `list-max-listpack-size`, read once per command before the keyspace is
/// borrowed.
pub fn list_fill(srv: &Server) -> Fill {
    Fill::new(srv.config.list_max_listpack_size)
}

/// The list stored at `key`, if it holds one (no expiry, no statistics: the key was looked up
/// already in this command).
fn stored_list<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut List> {
    srv.dbs.get_mut(db)?.dict.get_mut(key)?.value.as_list_mut()
}

/// After elements left the list at `key` (a pop, LREM, LTRIM, a move): announces `event`,
/// then deletes the key if the list emptied and announces `del` (Redis's
/// listElementsRemoved and the same sequence in LREM / LTRIM).
fn list_elements_removed(srv: &mut Server, db: usize, key: &[u8], event: &str) {
    notify_keyspace_event(srv, NOTIFY_LIST, event, key, db);
    if let Some(d) = srv.dbs.get_mut(db) {
        let empty = d
            .dict
            .get(key)
            .and_then(|o| o.value.as_list())
            .is_some_and(List::is_empty);
        if empty {
            d.delete(key);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
        }
    }
}

/// The event a pop from `where_` announces.
fn pop_event(where_: Where) -> &'static str {
    match where_ {
        Where::Head => "lpop",
        Where::Tail => "rpop",
    }
}

/// The event a push to `where_` announces.
fn push_event(where_: Where) -> &'static str {
    match where_ {
        Where::Head => "lpush",
        Where::Tail => "rpush",
    }
}

/// Stores a new list under `key`, which must not exist (Redis's dbAdd): the one way lists
/// come into the keyspace, so that blocked clients are woken.
fn add_list(srv: &mut Server, db: usize, key: &[u8], list: List) {
    if let Some(d) = srv.dbs.get_mut(db) {
        let obj = Obj {
            value: Value::List(Box::new(list)),
            lru: crate::evict::new_object_lru(),
        };
        d.add(key, obj, None);
    }
    notify_keyspace_event(srv, NOTIFY_NEW, "new", key, db);
}

/// Writes one element as a bulk string.
fn add_reply_entry(reply: &mut Reply, entry: Entry<'_>) {
    match entry {
        Entry::Int(n) => reply.bulk_i64(n),
        Entry::Str(s) => reply.bulk(s),
    }
}

/// LEFT or RIGHT (Redis's getListPositionFromObjectOrReply); replies the syntax error
/// otherwise. Shared with BLMOVE and BLMPOP.
fn parse_list_position(arg: &[u8], reply: &mut Reply) -> Option<Where> {
    if arg.eq_ignore_ascii_case(b"left") {
        Some(Where::Head)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Some(Where::Tail)
    } else {
        reply.error(errors::SYNTAX);
        None
    }
}

/// A number argument that must fit a C long, else Redis's generic integer error.
fn parse_long_or_reply(arg: &[u8], reply: &mut Reply) -> Option<i64> {
    let n = parse_i64(arg);
    if n.is_none() {
        reply.error(errors::NOT_INTEGER);
    }
    n
}

/// A number in `min..=max`, with one error text for both a non-number and an out-of-range
/// number (Redis's getRangeLongFromObjectOrReply given a message; `ERR` is prefixed).
fn parse_range_or_reply(
    arg: &[u8],
    min: i64,
    max: i64,
    msg: &str,
    reply: &mut Reply,
) -> Option<i64> {
    match parse_i64(arg) {
        Some(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            reply.error(&format!("ERR {msg}"));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pushes
// ---------------------------------------------------------------------------------------------

/// LPUSH, RPUSH, LPUSHX, RPUSHX (Redis's pushGenericCommand): pushes every element in turn
/// and replies the new length. The X forms (`xx`) push only onto an existing list, replying 0
/// for a missing key.
fn push_generic_command(srv: &mut Server, c: &mut Client, where_: Where, xx: bool) {
    let fill = list_fill(srv);
    let db = c.db;
    let key = c.argv.arg(1);
    let elems = c.argv.get(2..).unwrap_or_default();
    let len = match check_list(lookup_key_write(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(Some(list)) => {
            for e in elems {
                list.push(where_, e, fill);
            }
            list.len()
        }
        Ok(None) if xx => return c.reply.int(0),
        Ok(None) => {
            let mut list = List::new();
            for e in elems {
                list.push(where_, e, fill);
            }
            let len = list.len();
            add_list(srv, db, key, list);
            len
        }
    };
    signal_modified_key(srv, db, key);
    notify_keyspace_event(srv, NOTIFY_LIST, push_event(where_), key, db);
    srv.dirty += elems.len() as u64;
    c.reply.int(len as i64);
}

/// LPUSH key element [element ...]
fn lpush_command(srv: &mut Server, c: &mut Client) {
    push_generic_command(srv, c, Where::Head, false);
}

/// RPUSH key element [element ...]
fn rpush_command(srv: &mut Server, c: &mut Client) {
    push_generic_command(srv, c, Where::Tail, false);
}

/// LPUSHX key element [element ...]
fn lpushx_command(srv: &mut Server, c: &mut Client) {
    push_generic_command(srv, c, Where::Head, true);
}

/// RPUSHX key element [element ...]
fn rpushx_command(srv: &mut Server, c: &mut Client) {
    push_generic_command(srv, c, Where::Tail, true);
}

// ---------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------

/// Pops one element from the list at `key` (already looked up and type-checked by the
/// caller) and replies it as a bulk string, straight from the node with no copy; deletes the
/// key when it empties (Redis's listTypePop plus listElementsRemoved). Replies null and
/// returns false when no list is stored there. BLPOP and BRPOP write `*2` and the key first,
/// then call this.
fn list_pop_and_reply(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    key: &[u8],
    where_: Where,
) -> bool {
    let Some(list) = stored_list(srv, db, key) else {
        c.reply.null();
        return false;
    };
    match list.peek(where_) {
        Some(e) => add_reply_entry(&mut c.reply, e),
        None => {
            c.reply.null();
            return false;
        }
    }
    list.discard(where_, 1);
    list_elements_removed(srv, db, key, pop_event(where_));
    signal_modified_key(srv, db, key);
    srv.dirty += 1;
    true
}

/// Replies up to `count` elements popped from one end as an array, in popping order (from the
/// tail, the last element first), and deletes the key if it empties (Redis's
/// listPopRangeAndReply). The key must hold a list.
fn list_pop_range_and_reply(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    key: &[u8],
    where_: Where,
    count: usize,
) -> usize {
    let Some(list) = stored_list(srv, db, key) else {
        c.reply.null_array();
        return 0;
    };
    let n = count.min(list.len());
    c.reply.array_len(n);
    match where_ {
        Where::Head => list
            .iter()
            .take(n)
            .for_each(|e| add_reply_entry(&mut c.reply, e)),
        Where::Tail => list
            .iter_rev()
            .take(n)
            .for_each(|e| add_reply_entry(&mut c.reply, e)),
    }
    list.discard(where_, n);
    if n > 0 {
        list_elements_removed(srv, db, key, pop_event(where_));
    }
    signal_modified_key(srv, db, key);
    srv.dirty += n as u64;
    n
}

/// The LMPOP and BLMPOP reply: `[key, [elements...]]` with up to `count` elements popped from
/// one end (Redis's listPopRangeAndReplyWithKey). The key must hold a non-empty list. Both
/// are propagated as `LPOP|RPOP key <number popped>`.
fn list_pop_range_and_reply_with_key(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    key: &[u8],
    where_: Where,
    count: usize,
) {
    c.reply.array_len(2);
    c.reply.bulk(key);
    let n = list_pop_range_and_reply(srv, c, db, key, where_, count).to_string();
    rewrite_command(srv, &[pop_command_name(where_), key, n.as_bytes()]);
}

/// The non-blocking pop a pop from `where_` is propagated as.
fn pop_command_name(where_: Where) -> &'static [u8] {
    match where_ {
        Where::Head => b"LPOP",
        Where::Tail => b"RPOP",
    }
}

/// LPOP and RPOP (Redis's popGenericCommand): without a count, one element as a bulk string
/// (null for a missing key); with a count, an array (the null array for a missing key, an
/// empty array for a count of 0).
fn pop_generic_command(srv: &mut Server, c: &mut Client, where_: Where) {
    let count = match c.argv.len() {
        2 => None,
        3 => {
            match parse_range_or_reply(
                c.argv.arg(2),
                0,
                i64::MAX,
                "value is out of range, must be positive",
                &mut c.reply,
            ) {
                Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                None => return,
            }
        }
        _ => {
            let name = if where_ == Where::Head {
                "lpop"
            } else {
                "rpop"
            };
            return c.reply.error(&format!(
                "ERR wrong number of arguments for '{name}' command"
            ));
        }
    };
    let db = c.db;
    let key = c.argv.arg_bytes(1);
    match check_list(lookup_key_write(srv, db, &key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) if count.is_some() => return c.reply.null_array(),
        Ok(None) => return c.reply.null(),
        Ok(Some(_)) => {}
    }
    match count {
        Some(0) => c.reply.array_len(0),
        Some(n) => {
            list_pop_range_and_reply(srv, c, db, &key, where_, n);
        }
        None => {
            list_pop_and_reply(srv, c, db, &key, where_);
        }
    }
}

/// LPOP key [count]
fn lpop_command(srv: &mut Server, c: &mut Client) {
    pop_generic_command(srv, c, Where::Head);
}

/// RPOP key [count]
fn rpop_command(srv: &mut Server, c: &mut Client) {
    pop_generic_command(srv, c, Where::Tail);
}

/// LMPOP's and BLMPOP's parsed arguments: argv positions of the keys, the end, the count.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MpopArgs {
    keys: std::ops::Range<usize>,
    where_: Where,
    count: usize,
}

/// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` with numkeys at `argv[numkeys_idx]`
/// (1 for LMPOP, 2 for BLMPOP, whose timeout comes first; Redis's lmpopGenericCommand).
/// Replies Redis's error and gives `None` when the arguments are bad.
fn parse_lmpop_args(c: &mut Client, numkeys_idx: usize) -> Option<MpopArgs> {
    let numkeys = parse_range_or_reply(
        c.argv.arg(numkeys_idx),
        1,
        i64::MAX,
        "numkeys should be greater than 0",
        &mut c.reply,
    )?;
    let argc = c.argv.len();
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(numkeys_idx + 1))
        .filter(|&i| i < argc);
    let Some(where_idx) = where_idx else {
        c.reply.error(errors::SYNTAX);
        return None;
    };
    let where_ = parse_list_position(c.argv.arg(where_idx), &mut c.reply)?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < argc {
        let more = j + 1 < argc;
        if count.is_none() && more && c.argv.arg(j).eq_ignore_ascii_case(b"count") {
            j += 1;
            let n = parse_range_or_reply(
                c.argv.arg(j),
                1,
                i64::MAX,
                "count should be greater than 0",
                &mut c.reply,
            )?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
        } else {
            c.reply.error(errors::SYNTAX);
            return None;
        }
        j += 1;
    }
    Some(MpopArgs {
        keys: numkeys_idx + 1..where_idx,
        where_,
        count: count.unwrap_or(1),
    })
}

/// Pops from the first of `keys` that holds a list and replies `[key, [elements]]`, or the
/// null array when none does; WRONGTYPE stops at the first key of another type (Redis's
/// mpopGenericCommand). True if something was popped.
fn mpop_generic(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    where_: Where,
    count: usize,
) -> bool {
    match first_key_of_type(srv, c, keys, Value::as_list_mut) {
        Err(WrongType) => false,
        Ok(None) => {
            c.reply.null_array();
            false
        }
        Ok(Some(i)) => {
            let key = keys.get(i).cloned().unwrap_or_default();
            let db = c.db;
            list_pop_range_and_reply_with_key(srv, c, db, &key, where_, count);
            true
        }
    }
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn lmpop_command(srv: &mut Server, c: &mut Client) {
    let Some(args) = parse_lmpop_args(c, 1) else {
        return;
    };
    let keys: Vec<Bytes> = c.argv.get(args.keys).unwrap_or_default().to_vec();
    mpop_generic(srv, c, &keys, args.where_, args.count);
}

// ---------------------------------------------------------------------------------------------
// Moves
// ---------------------------------------------------------------------------------------------

/// Pushes `value` onto `dst` (creating the list through `Db::add` if the key is missing) and
/// replies it as a bulk string (Redis's lmoveHandlePush). `dst` must be missing or hold a
/// list (checked by the caller before popping).
fn lmove_handle_push(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    dst: &[u8],
    value: &[u8],
    where_: Where,
) {
    let fill = list_fill(srv);
    match stored_list(srv, db, dst) {
        Some(list) => list.push(where_, value, fill),
        None => {
            let mut list = List::new();
            list.push(where_, value, fill);
            add_list(srv, db, dst, list);
        }
    }
    signal_modified_key(srv, db, dst);
    notify_keyspace_event(srv, NOTIFY_LIST, push_event(where_), dst, db);
    srv.dirty += 1;
    c.reply.bulk(value);
}

/// LMOVE and RPOPLPUSH once their ends are parsed (Redis's lmoveGenericCommand): null for a
/// missing source; WRONGTYPE for a source or a destination of another type, checked before
/// anything moves. The same key on both sides rotates the list, which never empties on the
/// way. BLMOVE calls this once a source exists.
fn lmove_generic(
    srv: &mut Server,
    c: &mut Client,
    src: &[u8],
    dst: &[u8],
    wherefrom: Where,
    whereto: Where,
) {
    let db = c.db;
    match check_list(lookup_key_write(srv, db, src), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return c.reply.null(),
        Ok(Some(list)) if list.is_empty() => return c.reply.null(),
        Ok(Some(_)) => {}
    }
    if check_list(lookup_key_write(srv, db, dst), &mut c.reply).is_err() {
        return;
    }
    let Some(value) = stored_list(srv, db, src).and_then(|l| l.pop(wherefrom)) else {
        return c.reply.null();
    };
    lmove_handle_push(srv, c, db, dst, &value, whereto);
    list_elements_removed(srv, db, src, pop_event(wherefrom));
    signal_modified_key(srv, db, src);
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
fn lmove_command(srv: &mut Server, c: &mut Client) {
    let Some(wherefrom) = parse_list_position(c.argv.arg(3), &mut c.reply) else {
        return;
    };
    let Some(whereto) = parse_list_position(c.argv.arg(4), &mut c.reply) else {
        return;
    };
    let (src, dst) = (c.argv.arg_bytes(1), c.argv.arg_bytes(2));
    lmove_generic(srv, c, &src, &dst, wherefrom, whereto);
}

/// RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT.
fn rpoplpush_command(srv: &mut Server, c: &mut Client) {
    let (src, dst) = (c.argv.arg_bytes(1), c.argv.arg_bytes(2));
    lmove_generic(srv, c, &src, &dst, Where::Tail, Where::Head);
}

// ---------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------

/// LLEN key: the length (0 for a missing key).
fn llen_command(srv: &mut Server, c: &mut Client) {
    match check_list(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply) {
        Err(WrongType) => {}
        Ok(list) => c.reply.int(list.map_or(0, |l| l.len() as i64)),
    }
}

/// LRANGE key start stop: the elements from `start` to `stop` inclusive, negative positions
/// counting from the tail, clamped to the list (Redis's addListRangeReply).
fn lrange_command(srv: &mut Server, c: &mut Client) {
    let Some(start) = parse_long_or_reply(c.argv.arg(2), &mut c.reply) else {
        return;
    };
    let Some(end) = parse_long_or_reply(c.argv.arg(3), &mut c.reply) else {
        return;
    };
    let list = match check_list(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return c.reply.array_len(0),
        Ok(Some(list)) => list,
    };
    let llen = list.len() as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    start = start.max(0);
    if start > end || start >= llen {
        return c.reply.array_len(0);
    }
    end = end.min(llen - 1);
    let n = (end - start + 1) as usize;
    c.reply.array_len(n);
    for e in list.iter_from(start as usize).take(n) {
        add_reply_entry(&mut c.reply, e);
    }
}

/// LINDEX key index: the element at `index` (negative counts from the tail), null when out of
/// range. The key is looked up before the index is parsed.
fn lindex_command(srv: &mut Server, c: &mut Client) {
    let list = match check_list(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return c.reply.null(),
        Ok(Some(list)) => list,
    };
    let Some(index) = parse_long_or_reply(c.argv.arg(2), &mut c.reply) else {
        return;
    };
    match list.resolve_index(index).and_then(|i| list.get(i)) {
        Some(e) => add_reply_entry(&mut c.reply, e),
        None => c.reply.null(),
    }
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the position of the
/// `rank`-th match (negative: counting matches from the tail), or with COUNT an array of up to
/// that many positions (0: all), looking at no more than MAXLEN elements (0: all).
///
/// RANK is read as any 64-bit number: Redis 7.0 negates it in C, so -2^63 stays negative and
/// acts as "every match from the tail" with COUNT ignored; the wrapping arithmetic below
/// gives the same answers.
fn lpos_command(srv: &mut Server, c: &mut Client) {
    let mut rank: i64 = 1;
    let mut count: i64 = -1;
    let mut maxlen: i64 = 0;
    let argc = c.argv.len();
    let mut j = 3;
    while j < argc {
        let opt = c.argv.arg(j);
        let more = j + 1 < argc;
        if more && opt.eq_ignore_ascii_case(b"rank") {
            j += 1;
            let Some(n) = parse_long_or_reply(c.argv.arg(j), &mut c.reply) else {
                return;
            };
            if n == 0 {
                return c.reply.error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                );
            }
            rank = n;
        } else if more && opt.eq_ignore_ascii_case(b"count") {
            j += 1;
            let Some(n) = parse_range_or_reply(
                c.argv.arg(j),
                0,
                i64::MAX,
                "COUNT can't be negative",
                &mut c.reply,
            ) else {
                return;
            };
            count = n;
        } else if more && opt.eq_ignore_ascii_case(b"maxlen") {
            j += 1;
            let Some(n) = parse_range_or_reply(
                c.argv.arg(j),
                0,
                i64::MAX,
                "MAXLEN can't be negative",
                &mut c.reply,
            ) else {
                return;
            };
            maxlen = n;
        } else {
            return c.reply.error(errors::SYNTAX);
        }
        j += 1;
    }
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let list = match check_list(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) if count != -1 => return c.reply.array_len(0),
        Ok(None) => return c.reply.null(),
        Ok(Some(list)) => list,
    };
    let needle = Entry::parse(c.argv.arg(2));
    let scan = LposScan {
        rank,
        count,
        maxlen,
        llen: list.len() as i64,
        from_tail,
    };
    let array = count != -1;
    let header = c.reply.deferred_len();
    let found = if from_tail {
        scan.run(list.iter_rev(), needle, array, &mut c.reply)
    } else {
        scan.run(list.iter(), needle, array, &mut c.reply)
    };
    if array {
        c.reply.set_array_len(header, found);
    } else if found == 0 {
        c.reply.null();
    }
}

/// LPOS's options once parsed, and the scan over the list in the direction of the rank.
struct LposScan {
    rank: i64,
    count: i64,
    maxlen: i64,
    llen: i64,
    from_tail: bool,
}

impl LposScan {
    /// Writes matching positions (integers) and returns how many: every one wanted in array
    /// form, else the first (and only) one.
    fn run<'a>(
        &self,
        iter: impl Iterator<Item = Entry<'a>>,
        needle: Entry<'_>,
        array: bool,
        reply: &mut Reply,
    ) -> usize {
        let mut found = 0;
        let mut matches: i64 = 0;
        for (index, e) in (0i64..).zip(iter) {
            if self.maxlen != 0 && index >= self.maxlen {
                break;
            }
            if !e.matches(needle) {
                continue;
            }
            matches += 1;
            if matches < self.rank {
                continue;
            }
            reply.int(if self.from_tail {
                self.llen - index - 1
            } else {
                index
            });
            found += 1;
            if !array
                || (self.count != 0
                    && matches.wrapping_sub(self.rank).wrapping_add(1) >= self.count)
            {
                break;
            }
        }
        found
    }
}

// ---------------------------------------------------------------------------------------------
// Editors
// ---------------------------------------------------------------------------------------------

/// LSET key index element: replaces the element at `index`; "no such key" for a missing key
/// (before the index is parsed), "index out of range" outside the list.
fn lset_command(srv: &mut Server, c: &mut Client) {
    let fill = list_fill(srv);
    let list = match check_list(lookup_key_write(srv, c.db, c.argv.arg(1)), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return c.reply.error("ERR no such key"),
        Ok(Some(list)) => list,
    };
    let Some(index) = parse_long_or_reply(c.argv.arg(2), &mut c.reply) else {
        return;
    };
    match list.resolve_index(index) {
        Some(i) if list.set(i, c.argv.arg(3), fill) => {
            signal_modified_key(srv, c.db, c.argv.arg(1));
            notify_keyspace_event(srv, NOTIFY_LIST, "lset", c.argv.arg(1), c.db);
            srv.dirty += 1;
            c.reply.ok();
        }
        _ => c.reply.error("ERR index out of range"),
    }
}

/// LINSERT key BEFORE|AFTER pivot element: inserts next to the first `pivot` from the head;
/// replies the new length, -1 when there is no pivot, 0 for a missing key.
fn linsert_command(srv: &mut Server, c: &mut Client) {
    let fill = list_fill(srv);
    let where_ = c.argv.arg(2);
    let after = if where_.eq_ignore_ascii_case(b"after") {
        true
    } else if where_.eq_ignore_ascii_case(b"before") {
        false
    } else {
        return c.reply.error(errors::SYNTAX);
    };
    let list = match check_list(lookup_key_write(srv, c.db, c.argv.arg(1)), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return c.reply.int(0),
        Ok(Some(list)) => list,
    };
    let Some(pos) = list.position(c.argv.arg(3)) else {
        return c.reply.int(-1);
    };
    list.insert(pos + after as usize, c.argv.arg(4), fill);
    let len = list.len();
    signal_modified_key(srv, c.db, c.argv.arg(1));
    notify_keyspace_event(srv, NOTIFY_LIST, "linsert", c.argv.arg(1), c.db);
    srv.dirty += 1;
    c.reply.int(len as i64);
}

/// LREM key count element: removes the first `count` occurrences (the last `|count|` for a
/// negative count, all for 0); replies how many went.
fn lrem_command(srv: &mut Server, c: &mut Client) {
    let fill = list_fill(srv);
    let Some(count) = parse_long_or_reply(c.argv.arg(2), &mut c.reply) else {
        return;
    };
    let db = c.db;
    let key = c.argv.arg(1);
    let removed = match check_list(lookup_key_write(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => 0,
        Ok(Some(list)) => list.remove_matching(c.argv.arg(3), count, fill),
    };
    if removed > 0 {
        list_elements_removed(srv, db, key, "lrem");
        signal_modified_key(srv, db, key);
    }
    srv.dirty += removed as u64;
    c.reply.int(removed as i64);
}

/// LTRIM key start stop: keeps only `start..=stop` (negative positions from the tail); a range
/// that selects nothing deletes the key.
fn ltrim_command(srv: &mut Server, c: &mut Client) {
    let Some(start) = parse_long_or_reply(c.argv.arg(2), &mut c.reply) else {
        return;
    };
    let Some(end) = parse_long_or_reply(c.argv.arg(3), &mut c.reply) else {
        return;
    };
    let db = c.db;
    let key = c.argv.arg(1);
    let list = match check_list(lookup_key_write(srv, db, key), &mut c.reply) {
        Err(WrongType) => return,
        Ok(None) => return c.reply.ok(),
        Ok(Some(list)) => list,
    };
    let llen = list.len() as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    start = start.max(0);
    let (ltrim, rtrim) = if start > end || start >= llen {
        (llen, 0)
    } else {
        end = end.min(llen - 1);
        (start, llen - end - 1)
    };
    list.trim(ltrim as usize, (llen - ltrim - rtrim) as usize);
    list_elements_removed(srv, db, key, "ltrim");
    // Even when nothing was trimmed, as Redis's ltrimCommand.
    signal_modified_key(srv, db, key);
    srv.dirty += (ltrim + rtrim) as u64;
    c.reply.ok();
}

// ---------------------------------------------------------------------------------------------
// Blocking pops and moves (the client side of `crate::blocked`)
// ---------------------------------------------------------------------------------------------

/// BLPOP key [key ...] timeout
fn blpop_command(srv: &mut Server, c: &mut Client) {
    blocking_pop_generic_command(srv, c, serve_blpop);
}

/// BRPOP key [key ...] timeout
fn brpop_command(srv: &mut Server, c: &mut Client) {
    blocking_pop_generic_command(srv, c, serve_brpop);
}

/// BLPOP and BRPOP (Redis's blockingPopGenericCommand): the timeout is checked first, then
/// the keys in order; the first non-empty list is popped at once (`[key, element]`), a key of
/// another type stops with WRONGTYPE, and when all are empty the client waits for `serve`.
fn blocking_pop_generic_command(srv: &mut Server, c: &mut Client, serve: ServeFn) {
    let timeout_idx = c.argv.len() - 1;
    let Some(deadline) = get_timeout_or_reply(srv, c, timeout_idx) else {
        return;
    };
    let keys: Vec<Bytes> = c.argv.get(1..timeout_idx).unwrap_or_default().to_vec();
    serve_or_block_for_keys(srv, c, &keys, deadline, Value::as_list_mut, serve);
}

/// The BLPOP/BRPOP reply, `[key, element]`, popping from the list at `key` (non-empty).
fn reply_popped_with_key(srv: &mut Server, c: &mut Client, key: &[u8], where_: Where) {
    c.reply.array_len(2);
    c.reply.bulk(key);
    list_pop_and_reply(srv, c, c.db, key, where_);
    rewrite_command(srv, &[pop_command_name(where_), key]);
}

/// True if `key` holds a non-empty list now: what a waiting client needs to be served.
fn list_is_ready(srv: &mut Server, db: usize, key: &[u8]) -> bool {
    lookup_key_write(srv, db, key)
        .and_then(|o| o.value.as_list())
        .is_some_and(|l| !l.is_empty())
}

/// Serves a client waiting in BLPOP from `key`, which was just created.
fn serve_blpop(srv: &mut Server, c: &mut Client, key: &[u8]) -> bool {
    serve_blocking_pop(srv, c, key, Where::Head)
}

/// Serves a client waiting in BRPOP from `key`, which was just created.
fn serve_brpop(srv: &mut Server, c: &mut Client, key: &[u8]) -> bool {
    serve_blocking_pop(srv, c, key, Where::Tail)
}

/// Pops one element for a waiting BLPOP/BRPOP if `key` holds a list (Redis's
/// serveClientBlockedOnList); any other type leaves the client waiting.
fn serve_blocking_pop(srv: &mut Server, c: &mut Client, key: &[u8], where_: Where) -> bool {
    if !list_is_ready(srv, c.db, key) {
        return false;
    }
    reply_popped_with_key(srv, c, key, where_);
    true
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
fn blmove_command(srv: &mut Server, c: &mut Client) {
    let Some((wherefrom, whereto)) = blmove_ends(c) else {
        return;
    };
    blmove_generic_command(srv, c, wherefrom, whereto, 5);
}

/// BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT.
fn brpoplpush_command(srv: &mut Server, c: &mut Client) {
    blmove_generic_command(srv, c, Where::Tail, Where::Head, 3);
}

/// The ends a BLMOVE (argv[3] and argv[4]) or BRPOPLPUSH (always RIGHT to LEFT) moves
/// between, read again from `argv` when a waiting client is served.
fn blmove_ends(c: &mut Client) -> Option<(Where, Where)> {
    if c.argv.len() != 6 {
        return Some((Where::Tail, Where::Head));
    }
    let wherefrom = parse_list_position(c.argv.arg(3), &mut c.reply)?;
    let whereto = parse_list_position(c.argv.arg(4), &mut c.reply)?;
    Some((wherefrom, whereto))
}

/// BLMOVE and BRPOPLPUSH (Redis's blmoveGenericCommand): a source of another type is
/// WRONGTYPE, an existing source moves at once (LMOVE), a missing one makes the client wait.
fn blmove_generic_command(
    srv: &mut Server,
    c: &mut Client,
    wherefrom: Where,
    whereto: Where,
    timeout_idx: usize,
) {
    let Some(deadline) = get_timeout_or_reply(srv, c, timeout_idx) else {
        return;
    };
    let (src, dst) = (c.argv.arg_bytes(1), c.argv.arg_bytes(2));
    match check_list(lookup_key_write(srv, c.db, &src), &mut c.reply) {
        Err(WrongType) => {}
        Ok(Some(_)) => {
            lmove_generic(srv, c, &src, &dst, wherefrom, whereto);
            propagate_blmove(srv, c, None);
        }
        // Inside EXEC, answer as LMOVE would, a null bulk (not the null array a real
        // timeout gives: Redis 7.0).
        Ok(None) if !c.may_block() => c.reply.null(),
        Ok(None) => block_for_keys(srv, c, &[src], deadline, serve_blmove),
    }
}

/// Serves a waiting BLMOVE/BRPOPLPUSH from its source `key`. A destination of another type
/// ends the wait with WRONGTYPE and moves nothing, as on Redis.
fn serve_blmove(srv: &mut Server, c: &mut Client, key: &[u8]) -> bool {
    if !list_is_ready(srv, c.db, key) {
        return false;
    }
    let Some((wherefrom, whereto)) = blmove_ends(c) else {
        return false;
    };
    let dst = c.argv.arg_bytes(2);
    lmove_generic(srv, c, key, &dst, wherefrom, whereto);
    propagate_blmove(srv, c, Some((wherefrom, whereto)));
    true
}

/// BLMOVE is propagated as `LMOVE src dst <wherefrom> <whereto>`, BRPOPLPUSH as `RPOPLPUSH
/// src dst`. Served at once, the ends are the client's arguments as sent; served later,
/// `ends` gives them, written in lower case (Redis's shared objects).
fn propagate_blmove(srv: &mut Server, c: &Client, ends: Option<(Where, Where)>) {
    let end = |w: Where| -> &'static [u8] {
        match w {
            Where::Head => b"left",
            Where::Tail => b"right",
        }
    };
    let (src, dst) = (c.argv.arg(1), c.argv.arg(2));
    if c.argv.len() == 6 {
        let (from, to) = match ends {
            Some((from, to)) => (end(from), end(to)),
            None => (c.argv.arg(3), c.argv.arg(4)),
        };
        rewrite_command(srv, &[b"LMOVE", src, dst, from, to]);
    } else {
        rewrite_command(srv, &[b"RPOPLPUSH", src, dst]);
    }
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: its arguments are checked
/// before the timeout (Redis's lmpopGenericCommand), then as BLPOP with LMPOP's reply.
fn blmpop_command(srv: &mut Server, c: &mut Client) {
    let Some(args) = parse_lmpop_args(c, 2) else {
        return;
    };
    let Some(deadline) = get_timeout_or_reply(srv, c, 1) else {
        return;
    };
    let keys: Vec<Bytes> = c.argv.get(args.keys).unwrap_or_default().to_vec();
    serve_or_block_for_keys(srv, c, &keys, deadline, Value::as_list_mut, serve_blmpop);
}

/// Serves a waiting BLMPOP from `key`: up to COUNT elements, `[key, [elements]]`.
fn serve_blmpop(srv: &mut Server, c: &mut Client, key: &[u8]) -> bool {
    if !list_is_ready(srv, c.db, key) {
        return false;
    }
    let Some(args) = parse_lmpop_args(c, 2) else {
        return false;
    };
    list_pop_range_and_reply_with_key(srv, c, c.db, key, args.where_, args.count);
    true
}
