//! Client-side caching (Redis's tracking.c): which clients may hold a copy of which keys, and
//! the invalidation messages sent when those keys change.
//!
//! Two modes, as in Redis:
//! - **default**: a read-only command run by a tracking client remembers its keys in
//!   [`Tracking::table`] (key → client ids); a change of the key ([`tracking_invalidate_key`],
//!   called by `db::signal_modified_key`) sends one invalidation to each remembering client
//!   and forgets the key. OPTIN / OPTOUT with CLIENT CACHING choose which reads remember.
//! - **BCAST**: a client registers prefixes ([`Tracking::prefixes`]); every changed key that
//!   starts with one is collected and the batch is sent once per loop turn, from
//!   `before_sleep` ([`tracking_broadcast_invalidation_messages`]).
//!
//! A message goes to the client itself as a RESP3 push (`>2 invalidate [keys]`), or to the
//! client named by REDIRECT: a RESP3 push there too, or for a RESP2 client with
//! subscriptions a `message` on `__redis__:invalidate`. A RESP2 client without REDIRECT is
//! tracked but receives nothing, as in Redis.
//!
//! Clients are named by (id, token): the token finds the slot, the id proves the slot still
//! holds that client (tokens are reused, ids never). A gone client's table entries are not
//! searched for at disconnection (that would scan the table); they are skipped when met, as
//! Redis skips ids `lookupClientByID` no longer finds.
//!
//! The running client is out of its slab slot, so a message owed to it (directly or through
//! its REDIRECT) is queued in [`Tracking::pending`] and appended after its command's reply
//! ([`tracking_handle_pending_key_invalidations`]), as Redis 7.0 does for the client itself
//! (tracking_pending_keys). One difference: Redis writes a message for *another* tracking
//! client whose REDIRECT names the running client mid-command; rredis appends it after the
//! reply too.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

use crate::client::{queue_write_on, Client};
use crate::resp::reply::Reply;
use crate::server::Server;

/// The channel RESP2 redirect targets receive invalidations on.
pub const TRACKING_CHANNEL: &[u8] = b"__redis__:invalidate";

/// One tracking client's settings (Redis's CLIENT_TRACKING_* flags and fields). Present in
/// `Client::tracking` exactly while tracking is on; `Tracking::clients` counts them.
#[derive(Debug, Default, Clone)]
pub struct ClientTracking {
    /// REDIRECT target's id (0: none) and token when it was checked to exist.
    pub redirect: u64,
    pub redirect_token: usize,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING was given for the next command (CLIENT_TRACKING_CACHING).
    pub caching: bool,
    /// The REDIRECT target was found gone when a message was due (CLIENT_TRACKING_BROKEN_REDIR).
    pub broken_redir: bool,
    /// BCAST prefixes, sorted (Redis keeps them in a rax), without duplicates.
    pub prefixes: Vec<Bytes>,
}

/// Keys changed under one BCAST prefix since the last broadcast, and its clients.
#[derive(Debug, Default)]
struct BcastState {
    /// Clients registered for this prefix, as (id, token).
    clients: Vec<(u64, usize)>,
    /// Changed keys, sorted, each with the id of the client that changed it last (0: the
    /// server, by expiry), so NOLOOP clients can skip their own writes.
    keys: BTreeMap<Bytes, u64>,
}

/// A message owed to the running client, sent after its command.
#[derive(Debug)]
struct Pending {
    /// The tracking client the message is for (its REDIRECT is resolved when sent).
    id: u64,
    token: usize,
    /// The key, or `None` for a flush (a null key list).
    key: Option<Bytes>,
}

