//! Clients parked by a blocking command until a key gets a value (Redis's blocked.c).
//!
//! BLPOP and its relatives first try to serve themselves at once. When every key they name is
//! empty, the handler calls [`block_for_keys`]: the client gets a [`BlockState`], is queued on
//! each key in its database's `Db::blocking_keys`, and (with a timeout) in
//! `Blocked::timeouts`. While blocked, its input is still read (so a disconnect is noticed)
//! but no further request is run: it is *parked*, not polled.
//!
//! Three things end the wait:
//! - **a key is created** (`Db::add` / `Db::set_key` put a key somebody waits on in
//!   `Db::ready_keys`). After every command, [`handle_clients_blocked_on_keys`] walks the
//!   ready keys and offers each one to the clients waiting on it, first come first served,
//!   through the [`ServeFn`] the blocking command left behind. A push inside a transaction
//!   or an LMOVE is therefore seen only once the whole command has run, and a woken client
//!   can take the pushed element before the pusher's next command (Redis 7.0's semantics:
//!   the client is served from the key that became ready, not re-run against all its keys);
//! - **its timeout**: [`handle_blocked_clients_timeout`] runs before the loop sleeps, and the
//!   loop never sleeps past the earliest deadline ([`next_deadline`]);
//! - **CLIENT UNBLOCK** or a disconnect ([`unblock_client`]).
//!
//! When unblocked, a client's already-read input is run in the next turn (the loop's
//! pending list), as Redis's processUnblockedClients does.

use std::collections::{BTreeSet, VecDeque};

use bytes::Bytes;

use crate::client::{put_client, queue_pending, queue_write, take_client, Client};
use crate::server::Server;
use crate::util::LongDouble;

/// Tries to serve a blocked client from `key`, which was just created in its database:
/// replies and returns true if it could (the client is then unblocked), false to keep it
/// waiting (the key holds another type, or was emptied by an earlier client). It reads the
/// blocking command's options again from `c.argv`, which is kept while the client waits.
pub type ServeFn = fn(&mut Server, &mut Client, &[u8]) -> bool;

/// Why and how a client waits. Lives in `Client::blocked` from [`block_for_keys`] until
/// [`unblock_client`].
#[derive(Debug)]
pub struct BlockState {
    /// Database of the keys (the client's selected one when it blocked).
    pub db: usize,
    /// The keys waited on, without duplicates, in argument order. The client is queued on
    /// exactly these in `Db::blocking_keys`.
    pub keys: Vec<Bytes>,
    /// Unix ms after which the wait ends with [`BlockState::timeout_reply`]; `None`: never.
    pub deadline: Option<i64>,
    /// Serves the client when one of its keys becomes ready.
    pub serve: ServeFn,
}

/// A client as queued on a key: its token (to find it) and id (so a slab slot reused by a
/// later connection is never mistaken for it; entries are removed on unblock anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BlockedRef {
    pub token: usize,
    pub id: u64,
}

/// Server-wide bookkeeping of blocked clients.
#[derive(Debug, Default)]
pub struct Blocked {
    /// Number of blocked clients (INFO's blocked_clients). Zero means no key can be ready,
    /// which lets every command skip [`handle_clients_blocked_on_keys`] with one comparison.
    pub count: usize,
    /// Deadlines of the clients that have one, earliest first (Redis's timeout radix tree;
    /// its size is INFO's clients_in_timeout_table).
    pub timeouts: BTreeSet<(i64, BlockedRef)>,
}

/// Parses a blocking command's timeout, in seconds, and replies with Redis's error when it
/// is invalid. `Some(None)`: wait forever; `Some(Some(deadline))`: unix ms.
pub fn get_timeout_or_reply(srv: &Server, c: &mut Client, arg: usize) -> Option<Option<i64>> {
    match timeout_ms(c.argv.arg(arg)) {
        Ok(0) => Some(None),
        Ok(ms) => Some(Some(ms.saturating_add(srv.now_ms))),
        Err(msg) => {
            c.reply.error(msg);
            None
        }
    }
}

