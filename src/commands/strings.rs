//! String commands (Redis's t_string.c): GET and SET with their variants, MGET/MSET, the
//! counters (INCR ... INCRBYFLOAT), the range commands (GETRANGE, SETRANGE, APPEND, STRLEN)
//! and LCS.
//!
//! Redis checks a command's errors in a fixed order, and clients can see that order (which
//! error wins when two apply, whether a missing key hides a bad argument), so each handler
//! keeps it: for SET, option syntax first, then the expire time, then the type of the old
//! value for GET, then NX/XX. Handlers note where the order is surprising.
//!
//! Encodings (`int`, `embstr`, `raw`, see `types/string.rs`) follow from how a value is
//! made: [`RString::from_bytes`] for values a client sends whole (SET, MSET, GETSET, APPEND on
//! a new key), [`RString::modify_raw`] for in-place edits (APPEND, SETRANGE),
//! [`RString::Int`] for counters and [`RString::create`] for INCRBYFLOAT's text.

use crate::client::Client;
use crate::commands::{acl, check_type, errors, flags::*, Command, WrongType};
use crate::db::{lookup_key_read, lookup_key_write, set_key_notify_new, signal_modified_key};
use crate::notify::{notify_keyspace_event, NOTIFY_GENERIC, NOTIFY_STRING};
use crate::propagate::{rewrite_command, rewrite_command_vector};
use crate::resp::reply::Reply;
use crate::server::Server;
use crate::types::{Obj, RString, Value};
use crate::util::{now_ms, parse_i64, LongDouble};

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command::new(
        "get",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::STRING,
        get_command,
    ),
    Command::new(
        "set",
        -3,
        WRITE | DENYOOM,
        (1, 1, 1),
        acl::STRING,
        set_command,
    ),
    Command::new(
        "setnx",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::STRING,
        setnx_command,
    ),
    Command::new(
        "setex",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        acl::STRING,
        setex_command,
    ),
    Command::new(
        "psetex",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        acl::STRING,
        psetex_command,
    ),
    Command::new(
        "mget",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        acl::STRING,
        mget_command,
    ),
    Command::new(
        "mset",
        -3,
        WRITE | DENYOOM,
        (1, -1, 2),
        acl::STRING,
        mset_command,
    ),
    Command::new(
        "msetnx",
        -3,
        WRITE | DENYOOM,
        (1, -1, 2),
        acl::STRING,
        msetnx_command,
    ),
    Command::new(
        "getset",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::STRING,
        getset_command,
    ),
    Command::new(
        "getdel",
        2,
        WRITE | FAST,
        (1, 1, 1),
        acl::STRING,
        getdel_command,
    ),
    Command::new(
        "getex",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        acl::STRING,
        getex_command,
    ),
    Command::new(
        "append",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::STRING,
        append_command,
    ),
    Command::new(
        "strlen",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::STRING,
        strlen_command,
    ),
    Command::new(
        "getrange",
        4,
        READONLY,
        (1, 1, 1),
        acl::STRING,
        getrange_command,
    ),
    Command::new(
        "substr",
        4,
        READONLY,
        (1, 1, 1),
        acl::STRING,
        getrange_command,
    ),
    Command::new(
        "setrange",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        acl::STRING,
        setrange_command,
    ),
    Command::new(
        "incr",
        2,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::STRING,
        incr_command,
    ),
    Command::new(
        "decr",
        2,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::STRING,
        decr_command,
    ),
    Command::new(
        "incrby",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::STRING,
        incrby_command,
    ),
    Command::new(
        "decrby",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::STRING,
        decrby_command,
    ),
    Command::new(
        "incrbyfloat",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        acl::STRING,
        incrbyfloat_command,
    ),
    Command::new("lcs", -3, READONLY, (1, 2, 1), acl::STRING, lcs_command),
];

/// The error of APPEND and SETRANGE when the result would exceed `proto-max-bulk-len`.
const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// The string in a looked-up object (Redis's checkType for strings): `Ok(None)` for a missing
/// key, `Err` after replying WRONGTYPE for a key of another type.
fn check_string<'a>(
    obj: Option<&'a mut Obj>,
    reply: &mut Reply,
) -> Result<Option<&'a mut RString>, WrongType> {
    check_type(obj, reply, Value::as_str_mut)
}

/// Replies with a string value as a bulk string (an `int` is written as its digits).
fn add_reply_bulk(reply: &mut Reply, s: &RString) {
    match s {
        RString::Int(n) => reply.bulk_i64(*n),
        RString::Embstr(b) => reply.bulk(b),
        RString::Raw(v) => reply.bulk(v),
    }
}

/// Stores a string under `key` (Redis's setKey for strings); the old TTL goes unless
/// `keep_ttl`. `looked_up`: see [`set_key_notify_new`].
fn set_string(
    srv: &mut Server,
    db: usize,
    key: &[u8],
    value: RString,
    keep_ttl: bool,
    looked_up: bool,
) {
    set_key_notify_new(srv, db, key, Value::Str(value), keep_ttl, looked_up);
}

/// Refuses a string that would grow past `max` (proto-max-bulk-len) bytes (Redis's
/// checkStringLength): `size + append`, computed without overflow.
fn check_string_length(reply: &mut Reply, max: u64, size: u64, append: usize) -> bool {
    let fits = size
        .checked_add(append as u64)
        .is_some_and(|total| total <= max);
    if !fits {
        reply.error(STRING_TOO_LONG);
    }
    fits
}

/// Replies Redis's "wrong number of arguments" error for the running command (`MSET a 1 b`
/// passes the arity check, -3, but a key without its value is refused this way).
fn reply_arity_error(c: &mut Client) {
    c.reply.error(&format!(
        "ERR wrong number of arguments for '{}' command",
        c.cmd
    ));
}