/// The server's side of tracking (Redis's TrackingTable, PrefixTable and counters).
#[derive(Debug, Default)]
pub struct Tracking {
    /// A client has turned tracking on since start: every `Db::changed_keys` is `Some`.
    pub enabled: bool,
    /// Default mode: key → the clients that may cache it, as (id, token), no duplicates.
    table: HashMap<Bytes, Vec<(u64, usize)>>,
    /// Sum of the table's list lengths (INFO's tracking_total_items).
    total_items: usize,
    /// BCAST prefix → its state, sorted by prefix as Redis's rax iterates.
    prefixes: BTreeMap<Bytes, BcastState>,
    /// Clients with tracking on (INFO's tracking_clients).
    pub clients: usize,
    /// Id of the client whose command is running, 0 between commands.
    pub current_client: u64,
    pending: Vec<Pending>,
}

impl Tracking {
    /// INFO's tracking_total_keys.
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    /// INFO's tracking_total_items.
    pub fn total_items(&self) -> usize {
        self.total_items
    }

    /// INFO's tracking_total_prefixes.
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }
}

/// Redis's stringCheckPrefix: one of the two is a prefix of the other.
fn prefixes_overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// The order Redis visits client ids in: its rax keys are the ids' native (little-endian)
/// bytes, compared bytewise.
fn rax_id_order(ids: &mut [(u64, usize)]) {
    ids.sort_unstable_by_key(|&(id, _)| id.to_le_bytes());
}

/// Checks new BCAST prefixes against the client's and each other (Redis's
/// checkPrefixCollisionsOrReply); replies the error and returns false on an overlap.
pub fn check_prefix_collisions_or_reply(c: &mut Client, prefixes: &[Bytes]) -> bool {
    let existing: &[Bytes] = c.tracking.as_ref().map_or(&[], |t| &t.prefixes);
    for (i, p) in prefixes.iter().enumerate() {
        if let Some(old) = existing.iter().find(|old| prefixes_overlap(old, p)) {
            let msg = format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(old)
            );
            c.reply.error(&msg);
            return false;
        }
        if let Some(other) = prefixes[i + 1..].iter().find(|o| prefixes_overlap(p, o)) {
            let msg = format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(other)
            );
            c.reply.error(&msg);
            return false;
        }
    }
    true
}

/// Turns tracking on for `c` with `opts` (its flags and REDIRECT) and `prefixes` (Redis's
/// enableTracking). Called again while on, it replaces the flags and REDIRECT and adds the
/// prefixes to the ones the client has.
pub fn enable_tracking(srv: &mut Server, c: &mut Client, opts: ClientTracking, prefixes: &[Bytes]) {
    if !srv.tracking.enabled {
        srv.tracking.enabled = true;
        for db in &mut srv.dbs {
            db.changed_keys = Some(Vec::new());
        }
    }
    let t = match &mut c.tracking {
        Some(t) => t,
        None => {
            srv.tracking.clients += 1;
            c.tracking.insert(ClientTracking::default())
        }
    };
    let kept_prefixes = std::mem::take(&mut t.prefixes);
    let caching = t.caching;
    *t = ClientTracking {
        prefixes: kept_prefixes,
        caching,
        broken_redir: false,
        ..opts
    };
    if t.bcast {
        let (id, token) = (c.id, c.token);
        let empty = [Bytes::new()];
        let wanted = if prefixes.is_empty() {
            &empty[..]
        } else {
            prefixes
        };
        for p in wanted {
            if let Err(at) = t.prefixes.binary_search(p) {
                t.prefixes.insert(at, p.clone());
            }
            let bs = srv.tracking.prefixes.entry(p.clone()).or_default();
            if !bs.clients.iter().any(|&(i, _)| i == id) {
                bs.clients.push((id, token));
            }
        }
    }
}

/// Turns tracking off for `c` (Redis's disableTracking): CLIENT TRACKING OFF, RESET and
/// disconnection. Its BCAST registrations go; default-mode entries are left to be skipped.
pub fn disable_tracking(srv: &mut Server, c: &mut Client) {
    let Some(t) = c.tracking.take() else {
        return;
    };
    srv.tracking.clients -= 1;
    for p in &t.prefixes {
        if let Some(bs) = srv.tracking.prefixes.get_mut(p) {
            bs.clients.retain(|&(id, _)| id != c.id);
            if bs.clients.is_empty() {
                srv.tracking.prefixes.remove(p);
            }
        }
    }
}

