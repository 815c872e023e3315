//! Expire commands (the command half of Redis's expire.c): give keys a deadline, read it back,
//! take it away.
//!
//! A deadline is an absolute unix time in milliseconds, stored in the database's `expires`
//! table (see db.rs). Lazy expiry in the lookups and the active cycle in the top-level
//! `expire.rs` delete keys once `now > deadline`; the commands here only set, read and clear
//! deadlines, except that setting one that has already passed deletes the key at once.
//!
//! A handler's selected database is `srv.dbs[c.db]`: `Client::db` is always a valid index.

use bytes::Bytes;

use crate::client::Client;
use crate::commands::strings::{get_expire_milliseconds_or_reply, ExpireRange, TimeUnit};
use crate::commands::{acl, flags::*, Command};
use crate::db::{
    lookup_key_read_with_flags, lookup_key_write, signal_modified_key, LOOKUP_NOTOUCH,
};
use crate::notify::{notify_keyspace_event, NOTIFY_GENERIC};
use crate::propagate::rewrite_command_vector;
use crate::server::Server;
use crate::util::now_ms;

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command::new(
        "expire",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        expire_command,
    ),
    Command::new(
        "pexpire",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        pexpire_command,
    ),
    Command::new(
        "expireat",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        expireat_command,
    ),
    Command::new(
        "pexpireat",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        pexpireat_command,
    ),
    Command::new(
        "ttl",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        ttl_command,
    ),
    Command::new(
        "pttl",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        pttl_command,
    ),
    Command::new(
        "expiretime",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        expiretime_command,
    ),
    Command::new(
        "pexpiretime",
        2,
        READONLY | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        pexpiretime_command,
    ),
    Command::new(
        "persist",
        2,
        WRITE | FAST,
        (1, 1, 1),
        acl::KEYSPACE,
        persist_command,
    ),
];

/// The NX/XX/GT/LT conditions of the EXPIRE family.
#[derive(Debug, Default)]
struct ExpireConditions {
    /// NX: only if the key has no TTL.
    nx: bool,
    /// XX: only if the key has a TTL.
    xx: bool,
    /// GT: only if the new deadline is later than the current one.
    gt: bool,
    /// LT: only if the new deadline is earlier than the current one.
    lt: bool,
}

impl ExpireConditions {
    /// Whether a key whose deadline is `current` (`None`: no TTL) may be given `when`. A key
    /// without a TTL counts as expiring never, i.e. later than any deadline: GT always fails
    /// on it, LT always passes.
    fn allow(&self, when: i64, current: Option<i64>) -> bool {
        match current {
            None => !self.xx && !self.gt,
            Some(current) => {
                !self.nx && (!self.gt || when > current) && (!self.lt || when < current)
            }
        }
    }
}

/// Parses the options after the time argument (Redis's parseExtendedExpireArgumentsOrReply):
/// any of NX, XX, GT, LT in any case, repeats allowed. An unknown word is `ERR Unsupported
/// option <word>` (checked before the time argument is even parsed); NX with any other, and
/// GT with LT, are incompatible.
fn parse_extended_expire_arguments_or_reply(c: &mut Client) -> Option<ExpireConditions> {
    let mut conditions = ExpireConditions::default();
    for option in c.argv.iter().skip(3) {
        let flag = match option.to_ascii_lowercase().as_slice() {
            b"nx" => &mut conditions.nx,
            b"xx" => &mut conditions.xx,
            b"gt" => &mut conditions.gt,
            b"lt" => &mut conditions.lt,
            _ => {
                c.reply.error(&format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(option)
                ));
                return None;
            }
        };
        *flag = true;
    }
    let ExpireConditions { nx, xx, gt, lt } = conditions;
    if nx && (xx || gt || lt) {
        c.reply
            .error("ERR NX and XX, GT or LT options at the same time are not compatible");
        return None;
    }
    if gt && lt {
        c.reply
            .error("ERR GT and LT options at the same time are not compatible");
        return None;
    }
    Some(conditions)
}

/// EXPIRE key seconds [NX|XX|GT|LT]: sets a TTL in seconds; replies 1 if set, 0 if the key
/// is missing or a condition failed.
fn expire_command(srv: &mut Server, c: &mut Client) {
    expire_generic(srv, c, now_ms(), TimeUnit::Seconds);
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]: EXPIRE in milliseconds.
fn pexpire_command(srv: &mut Server, c: &mut Client) {
    expire_generic(srv, c, now_ms(), TimeUnit::Milliseconds);
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]: sets an absolute deadline in seconds.
fn expireat_command(srv: &mut Server, c: &mut Client) {
    expire_generic(srv, c, 0, TimeUnit::Seconds);
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]: sets an absolute deadline in ms.
fn pexpireat_command(srv: &mut Server, c: &mut Client) {
    expire_generic(srv, c, 0, TimeUnit::Milliseconds);
}