// ---------------------------------------------------------------------------------------------
// Expire arguments (shared with the EXPIRE family)
// ---------------------------------------------------------------------------------------------

/// The unit an expire argument is given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Milliseconds,
}

/// Which expire numbers a command accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireRange {
    /// SET, SETEX, PSETEX, GETEX: the number must be above zero.
    Positive,
    /// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: any number; a deadline in the past means the
    /// key is deleted.
    Any,
}

/// Reads argument `arg` as an expire time and returns it as an absolute unix-ms deadline:
/// Redis's getExpireMillisecondsOrReply (SET, SETEX, PSETEX, GETEX) and the equivalent
/// checks of its expireGenericCommand (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT), which differ
/// only in `range`.
///
/// `basetime_ms` is added to the time: `now_ms()` for the relative forms (EX, PX, EXPIRE,
/// PEXPIRE), 0 for the absolute ones (EXAT, PXAT, EXPIREAT, PEXPIREAT). On failure it
/// replies and returns `None`:
/// - not a strict 64-bit integer: `ERR value is not an integer or out of range`;
/// - outside `range`, or the conversion to ms or the addition of `basetime_ms` overflows
///   64 bits: `ERR invalid expire time in '<command>' command`, naming the running command
///   (`Client::cmd`: `'set'`, `'setex'`, `'getex'`, `'pexpireat'`...).
///
/// The result is not compared with the clock: SET stores a deadline already in the past as
/// is, while GETEX and the EXPIRE family delete the key; each caller decides.
pub fn get_expire_milliseconds_or_reply(
    c: &mut Client,
    arg: usize,
    basetime_ms: i64,
    unit: TimeUnit,
    range: ExpireRange,
) -> Option<i64> {
    let Some(n) = parse_i64(c.argv.arg(arg)) else {
        c.reply.error(errors::NOT_INTEGER);
        return None;
    };
    let when = expire_deadline(n, basetime_ms, unit, range);
    if when.is_none() {
        c.reply
            .error(&format!("ERR invalid expire time in '{}' command", c.cmd));
    }
    when
}

/// The arithmetic of [`get_expire_milliseconds_or_reply`]: `n` in `unit` plus `basetime_ms`,
/// or `None` when `n` is outside `range` or a step overflows 64 bits.
fn expire_deadline(n: i64, basetime_ms: i64, unit: TimeUnit, range: ExpireRange) -> Option<i64> {
    if range == ExpireRange::Positive && n <= 0 {
        return None;
    }
    let ms = match unit {
        TimeUnit::Seconds => n.checked_mul(1000)?,
        TimeUnit::Milliseconds => n,
    };
    ms.checked_add(basetime_ms)
}

// ---------------------------------------------------------------------------------------------
// SET / GETEX option parsing
// ---------------------------------------------------------------------------------------------

/// Which command's options are being parsed (Redis's COMMAND_SET / COMMAND_GET): SET takes
/// NX, XX, GET and KEEPTTL; GETEX takes PERSIST; both take one expire option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommandType {
    Set,
    Get,
}

/// The expire options of SET and GETEX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpireOpt {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl ExpireOpt {
    fn from_name(name: &[u8]) -> Option<ExpireOpt> {
        [
            (&b"ex"[..], ExpireOpt::Ex),
            (b"px", ExpireOpt::Px),
            (b"exat", ExpireOpt::ExAt),
            (b"pxat", ExpireOpt::PxAt),
        ]
        .into_iter()
        .find(|(n, _)| name.eq_ignore_ascii_case(n))
        .map(|(_, opt)| opt)
    }

    fn unit(self) -> TimeUnit {
        match self {
            ExpireOpt::Ex | ExpireOpt::ExAt => TimeUnit::Seconds,
            ExpireOpt::Px | ExpireOpt::PxAt => TimeUnit::Milliseconds,
        }
    }

    /// EXAT and PXAT give a unix time; EX and PX a time from now.
    fn is_absolute(self) -> bool {
        matches!(self, ExpireOpt::ExAt | ExpireOpt::PxAt)
    }
}

/// An expire option and the position of its argument.
#[derive(Debug, Clone, Copy)]
struct Expire {
    opt: ExpireOpt,
    arg: usize,
}

impl Expire {
    /// The deadline in unix ms, or `None` after replying the error.
    fn deadline_or_reply(self, c: &mut Client) -> Option<i64> {
        let basetime = if self.opt.is_absolute() { 0 } else { now_ms() };
        get_expire_milliseconds_or_reply(
            c,
            self.arg,
            basetime,
            self.opt.unit(),
            ExpireRange::Positive,
        )
    }
}

/// The options of SET and GETEX (and the fixed ones SETNX, SETEX, PSETEX imply).
#[derive(Debug, Default)]
struct StringArgs {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<Expire>,
}

/// Parses the options after SET's value or GETEX's key (Redis's
/// parseExtendedStringArgumentsOrReply). Names are case-insensitive. The rules, as Redis has
/// them: NX and XX exclude each other; KEEPTTL, PERSIST and the expire options exclude each
/// other, except that the *same* expire option may repeat (`EX 10 EX 20`: the last wins);
/// repeating NX, XX, GET, KEEPTTL or PERSIST is allowed; an expire option needs a following
/// argument. Anything else is `ERR syntax error`. The expire number itself is checked
/// later, so `SET k v EX abc NX XX` is a syntax error, not an integer error.
fn parse_extended_string_arguments_or_reply(
    c: &mut Client,
    command_type: CommandType,
) -> Option<StringArgs> {
    let mut args = StringArgs::default();
    let is_set = command_type == CommandType::Set;
    let mut j = if is_set { 3 } else { 2 };
    while j < c.argv.len() {
        let opt = c.argv.arg(j);
        let has_next = j + 1 < c.argv.len();
        let expire_opt = ExpireOpt::from_name(opt).filter(|&kind| {
            has_next
                && !args.keep_ttl
                && !args.persist
                && args.expire.map_or(true, |e| e.opt == kind)
        });
        if is_set && !args.xx && opt.eq_ignore_ascii_case(b"nx") {
            args.nx = true;
        } else if is_set && !args.nx && opt.eq_ignore_ascii_case(b"xx") {
            args.xx = true;
        } else if is_set && opt.eq_ignore_ascii_case(b"get") {
            args.get = true;
        } else if is_set && args.expire.is_none() && opt.eq_ignore_ascii_case(b"keepttl") {
            args.keep_ttl = true;
        } else if !is_set && args.expire.is_none() && opt.eq_ignore_ascii_case(b"persist") {
            args.persist = true;
        } else if let Some(opt) = expire_opt {
            args.expire = Some(Expire { opt, arg: j + 1 });
            j += 1;
        } else {
            c.reply.error(errors::SYNTAX);
            return None;
        }
        j += 1;
    }
    Some(args)
}