/// After a read-only command of a tracking client, remembers the keys it read (Redis's
/// trackingRememberKeys). `server::call` calls it only for READONLY commands of clients with
/// tracking on.
pub fn tracking_remember_keys(srv: &mut Server, c: &Client, cmd: &crate::commands::Command) {
    let Some(t) = &c.tracking else { return };
    if t.bcast || (t.optin && !t.caching) || (t.optout && t.caching) {
        return;
    }
    // Shard channels are keys for cluster routing only: nothing to cache.
    if cmd.flags & crate::commands::flags::PUBSUB != 0 {
        return;
    }
    for key in crate::commands::introspection::command_keys(cmd, &c.argv) {
        let Some(name) = c.argv.get(key.pos) else {
            continue;
        };
        let ids = srv.tracking.table.entry(name.clone()).or_default();
        if !ids.iter().any(|&(id, _)| id == c.id) {
            ids.push((c.id, c.token));
            srv.tracking.total_items += 1;
        }
    }
}

/// Invalidates the keys every database logged as changed (`Db::changed_keys`): after each
/// command (`server::call`, so inside EXEC each queued command's own) with the running
/// client as writer, and in `before_sleep` for active expiry, with no writer. One test
/// while nobody has tracked.
pub fn tracking_invalidate_changed_keys(srv: &mut Server) {
    if !srv.tracking.enabled {
        return;
    }
    let writer = srv.tracking.current_client;
    for i in 0..srv.dbs.len() {
        let Some(log) = srv.dbs[i].changed_keys.as_mut() else {
            continue;
        };
        if log.is_empty() {
            continue;
        }
        let keys = std::mem::take(log);
        for key in &keys {
            tracking_invalidate_key(srv, key, writer);
        }
        // Give the log's memory back for the next command.
        if let Some(log) = srv.dbs[i].changed_keys.as_mut() {
            if log.is_empty() {
                *log = keys;
                log.clear();
            }
        }
    }
}

/// `key` was changed (Redis's trackingInvalidateKey), from the change log:
/// records it for the BCAST prefixes it matches, and invalidates it for every client that
/// read it, forgetting them. `modifier` is the id of the running client (whose command
/// changed it, or expired it lazily), 0 for the cron's expiry; BCAST's NOLOOP uses it. (Redis
/// records no modifier for an expiry at all, lazy or not: a NOLOOP BCAST client is told about
/// a key it expired lazily there, not here.)
fn tracking_invalidate_key(srv: &mut Server, key: &[u8], modifier: u64) {
    for (prefix, bs) in srv.tracking.prefixes.iter_mut() {
        if key.starts_with(prefix) {
            bs.keys.insert(Bytes::copy_from_slice(key), modifier);
        }
    }
    let Some(mut ids) = srv.tracking.table.remove(key) else {
        return;
    };
    srv.tracking.total_items -= ids.len();
    rax_id_order(&mut ids);
    let current = srv.tracking.current_client;
    for (id, token) in ids {
        let Some(target) = live_client(srv, id, token) else {
            // The running client, or gone.
            if id == current {
                srv.tracking.pending.push(Pending {
                    id,
                    token,
                    key: Some(Bytes::copy_from_slice(key)),
                });
            }
            continue;
        };
        // A client that switched to BCAST (after OFF) no longer wants default-mode messages.
        if !target.tracking.as_ref().is_some_and(|t| !t.bcast) {
            continue;
        }
        send_or_defer(srv, id, token, Some(key), false);
    }
}

