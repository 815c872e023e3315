//! CLIENT PAUSE (Redis's pauseClients / unpauseClients / blockPostponeClient in
//! networking.c and blocked.c): for a while, the server runs no write commands (`WRITE`) or
//! no commands at all (`ALL`), so an operator can fail over or snapshot a quiet dataset.
//!
//! A command that the pause covers is not refused but *postponed*: `process_command` parks
//! its client ([`postpone_client`]) with the request still in `Client::argv`, and the client
//! reads no further requests. When the pause ends (CLIENT UNPAUSE, or its deadline, checked
//! before the loop sleeps), [`handle_unpaused_clients`] runs each parked request again from
//! the top of `process_command`, in the order they were parked. While a pause lasts keys do
//! not expire either: they read as missing but stay in place, so the dataset does not change
//! under the operator (Redis's checkClientPauseTimeoutAndReturnIfPaused in expireIfNeeded
//! and the active expiry cycle).

use crate::client::{put_client, queue_pending, queue_write, take_client, Client};
use crate::commands::{flags, Command};
use crate::server::{account_error_replies, process_command, Server};

/// What a pause stops. `All` is the stronger: a second CLIENT PAUSE can upgrade `Write` to
/// `All` but never the other way (the derived order is used for that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseKind {
    /// Commands that may change the dataset (`write` or `may_replicate` flags, and an EXEC
    /// that queued one).
    Write,
    /// Every command.
    All,
}

/// The pause in force, owned by the `Server` (`Server::client_pause`) while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientPause {
    pub kind: PauseKind,
    /// Unix ms at which the pause ends by itself.
    pub end_ms: i64,
}

/// Starts a pause, or widens the one in force: the stronger kind and the later end win
/// (Redis's pauseClients).
pub fn pause_clients(srv: &mut Server, kind: PauseKind, end_ms: i64) {
    srv.client_pause = Some(match srv.client_pause {
        Some(p) => ClientPause {
            kind: p.kind.max(kind),
            end_ms: p.end_ms.max(end_ms),
        },
        None => ClientPause { kind, end_ms },
    });
}

/// Ends the pause; the parked clients run their requests before the loop next sleeps.
pub fn unpause_clients(srv: &mut Server) {
    srv.client_pause = None;
}

/// True while keys must not expire (any pause in force), ending a pause whose time is up
/// (Redis's checkClientPauseTimeoutAndReturnIfPaused).
pub fn check_client_pause_timeout(srv: &mut Server) -> bool {
    match srv.client_pause {
        Some(p) if p.end_ms <= srv.now_ms => {
            unpause_clients(srv);
            false
        }
        Some(_) => true,
        None => false,
    }
}

/// True if the pause in force covers `cmd` sent by `c`.
pub fn pause_covers(srv: &Server, c: &Client, cmd: &Command) -> bool {
    let Some(pause) = srv.client_pause else {
        return false;
    };
    let may_replicate = flags::WRITE | flags::MAY_REPLICATE;
    pause.kind == PauseKind::All
        || cmd.flags & may_replicate != 0
        || (cmd.name == "exec"
            && c.multi
                .as_ref()
                .is_some_and(|m| m.commands.iter().any(|q| q.cmd.flags & may_replicate != 0)))
}

/// Parks `c` with its current request until the pause ends.
pub fn postpone_client(srv: &mut Server, c: &mut Client) {
    c.postponed = true;
    srv.paused_clients.push(c.token);
}

/// Once no pause is in force, runs the requests of the clients parked by
/// [`postpone_client`], then lets each read on (Redis's processUnblockedClients for
/// BLOCKED_POSTPONE). Called before the loop sleeps, never from inside a command.
pub fn handle_unpaused_clients(srv: &mut Server) {
    if srv.paused_clients.is_empty() || check_client_pause_timeout(srv) {
        return;
    }
    for token in std::mem::take(&mut srv.paused_clients) {
        let Some(mut c) = take_client(srv, token) else {
            continue;
        };
        c.postponed = false;
        if !c.close_asap {
            process_command(srv, &mut c);
            account_error_replies(srv, &mut c);
            if !c.postponed && !c.querybuf.is_empty() {
                queue_pending(srv, &mut c);
            }
            if c.reply.pending_len() > 0 {
                queue_write(srv, &mut c);
            }
        }
        put_client(srv, c);
    }
}

/// Forgets a parked client that is going away.
pub fn remove_postponed_client(srv: &mut Server, c: &mut Client) {
    if c.postponed {
        c.postponed = false;
        srv.paused_clients.retain(|&t| t != c.token);
    }
}