/// The body of the four EXPIRE commands (Redis's expireGenericCommand). Errors come in
/// Redis's order: options, then the number, then its overflow; only then is the key looked
/// up. A deadline that is not in the future (`<= now`) deletes the key and still replies 1.
fn expire_generic(srv: &mut Server, c: &mut Client, basetime_ms: i64, unit: TimeUnit) {
    let Some(conditions) = parse_extended_expire_arguments_or_reply(c) else {
        return;
    };
    let Some(when) = get_expire_milliseconds_or_reply(c, 2, basetime_ms, unit, ExpireRange::Any)
    else {
        return;
    };
    let key = c.argv.arg(1);
    if lookup_key_write(srv, c.db, key).is_none() {
        return c.reply.int(0);
    }
    let db = &mut srv.dbs[c.db];
    if !conditions.allow(when, db.get_expire(key)) {
        return c.reply.int(0);
    }
    // A deadline already past deletes the key, announced as `del` and propagated as DEL
    // (Redis's expireGenericCommand); otherwise the deadline is propagated as an absolute
    // PEXPIREAT, keeping the options. While loading the AOF nothing is "already past":
    // the key is kept with its deadline and expires later, as in Redis (checkAlreadyExpired).
    let key = c.argv.arg_bytes(1);
    let event = if when <= now_ms() && !srv.loading {
        db.delete(&key);
        rewrite_command_vector(srv, vec![Bytes::from_static(b"DEL"), key.clone()]);
        "del"
    } else {
        db.set_expire(&key, when);
        let mut argv = c.argv.0.clone();
        if let Some(name) = argv.get_mut(0) {
            *name = Bytes::from_static(b"PEXPIREAT");
        }
        if let Some(time) = argv.get_mut(2) {
            *time = Bytes::from(when.to_string());
        }
        rewrite_command_vector(srv, argv);
        "expire"
    };
    let key = &key[..];
    signal_modified_key(srv, c.db, key);
    notify_keyspace_event(srv, NOTIFY_GENERIC, event, key, c.db);
    srv.dirty += 1;
    c.reply.int(1);
}

/// TTL key: seconds left, rounded to the nearest second; -1 without a TTL, -2 if missing.
fn ttl_command(srv: &mut Server, c: &mut Client) {
    ttl_generic(srv, c, false, false);
}

/// PTTL key: milliseconds left; -1 without a TTL, -2 if missing.
fn pttl_command(srv: &mut Server, c: &mut Client) {
    ttl_generic(srv, c, true, false);
}

/// EXPIRETIME key: the deadline as a unix time in seconds (rounded); -1 / -2 as TTL.
fn expiretime_command(srv: &mut Server, c: &mut Client) {
    ttl_generic(srv, c, false, true);
}

/// PEXPIRETIME key: the deadline as a unix time in milliseconds; -1 / -2 as TTL.
fn pexpiretime_command(srv: &mut Server, c: &mut Client) {
    ttl_generic(srv, c, true, true);
}

/// The body of TTL, PTTL, EXPIRETIME and PEXPIRETIME (Redis's ttlGenericCommand). The lookup
/// counts a hit or miss but leaves the LRU alone. Seconds are rounded half up from the
/// millisecond value; the rounding is done in 128 bits because a deadline may be as late as
/// `i64::MAX` ms (PEXPIREAT accepts it), where Redis replies 9223372036854776.
fn ttl_generic(srv: &mut Server, c: &mut Client, output_ms: bool, output_absolute: bool) {
    let key = c.argv.arg(1);
    if lookup_key_read_with_flags(srv, c.db, key, LOOKUP_NOTOUCH).is_none() {
        return c.reply.int(-2);
    }
    let Some(when) = srv.dbs[c.db].get_expire(key) else {
        return c.reply.int(-1);
    };
    let ms = if output_absolute {
        when
    } else {
        when - now_ms()
    }
    .max(0);
    if output_ms {
        c.reply.int(ms);
    } else {
        c.reply.int(((i128::from(ms) + 500) / 1000) as i64);
    }
}

/// PERSIST key: removes the key's TTL; replies 1 if it had one, 0 if it had none or is
/// missing.
fn persist_command(srv: &mut Server, c: &mut Client) {
    let key = c.argv.arg(1);
    if lookup_key_write(srv, c.db, key).is_some() && srv.dbs[c.db].remove_expire(key) {
        signal_modified_key(srv, c.db, key);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "persist", key, c.db);
        srv.dirty += 1;
        c.reply.int(1);
    } else {
        c.reply.int(0);
    }
}

#[cfg(test)]
mod tests {
    use super::ExpireConditions;

    #[test]
    fn conditions_treat_no_ttl_as_infinite() {
        let gt = ExpireConditions {
            gt: true,
            ..Default::default()
        };
        let lt = ExpireConditions {
            lt: true,
            ..Default::default()
        };
        assert!(!gt.allow(100, None));
        assert!(lt.allow(100, None));
        assert!(gt.allow(101, Some(100)));
        assert!(!gt.allow(100, Some(100)));
        assert!(lt.allow(99, Some(100)));
        assert!(!lt.allow(100, Some(100)));
        let xx_gt = ExpireConditions {
            xx: true,
            gt: true,
            ..Default::default()
        };
        assert!(!xx_gt.allow(100, None));
        assert!(xx_gt.allow(200, Some(100)));
        let nx = ExpireConditions {
            nx: true,
            ..Default::default()
        };
        assert!(nx.allow(1, None));
        assert!(!nx.allow(1, Some(5)));
    }
}