// ---------------------------------------------------------------------------------------------
// GET, SET and their variants
// ---------------------------------------------------------------------------------------------

/// What SET-like commands reply when they set the key, and when NX/XX stop them.
#[derive(Debug, Clone, Copy)]
enum SetReplies {
    /// SET, SETEX, PSETEX: `+OK`, or a null.
    OkOrNull,
    /// SETNX: `:1`, or `:0`.
    OneOrZero,
}

/// The body of GET, shared with GETDEL, GETSET and `SET ... GET` (Redis's
/// getGenericCommand): replies with the value of `argv[1]` or a null; `Err` after replying
/// WRONGTYPE. Counts a keyspace hit or miss.
fn get_generic(srv: &mut Server, c: &mut Client) -> Result<(), WrongType> {
    match check_string(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply)? {
        Some(s) => add_reply_bulk(&mut c.reply, s),
        None => c.reply.null(),
    }
    Ok(())
}

/// GET key.
fn get_command(srv: &mut Server, c: &mut Client) {
    let _ = get_generic(srv, c);
}

/// The body of SET, SETNX, SETEX and PSETEX (Redis's setGenericCommand): stores `argv[value]`
/// under `argv[1]` as `args` say. Checks, in Redis's order: the expire time, then (with GET) the
/// old value's type, then NX/XX. With GET the reply is the old value whatever happens next;
/// otherwise it is `replies`. A deadline already in the past is stored as is (the key exists,
/// expired, until something looks at it), as Redis 7.0 does.
fn set_generic(
    srv: &mut Server,
    c: &mut Client,
    args: &StringArgs,
    value: usize,
    replies: SetReplies,
) {
    let deadline = match args.expire {
        Some(expire) => match expire.deadline_or_reply(c) {
            Some(when) => Some(when),
            None => return,
        },
        None => None,
    };
    if args.get && get_generic(srv, c).is_err() {
        return;
    }
    let key = c.argv.arg(1);
    let found = lookup_key_write(srv, c.db, key).is_some();
    if (args.nx && found) || (args.xx && !found) {
        if !args.get {
            match replies {
                SetReplies::OkOrNull => c.reply.null(),
                SetReplies::OneOrZero => c.reply.int(0),
            }
        }
        return;
    }
    set_string(
        srv,
        c.db,
        key,
        RString::from_bytes(c.argv.arg(value)),
        args.keep_ttl,
        true,
    );
    srv.dirty += 1;
    notify_keyspace_event(srv, NOTIFY_STRING, "set", key, c.db);
    if let Some(when) = deadline {
        if let Some(d) = srv.dbs.get_mut(c.db) {
            d.set_expire(key, when);
        }
        notify_keyspace_event(srv, NOTIFY_GENERIC, "expire", key, c.db);
    }
    propagate_set(srv, c, args, value, deadline);
    if !args.get {
        match replies {
            SetReplies::OkOrNull => c.reply.ok(),
            SetReplies::OneOrZero => c.reply.int(1),
        }
    }
}

/// How a SET that stored its value is propagated (Redis's setGenericCommand): with a
/// deadline, as `SET key value PXAT <unix ms>` (SETEX and PSETEX too); otherwise as sent but
/// without its GET arguments (which would only make a replica or the AOF loader build a
/// reply).
fn propagate_set(
    srv: &mut Server,
    c: &Client,
    args: &StringArgs,
    value: usize,
    deadline: Option<i64>,
) {
    match deadline {
        Some(when) => {
            let when = when.to_string();
            let argv: [&[u8]; 5] = [
                b"SET",
                c.argv.arg(1),
                c.argv.arg(value),
                b"PXAT",
                when.as_bytes(),
            ];
            rewrite_command(srv, &argv);
        }
        None if args.get => {
            let argv = c
                .argv
                .iter()
                .enumerate()
                .filter(|(j, a)| *j < 3 || !a.eq_ignore_ascii_case(b"get"))
                .map(|(_, a)| a.clone())
                .collect();
            rewrite_command_vector(srv, argv);
        }
        _ => {}
    }
}

/// `SET key value [NX | XX] [GET] [EX seconds | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL]`.
/// Replies `+OK`, or a null when NX/XX prevent the write; with GET, the old value (or null)
/// instead, in both cases. NX together with GET is allowed (since Redis 7.0).
fn set_command(srv: &mut Server, c: &mut Client) {
    let Some(args) = parse_extended_string_arguments_or_reply(c, CommandType::Set) else {
        return;
    };
    set_generic(srv, c, &args, 2, SetReplies::OkOrNull);
}

/// SETNX key value: SET NX replying `:1` if set, `:0` if the key existed.
fn setnx_command(srv: &mut Server, c: &mut Client) {
    let args = StringArgs {
        nx: true,
        ..StringArgs::default()
    };
    set_generic(srv, c, &args, 2, SetReplies::OneOrZero);
}