/// The client `id` at `token` if it is in its slot (not running, not gone).
fn live_client(srv: &mut Server, id: u64, token: usize) -> Option<&mut Client> {
    match srv.clients.get_mut(token) {
        Some(Some(c)) if c.id == id => Some(c),
        _ => None,
    }
}

/// Sends a message for tracking client (id, token), which is in its slot, unless its
/// REDIRECT names the running client: then it waits in `pending`. `raw` means `key` is
/// ready-made protocol (a BCAST batch or a null).
fn send_or_defer(srv: &mut Server, id: u64, token: usize, key: Option<&[u8]>, raw: bool) {
    let Some(mut c) = crate::client::take_client(srv, token) else {
        return;
    };
    if c.id != id {
        return crate::client::put_client(srv, c);
    }
    let redirect = c.tracking.as_ref().map_or(0, |t| t.redirect);
    if redirect != 0 && redirect == srv.tracking.current_client && !raw {
        srv.tracking.pending.push(Pending {
            id,
            token,
            key: key.map(Bytes::copy_from_slice),
        });
    } else {
        let payload = payload_for(&c, key, raw);
        send_tracking_message(srv, &mut c, &payload, None);
    }
    crate::client::put_client(srv, c);
}

/// The "value" part of a message: `*1 key`, or `raw` protocol as is, or the null (in the
/// tracking client's protocol, as Redis's shared.null[c->resp], even when redirected).
fn payload_for(c: &Client, key: Option<&[u8]>, raw: bool) -> Vec<u8> {
    let mut r = Reply::default();
    r.resp = c.reply.resp;
    match key {
        Some(k) if raw => return k.to_vec(),
        Some(k) => {
            r.array_len(1);
            r.bulk(k);
        }
        None => r.null(),
    }
    r.pending().to_vec()
}

/// Writes one invalidation whose value is `payload` for tracking client `c`, following its
/// REDIRECT (Redis's sendTrackingMessage). `running` is the running client, when `c` is not
/// it and the REDIRECT may name it.
fn send_tracking_message(
    srv: &mut Server,
    c: &mut Client,
    payload: &[u8],
    running: Option<&mut Client>,
) {
    let Some(t) = &mut c.tracking else { return };
    if t.redirect == 0 {
        write_message(&mut srv.pending_writes, c, payload, false);
        return;
    }
    let (redirect, redirect_token) = (t.redirect, t.redirect_token);
    if let Some(r) = running.filter(|r| r.id == redirect) {
        write_message(&mut srv.pending_writes, r, payload, true);
        return;
    }
    if redirect == c.id {
        write_message(&mut srv.pending_writes, c, payload, true);
        return;
    }
    match srv.clients.get_mut(redirect_token) {
        Some(Some(r)) if r.id == redirect => {
            write_message(&mut srv.pending_writes, r, payload, true);
        }
        _ => {
            // The target is gone: tell a RESP3 client once per message, as Redis does.
            t.broken_redir = true;
            if c.reply.resp > 2 {
                c.reply.push_len(2);
                c.reply.bulk(b"tracking-redir-broken");
                c.reply.int(redirect as i64);
                queue_write_on(&mut srv.pending_writes, c);
            }
        }
    }
}

/// Appends `>2 invalidate payload` (RESP3), or for a redirect target in RESP2 with
/// subscriptions `*3 message __redis__:invalidate payload`; nothing otherwise.
fn write_message(
    pending_writes: &mut Vec<usize>,
    to: &mut Client,
    payload: &[u8],
    redirected: bool,
) {
    if to.close_asap {
        return;
    }
    if to.reply.resp > 2 {
        to.reply.push_len(2);
        to.reply.bulk(b"invalidate");
    } else if redirected && to.pubsub.is_subscribed() {
        to.reply.push_len(3);
        to.reply.bulk(b"message");
        to.reply.bulk(TRACKING_CHANNEL);
    } else {
        return;
    }
    to.reply.raw(payload);
    queue_write_on(pending_writes, to);
}

