//! Transactions (Redis's multi.c): MULTI, EXEC, DISCARD, WATCH, UNWATCH, and the state they
//! keep on the client and in the databases.
//!
//! **Queueing.** MULTI gives the client a [`MultiState`]. From then on `process_command`
//! (server.rs) checks each request as usual (lookup, arity, authentication, `no_multi`) and,
//! instead of calling it, hands it to [`queue_multi_command`], which keeps the command row and
//! its arguments and replies `+QUEUED`. Only EXEC, DISCARD, MULTI, WATCH, QUIT and RESET run
//! at once ([`runs_inside_multi`], Redis's list in processCommand). A request rejected while
//! queueing (unknown command, wrong arity, NOAUTH, a `no_multi` command) is replied to and
//! flags the transaction ([`flag_transaction`], Redis's CLIENT_DIRTY_EXEC): its EXEC then
//! answers `-EXECABORT` and runs nothing. Errors a command's own handler would give (WATCH
//! inside MULTI, a nested MULTI) do not flag it, as in Redis.
//!
//! **EXEC** runs the queued commands one after the other through `server::call`, the path
//! every command takes (so stats count each of them), inside one reply array; a command's
//! runtime error is just its element of that array. Nothing else runs in between: clients
//! blocked on keys the transaction pushed to are served by `process_command` after EXEC as a
//! whole, and a blocking command inside it does not block ([`Client::may_block`]).
//!
//! **WATCH** is optimistic locking. Each database maps a watched key to its [`Watcher`]s
//! (`Db::watched_keys`), and each client lists what it watches (`Client::watched_keys`). A
//! write command that changes a key calls `db::signal_modified_key`, which marks the key's
//! watchers dirty (Redis's CLIENT_DIRTY_CAS); so does the deletion of an expired key;
//! FLUSHDB, FLUSHALL and SWAPDB touch every watched key that existed
//! (`Db::touch_all_watched_keys_in_db`). EXEC of a client with a dirty watcher, or one of
//! whose watched keys has expired since WATCH, replies the null array. A key that had
//! already expired when it was watched is treated as missing: its deletion changes nothing.
//!
//! The dirty flag lives on the watch entry, not the client: the client that modifies a key
//! may be the watcher itself, which is out of `Server::clients` while its command runs, and
//! "is any of my entries dirty" is exactly Redis's per-client flag, since EXEC, DISCARD,
//! UNWATCH and RESET drop every entry at once. (Redis also drops a client's watches as soon
//! as it is dirty, to save work; rredis keeps them until then, which no reply can tell.)

use bytes::Bytes;

use crate::client::Client;
use crate::commands::{acl, flags::*, Command, NO_KEYS};
use crate::server::{call, Server};

/// This module's rows of the command table (as COMMAND INFO prints them on Redis 7.0).
pub static COMMANDS: &[Command] = &[
    Command::new(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        NO_KEYS,
        acl::TRANSACTION,
        multi_command,
    ),
    Command::new(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        NO_KEYS,
        acl::TRANSACTION,
        exec_command,
    ),
    Command::new(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        NO_KEYS,
        acl::TRANSACTION,
        discard_command,
    ),
    Command::new(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (1, -1, 1),
        acl::TRANSACTION,
        watch_command,
    ),
    Command::new(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        NO_KEYS,
        acl::TRANSACTION,
        unwatch_command,
    ),
];

/// The reply of EXEC after a command was rejected while queueing (Redis's
/// shared.execaborterr).
const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// A transaction being queued (Redis's multiState plus the CLIENT_DIRTY_EXEC flag). Lives in
/// `Client::multi` from MULTI until EXEC, DISCARD or RESET ends it.
#[derive(Default)]
pub struct MultiState {
    /// The queued commands, in order.
    pub commands: Vec<MultiCmd>,
    /// A command was rejected while queueing: EXEC must fail with EXECABORT. Once set,
    /// nothing more is queued (Redis saves the memory too; CLIENT LIST's `multi=` shows it).
    pub dirty_exec: bool,
}

/// One queued command: its resolved table row and its arguments, name first.
pub struct MultiCmd {
    pub cmd: &'static Command,
    pub argv: Vec<Bytes>,
}