/// SETEX key seconds value: SET with EX (the time must be above zero; its error names
/// 'setex').
fn setex_command(srv: &mut Server, c: &mut Client) {
    setex_generic(srv, c, ExpireOpt::Ex);
}

/// PSETEX key milliseconds value: SET with PX.
fn psetex_command(srv: &mut Server, c: &mut Client) {
    setex_generic(srv, c, ExpireOpt::Px);
}

/// The body of SETEX and PSETEX: the time is `argv[2]`, the value `argv[3]`.
fn setex_generic(srv: &mut Server, c: &mut Client, opt: ExpireOpt) {
    let args = StringArgs {
        expire: Some(Expire { opt, arg: 2 }),
        ..StringArgs::default()
    };
    set_generic(srv, c, &args, 3, SetReplies::OkOrNull);
}

/// `GETEX key [EX seconds | PX ms | EXAT unix-s | PXAT unix-ms | PERSIST]`: GET that also sets
/// or clears the TTL. Order of checks: option syntax, then the key (a missing key replies
/// null even when the time is invalid), then its type, then the time. EXAT/PXAT at or before
/// now delete the key after replying its value.
fn getex_command(srv: &mut Server, c: &mut Client) {
    let Some(args) = parse_extended_string_arguments_or_reply(c, CommandType::Get) else {
        return;
    };
    let Ok(found) = check_string(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply) else {
        return;
    };
    let Some(value) = found else {
        c.reply.null();
        return;
    };
    let deadline = match args.expire {
        Some(expire) => match expire.deadline_or_reply(c) {
            Some(when) => Some((when, expire.opt.is_absolute())),
            None => return,
        },
        None => None,
    };
    add_reply_bulk(&mut c.reply, value);
    let key = c.argv.arg(1);
    let loading = srv.loading;
    let Some(d) = srv.dbs.get_mut(c.db) else {
        return;
    };
    // The event names what happened, as in Redis's getexCommand; so does the propagated
    // command (DEL, PEXPIREAT with the absolute deadline, PERSIST).
    let (event, propagated) = match deadline {
        Some((when, true)) if when <= now_ms() && !loading => {
            (d.delete(key).then_some("del"), None)
        }
        Some((when, _)) => (d.set_expire(key, when).then_some("expire"), Some(when)),
        None => (
            (args.persist && d.remove_expire(key)).then_some("persist"),
            None,
        ),
    };
    if let Some(event) = event {
        let when = propagated.map(|w| w.to_string());
        match (event, &when) {
            ("del", _) => rewrite_command(srv, &[b"DEL", key]),
            (_, Some(when)) => rewrite_command(srv, &[b"PEXPIREAT", key, when.as_bytes()]),
            _ => rewrite_command(srv, &[b"PERSIST", key]),
        }
        signal_modified_key(srv, c.db, key);
        notify_keyspace_event(srv, NOTIFY_GENERIC, event, key, c.db);
        srv.dirty += 1;
    }
}

/// GETDEL key: GET, then delete the key if it existed.
fn getdel_command(srv: &mut Server, c: &mut Client) {
    if get_generic(srv, c).is_err() {
        return;
    }
    if srv
        .dbs
        .get_mut(c.db)
        .is_some_and(|d| d.delete(c.argv.arg(1)))
    {
        signal_modified_key(srv, c.db, c.argv.arg(1));
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", c.argv.arg(1), c.db);
        srv.dirty += 1;
        rewrite_command(srv, &[b"DEL", c.argv.arg(1)]);
    }
}

/// GETSET key value: GET, then SET (the TTL is dropped). Sets even when the key was missing.
fn getset_command(srv: &mut Server, c: &mut Client) {
    if get_generic(srv, c).is_err() {
        return;
    }
    set_string(
        srv,
        c.db,
        c.argv.arg(1),
        RString::from_bytes(c.argv.arg(2)),
        false,
        false,
    );
    notify_keyspace_event(srv, NOTIFY_STRING, "set", c.argv.arg(1), c.db);
    srv.dirty += 1;
    // Propagated as the SET it amounts to (Redis's getsetCommand).
    let argv: [&[u8]; 3] = [b"SET", c.argv.arg(1), c.argv.arg(2)];
    rewrite_command(srv, &argv);
}

/// MGET key [key ...]: an array with each value, or a null for a missing key *or a key of
/// another type* (MGET never replies WRONGTYPE).
fn mget_command(srv: &mut Server, c: &mut Client) {
    c.reply.array_len(c.argv.len().saturating_sub(1));
    for key in c.argv.iter().skip(1) {
        match lookup_key_read(srv, c.db, key).and_then(|obj| obj.value.as_str()) {
            Some(s) => add_reply_bulk(&mut c.reply, s),
            None => c.reply.null(),
        }
    }
}

/// MSET key value [key value ...]: sets every pair, left to right (a repeated key ends with
/// its last value). Replies `+OK`.
fn mset_command(srv: &mut Server, c: &mut Client) {
    mset_generic(srv, c, false);
}

/// The body of MSET and MSETNX (Redis's msetGenericCommand). An even argument count passes
/// the arity check (-3) but is refused with the same error. With `nx`, nothing is set if
/// any key exists.
fn mset_generic(srv: &mut Server, c: &mut Client, nx: bool) {
    if c.argv.len() % 2 == 0 {
        reply_arity_error(c);
        return;
    }
    let pairs = || c.argv.get(1..).unwrap_or_default().chunks_exact(2);
    if nx
        && pairs().any(|pair| {
            pair.first()
                .is_some_and(|key| lookup_key_write(srv, c.db, key).is_some())
        })
    {
        c.reply.int(0);
        return;
    }
    for pair in pairs() {
        if let [key, value] = pair {
            set_string(srv, c.db, key, RString::from_bytes(value), false, false);
            notify_keyspace_event(srv, NOTIFY_STRING, "set", key, c.db);
        }
    }
    srv.dirty += c.argv.len().saturating_sub(1) as u64 / 2;
    if nx {
        c.reply.int(1);
    } else {
        c.reply.ok();
    }
}