/// Sends the messages owed to the running client `c` once its reply is written (Redis's
/// trackingHandlePendingKeyInvalidations), and marks that no command runs any more.
pub fn tracking_handle_pending_key_invalidations(srv: &mut Server, c: &mut Client) {
    srv.tracking.current_client = 0;
    if srv.tracking.pending.is_empty() {
        return;
    }
    for p in std::mem::take(&mut srv.tracking.pending) {
        if p.id == c.id {
            // NOLOOP: nothing about the client's own writes (a flush is still sent); a client
            // now in BCAST mode no longer gets default-mode messages.
            if p.key.is_some() && !c.tracking.as_ref().is_some_and(|t| !t.noloop && !t.bcast) {
                continue;
            }
            let payload = payload_for(c, p.key.as_deref(), false);
            send_tracking_message(srv, c, &payload, None);
        } else if let Some(mut other) = crate::client::take_client(srv, p.token) {
            if other.id == p.id {
                let payload = payload_for(&other, p.key.as_deref(), false);
                send_tracking_message(srv, &mut other, &payload, Some(c));
            }
            crate::client::put_client(srv, other);
        }
    }
}

/// FLUSHDB / FLUSHALL: every tracking client is told that everything it cached is gone (a
/// null key list), and the table is emptied (Redis's trackingInvalidateKeysOnFlush).
pub fn tracking_invalidate_keys_on_flush(srv: &mut Server) {
    if srv.tracking.clients > 0 {
        let current = srv.tracking.current_client;
        let mut targets: Vec<(u64, usize)> = srv
            .clients
            .iter()
            .filter_map(|(token, slot)| match slot {
                Some(c) if c.tracking.is_some() => Some((c.id, token)),
                _ => None,
            })
            .collect();
        // Redis walks its client list: connection order, which is id order.
        targets.sort_unstable();
        for (id, token) in targets {
            send_or_defer(srv, id, token, None, false);
        }
        // The running client (out of its slot) gets its own after its reply; if it does
        // not track, the message is dropped when sent.
        if current != 0 {
            srv.tracking.pending.push(Pending {
                id: current,
                token: usize::MAX,
                key: None,
            });
        }
    }
    srv.tracking.table.clear();
    srv.tracking.total_items = 0;
}

/// Sends each BCAST prefix's batch of changed keys to its clients and starts new batches
/// (Redis's trackingBroadcastInvalidationMessages, from `before_sleep`).
pub fn tracking_broadcast_invalidation_messages(srv: &mut Server) {
    // Keys expired by the cron since the last command.
    srv.tracking.current_client = 0;
    tracking_invalidate_changed_keys(srv);
    if srv.tracking.clients == 0 || srv.tracking.prefixes.is_empty() {
        return;
    }
    type Batch = (Vec<(u64, usize)>, BTreeMap<Bytes, u64>);
    let batches: Vec<Batch> = srv
        .tracking
        .prefixes
        .values_mut()
        .filter(|bs| !bs.keys.is_empty())
        .map(|bs| (bs.clients.clone(), std::mem::take(&mut bs.keys)))
        .collect();
    for (mut clients, keys) in batches {
        rax_id_order(&mut clients);
        for (id, token) in clients {
            let Some(c) = live_client(srv, id, token) else {
                continue;
            };
            let noloop = c.tracking.as_ref().is_some_and(|t| t.noloop);
            let sent: Vec<&Bytes> = keys
                .iter()
                .filter(|&(_, &by)| !(noloop && by == id))
                .map(|(k, _)| k)
                .collect();
            if sent.is_empty() {
                continue;
            }
            let mut r = Reply::default();
            r.resp = c.reply.resp;
            r.array_len(sent.len());
            for k in sent {
                r.bulk(k);
            }
            let payload = r.pending().to_vec();
            send_or_defer(srv, id, token, Some(&payload), true);
        }
    }
}