/// A timeout in seconds as whole milliseconds, as Redis 7.0 reads it
/// (getTimeoutFromObjectOrReply): a long double, rounded *up*, so `0.0001` waits 1 ms rather
/// than forever; `0`, and a negative value that rounds to 0, wait forever.
fn timeout_ms(arg: &[u8]) -> Result<i64, &'static str> {
    let seconds = LongDouble::parse(arg).ok_or("ERR timeout is not a float or out of range")?;
    let ms = (seconds.to_f64() * 1000.0).ceil();
    // C's conversion of a value beyond `long long` gives LLONG_MIN, which Redis then
    // reports as negative (`1e20`, `inf`). (Within a few ms of 2^63 ms, ~292 million years,
    // a double cannot tell which side of the limit a timeout is; Redis computes in long
    // double there.)
    if ms < 0.0 || ms >= i64::MAX as f64 {
        return Err("ERR timeout is negative");
    }
    Ok(ms as i64)
}

/// Parks `c` on `keys` (Redis's blockForKeys). The caller has found every key empty and
/// written nothing; the reply comes from `serve`, the timeout or CLIENT UNBLOCK.
pub fn block_for_keys(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    deadline: Option<i64>,
    serve: ServeFn,
) {
    let me = BlockedRef {
        token: c.token,
        id: c.id,
    };
    let mut unique: Vec<Bytes> = Vec::with_capacity(keys.len());
    for key in keys {
        if !unique.contains(key) {
            unique.push(key.clone());
        }
    }
    if let Some(db) = srv.dbs.get_mut(c.db) {
        for key in &unique {
            db.blocking_keys
                .entry(key.clone())
                .or_default()
                .push_back(me);
        }
    }
    if let Some(when) = deadline {
        srv.blocked.timeouts.insert((when, me));
    }
    srv.blocked.count += 1;
    c.blocked = Some(BlockState {
        db: c.db,
        keys: unique,
        deadline,
        serve,
    });
}

/// The common step of the blocking pops (Redis's blockingPopGenericCommand and
/// blockingGenericZpopCommand, after the timeout is parsed): the first of `keys` holding the
/// type `access` names is served at once through `serve`, a key of another type stops with
/// WRONGTYPE, and when none exists the client waits on all of them — except inside EXEC,
/// where it gets the null array a timeout would give, without waiting (Redis 7.0).
pub fn serve_or_block_for_keys<T: ?Sized>(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    deadline: Option<i64>,
    access: fn(&mut crate::types::Value) -> Option<&mut T>,
    serve: ServeFn,
) {
    match crate::commands::first_key_of_type(srv, c, keys, access) {
        Err(crate::commands::WrongType) => {}
        Ok(Some(i)) => {
            if let Some(key) = keys.get(i) {
                serve(srv, c, key);
            }
        }
        Ok(None) if !c.may_block() => c.reply.null_array(),
        Ok(None) => block_for_keys(srv, c, keys, deadline, serve),
    }
}

/// Ends `c`'s wait without replying (the caller has replied, or the client is going away):
/// takes it off every key queue and the timeout table, and schedules its pending input
/// (Redis's unblockClient).
pub fn unblock_client(srv: &mut Server, c: &mut Client) {
    let Some(state) = c.blocked.take() else {
        return;
    };
    let me = BlockedRef {
        token: c.token,
        id: c.id,
    };
    if let Some(db) = srv.dbs.get_mut(state.db) {
        for key in &state.keys {
            if let Some(queue) = db.blocking_keys.get_mut(key) {
                queue.retain(|r| *r != me);
                if queue.is_empty() {
                    db.blocking_keys.remove(key);
                }
            }
        }
    }
    if let Some(when) = state.deadline {
        srv.blocked.timeouts.remove(&(when, me));
    }
    srv.blocked.count = srv.blocked.count.saturating_sub(1);
    if !c.querybuf.is_empty() {
        queue_pending(srv, c);
    }
}