/// MSETNX key value [key value ...]: sets every pair only if none of the keys exists;
/// replies `:1` if it set them, `:0` if not. A key repeated in the arguments does not count
/// as existing (`MSETNX a 1 a 2` sets a to 2).
fn msetnx_command(srv: &mut Server, c: &mut Client) {
    mset_generic(srv, c, true);
}

// ---------------------------------------------------------------------------------------------
// APPEND, STRLEN, GETRANGE, SETRANGE
// ---------------------------------------------------------------------------------------------

/// APPEND key value: appends to the string (creating it if missing) and replies with the new
/// length. A new key is stored like SET would store it (`APPEND k 12` is an `int`); an
/// existing one becomes `raw`, even when appending nothing.
fn append_command(srv: &mut Server, c: &mut Client) {
    let key = c.argv.arg(1);
    let append = c.argv.arg(2);
    let max = srv.config.proto_max_bulk_len;
    let Ok(found) = check_string(lookup_key_write(srv, c.db, key), &mut c.reply) else {
        return;
    };
    let total = match found {
        None => {
            set_string(srv, c.db, key, RString::from_bytes(append), false, true);
            append.len()
        }
        Some(s) => {
            if !check_string_length(&mut c.reply, max, s.len() as u64, append.len()) {
                return;
            }
            s.modify_raw(|v| {
                v.extend_from_slice(append);
                v.len()
            })
        }
    };
    signal_modified_key(srv, c.db, key);
    notify_keyspace_event(srv, NOTIFY_STRING, "append", key, c.db);
    srv.dirty += 1;
    c.reply.int(total as i64);
}

/// STRLEN key: the length of the string, 0 for a missing key.
fn strlen_command(srv: &mut Server, c: &mut Client) {
    if let Ok(found) = check_string(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply) {
        c.reply.int(found.map_or(0, |s| s.len() as i64));
    }
}

/// The byte range GETRANGE returns for `start..=end` of a string of `len` bytes, with Redis's
/// rules: negative indexes count from the end, both are then clamped into the string, and
/// an empty range (also when both were negative and `start > end`) gives `None`.
fn getrange_bounds(start: i64, end: i64, len: usize) -> Option<std::ops::RangeInclusive<usize>> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len = len as i64;
    let from_end = |i: i64| if i < 0 { (len + i).max(0) } else { i };
    let start = from_end(start);
    let end = from_end(end).min(len - 1);
    if start > end || len == 0 {
        return None;
    }
    Some(start as usize..=end as usize)
}

/// GETRANGE key start end (and its old name SUBSTR): the bytes from `start` to `end`
/// inclusive, negative indexes counting from the end. Out-of-range indexes are clamped; a
/// missing key or empty range replies an empty string. The indexes are parsed before the
/// key is looked up, so a bad index wins over WRONGTYPE.
fn getrange_command(srv: &mut Server, c: &mut Client) {
    let (Some(start), Some(end)) = (parse_i64(c.argv.arg(2)), parse_i64(c.argv.arg(3))) else {
        c.reply.error(errors::NOT_INTEGER);
        return;
    };
    let Ok(found) = check_string(lookup_key_read(srv, c.db, c.argv.arg(1)), &mut c.reply) else {
        return;
    };
    let mut scratch = Vec::new();
    let text = found.map_or(&[][..], |s| s.as_bytes(&mut scratch));
    let range = getrange_bounds(start, end, text.len()).and_then(|r| text.get(r));
    c.reply.bulk(range.unwrap_or_default());
}

/// SETRANGE key offset value: overwrites the string from `offset`, padding with zero bytes
/// as needed, and replies with the new length. An empty value changes nothing (a missing key
/// stays missing and `:0` is replied); a new key is always `raw`. Errors, in order: offset
/// not an integer, offset negative (`ERR offset is out of range`), WRONGTYPE, and
/// `offset + len(value)` above proto-max-bulk-len.
fn setrange_command(srv: &mut Server, c: &mut Client) {
    let Some(offset) = parse_i64(c.argv.arg(2)) else {
        c.reply.error(errors::NOT_INTEGER);
        return;
    };
    let Ok(offset) = u64::try_from(offset) else {
        c.reply.error("ERR offset is out of range");
        return;
    };
    let key = c.argv.arg(1);
    let value = c.argv.arg(3);
    let max = srv.config.proto_max_bulk_len;
    let Ok(found) = check_string(lookup_key_write(srv, c.db, key), &mut c.reply) else {
        return;
    };
    if value.is_empty() {
        c.reply.int(found.map_or(0, |s| s.len() as i64));
        return;
    }
    if !check_string_length(&mut c.reply, max, offset, value.len()) {
        return;
    }
    // Fits in usize: offset + len(value) <= proto-max-bulk-len was just checked.
    let offset = offset as usize;
    let new_len = match found {
        Some(s) => s.modify_raw(|v| write_at(v, offset, value)),
        None => {
            let mut v = Vec::new();
            let len = write_at(&mut v, offset, value);
            set_string(srv, c.db, key, RString::Raw(v), false, true);
            len
        }
    };
    signal_modified_key(srv, c.db, key);
    notify_keyspace_event(srv, NOTIFY_STRING, "setrange", key, c.db);
    srv.dirty += 1;
    c.reply.int(new_len as i64);
}

/// Writes `value` into `v` at `offset`, first padding `v` with zero bytes to reach
/// `offset + len(value)`; returns the new length.
fn write_at(v: &mut Vec<u8>, offset: usize, value: &[u8]) -> usize {
    let end = offset + value.len();
    if v.len() < end {
        v.resize(end, 0);
    }
    if let Some(dst) = v.get_mut(offset..end) {
        dst.copy_from_slice(value);
    }
    v.len()
}