/// A client WATCHing a key, as one entry of `Db::watched_keys` (Redis's watchedKey). The
/// client is named by token *and* id, so a slab slot reused by a later connection is never
/// mistaken for it (entries are removed when the client goes anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watcher {
    pub token: usize,
    pub id: u64,
    /// The key was modified since this client watched it (Redis's CLIENT_DIRTY_CAS).
    pub dirty: bool,
    /// The key had already expired (but was not deleted yet) when WATCH ran, so its
    /// deletion is no change for this client (Redis's watchedKey.expired).
    pub expired: bool,
}

/// True for the commands that run at once even inside MULTI instead of being queued
/// (Redis's processCommand: EXEC, DISCARD, MULTI, WATCH, QUIT, RESET).
pub fn runs_inside_multi(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Queues the request in `c.argv` as the next command of the transaction and replies
/// `+QUEUED` (Redis's queueMultiCommand). A transaction that can no longer succeed (flagged,
/// or a watched key was touched) keeps no more commands, as in Redis.
pub fn queue_multi_command(srv: &Server, c: &mut Client, cmd: &'static Command) {
    let doomed = c.multi.as_ref().is_some_and(|m| m.dirty_exec) || is_dirty_cas(srv, c);
    if !doomed {
        let argv = std::mem::take(&mut c.argv.0);
        if let Some(multi) = c.multi.as_mut() {
            multi.commands.push(MultiCmd { cmd, argv });
        }
    }
    c.reply.status("QUEUED");
}

/// Flags the transaction so EXEC fails with EXECABORT (Redis's flagTransaction): called for
/// every request rejected before it could be queued. Does nothing outside MULTI.
pub fn flag_transaction(c: &mut Client) {
    if let Some(multi) = c.multi.as_mut() {
        multi.dirty_exec = true;
    }
}

/// Ends the transaction without running it: drops the queue and every WATCH (Redis's
/// discardTransaction). Used by EXEC, DISCARD, RESET and a rejected EXEC.
pub fn discard_transaction(srv: &mut Server, c: &mut Client) {
    c.multi = None;
    unwatch_all_keys(srv, c);
}

/// The reply of an EXEC rejected before it ran (wrong arity, NOAUTH): the transaction is
/// discarded, even outside MULTI, and the reason given after `EXECABORT` (Redis's
/// execCommandAbort). `error` is the rejection's error line, whose generic `ERR ` code is
/// left out as Redis does (`NOAUTH ...` keeps its code).
pub fn exec_command_abort(srv: &mut Server, c: &mut Client, error: &str) {
    discard_transaction(srv, c);
    let reason = error.strip_prefix("ERR ").unwrap_or(error);
    c.reply.error(&format!(
        "EXECABORT Transaction discarded because of: {reason}"
    ));
}

/// MULTI: starts queueing.
fn multi_command(_srv: &mut Server, c: &mut Client) {
    if c.multi.is_some() {
        return c.reply.error("ERR MULTI calls can not be nested");
    }
    c.multi = Some(MultiState::default());
    c.reply.ok();
}

/// DISCARD: drops the queued commands and the watches.
fn discard_command(srv: &mut Server, c: &mut Client) {
    if c.multi.is_none() {
        return c.reply.error("ERR DISCARD without MULTI");
    }
    discard_transaction(srv, c);
    c.reply.ok();
}

/// EXEC: runs the queued commands and replies their replies as one array (Redis's
/// execCommand); EXECABORT if a command was rejected while queueing, the null array if a
/// watched key was modified. The watches go first ("unwatch ASAP"), so the transaction's own
/// writes touch nobody's entries of this client; the transaction state stays on the client
/// while its commands run, as in Redis, and goes once they are done.
fn exec_command(srv: &mut Server, c: &mut Client) {
    let Some((dirty_exec, count)) = c.multi.as_ref().map(|m| (m.dirty_exec, m.commands.len()))
    else {
        return c.reply.error("ERR EXEC without MULTI");
    };
    if dirty_exec {
        discard_transaction(srv, c);
        return c.reply.error(EXECABORT);
    }
    if is_dirty_cas(srv, c) || is_watched_key_expired(srv, c) {
        discard_transaction(srv, c);
        return c.reply.null_array();
    }
    unwatch_all_keys(srv, c);
    let was_denied = c.deny_blocking;
    c.deny_blocking = true;
    let exec_argv = std::mem::take(&mut c.argv.0);
    c.reply.array_len(count);
    for j in 0..count {
        // Each command gets its own copy of its arguments (reference counts, not bytes):
        // the queue stays whole while it runs, for CLIENT INFO's `multi=`.
        let Some((cmd, argv)) = c
            .multi
            .as_ref()
            .and_then(|m| m.commands.get(j))
            .map(|q| (q.cmd, q.argv.clone()))
        else {
            break;
        };
        c.argv.0 = argv;
        // Permissions may have changed since the command was queued (Redis's execCommand).
        match crate::acl::check_all_perm(srv, c, cmd) {
            Ok(()) => call(srv, c, cmd),
            Err(reason) => c.reply.error(&crate::acl::exec_noperm_error(reason)),
        }
    }
    c.argv.0 = exec_argv;
    c.deny_blocking = was_denied;
    discard_transaction(srv, c);
}

/// WATCH key [key ...]: watches the keys of the selected database until EXEC, DISCARD,
/// UNWATCH or RESET. Not allowed inside MULTI (the error does not flag the transaction). A
/// client already dirty gains nothing by watching more, so it does not (as Redis).
fn watch_command(srv: &mut Server, c: &mut Client) {
    if c.multi.is_some() {
        return c.reply.error("ERR WATCH inside MULTI is not allowed");
    }
    if !is_dirty_cas(srv, c) {
        for j in 1..c.argv.len() {
            let key = c.argv.arg_bytes(j);
            watch_for_key(srv, c, key);
        }
    }
    c.reply.ok();
}

/// UNWATCH: forgets every watched key (and so whether one was touched).
fn unwatch_command(srv: &mut Server, c: &mut Client) {
    unwatch_all_keys(srv, c);
    c.reply.ok();
}

/// Watches `key` in the client's selected database, unless it already does (Redis's
/// watchForKey).
fn watch_for_key(srv: &mut Server, c: &mut Client, key: Bytes) {
    let db = c.db;
    if c.watched_keys.iter().any(|(d, k)| *d == db && *k == key) {
        return;
    }
    let now = srv.now_ms;
    let Some(d) = srv.dbs.get_mut(db) else {
        return;
    };
    let expired = d.is_expired(&key, now);
    d.watched_keys
        .entry(key.clone())
        .or_default()
        .push(Watcher {
            token: c.token,
            id: c.id,
            dirty: false,
            expired,
        });
    c.watched_keys.push((db, key));
}

/// Drops every watch of `c`, on both sides (Redis's unwatchAllKeys). Also run when the
/// client is freed, so no entry ever names a gone client.
pub fn unwatch_all_keys(srv: &mut Server, c: &mut Client) {
    for (db, key) in c.watched_keys.drain(..) {
        let Some(d) = srv.dbs.get_mut(db) else {
            continue;
        };
        if let Some(watchers) = d.watched_keys.get_mut(&key) {
            watchers.retain(|w| !(w.token == c.token && w.id == c.id));
            if watchers.is_empty() {
                d.watched_keys.remove(&key);
            }
        }
    }
}

/// True if a key `c` watches has expired since it watched it, though nothing deleted it yet
/// (Redis's isWatchedKeyExpired): EXEC fails then too. Keys already expired at WATCH time
/// do not count.
fn is_watched_key_expired(srv: &Server, c: &Client) -> bool {
    let now = srv.now_ms;
    c.watched_keys.iter().any(|(db, key)| {
        srv.dbs.get(*db).is_some_and(|d| {
            d.is_expired(key, now)
                && d.watched_keys
                    .get(key)
                    .is_some_and(|ws| ws.iter().any(|w| w.id == c.id && !w.expired))
        })
    })
}

/// True if a key `c` watches was modified since it watched it (Redis's CLIENT_DIRTY_CAS;
/// CLIENT LIST's `d` flag).
pub fn is_dirty_cas(srv: &Server, c: &Client) -> bool {
    c.watched_keys.iter().any(|(db, key)| {
        srv.dbs
            .get(*db)
            .and_then(|d| d.watched_keys.get(key))
            .is_some_and(|ws| ws.iter().any(|w| w.id == c.id && w.dirty))
    })
}
