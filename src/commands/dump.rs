//! DUMP and RESTORE (Redis keeps them in cluster.c, beside MIGRATE): a key's value travels as
//! a *payload*, the value serialised exactly as an RDB file holds it, followed by the RDB
//! version (2 bytes LE) and a CRC-64 of everything before (8 bytes LE). The encoding is
//! `persist/rdb.rs`'s ([`dump_payload`], [`restore_payload`]), so a payload from Redis 7.0
//! restores here and one from here restores on Redis.

use crate::client::Client;
use crate::commands::{acl, errors, flags::*, Command};
use crate::db::{lookup_key_read, lookup_key_write, signal_modified_key};
use crate::notify::{notify_keyspace_event, NOTIFY_GENERIC, NOTIFY_NEW};
use crate::persist::rdb::{dump_payload, restore_payload, verify_dump_payload, SaveOptions};
use crate::propagate::{rewrite_command, rewrite_command_vector};
use crate::server::Server;
use crate::types::Obj;
use crate::util::parse_i64;

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command::new("dump", 2, READONLY, (1, 1, 1), acl::KEYSPACE, dump_command),
    Command::new(
        "restore",
        -4,
        WRITE | DENYOOM,
        (1, 1, 1),
        acl::KEYSPACE | acl::DANGEROUS,
        restore_command,
    ),
];

/// DUMP key: the key's payload, or a null bulk for a missing key.
fn dump_command(srv: &mut Server, c: &mut Client) {
    let opts = SaveOptions::from_server(srv);
    match lookup_key_read(srv, c.db, c.argv.arg(1)) {
        Some(obj) => {
            let payload = dump_payload(&obj.value, opts);
            c.reply.bulk(&payload);
        }
        None => c.reply.null(),
    }
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
/// (restoreCommand): creates the key from a DUMP payload; `ttl` 0 means none, otherwise
/// milliseconds from now (or a unix time in ms with ABSTTL). A deadline already past
/// creates nothing (and with REPLACE deletes the old key), as in Redis.
fn restore_command(srv: &mut Server, c: &mut Client) {
    let mut replace = false;
    let mut absttl = false;
    let mut idle: Option<i64> = None;
    let mut freq: Option<i64> = None;
    let mut j = 4;
    while j < c.argv.len() {
        let opt = c.argv.arg(j);
        let has_value = j + 1 < c.argv.len();
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if opt.eq_ignore_ascii_case(b"idletime") && has_value && freq.is_none() {
            let Some(v) = parse_i64(c.argv.arg(j + 1)) else {
                return c.reply.error(errors::NOT_INTEGER);
            };
            if v < 0 {
                return c.reply.error("ERR Invalid IDLETIME value, must be >= 0");
            }
            idle = Some(v);
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"freq") && has_value && idle.is_none() {
            let Some(v) = parse_i64(c.argv.arg(j + 1)) else {
                return c.reply.error(errors::NOT_INTEGER);
            };
            if !(0..=255).contains(&v) {
                return c
                    .reply
                    .error("ERR Invalid FREQ value, must be >= 0 and <= 255");
            }
            freq = Some(v);
            j += 1;
        } else {
            return c.reply.error(errors::SYNTAX);
        }
        j += 1;
    }

    let key = c.argv.arg(1);
    if !replace && lookup_key_write(srv, c.db, key).is_some() {
        return c.reply.error("BUSYKEY Target key name already exists.");
    }
    let Some(mut ttl) = parse_i64(c.argv.arg(2)) else {
        return c.reply.error(errors::NOT_INTEGER);
    };
    if ttl < 0 {
        return c.reply.error("ERR Invalid TTL value, must be >= 0");
    }
    let payload = c.argv.arg(3);
    if !verify_dump_payload(payload) {
        return c
            .reply
            .error("ERR DUMP payload version or checksum are wrong");
    }
    let Some(value) = restore_payload(payload, srv) else {
        return c.reply.error("ERR Bad data format");
    };

    let deleted = replace && srv.dbs[c.db].delete(key);
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(srv.now_ms);
    }
    // (While the AOF loads nothing counts as expired: the key is created with its deadline.)
    if ttl != 0 && ttl <= srv.now_ms && !srv.loading {
        // Already expired: nothing is created; a replaced key is gone, propagated as a DEL.
        if deleted {
            signal_modified_key(srv, c.db, key);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, c.db);
            srv.dirty += 1;
            rewrite_command(srv, &[b"DEL", key]);
        }
        return c.reply.ok();
    }
    // A relative TTL is propagated as the absolute deadline, with ABSTTL (Redis's
    // restoreCommand).
    if ttl != 0 && !absttl {
        let mut argv = c.argv.0.clone();
        if let Some(arg) = argv.get_mut(2) {
            *arg = bytes::Bytes::from(ttl.to_string());
        }
        argv.push(bytes::Bytes::from_static(b"ABSTTL"));
        rewrite_command_vector(srv, argv);
    }
    // IDLETIME sets the LRU stamp back, FREQ the LFU counter, whichever the policy uses.
    let lru =
        crate::evict::object_lru_from(idle.map(|seconds| seconds as u64), freq.map(|f| f as u8));
    let expire = (ttl != 0).then_some(ttl);
    srv.dbs[c.db].add(key, Obj { value, lru }, expire);
    notify_keyspace_event(srv, NOTIFY_NEW, "new", key, c.db);
    signal_modified_key(srv, c.db, key);
    notify_keyspace_event(srv, NOTIFY_GENERIC, "restore", key, c.db);
    c.reply.ok();
    srv.dirty += 1;
}
