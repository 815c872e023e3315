//! Keyspace notifications (Redis's notify.c): Pub/Sub messages describing changes to keys.
//!
//! Each write command calls [`notify_keyspace_event`] right beside its
//! [`crate::db::signal_modified_key`] call, with the event's class (one of the `NOTIFY_*`
//! flags below) and Redis's event name. When `notify-keyspace-events` selects that class,
//! the event goes out on up to two channels: `__keyspace@<db>__:<key>` with the event name as
//! the message (flag `K`) and `__keyevent@<db>__:<event>` with the key as the message
//! (flag `E`), through PUBLISH's own delivery, so pattern subscribers and output limits work
//! as for any message.
//!
//! The setting is off by default and SET/GET throughput matters, so the off path is a single
//! integer test before anything is formatted.

use crate::server::Server;

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME...).
pub const NOTIFY_GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const NOTIFY_STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const NOTIFY_LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const NOTIFY_SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const NOTIFY_HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const NOTIFY_ZSET: u32 = 1 << 7;
/// `x`: a key expired (lazily or by the active cycle).
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
/// `e`: a key was evicted (rredis has no eviction; accepted for compatibility).
pub const NOTIFY_EVICTED: u32 = 1 << 9;
/// `t`: stream commands (no streams in rredis; accepted for compatibility).
pub const NOTIFY_STREAM: u32 = 1 << 10;
/// `m`: a read lookup missed (`keymiss`). Not part of `A`.
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
/// `d`: module events (no modules; accepted for compatibility).
pub const NOTIFY_MODULE: u32 = 1 << 12;
/// `n`: a key was created. Not part of `A`.
pub const NOTIFY_NEW: u32 = 1 << 13;
/// `A`: every class except `m` and `n`, as in Redis 7.0.
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// The class letters in the order CONFIG GET prints them after `A` would (Redis's
/// keyspaceEventsFlagsToString).
const CLASS_LETTERS: [(char, u32); 10] = [
    ('g', NOTIFY_GENERIC),
    ('$', NOTIFY_STRING),
    ('l', NOTIFY_LIST),
    ('s', NOTIFY_SET),
    ('h', NOTIFY_HASH),
    ('z', NOTIFY_ZSET),
    ('x', NOTIFY_EXPIRED),
    ('e', NOTIFY_EVICTED),
    ('t', NOTIFY_STREAM),
    ('d', NOTIFY_MODULE),
];

/// Parses the letters of `notify-keyspace-events` (Redis's keyspaceEventsStringToFlags);
/// None for any other character.
pub fn keyspace_events_string_to_flags(text: &str) -> Option<u32> {
    let mut flags = 0;
    for ch in text.chars() {
        flags |= match ch {
            'A' => NOTIFY_ALL,
            'K' => NOTIFY_KEYSPACE,
            'E' => NOTIFY_KEYEVENT,
            'm' => NOTIFY_KEY_MISS,
            'n' => NOTIFY_NEW,
            _ => CLASS_LETTERS.iter().find(|(c, _)| *c == ch)?.1,
        };
    }
    Some(flags)
}

/// The flags as CONFIG GET prints them (Redis's keyspaceEventsFlagsToString): `A` or the
/// class letters, then `K`, `E`, `m`. Redis 7.0 never prints `n` (the flag still works), and
/// clients compare this text, so neither does rredis.
pub fn keyspace_events_flags_to_string(flags: u32) -> String {
    let mut out = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        out.push('A');
    } else {
        for (ch, flag) in CLASS_LETTERS {
            if flags & flag != 0 {
                out.push(ch);
            }
        }
    }
    for (ch, flag) in [
        ('K', NOTIFY_KEYSPACE),
        ('E', NOTIFY_KEYEVENT),
        ('m', NOTIFY_KEY_MISS),
    ] {
        if flags & flag != 0 {
            out.push(ch);
        }
    }
    out
}

/// Publishes `event` about `key` of database `db` if its class `type_flag` is enabled
/// (Redis's notifyKeyspaceEvent). Call it after the change, beside `signal_modified_key`.
#[inline]
pub fn notify_keyspace_event(srv: &mut Server, type_flag: u32, event: &str, key: &[u8], db: usize) {
    if srv.config.notify_keyspace_events & type_flag == 0 {
        return;
    }
    publish_keyspace_event(srv, event, key, db);
}

/// The slow path of [`notify_keyspace_event`], kept out of line so the check inlines alone.
#[cold]
#[inline(never)]
fn publish_keyspace_event(srv: &mut Server, event: &str, key: &[u8], db: usize) {
    let flags = srv.config.notify_keyspace_events;
    if flags & NOTIFY_KEYSPACE != 0 {
        let mut channel = format!("__keyspace@{db}__:").into_bytes();
        channel.extend_from_slice(key);
        crate::commands::pubsub::publish_from_server(srv, &channel, event.as_bytes());
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        let channel = format!("__keyevent@{db}__:{event}");
        crate::commands::pubsub::publish_from_server(srv, channel.as_bytes(), key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_as_redis_prints_them() {
        let get =
            |s: &str| keyspace_events_flags_to_string(keyspace_events_string_to_flags(s).unwrap());
        assert_eq!(get("KEA"), "AKE");
        assert_eq!(get("KEAmn"), "AKEm");
        assert_eq!(get("g$lK"), "g$lK");
        assert_eq!(get("Kg$lshzxetd"), "AK");
        assert_eq!(get(""), "");
        assert_eq!(keyspace_events_string_to_flags("KQ"), None);
    }
}