/// Serves the clients waiting on keys created by the command that just ran (Redis's
/// handleClientsBlockedOnKeys). Serving may create more ready keys (BLMOVE pushes to its
/// destination), so this repeats until none is left.
pub fn handle_clients_blocked_on_keys(srv: &mut Server) {
    loop {
        let mut ready: Vec<(usize, Bytes)> = Vec::new();
        for (index, db) in srv.dbs.iter_mut().enumerate() {
            ready.extend(db.ready_keys.drain(..).map(|key| (index, key)));
        }
        if ready.is_empty() {
            return;
        }
        for (db, key) in ready {
            serve_clients_blocked_on_key(srv, db, &key);
        }
    }
}

/// Offers `key` to each client waiting on it, in arrival order, until the key is gone.
fn serve_clients_blocked_on_key(srv: &mut Server, db: usize, key: &Bytes) {
    let waiting: Vec<BlockedRef> = match srv.dbs.get(db).and_then(|d| d.blocking_keys.get(key)) {
        Some(queue) => queue.iter().copied().collect(),
        None => return,
    };
    for waiter in waiting {
        if !srv
            .dbs
            .get(db)
            .is_some_and(|d| d.dict.contains_key(&key[..]))
        {
            return;
        }
        let Some(mut c) = take_client(srv, waiter.token) else {
            continue;
        };
        if c.id == waiter.id && c.blocked.as_ref().is_some_and(|b| b.db == db) {
            if let Some(serve) = c.blocked.as_ref().map(|b| b.serve) {
                // Each served client is an execution unit of its own: its pop is
                // propagated in the non-blocking form the serve function rewrote it to.
                let unit = crate::propagate::begin(srv);
                let served = serve(srv, &mut c, key);
                crate::propagate::end(srv, unit, c.db, &c.argv, true);
                if served {
                    unblock_client(srv, &mut c);
                    queue_write(srv, &mut c);
                }
            }
        }
        put_client(srv, c);
    }
}

/// Replies "timed out" to every client whose deadline has passed (Redis's
/// handleBlockedClientsTimeout, run before the loop sleeps).
pub fn handle_blocked_clients_timeout(srv: &mut Server) {
    let now = srv.now_ms;
    while let Some(&(when, waiter)) = srv.blocked.timeouts.first() {
        // A deadline is the last millisecond of the wait, as in Redis.
        if when >= now {
            return;
        }
        srv.blocked.timeouts.pop_first();
        let Some(mut c) = take_client(srv, waiter.token) else {
            continue;
        };
        if c.id == waiter.id {
            reply_to_blocked_client_timeout(srv, &mut c);
        }
        put_client(srv, c);
    }
}

/// Ends a client's wait with the "timed out" reply (also CLIENT UNBLOCK TIMEOUT). It is the
/// null array for every list and sorted-set command, BLMOVE included (Redis's
/// replyToBlockedClientTimedOut).
pub fn reply_to_blocked_client_timeout(srv: &mut Server, c: &mut Client) {
    if c.blocked.is_some() {
        c.reply.null_array();
        unblock_client(srv, c);
        queue_write(srv, c);
    }
}

/// The earliest deadline of a blocked client, for the loop's poll timeout.
pub fn next_deadline(srv: &Server) -> Option<i64> {
    srv.blocked.timeouts.first().map(|&(when, _)| when)
}

/// The clients waiting on one key, in arrival order.
pub type WaitQueue = VecDeque<BlockedRef>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The timeouts Redis 7.0.15 was asked, with what it did.
    #[test]
    fn timeouts_parse_as_redis() {
        let negative = Err("ERR timeout is negative");
        let not_float = Err("ERR timeout is not a float or out of range");
        let cases: &[(&str, Result<i64, &str>)] = &[
            ("0", Ok(0)),
            ("1", Ok(1000)),
            ("0.0001", Ok(1)),
            ("0.0015", Ok(2)),
            ("-0", Ok(0)),
            ("-0.0001", Ok(0)),
            ("0x10", Ok(16_000)),
            ("-1", negative),
            ("1e20", negative),
            ("inf", negative),
            ("nan", not_float),
            ("abc", not_float),
            (" 1", not_float),
            ("1 ", not_float),
            ("", not_float),
        ];
        for &(input, expected) in cases {
            assert_eq!(timeout_ms(input.as_bytes()), expected, "{input:?}");
        }
    }
}