// ---------------------------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------------------------

/// The body of INCR, DECR, INCRBY and DECRBY (Redis's incrDecrCommand): adds `incr` to the
/// integer in `argv[1]` (0 if missing) and replies with the result. The value must be a strict
/// 64-bit integer (`" 1"`, `"1.5"`, `"+1"` are not); the sum must not overflow. The result is
/// always `int`-encoded, and the key keeps its TTL.
fn incr_decr_command(srv: &mut Server, c: &mut Client, incr: i64) {
    let key = c.argv.arg(1);
    let Ok(found) = check_string(lookup_key_write(srv, c.db, key), &mut c.reply) else {
        return;
    };
    let current = match &found {
        None => 0,
        Some(s) => match s.as_i64() {
            Some(n) => n,
            None => {
                c.reply.error(errors::NOT_INTEGER);
                return;
            }
        },
    };
    let Some(value) = current.checked_add(incr) else {
        c.reply.error("ERR increment or decrement would overflow");
        return;
    };
    match found {
        Some(s) => *s = RString::Int(value),
        None => set_string(srv, c.db, key, RString::Int(value), false, true),
    }
    signal_modified_key(srv, c.db, key);
    // DECR and DECRBY too: Redis names every one of them `incrby`.
    notify_keyspace_event(srv, NOTIFY_STRING, "incrby", key, c.db);
    srv.dirty += 1;
    c.reply.int(value);
}

/// INCR key.
fn incr_command(srv: &mut Server, c: &mut Client) {
    incr_decr_command(srv, c, 1);
}

/// DECR key.
fn decr_command(srv: &mut Server, c: &mut Client) {
    incr_decr_command(srv, c, -1);
}

/// INCRBY key increment. The increment is parsed before the key is looked up.
fn incrby_command(srv: &mut Server, c: &mut Client) {
    match parse_i64(c.argv.arg(2)) {
        Some(incr) => incr_decr_command(srv, c, incr),
        None => c.reply.error(errors::NOT_INTEGER),
    }
}

/// DECRBY key decrement. A decrement of i64::MIN cannot be negated: `ERR decrement would
/// overflow`, whatever the key holds.
fn decrby_command(srv: &mut Server, c: &mut Client) {
    match parse_i64(c.argv.arg(2)) {
        None => c.reply.error(errors::NOT_INTEGER),
        Some(i64::MIN) => c.reply.error("ERR decrement would overflow"),
        Some(decr) => incr_decr_command(srv, c, -decr),
    }
}

/// INCRBYFLOAT key increment: adds in C `long double` precision ([`LongDouble`]), stores
/// the sum as `%.17Lf` text without trailing zeros (`10.6`, `5200`, never an exponent; `0.1`
/// plus `0.2` is `0.3`), and replies with that text. Both the value and the increment
/// must parse as floats (`ERR value is not a valid float`; `inf` does parse), and the sum
/// must be finite (`ERR increment would produce NaN or Infinity`). The result is stored as
/// text even when whole (`embstr`, not `int`), and the key keeps its TTL.
fn incrbyfloat_command(srv: &mut Server, c: &mut Client) {
    let key = c.argv.arg(1);
    let Ok(found) = check_string(lookup_key_write(srv, c.db, key), &mut c.reply) else {
        return;
    };
    let mut scratch = Vec::new();
    let current = match &found {
        None => Some(LongDouble::ZERO),
        Some(s) => LongDouble::parse(s.as_bytes(&mut scratch)),
    };
    let (Some(current), Some(incr)) = (current, LongDouble::parse(c.argv.arg(2))) else {
        c.reply.error("ERR value is not a valid float");
        return;
    };
    let Some(text) = long_double_sum_or_reply(&mut c.reply, current, incr) else {
        return;
    };
    let value = RString::create(&text);
    match found {
        Some(s) => *s = value,
        None => set_string(srv, c.db, key, value, false, true),
    }
    signal_modified_key(srv, c.db, key);
    notify_keyspace_event(srv, NOTIFY_STRING, "incrbyfloat", key, c.db);
    srv.dirty += 1;
    // Replayed as the exact result, so float rounding on replay cannot drift.
    rewrite_command(srv, &[b"SET", key, &text, b"KEEPTTL"]);
    c.reply.bulk(&text);
}

/// `current + incr` in long double precision as the text INCRBYFLOAT and HINCRBYFLOAT store
/// (`%.17Lf` without trailing zeros), or `None` after replying Redis's error when the sum is
/// not finite.
pub fn long_double_sum_or_reply(
    reply: &mut Reply,
    current: LongDouble,
    incr: LongDouble,
) -> Option<Vec<u8>> {
    let sum = current + incr;
    if !sum.is_finite() {
        reply.error("ERR increment would produce NaN or Infinity");
        return None;
    }
    let mut text = Vec::new();
    sum.format_human(&mut text);
    Some(text)
}

// ---------------------------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------------------------

/// The dynamic-programming table of LCS: cell (i, j) holds the length of the longest common
/// subsequence of `a[..i]` and `b[..j]`. Cells are `u32`, as in Redis, so the memory asked
/// for is the same: `4·(len(a)+1)·(len(b)+1)` bytes.
struct LcsTable {
    cols: usize,
    cells: Vec<u32>,
}

/// Why the table could not be built (each is an error reply in Redis's words).
#[derive(Debug, PartialEq, Eq)]
enum LcsError {
    /// A string of 2^32 - 2 bytes or more: lengths must fit the table's u32 cells.
    TooLong,
    /// The table would be larger than proto-max-bulk-len.
    OverLimit,
    /// The allocator refused the table.
    NoMemory,
}

impl LcsError {
    fn message(&self) -> &'static str {
        match self {
            LcsError::TooLong => "ERR String too long for LCS",
            LcsError::OverLimit => {
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
            }
            LcsError::NoMemory => {
                "ERR Insufficient memory, failed allocating transient memory for LCS"
            }
        }
    }
}

/// One run of consecutive matching bytes, as LCS IDX reports it: inclusive byte ranges in
/// each string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LcsMatch {
    a: (usize, usize),
    b: (usize, usize),
}

impl LcsMatch {
    fn len(&self) -> usize {
        self.a.1 - self.a.0 + 1
    }
}

impl LcsTable {
    /// Fills the table for `a` and `b`. Its memory is bounded as Redis 7.0.15 bounds it: a
    /// table of more than `max_bytes` (proto-max-bulk-len, 512 MB by default: two strings of
    /// about 11,500 bytes) is refused before anything is allocated, and the allocation itself
    /// is *tried* (Redis's ztrymalloc), so a refusal becomes an error reply rather than
    /// Rust's abort-on-allocation-failure.
    fn build(a: &[u8], b: &[u8], max_bytes: u64) -> Result<LcsTable, LcsError> {
        let limit = u32::MAX as usize - 1;
        if a.len() >= limit || b.len() >= limit {
            return Err(LcsError::TooLong);
        }
        let cols = b.len() + 1;
        // Both factors are below 2^32, so the product fits in u64; the byte count may not.
        let size = (a.len() as u64 + 1) * cols as u64;
        let bytes = size
            .checked_mul(std::mem::size_of::<u32>() as u64)
            .filter(|&n| n < usize::MAX as u64)
            .ok_or(LcsError::NoMemory)?;
        if bytes > max_bytes {
            return Err(LcsError::OverLimit);
        }
        let size = usize::try_from(size).map_err(|_| LcsError::NoMemory)?;
        let mut cells = Vec::new();
        cells
            .try_reserve_exact(size)
            .map_err(|_| LcsError::NoMemory)?;
        cells.resize(size, 0);
        // Row i+1 from row i: a match extends the diagonal, otherwise the longer of the
        // cells above and to the left. Row 0 and column 0 stay 0.
        let mut rows = cells.chunks_exact_mut(cols);
        if let Some(first) = rows.next() {
            let mut above: &[u32] = first;
            for (row, &ca) in rows.zip(a) {
                let mut left = 0;
                let cells_above = above.iter().zip(above.iter().skip(1));
                for ((cell, &cb), (&diagonal, &up)) in
                    row.iter_mut().skip(1).zip(b).zip(cells_above)
                {
                    *cell = if ca == cb { diagonal + 1 } else { up.max(left) };
                    left = *cell;
                }
                above = row;
            }
        }
        Ok(LcsTable { cols, cells })
    }

    fn get(&self, i: usize, j: usize) -> u32 {
        self.cells.get(i * self.cols + j).copied().unwrap_or(0)
    }

    /// Length of the LCS of the whole strings.
    fn len(&self) -> usize {
        self.cells.last().copied().unwrap_or(0) as usize
    }

    /// Walks back from the end to recover one LCS and its runs of matches, in the order Redis
    /// finds them (last run first). On a mismatch it moves up only when the cell above is
    /// strictly longer, otherwise left: Redis's tie-break, which decides *which* LCS is
    /// returned when there are several.
    fn backtrack(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<LcsMatch>) {
        let mut lcs = Vec::with_capacity(self.len());
        let mut matches = Vec::new();
        let mut run: Option<LcsMatch> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let (ca, cb) = (a.get(i - 1), b.get(j - 1));
            if ca == cb {
                lcs.extend(ca);
                // A match right after a match is contiguous with it (both indexes moved by
                // one), so it extends the current run backwards.
                let r = run.get_or_insert(LcsMatch {
                    a: (i - 1, i - 1),
                    b: (j - 1, j - 1),
                });
                r.a.0 = i - 1;
                r.b.0 = j - 1;
                i -= 1;
                j -= 1;
            } else {
                if self.get(i - 1, j) > self.get(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                matches.extend(run.take());
            }
        }
        matches.extend(run.take());
        lcs.reverse();
        (lcs, matches)
    }
}

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`: the longest common
/// subsequence of two strings (missing keys are empty strings). Without options, the LCS
/// itself; LEN: its length; IDX: a map of `matches` (runs of matching bytes, last first,
/// each `[[a_start, a_end], [b_start, b_end]]` plus the run length with WITHMATCHLEN, only
/// runs of at least MINMATCHLEN bytes) and `len`. LEN and IDX together are an error.
/// Order of checks: the key types (before any option), then the options left to right.
/// Time and memory are O(len1·len2), as in Redis, with the same bound on the memory (see
/// [`LcsTable::build`]).
fn lcs_command(srv: &mut Server, c: &mut Client) {
    let mut strings = [Vec::new(), Vec::new()];
    let mut wrong_type = false;
    for (slot, arg) in strings.iter_mut().zip(1..) {
        if let Some(obj) = lookup_key_read(srv, c.db, c.argv.arg(arg)) {
            match obj.value.as_str() {
                Some(s) => *slot = s.to_vec(),
                None => wrong_type = true,
            }
        }
    }
    if wrong_type {
        c.reply
            .error("ERR The specified keys must contain string values");
        return;
    }
    let (mut get_len, mut get_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len = 0usize;
    let mut j = 3;
    while j < c.argv.len() {
        let opt = c.argv.arg(j);
        let has_next = j + 1 < c.argv.len();
        if opt.eq_ignore_ascii_case(b"idx") {
            get_idx = true;
        } else if opt.eq_ignore_ascii_case(b"len") {
            get_len = true;
        } else if opt.eq_ignore_ascii_case(b"withmatchlen") {
            with_match_len = true;
        } else if opt.eq_ignore_ascii_case(b"minmatchlen") && has_next {
            let Some(n) = parse_i64(c.argv.arg(j + 1)) else {
                c.reply.error(errors::NOT_INTEGER);
                return;
            };
            // Negative means no minimum; past usize::MAX nothing can match anyway.
            min_match_len = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
            j += 1;
        } else {
            c.reply.error(errors::SYNTAX);
            return;
        }
        j += 1;
    }
    if get_idx && get_len {
        c.reply
            .error("ERR If you want both the length and indexes, please just use IDX.");
        return;
    }
    let [a, b] = &strings;
    let table = match LcsTable::build(a, b, srv.config.proto_max_bulk_len) {
        Ok(table) => table,
        Err(e) => {
            c.reply.error(e.message());
            return;
        }
    };
    if get_len {
        c.reply.int(table.len() as i64);
        return;
    }
    let (lcs, matches) = table.backtrack(a, b);
    if !get_idx {
        c.reply.bulk(&lcs);
        return;
    }
    let shown: Vec<&LcsMatch> = matches
        .iter()
        .filter(|m| m.len() >= min_match_len)
        .collect();
    c.reply.map_len(2);
    c.reply.bulk(b"matches");
    c.reply.array_len(shown.len());
    for m in shown {
        c.reply.array_len(2 + with_match_len as usize);
        for (start, end) in [m.a, m.b] {
            c.reply.array_len(2);
            c.reply.int(start as i64);
            c.reply.int(end as i64);
        }
        if with_match_len {
            c.reply.int(m.len() as i64);
        }
    }
    c.reply.bulk(b"len");
    c.reply.int(table.len() as i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expire_deadlines_follow_redis_overflow_rules() {
        use ExpireRange::*;
        use TimeUnit::*;
        assert_eq!(expire_deadline(10, 1000, Seconds, Positive), Some(11_000));
        assert_eq!(expire_deadline(10, 0, Milliseconds, Positive), Some(10));
        assert_eq!(expire_deadline(0, 0, Seconds, Positive), None);
        assert_eq!(expire_deadline(-1, 0, Milliseconds, Positive), None);
        assert_eq!(expire_deadline(-1, 0, Milliseconds, Any), Some(-1));
        // EX: seconds * 1000 must fit, and so must the addition of now.
        let max_s = i64::MAX / 1000;
        assert_eq!(
            expire_deadline(max_s, 0, Seconds, Positive),
            Some(max_s * 1000)
        );
        assert_eq!(expire_deadline(max_s + 1, 0, Seconds, Positive), None);
        assert_eq!(
            expire_deadline(max_s, 1_700_000_000_000, Seconds, Positive),
            None
        );
        assert_eq!(
            expire_deadline(i64::MAX, 0, Milliseconds, Positive),
            Some(i64::MAX)
        );
        assert_eq!(expire_deadline(i64::MAX, 1, Milliseconds, Positive), None);
        assert_eq!(
            expire_deadline(i64::MIN / 1000, 0, Seconds, Any),
            Some(i64::MIN / 1000 * 1000)
        );
        assert_eq!(expire_deadline(i64::MIN / 1000 - 1, 0, Seconds, Any), None);
        assert_eq!(
            expire_deadline(i64::MIN, 5, Milliseconds, Any),
            Some(i64::MIN + 5)
        );
    }

    #[test]
    fn getrange_bounds_match_redis() {
        let r = |s, e, len| getrange_bounds(s, e, len).map(|r| (*r.start(), *r.end()));
        assert_eq!(r(0, 4, 11), Some((0, 4)));
        assert_eq!(r(-5, -1, 11), Some((6, 10)));
        assert_eq!(r(-1, -5, 11), None);
        assert_eq!(r(5, 2, 11), None);
        assert_eq!(r(0, 100, 11), Some((0, 10)));
        assert_eq!(r(-100, -50, 11), Some((0, 0)));
        assert_eq!(r(20, 30, 11), None);
        assert_eq!(r(i64::MIN, i64::MAX, 11), Some((0, 10)));
        assert_eq!(r(0, -1, 0), None);
        assert_eq!(r(-1, 0, 0), None);
    }

    fn lcs(a: &str, b: &str) -> (String, Vec<LcsMatch>) {
        let table = LcsTable::build(a.as_bytes(), b.as_bytes(), 1 << 20).unwrap();
        let (s, m) = table.backtrack(a.as_bytes(), b.as_bytes());
        assert_eq!(s.len(), table.len());
        (String::from_utf8(s).unwrap(), m)
    }

    #[test]
    fn lcs_string_and_runs() {
        let (s, m) = lcs("ohmytext", "mynewtext");
        assert_eq!(s, "mytext");
        assert_eq!(
            m,
            vec![
                LcsMatch {
                    a: (4, 7),
                    b: (5, 8)
                },
                LcsMatch {
                    a: (2, 3),
                    b: (0, 1)
                },
            ]
        );
        assert_eq!(lcs("", "abc"), (String::new(), vec![]));
        assert_eq!(lcs("abc", "xyz").0, "");
        // On a tie the walk moves left (along b) first, so of "ab" and "ba" Redis
        // returns "b".
        assert_eq!(lcs("ab", "ba").0, "b");
        assert_eq!(
            lcs("aaaa", "aa").1,
            vec![LcsMatch {
                a: (2, 3),
                b: (0, 1)
            }]
        );
    }

    #[test]
    fn lcs_table_memory_is_bounded() {
        // (511+1)^2 cells of 4 bytes is exactly 1 MiB: allowed; one more byte is not.
        let s = [b'a'; 512];
        let limit = 1 << 20;
        assert!(LcsTable::build(&s[..511], &s[..511], limit).is_ok());
        assert_eq!(
            LcsTable::build(&s[..512], &s[..511], limit).err(),
            Some(LcsError::OverLimit)
        );
        // Under a higher limit the same inputs are fine.
        assert_eq!(
            LcsTable::build(&s, &s, u64::MAX).map(|t| t.len()).ok(),
            Some(512)
        );
    }
}
