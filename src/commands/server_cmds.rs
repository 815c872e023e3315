//! Server and connection-administration commands: CLIENT, INFO, CONFIG, TIME, LASTSAVE,
//! SHUTDOWN (Redis keeps these in networking.c, server.c, config.c and rdb.c).
//!
//! They report on the server itself rather than on keys: who is connected, what the counters
//! say, how the server is configured. Two things shape them:
//! - the running client is taken out of `Server::clients` while its handler runs, so anything
//!   that lists or counts clients adds the caller (`me`) to what it finds in the slab;
//! - their text output (INFO, CLIENT LIST) is parsed by client libraries and monitoring tools,
//!   so field names, order and separators follow Redis 7.0 exactly, and a value rredis does
//!   not track is reported as the value a Redis without that feature would report (zero, no
//!   pub/sub, no replication) rather than invented.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::mem::size_of;
use std::os::fd::AsRawFd;

use bytes::Bytes;

use crate::blocked::{reply_to_blocked_client_timeout, unblock_client};
use crate::client::{close_client_async, put_client, queue_write, take_client, Client, ReplyMode};
use crate::commands::memory::{memory_overhead, ratio};
use crate::commands::multi::{is_dirty_cas, MultiCmd};
use crate::commands::{
    acl, container_command, errors, flags::*, subcommand_syntax_error, Command, NO_KEYS,
};
use crate::commandstats::CommandStats;
use crate::config::{config_set, format_percentile, lookup_config, ConfigSetError, CONFIGS};
use crate::pause::{pause_clients, unpause_clients, PauseKind};
use crate::persist::fork::ChildKind;
use crate::server::{prepare_for_shutdown, Server, ShutdownFlags};
use crate::tracking::{
    check_prefix_collisions_or_reply, disable_tracking, enable_tracking, ClientTracking,
};
use crate::util::{now_ms, now_us, parse_i64, string_match};

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command::new("client", -2, 0, NO_KEYS, 0, container_command)
        .with_subcommands(CLIENT_SUBCOMMANDS),
    Command::new(
        "info",
        -1,
        LOADING | STALE,
        NO_KEYS,
        acl::DANGEROUS,
        info_command,
    ),
    Command::new("config", -2, 0, NO_KEYS, 0, container_command)
        .with_subcommands(CONFIG_SUBCOMMANDS),
    Command::new("time", 1, LOADING | STALE | FAST, NO_KEYS, 0, time_command),
    Command::new(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        NO_KEYS,
        acl::ADMIN | acl::DANGEROUS,
        lastsave_command,
    ),
    Command::new(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        NO_KEYS,
        0,
        shutdown_command,
    ),
    Command::new(
        "bgrewriteaof",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        NO_KEYS,
        0,
        crate::persist::aof::bgrewriteaof_command,
    ),
];

/// CLIENT's subcommands. PAUSE, REPLY and the rest arrive with the features they
/// control; until then they answer as unknown subcommands.
static CLIENT_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "client|id",
        2,
        NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_id_command,
    ),
    Command::new(
        "client|info",
        2,
        NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_info_command,
    ),
    Command::new(
        "client|list",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_list_command,
    ),
    Command::new(
        "client|kill",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_kill_command,
    ),
    Command::new(
        "client|setname",
        3,
        NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_setname_command,
    ),
    Command::new(
        "client|getname",
        2,
        NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_getname_command,
    ),
    Command::new(
        "client|unblock",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_unblock_command,
    ),
    Command::new(
        "client|pause",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_pause_command,
    ),
    Command::new(
        "client|unpause",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_unpause_command,
    ),
    Command::new(
        "client|reply",
        3,
        NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_reply_command,
    ),
    Command::new(
        "client|no-evict",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_no_evict_command,
    ),
    Command::new(
        "client|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_help_command,
    ),
    Command::new(
        "client|tracking",
        -3,
        NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_tracking_command,
    ),
    Command::new(
        "client|caching",
        3,
        NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_caching_command,
    ),
    Command::new(
        "client|getredir",
        2,
        NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_getredir_command,
    ),
    Command::new(
        "client|trackinginfo",
        2,
        NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        acl::CONNECTION,
        client_trackinginfo_command,
    ),
];

/// CONFIG's subcommands.
static CONFIG_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "config|get",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        config_get_command,
    ),
    Command::new(
        "config|set",
        -4,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        config_set_command,
    ),
    Command::new(
        "config|resetstat",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        config_resetstat_command,
    ),
    Command::new(
        "config|rewrite",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        config_rewrite_command,
    ),
    Command::new(
        "config|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        0,
        config_help_command,
    ),
];

/// The version rredis reports being. Client libraries gate features on it (RESP3, new
/// command options), so it is the Redis version whose behaviour rredis reproduces.
pub const REDIS_VERSION: &str = "7.0.15";

// ---------------------------------------------------------------------------------------
// CLIENT
// ---------------------------------------------------------------------------------------

/// CLIENT HELP: Redis's full help text, subcommands rredis does not have yet included, since
/// this is the text users read to learn the command.
fn client_help_command(_srv: &mut Server, c: &mut Client) {
    c.reply.help(
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    );
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]:
/// client-side caching (Redis's clientCommand "tracking"). Options are parsed first, then
/// checked against each other and the client's state in Redis's order, so the same
/// request gets the same error.
fn client_tracking_command(srv: &mut Server, c: &mut Client) {
    let mut opts = ClientTracking::default();
    let mut prefixes: Vec<Bytes> = Vec::new();
    let mut j = 3;
    while j < c.argv.len() {
        let arg = c.argv.arg(j).to_ascii_lowercase();
        let more = j + 1 < c.argv.len();
        match arg.as_slice() {
            b"redirect" if more => {
                j += 1;
                if opts.redirect != 0 {
                    return c
                        .reply
                        .error("ERR A client can only redirect to a single other client");
                }
                let Some(id) = parse_i64(c.argv.arg(j)) else {
                    return c.reply.error(errors::NOT_INTEGER);
                };
                // The target must exist now, even if it may go later (then the client's
                // redirect is "broken"). Redis's ids are unsigned: a negative one is a huge
                // id nobody has.
                let target = u64::try_from(id).ok().and_then(|id| {
                    if id == c.id {
                        return Some((id, c.token));
                    }
                    srv.clients.iter().find_map(|(token, slot)| match slot {
                        Some(other) if other.id == id => Some((id, token)),
                        _ => None,
                    })
                });
                let Some((id, token)) = target else {
                    return c
                        .reply
                        .error("ERR The client ID you want redirect to does not exist");
                };
                opts.redirect = id;
                opts.redirect_token = token;
            }
            b"bcast" => opts.bcast = true,
            b"optin" => opts.optin = true,
            b"optout" => opts.optout = true,
            b"noloop" => opts.noloop = true,
            b"prefix" if more => {
                j += 1;
                prefixes.push(c.argv.arg_bytes(j));
            }
            _ => return c.reply.error(errors::SYNTAX),
        }
        j += 1;
    }
    match c.argv.arg(2).to_ascii_lowercase().as_slice() {
        b"on" => {
            let current = c.tracking.as_ref();
            let msg = if !opts.bcast && !prefixes.is_empty() {
                Some("ERR PREFIX option requires BCAST mode to be enabled")
            } else if current.is_some_and(|t| t.bcast != opts.bcast) {
                Some("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
            } else if opts.bcast && (opts.optin || opts.optout) {
                Some("ERR OPTIN and OPTOUT are not compatible with BCAST")
            } else if opts.optin && opts.optout {
                Some("ERR You can't specify both OPTIN mode and OPTOUT mode")
            } else if current.is_some_and(|t| (opts.optin && t.optout) || (opts.optout && t.optin))
            {
                Some("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
            } else {
                None
            };
            if let Some(msg) = msg {
                return c.reply.error(msg);
            }
            if opts.bcast && !check_prefix_collisions_or_reply(c, &prefixes) {
                return;
            }
            enable_tracking(srv, c, opts, &prefixes);
        }
        b"off" => disable_tracking(srv, c),
        _ => return c.reply.error(errors::SYNTAX),
    }
    c.reply.ok();
}

/// CLIENT CACHING YES|NO: in OPTIN (YES) or OPTOUT (NO) mode, decides whether the next
/// command's keys are remembered (`server::process_command` clears the choice after it).
fn client_caching_command(_srv: &mut Server, c: &mut Client) {
    let yes = c.argv.arg(2).eq_ignore_ascii_case(b"yes");
    let no = c.argv.arg(2).eq_ignore_ascii_case(b"no");
    let Some(t) = &mut c.tracking else {
        return c.reply.error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
    };
    if yes && !t.optin {
        return c
            .reply
            .error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    }
    if no && !t.optout {
        return c
            .reply
            .error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    }
    if !yes && !no {
        return c.reply.error(errors::SYNTAX);
    }
    t.caching = true;
    c.reply.ok();
}

/// CLIENT GETREDIR: the REDIRECT target's id, 0 without one, -1 when tracking is off.
fn client_getredir_command(_srv: &mut Server, c: &mut Client) {
    let redirect = c.tracking.as_ref().map_or(-1, |t| t.redirect as i64);
    c.reply.int(redirect);
}

/// CLIENT TRACKINGINFO: a map of flags (a set), redirect and prefixes, as Redis writes it.
fn client_trackinginfo_command(_srv: &mut Server, c: &mut Client) {
    let t = c.tracking.clone();
    c.reply.map_len(3);
    c.reply.bulk(b"flags");
    let mut flags: Vec<&[u8]> = vec![if t.is_some() { b"on" } else { b"off" }];
    if let Some(t) = &t {
        if t.bcast {
            flags.push(b"bcast");
        }
        if t.optin {
            flags.push(b"optin");
            if t.caching {
                flags.push(b"caching-yes");
            }
        }
        if t.optout {
            flags.push(b"optout");
            if t.caching {
                flags.push(b"caching-no");
            }
        }
        if t.noloop {
            flags.push(b"noloop");
        }
        if t.broken_redir {
            flags.push(b"broken_redirect");
        }
    }
    c.reply.set_len(flags.len());
    for flag in flags {
        c.reply.bulk(flag);
    }
    c.reply.bulk(b"redirect");
    c.reply.int(t.as_ref().map_or(-1, |t| t.redirect as i64));
    c.reply.bulk(b"prefixes");
    let prefixes = t.map(|t| t.prefixes).unwrap_or_default();
    c.reply.array_len(prefixes.len());
    for p in &prefixes {
        c.reply.bulk(p);
    }
}

/// CLIENT ID: this connection's id, unique for the server's life.
fn client_id_command(_srv: &mut Server, c: &mut Client) {
    c.reply.int(c.id as i64);
}

/// CLIENT SETNAME name: names the connection (shown by CLIENT LIST); an empty name removes
/// it.
fn client_setname_command(_srv: &mut Server, c: &mut Client) {
    let name = c.argv.arg_bytes(2);
    if client_set_name_or_reply(c, &name) {
        c.reply.ok();
    }
}

/// Sets the connection's name, or replies with Redis's error and returns false (Redis's
/// clientSetNameOrReply; HELLO SETNAME uses it too). Only printable ASCII without spaces is
/// allowed, so CLIENT LIST lines stay parseable as space-separated `field=value` pairs.
pub fn client_set_name_or_reply(c: &mut Client, name: &[u8]) -> bool {
    if !name.iter().all(|&b| (b'!'..=b'~').contains(&b)) {
        c.reply
            .error("ERR Client names cannot contain spaces, newlines or special characters.");
        return false;
    }
    // A copy: the argument shares the query buffer's memory, which a name kept for the
    // connection's life must not pin.
    c.name = (!name.is_empty()).then(|| Bytes::copy_from_slice(name));
    true
}

/// CLIENT GETNAME: the name set by CLIENT SETNAME, or null.
fn client_getname_command(_srv: &mut Server, c: &mut Client) {
    match &c.name {
        Some(name) => {
            let name = name.clone();
            c.reply.bulk(&name);
        }
        None => c.reply.null(),
    }
}

/// CLIENT INFO: this connection's CLIENT LIST line.
fn client_info_command(srv: &mut Server, c: &mut Client) {
    let mut text = cat_client_info_string(srv, c, now_ms());
    text.push('\n');
    c.reply.verbatim(text.as_bytes());
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]]: one line per client,
/// in connection order (with ID: in the order the ids are given, repeats included, unknown
/// ids skipped). TYPE and ID do not combine: `ID` takes every argument after it as an id.
fn client_list_command(srv: &mut Server, c: &mut Client) {
    let now = now_ms();
    let mut text = String::new();
    let add = |client: &Client| {
        text.push_str(&cat_client_info_string(srv, client, now));
        text.push('\n');
    };
    let option = c.argv.get(2).map(|o| o.to_ascii_lowercase());
    match (option.as_deref(), c.argv.len()) {
        (None, _) => clients_in_order(srv, c).into_iter().for_each(add),
        (Some(b"type"), 4) => {
            let Some(wanted) = ClientType::from_name(c.argv.arg(3)) else {
                let msg = unknown_client_type(c.argv.arg(3));
                c.reply.error(&msg);
                return;
            };
            clients_in_order(srv, c)
                .into_iter()
                .filter(|client| ClientType::of(client) == wanted)
                .for_each(add);
        }
        (Some(b"id"), argc) if argc > 3 => {
            let mut ids = Vec::with_capacity(argc - 3);
            for arg in c.argv.iter().skip(3) {
                match parse_i64(arg) {
                    Some(id) => ids.push(id),
                    None => {
                        c.reply.error("ERR Invalid client ID");
                        return;
                    }
                }
            }
            // One map, so a long id list costs one pass over the clients, not one each.
            let by_id: HashMap<i64, &Client> = all_clients(srv, c)
                .map(|client| (client.id as i64, client))
                .collect();
            ids.iter()
                .filter_map(|id| by_id.get(id).copied())
                .for_each(add);
        }
        _ => {
            c.reply.error("ERR syntax error");
            return;
        }
    }
    c.reply.verbatim(text.as_bytes());
}

/// Which clients CLIENT KILL closes: each option given narrows the set.
struct KillFilter {
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    client_type: Option<ClientType>,
    id: Option<u64>,
    /// Only clients of this user.
    user: Option<Vec<u8>>,
    /// Spare the calling connection.
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, client: &Client) -> bool {
        self.addr
            .as_ref()
            .map_or(true, |a| *a == client.addr.to_string().as_bytes())
            && self
                .laddr
                .as_ref()
                .map_or(true, |a| *a == local_addr(client).as_bytes())
            && self
                .client_type
                .map_or(true, |t| t == ClientType::of(client))
            && self.id.map_or(true, |id| id == client.id)
            && self.user.as_ref().map_or(true, |u| *u == client.user)
    }
}

/// CLIENT PAUSE timeout [WRITE|ALL]: for `timeout` ms, postpone every command (ALL, the
/// default) or those that may change the dataset (WRITE); see [`crate::pause`].
fn client_pause_command(srv: &mut Server, c: &mut Client) {
    let kind = match c.argv.len() {
        3 => PauseKind::All,
        4 if c.argv.arg(3).eq_ignore_ascii_case(b"WRITE") => PauseKind::Write,
        4 if c.argv.arg(3).eq_ignore_ascii_case(b"ALL") => PauseKind::All,
        4 => return c.reply.error("ERR CLIENT PAUSE mode must be WRITE or ALL"),
        _ => return subcommand_syntax_error(c),
    };
    // Redis's getTimeoutFromObjectOrReply in milliseconds: 0 is a pause that is already
    // over.
    let ms = match parse_i64(c.argv.arg(2)) {
        None => {
            return c
                .reply
                .error("ERR timeout is not an integer or out of range")
        }
        Some(ms) if ms < 0 => return c.reply.error("ERR timeout is negative"),
        Some(ms) => ms,
    };
    let end = if ms > 0 {
        match ms.checked_add(srv.now_ms) {
            Some(end) => end,
            None => return c.reply.error("ERR timeout is out of range"),
        }
    } else {
        0
    };
    pause_clients(srv, kind, end);
    c.reply.ok();
}

/// CLIENT UNPAUSE: ends the pause; postponed commands run before the loop sleeps.
fn client_unpause_command(srv: &mut Server, c: &mut Client) {
    unpause_clients(srv);
    c.reply.ok();
}

/// CLIENT REPLY ON|OFF|SKIP: turn this connection's replies on or off, or drop the next
/// command's reply. OFF and SKIP are not answered (their own reply is the first dropped).
fn client_reply_command(_srv: &mut Server, c: &mut Client) {
    let mode = c.argv.arg(2);
    if mode.eq_ignore_ascii_case(b"ON") {
        c.reply_mode = ReplyMode::On;
        c.reply.ok();
    } else if mode.eq_ignore_ascii_case(b"OFF") {
        c.reply_mode = ReplyMode::Off;
    } else if mode.eq_ignore_ascii_case(b"SKIP") {
        if c.reply_mode != ReplyMode::Off {
            c.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        c.reply.error("ERR syntax error");
    }
}

/// CLIENT NO-EVICT ON|OFF: sets the flag CLIENT LIST shows as `e`.
fn client_no_evict_command(_srv: &mut Server, c: &mut Client) {
    let flag = c.argv.arg(2);
    if flag.eq_ignore_ascii_case(b"ON") {
        c.no_evict = true;
    } else if flag.eq_ignore_ascii_case(b"OFF") {
        c.no_evict = false;
    } else {
        return c.reply.error("ERR syntax error");
    }
    c.reply.ok();
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: ends another client's blocking command as if
/// it timed out (the default) or with the `-UNBLOCKED` error. Replies 1 if that client was
/// blocked, 0 otherwise (no such client, or not blocked).
fn client_unblock_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 4 {
        return subcommand_syntax_error(c);
    }
    let with_error = match c.argv.get(3) {
        None => false,
        Some(reason) if reason.eq_ignore_ascii_case(b"timeout") => false,
        Some(reason) if reason.eq_ignore_ascii_case(b"error") => true,
        Some(_) => {
            return c
                .reply
                .error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
        }
    };
    let Some(id) = parse_i64(c.argv.arg(2)) else {
        return c.reply.error(errors::NOT_INTEGER);
    };
    let target = srv
        .clients
        .iter()
        .find(|(_, slot)| slot.as_deref().is_some_and(|t| t.id as i64 == id))
        .map(|(token, _)| token);
    let Some(mut target) = target.and_then(|token| take_client(srv, token)) else {
        return c.reply.int(0);
    };
    let was_blocked = target.blocked.is_some();
    if with_error && was_blocked {
        target
            .reply
            .error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
        unblock_client(srv, &mut target);
        queue_write(srv, &mut target);
    } else {
        reply_to_blocked_client_timeout(srv, &mut target);
    }
    put_client(srv, target);
    c.reply.int(i64::from(was_blocked));
}

/// CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port]
/// [TYPE normal|master|replica|pubsub] [USER name] [SKIPME yes|no]
///
/// The old form closes the client connected from `ip:port` (even the caller) and replies
/// `+OK`, or the error `No such client`. The filter form closes every client matching all the
/// options given and replies how many; it spares the caller unless `SKIPME no`. Others are
/// freed in `before_sleep`; the caller gets its reply first, then its connection closes.
fn client_kill_command(srv: &mut Server, c: &mut Client) {
    let old_form = c.argv.len() == 3;
    let filter = if old_form {
        KillFilter {
            addr: Some(c.argv.arg(2).to_vec()),
            laddr: None,
            client_type: None,
            id: None,
            user: None,
            skipme: false,
        }
    } else {
        match parse_kill_filter(srv, c) {
            Ok(filter) => filter,
            Err(msg) => {
                c.reply.error(&msg);
                return;
            }
        }
    };

    let victims: Vec<usize> = srv
        .clients
        .iter()
        .filter_map(|(token, slot)| slot.as_deref().map(|client| (token, client)))
        .filter(|(_, client)| filter.matches(client))
        .map(|(token, _)| token)
        .collect();
    let kill_me = !filter.skipme && filter.matches(c);
    for &token in &victims {
        if let Some(mut victim) = take_client(srv, token) {
            close_client_async(srv, &mut victim);
            put_client(srv, victim);
        }
    }
    let killed = victims.len() + kill_me as usize;
    if kill_me {
        c.close_after_reply = true;
    }

    if !old_form {
        c.reply.int(killed as i64);
    } else if killed == 0 {
        c.reply.error("ERR No such client");
    } else {
        c.reply.ok();
    }
}

/// Parses the `option value` pairs of CLIENT KILL's filter form; the error is Redis's reply
/// for the first bad option.
fn parse_kill_filter(srv: &Server, c: &Client) -> Result<KillFilter, String> {
    let mut filter = KillFilter {
        addr: None,
        laddr: None,
        client_type: None,
        id: None,
        user: None,
        skipme: true,
    };
    let args = c.argv.get(2..).unwrap_or_default();
    for pair in args.chunks(2) {
        let [option, value] = pair else {
            return Err("ERR syntax error".into());
        };
        match option.to_ascii_lowercase().as_slice() {
            b"id" => match parse_i64(value) {
                Some(id) if id > 0 => filter.id = Some(id as u64),
                _ => return Err("ERR client-id should be greater than 0".into()),
            },
            b"type" => match ClientType::from_name(value) {
                Some(t) => filter.client_type = Some(t),
                None => return Err(unknown_client_type(value)),
            },
            b"addr" => filter.addr = Some(value.to_vec()),
            b"laddr" => filter.laddr = Some(value.to_vec()),
            b"user" if srv.acl.user(value).is_some() => filter.user = Some(value.to_vec()),
            b"user" => {
                return Err(format!(
                    "ERR No such user '{}'",
                    String::from_utf8_lossy(value)
                ))
            }
            b"skipme" => {
                filter.skipme = match value.to_ascii_lowercase().as_slice() {
                    b"yes" => true,
                    b"no" => false,
                    _ => return Err("ERR syntax error".into()),
                }
            }
            _ => return Err("ERR syntax error".into()),
        }
    }
    Ok(filter)
}

/// The client classes CLIENT LIST TYPE and CLIENT KILL TYPE select (Redis's CLIENT_TYPE_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

impl ClientType {
    /// A type named by the user, in any letter case; `slave` is `replica`'s old name
    /// (Redis's getClientTypeByName).
    fn from_name(name: &[u8]) -> Option<ClientType> {
        match name.to_ascii_lowercase().as_slice() {
            b"normal" => Some(ClientType::Normal),
            b"replica" | b"slave" => Some(ClientType::Replica),
            b"pubsub" => Some(ClientType::PubSub),
            b"master" => Some(ClientType::Master),
            _ => None,
        }
    }

    /// The type of `client` (Redis's getClientType): a client with subscriptions is a pubsub
    /// client; rredis has no replication yet, so every other connection is normal.
    fn of(client: &Client) -> ClientType {
        if client.pubsub.is_subscribed() {
            ClientType::PubSub
        } else {
            ClientType::Normal
        }
    }
}

/// `ERR Unknown client type 'x'`.
fn unknown_client_type(name: &[u8]) -> String {
    format!(
        "ERR Unknown client type '{}'",
        String::from_utf8_lossy(name)
    )
}

/// Every connected client: the ones in the slab plus the caller, whose slot is empty while
/// its command runs.
pub fn all_clients<'a>(srv: &'a Server, me: &'a Client) -> impl Iterator<Item = &'a Client> {
    srv.clients
        .iter()
        .filter_map(|(_, slot)| slot.as_deref())
        .chain(std::iter::once(me))
}

/// Every connected client in connection order, as Redis keeps its client list. Ids grow
/// with each accepted connection, so that is id order (slab order is not: slots are reused).
fn clients_in_order<'a>(srv: &'a Server, me: &'a Client) -> Vec<&'a Client> {
    let mut clients: Vec<&Client> = all_clients(srv, me).collect();
    clients.sort_unstable_by_key(|client| client.id);
    clients
}

/// The local address a client connected to, as CLIENT LIST's laddr shows it.
fn local_addr(client: &Client) -> String {
    client
        .laddr
        .map_or_else(|| "?:0".to_string(), |a| a.to_string())
}

/// Bytes of the request arguments a client holds (CLIENT LIST argv-mem).
fn argv_memory(client: &Client) -> usize {
    client.argv.iter().map(|arg| arg.len()).sum()
}

/// Memory held for a client's transaction and watches (CLIENT LIST multi-mem, Redis's
/// multiStateMemOverhead): the queued arguments and their vectors, the queue's slots and
/// the client's list of watched keys (the keys themselves belong to the databases' maps).
fn multi_memory(client: &Client) -> usize {
    let queued = client.multi.as_ref().map_or(0, |m| {
        m.commands
            .iter()
            .map(|q| {
                q.argv.iter().map(|a| a.len()).sum::<usize>() + q.argv.len() * size_of::<Bytes>()
            })
            .sum::<usize>()
            + m.commands.capacity() * size_of::<MultiCmd>()
    });
    queued + client.watched_keys.len() * size_of::<(usize, Bytes)>()
}

/// Memory attributed to one client (CLIENT LIST tot-mem, INFO mem_clients_normal): the
/// `Client` itself, its query buffer, its current arguments, its transaction and its reply
/// buffer. An
/// estimate from the buffers' capacities; the allocator's own overhead is not counted.
pub fn client_memory(client: &Client) -> usize {
    std::mem::size_of::<Client>()
        + client.querybuf.capacity()
        + client.argv.capacity() * std::mem::size_of::<Bytes>()
        + argv_memory(client)
        + multi_memory(client)
        + client.reply.capacity()
}

/// One client's CLIENT LIST line, without the newline (Redis's catClientInfoString).
///
/// Output-buffer fields: rredis keeps each client's output in one growable buffer, which is
/// what Redis calls the reply buffer, so `rbs`/`rbp` give its size, `obl` the bytes waiting
/// in it, and `oll`/`omem` (Redis's overflow list of reply blocks) are always 0.
pub(crate) fn cat_client_info_string(srv: &Server, client: &Client, now: i64) -> String {
    let mut flags = String::new();
    if client.monitor {
        flags.push('O');
    }
    if client.pubsub.is_subscribed() {
        flags.push('P');
    }
    if client.multi.is_some() {
        flags.push('x');
    }
    if client.blocked.is_some() || client.postponed {
        flags.push('b');
    }
    if let Some(t) = &client.tracking {
        flags.push('t');
        if t.broken_redir {
            flags.push('R');
        }
        if t.bcast {
            flags.push('B');
        }
    }
    if is_dirty_cas(srv, client) {
        flags.push('d');
    }
    if client.close_after_reply {
        flags.push('c');
    }
    if client.close_asap {
        flags.push('A');
    }
    if client.no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let name = client
        .name
        .as_ref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let events = if client.write_interest { "rw" } else { "r" };
    let reply_buffer = client.reply.capacity();
    let mut line = String::with_capacity(300);
    let _ = write!(
        line,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} \
         sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} \
         rbs={} rbp={} obl={} oll=0 omem=0 tot-mem={} events={} cmd={} user={} \
         redir={} resp={}",
        client.id,
        client.addr,
        local_addr(client),
        client.sock.as_ref().map_or(-1, |s| s.as_raw_fd()),
        name,
        (now - client.ctime_ms).max(0) / 1000,
        (now - client.last_interaction_ms).max(0) / 1000,
        flags,
        client.db,
        client.pubsub.channel_count(),
        client.pubsub.pattern_count(),
        client.pubsub.shard_channel_count(),
        client
            .multi
            .as_ref()
            .map_or(-1, |m| m.commands.len() as i64),
        client.querybuf.len(),
        client.querybuf.capacity() - client.querybuf.len(),
        argv_memory(client),
        multi_memory(client),
        reply_buffer,
        reply_buffer,
        client.reply.pending_len(),
        client_memory(client),
        events,
        client.last_cmd,
        String::from_utf8_lossy(&client.user),
        client.tracking.as_ref().map_or(-1, |t| t.redirect as i64),
        client.reply.resp,
    );
    line
}

// ---------------------------------------------------------------------------------------
// INFO
// ---------------------------------------------------------------------------------------

/// One section of INFO's output.
struct InfoSection {
    /// The names that select it (lower case).
    names: &'static [&'static str],
    /// Its header line, without `# `.
    title: &'static str,
    /// Appends its `field:value\r\n` lines.
    write: fn(&mut Server, &Client, &mut String),
    /// Shown by a plain INFO (and `INFO default`); the others only when named or with
    /// `all` / `everything`.
    default: bool,
}

/// INFO's sections in Redis's output order. A plain INFO shows the default ones; `all` and
/// `everything` add commandstats and latencystats; an unknown name selects nothing.
static INFO_SECTIONS: &[InfoSection] = &[
    InfoSection {
        names: &["server"],
        title: "Server",
        write: info_server,
        default: true,
    },
    InfoSection {
        names: &["clients"],
        title: "Clients",
        write: info_clients,
        default: true,
    },
    InfoSection {
        names: &["memory"],
        title: "Memory",
        write: info_memory,
        default: true,
    },
    InfoSection {
        names: &["persistence"],
        title: "Persistence",
        write: info_persistence,
        default: true,
    },
    InfoSection {
        names: &["stats"],
        title: "Stats",
        write: info_stats,
        default: true,
    },
    InfoSection {
        names: &["replication"],
        title: "Replication",
        write: info_replication,
        default: true,
    },
    InfoSection {
        names: &["cpu"],
        title: "CPU",
        write: info_cpu,
        default: true,
    },
    InfoSection {
        names: &["modules", "module_list"],
        title: "Modules",
        write: |_, _, _| {},
        default: true,
    },
    InfoSection {
        names: &["commandstats"],
        title: "Commandstats",
        write: info_commandstats,
        default: false,
    },
    InfoSection {
        names: &["errorstats"],
        title: "Errorstats",
        write: info_errorstats,
        default: true,
    },
    InfoSection {
        names: &["latencystats"],
        title: "Latencystats",
        write: info_latencystats,
        default: false,
    },
    InfoSection {
        names: &["cluster"],
        title: "Cluster",
        write: info_cluster,
        default: true,
    },
    InfoSection {
        names: &["keyspace"],
        title: "Keyspace",
        write: info_keyspace,
        default: true,
    },
];

/// INFO [section ...]: the server's state as `field:value` lines grouped in sections
/// (`# Server`, ...), separated by blank lines, every line ending in CRLF. Without arguments,
/// or with `default`, `all` or `everything`, every section; otherwise the named ones (any
/// letter case), always in Redis's order whatever the order asked. Unknown names select
/// nothing, so asking only for those gives an empty string.
fn info_command(srv: &mut Server, c: &mut Client) {
    let wanted: Vec<Vec<u8>> = c
        .argv
        .iter()
        .skip(1)
        .map(|a| a.to_ascii_lowercase())
        .collect();
    let every = wanted
        .iter()
        .any(|w| matches!(w.as_slice(), b"all" | b"everything"));
    let defaults = wanted.is_empty() || wanted.iter().any(|w| w == b"default");
    let mut text = String::with_capacity(4096);
    for section in INFO_SECTIONS {
        let selected = every
            || (defaults && section.default)
            || section
                .names
                .iter()
                .any(|name| wanted.iter().any(|w| w == name.as_bytes()));
        if !selected {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        let _ = write!(text, "# {}\r\n", section.title);
        (section.write)(srv, c, &mut text);
    }
    c.reply.verbatim(text.as_bytes());
}

/// Every table row with its id's slot of `Server::command_stats`, in id order.
fn rows_with_stats(srv: &Server) -> impl Iterator<Item = (&'static Command, &CommandStats)> {
    crate::commands::all_commands()
        .flat_map(|cmd| std::iter::once(cmd).chain(cmd.subcommands))
        .zip(&srv.command_stats)
}

/// `# Commandstats`: per command that ran or was refused, its calls, time and failures.
fn info_commandstats(srv: &mut Server, _me: &Client, out: &mut String) {
    for (cmd, stats) in rows_with_stats(srv) {
        if stats.calls == 0 && stats.failed_calls == 0 && stats.rejected_calls == 0 {
            continue;
        }
        let per_call = if stats.calls == 0 {
            0.0
        } else {
            stats.usec as f64 / stats.calls as f64
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},\
             failed_calls={}\r\n",
            cmd.name, stats.calls, stats.usec, stats.rejected_calls, stats.failed_calls
        );
    }
}

/// `# Latencystats`: per command that ran, the configured percentiles of its execution
/// time in µs.
fn info_latencystats(srv: &mut Server, _me: &Client, out: &mut String) {
    let percentiles = &srv.config.latency_tracking_info_percentiles;
    for (cmd, stats) in rows_with_stats(srv) {
        let Some(histogram) = &stats.latency else {
            continue;
        };
        let values: Vec<String> = percentiles
            .iter()
            .map(|&p| {
                let us = histogram.value_at_percentile(p) as f64 / 1000.0;
                format!("p{}={us:.3}", format_percentile(p))
            })
            .collect();
        let _ = write!(
            out,
            "latency_percentiles_usec_{}:{}\r\n",
            cmd.name,
            values.join(",")
        );
    }
}

/// `# Errorstats`: error replies by code, in code order.
fn info_errorstats(srv: &mut Server, _me: &Client, out: &mut String) {
    for (code, count) in &srv.stats.errorstats {
        let _ = write!(
            out,
            "errorstat_{}:count={count}\r\n",
            String::from_utf8_lossy(code)
        );
    }
}

/// Appends one `name:value` line of an INFO section.
fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{name}:{value}\r\n");
}

/// `# Server`: what is running, where, since when.
fn info_server(srv: &mut Server, _me: &Client, out: &mut String) {
    let now = now_us();
    let uptime = (now / 1000 - srv.start_time_ms).max(0) / 1000;
    field(out, "redis_version", REDIS_VERSION);
    field(out, "redis_git_sha1", "00000000");
    field(out, "redis_git_dirty", 0);
    // Redis hashes its build environment here; rredis has no such id to report.
    field(out, "redis_build_id", "0");
    field(out, "redis_mode", "standalone");
    field(out, "os", os_name());
    field(out, "arch_bits", usize::BITS);
    // std's Instant is clock_gettime(CLOCK_MONOTONIC) on Linux, and mio's poller is epoll.
    field(out, "monotonic_clock", "POSIX clock_gettime");
    field(out, "multiplexing_api", "epoll");
    field(out, "atomicvar_api", "c11-builtin");
    // What Redis prints when it was not built by GCC.
    field(out, "gcc_version", "0.0.0");
    field(out, "process_id", std::process::id());
    field(out, "process_supervised", "no");
    field(out, "run_id", &srv.run_id);
    field(out, "tcp_port", srv.config.port);
    field(out, "server_time_usec", now);
    field(out, "uptime_in_seconds", uptime);
    field(out, "uptime_in_days", uptime / 86400);
    // rredis has no dynamic-hz: the configured rate is the rate.
    field(out, "hz", srv.config.hz);
    field(out, "configured_hz", srv.config.hz);
    field(out, "lru_clock", crate::db::lru_clock());
    let executable = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    field(out, "executable", executable);
    field(
        out,
        "config_file",
        srv.config_file.as_deref().unwrap_or_default(),
    );
    field(out, "io_threads_active", 0);
}

/// `uname -srm`, as Redis prints it: kernel name, release, machine.
fn os_name() -> String {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .map(|s| s.trim().to_string())
            .ok()
    };
    match (
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
    ) {
        (Some(kind), Some(release)) => {
            format!("{kind} {release} {}", std::env::consts::ARCH)
        }
        _ => format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

/// `# Clients`: connection counts and the largest client buffers right now (Redis tracks
/// the largest over the last few seconds; rredis reports the current largest).
fn info_clients(srv: &mut Server, me: &Client, out: &mut String) {
    let max_input = all_clients(srv, me)
        .map(|client| client.querybuf.capacity())
        .max()
        .unwrap_or(0);
    let max_output = all_clients(srv, me)
        .map(|client| client.reply.capacity())
        .max()
        .unwrap_or(0);
    field(out, "connected_clients", srv.connected_clients());
    field(out, "cluster_connections", 0);
    field(out, "maxclients", srv.config.maxclients);
    field(out, "client_recent_max_input_buffer", max_input);
    field(out, "client_recent_max_output_buffer", max_output);
    field(
        out,
        "blocked_clients",
        srv.blocked.count + srv.paused_clients.len(),
    );
    field(out, "tracking_clients", srv.tracking.clients);
    field(out, "clients_in_timeout_table", srv.blocked.timeouts.len());
}

/// `# Memory`, in Redis 7.0's field order.
///
/// `used_memory` is what the counting allocator holds ([`crate::zmalloc`]), as Redis's
/// zmalloc counts it; `used_memory_rss` is the kernel's resident set (`VmRSS` of
/// /proc/self/status, 0 where /proc is missing). rredis does not read jemalloc's own
/// statistics: the `allocator_*` figures are the counted bytes and the RSS. No scripting,
/// replication or AOF buffers exist, so their fields are 0.
fn info_memory(srv: &mut Server, me: &Client, out: &mut String) {
    let mh = memory_overhead(srv, me);
    srv.stats.used_memory_peak = mh.peak_allocated;
    let used = mh.total_allocated;
    let rss = mh.rss;
    let peak = mh.peak_allocated;
    let total_system = proc_kb("/proc/meminfo", "MemTotal:") * 1024;
    let maxmemory = srv.config.maxmemory;
    field(out, "used_memory", used);
    field(out, "used_memory_human", bytes_to_human(used));
    field(out, "used_memory_rss", rss);
    field(out, "used_memory_rss_human", bytes_to_human(rss));
    field(out, "used_memory_peak", peak);
    field(out, "used_memory_peak_human", bytes_to_human(peak));
    field(
        out,
        "used_memory_peak_perc",
        format!("{:.2}%", mh.peak_perc),
    );
    field(out, "used_memory_overhead", mh.overhead_total);
    field(out, "used_memory_startup", mh.startup_allocated);
    field(out, "used_memory_dataset", mh.dataset);
    field(
        out,
        "used_memory_dataset_perc",
        format!("{:.2}%", mh.dataset_perc),
    );
    field(out, "allocator_allocated", used);
    field(out, "allocator_active", used);
    field(out, "allocator_resident", rss);
    field(out, "total_system_memory", total_system);
    field(
        out,
        "total_system_memory_human",
        bytes_to_human(total_system),
    );
    for (name, value) in [
        ("used_memory_lua", "0"),
        ("used_memory_vm_eval", "0"),
        ("used_memory_lua_human", "0B"),
        ("used_memory_scripts_eval", "0"),
        ("number_of_cached_scripts", "0"),
        ("number_of_functions", "0"),
        ("number_of_libraries", "0"),
        ("used_memory_vm_functions", "0"),
        ("used_memory_vm_total", "0"),
        ("used_memory_vm_total_human", "0B"),
        ("used_memory_functions", "0"),
        ("used_memory_scripts", "0"),
        ("used_memory_scripts_human", "0B"),
    ] {
        field(out, name, value);
    }
    field(out, "maxmemory", maxmemory);
    field(out, "maxmemory_human", bytes_to_human(maxmemory));
    field(out, "maxmemory_policy", &srv.config.maxmemory_policy);
    let rss_ratio = format!("{:.2}", ratio(rss, used));
    field(out, "allocator_frag_ratio", "1.00");
    field(out, "allocator_frag_bytes", 0);
    field(out, "allocator_rss_ratio", &rss_ratio);
    field(out, "allocator_rss_bytes", rss as i64 - used as i64);
    field(out, "rss_overhead_ratio", "1.00");
    field(out, "rss_overhead_bytes", 0);
    field(out, "mem_fragmentation_ratio", &rss_ratio);
    field(out, "mem_fragmentation_bytes", rss as i64 - used as i64);
    field(out, "mem_not_counted_for_evict", srv.aof.buffer_allocated());
    field(out, "mem_replication_backlog", 0);
    field(out, "mem_total_replication_buffers", 0);
    field(out, "mem_clients_slaves", 0);
    field(out, "mem_clients_normal", mh.clients_normal);
    field(out, "mem_cluster_links", 0);
    field(out, "mem_aof_buffer", srv.aof.buffer_allocated());
    // The jemalloc tikv-jemalloc-sys 0.6 builds.
    field(out, "mem_allocator", "jemalloc-5.3.0");
    field(out, "active_defrag_running", 0);
    field(out, "lazyfree_pending_objects", 0);
    field(out, "lazyfreed_objects", 0);
}

/// INFO's `used_memory`, which the RDB writer also records in its `used-mem` AUX field.
pub fn used_memory() -> u64 {
    crate::zmalloc::used_memory()
}

/// The kB figure on the line of `path` that starts with `key` (the /proc status format
/// `VmRSS:     1234 kB`), or 0.
pub fn proc_kb(path: &str, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix(key))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// A byte count the way INFO's `*_human` fields show it: `512B`, `1.50K`, `3.00M`...
/// (Redis's bytesToHuman).
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (1 << 50, "P"),
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    if n >= 1 << 60 {
        return format!("{n}B");
    }
    UNITS.iter().find(|(size, _)| n >= *size).map_or_else(
        || format!("{n}B"),
        |(size, unit)| format!("{:.2}{unit}", n as f64 / *size as f64),
    )
}

/// `# Persistence`: the state of RDB saves ([`crate::persist::bgsave::RdbSaveState`]) and of
/// the running child, if any: its progress as it last reported it, about once a second
/// (current_*), and the copy-on-write size of the last save (rdb_last_cow_size).
fn info_persistence(srv: &mut Server, _me: &Client, out: &mut String) {
    let rdb_child = srv.child.filter(|child| child.kind == ChildKind::Rdb);
    field(out, "loading", 0);
    field(out, "async_loading", 0);
    let progress = srv.child.map(|child| child.progress).unwrap_or_default();
    field(out, "current_cow_peak", progress.cow_peak);
    field(out, "current_cow_size", progress.cow_bytes);
    field(
        out,
        "current_cow_size_age",
        progress.cow_updated.map_or(0, |t| t.elapsed().as_secs()),
    );
    let fork_perc = if progress.keys_total > 0 {
        progress.keys_processed as f64 / progress.keys_total as f64 * 100.0
    } else {
        0.0
    };
    field(out, "current_fork_perc", format!("{fork_perc:.2}"));
    field(out, "current_save_keys_processed", progress.keys_processed);
    field(out, "current_save_keys_total", progress.keys_total);
    field(out, "rdb_changes_since_last_save", srv.dirty);
    field(out, "rdb_bgsave_in_progress", u8::from(rdb_child.is_some()));
    field(out, "rdb_last_save_time", srv.lastsave);
    let status = if srv.rdb.lastbgsave_ok { "ok" } else { "err" };
    field(out, "rdb_last_bgsave_status", status);
    field(out, "rdb_last_bgsave_time_sec", srv.rdb.save_time_last);
    field(
        out,
        "rdb_current_bgsave_time_sec",
        rdb_child.map_or(-1, |child| child.start.elapsed().as_secs() as i64),
    );
    field(out, "rdb_saves", srv.stats.rdb_saves);
    field(out, "rdb_last_cow_size", srv.rdb.last_cow_size);
    field(out, "rdb_last_load_keys_expired", 0);
    field(out, "rdb_last_load_keys_loaded", 0);
    crate::persist::aof::info_fields(srv, out, false);
    field(out, "module_fork_in_progress", 0);
    field(out, "module_fork_last_cow_size", 0);
    crate::persist::aof::info_fields(srv, out, true);
}

/// `# Stats`: the server's counters. Features rredis does not have yet (replication,
/// eviction, defragmentation) report 0, which is what happened.
fn info_stats(srv: &mut Server, _me: &Client, out: &mut String) {
    let st = &srv.stats;
    let kbps = |bytes_per_sec: u64| format!("{:.2}", bytes_per_sec as f64 / 1024.0);
    field(
        out,
        "total_connections_received",
        st.total_connections_received,
    );
    field(out, "total_commands_processed", st.total_commands_processed);
    field(
        out,
        "instantaneous_ops_per_sec",
        st.instantaneous_ops_per_sec(),
    );
    field(out, "total_net_input_bytes", st.net_input_bytes);
    field(out, "total_net_output_bytes", st.net_output_bytes);
    field(out, "total_net_repl_input_bytes", 0);
    field(out, "total_net_repl_output_bytes", 0);
    field(
        out,
        "instantaneous_input_kbps",
        kbps(st.inst_net_input.average()),
    );
    field(
        out,
        "instantaneous_output_kbps",
        kbps(st.inst_net_output.average()),
    );
    field(out, "instantaneous_input_repl_kbps", "0.00");
    field(out, "instantaneous_output_repl_kbps", "0.00");
    field(out, "rejected_connections", st.rejected_connections);
    field(out, "sync_full", 0);
    field(out, "sync_partial_ok", 0);
    field(out, "sync_partial_err", 0);
    field(out, "expired_keys", st.expired_keys);
    field(out, "evicted_keys", st.evicted_keys);
    field(out, "evicted_clients", 0);
    // Milliseconds memory stayed over maxmemory, in total and in the current stretch.
    let current = st
        .eviction_exceeded_since
        .map_or(0, |since| since.elapsed().as_millis() as u64);
    field(
        out,
        "total_eviction_exceeded_time",
        st.total_eviction_exceeded_ms + current,
    );
    field(out, "current_eviction_exceeded_time", current);
    field(out, "keyspace_hits", st.keyspace_hits);
    field(out, "keyspace_misses", st.keyspace_misses);
    field(out, "pubsub_channels", srv.pubsub.channel_count());
    field(out, "pubsub_patterns", srv.pubsub.pattern_count());
    field(
        out,
        "pubsubshard_channels",
        srv.pubsub.shard_channel_count(),
    );
    field(out, "latest_fork_usec", st.latest_fork_usec);
    field(out, "total_forks", st.total_forks);
    field(out, "migrate_cached_sockets", 0);
    field(out, "slave_expires_tracked_keys", 0);
    field(out, "active_defrag_hits", 0);
    field(out, "active_defrag_misses", 0);
    field(out, "active_defrag_key_hits", 0);
    field(out, "active_defrag_key_misses", 0);
    field(out, "total_active_defrag_time", 0);
    field(out, "current_active_defrag_time", 0);
    field(out, "tracking_total_keys", srv.tracking.total_keys());
    field(out, "tracking_total_items", srv.tracking.total_items());
    field(
        out,
        "tracking_total_prefixes",
        srv.tracking.total_prefixes(),
    );
    field(out, "unexpected_error_replies", 0);
    field(out, "total_error_replies", st.total_error_replies);
    field(out, "dump_payload_sanitizations", 0);
    field(out, "io_threaded_reads_processed", 0);
    field(out, "io_threaded_writes_processed", 0);
}

/// `# Replication`: a master with no replicas (client libraries and Sentinel read `role`).
fn info_replication(_srv: &mut Server, _me: &Client, out: &mut String) {
    field(out, "role", "master");
    field(out, "connected_slaves", 0);
    field(out, "master_failover_state", "no-failover");
    field(out, "master_repl_offset", 0);
    field(out, "second_repl_offset", -1);
    field(out, "repl_backlog_active", 0);
    field(out, "repl_backlog_first_byte_offset", 0);
    field(out, "repl_backlog_histlen", 0);
}

/// `# CPU`: seconds of system and user CPU time, from /proc (the kernel counts in ticks of
/// 1/100 s, Linux's USER_HZ on every architecture). INFO runs on the event-loop thread, so
/// /proc/thread-self gives the main thread's share.
fn info_cpu(_srv: &mut Server, _me: &Client, out: &mut String) {
    let process = proc_cpu_ticks("/proc/self/stat");
    let main_thread = proc_cpu_ticks("/proc/thread-self/stat");
    let seconds = |ticks: u64| format!("{:.6}", ticks as f64 / 100.0);
    field(out, "used_cpu_sys", seconds(process.system));
    field(out, "used_cpu_user", seconds(process.user));
    field(
        out,
        "used_cpu_sys_children",
        seconds(process.children_system),
    );
    field(
        out,
        "used_cpu_user_children",
        seconds(process.children_user),
    );
    field(out, "used_cpu_sys_main_thread", seconds(main_thread.system));
    field(out, "used_cpu_user_main_thread", seconds(main_thread.user));
}

/// CPU time from a /proc `stat` file, in clock ticks.
#[derive(Default)]
struct CpuTicks {
    user: u64,
    system: u64,
    children_user: u64,
    children_system: u64,
}

/// Reads utime, stime, cutime and cstime (fields 14 to 17) of a /proc `stat` file; zeros
/// if it cannot be read. Fields are counted after the `)` closing the command name, which
/// may itself contain spaces.
fn proc_cpu_ticks(path: &str) -> CpuTicks {
    let Ok(text) = std::fs::read_to_string(path) else {
        return CpuTicks::default();
    };
    let after_name = text.rsplit_once(')').map_or("", |(_, rest)| rest);
    // The first field after the name is field 3 (state), so field 14 is at index 11.
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    match fields.as_slice() {
        [user, system, children_user, children_system] => CpuTicks {
            user: *user,
            system: *system,
            children_user: *children_user,
            children_system: *children_system,
        },
        _ => CpuTicks::default(),
    }
}

/// `# Cluster`: rredis has no cluster mode (cluster-aware clients check this).
fn info_cluster(_srv: &mut Server, _me: &Client, out: &mut String) {
    field(out, "cluster_enabled", 0);
}

/// `# Keyspace`: one line per non-empty database. rredis does not estimate the average
/// TTL, which Redis too reports as 0 until its expiry cycle has sampled some keys.
fn info_keyspace(srv: &mut Server, _me: &Client, out: &mut String) {
    for (index, db) in srv.dbs.iter().enumerate() {
        let (keys, expires) = (db.dict.len(), db.expires.len());
        if keys > 0 || expires > 0 {
            let _ = write!(out, "db{index}:keys={keys},expires={expires},avg_ttl=0\r\n");
        }
    }
}

// ---------------------------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------------------------

/// CONFIG HELP: Redis's full help text.
fn config_help_command(_srv: &mut Server, c: &mut Client) {
    c.reply.help(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
}

/// CONFIG GET pattern [pattern ...]: a map of every setting matching any of the glob
/// patterns (case-insensitive) to its value, each setting at most once. A pattern without
/// glob characters names one setting and the reply spells it as the pattern did (`HZ`),
/// as Redis does; a glob match is spelled as the table does. Reads the [`CONFIGS`] table,
/// like the config-file loader, so every setting rredis has can be read back.
fn config_get_command(srv: &mut Server, c: &mut Client) {
    let mut found: Vec<(Vec<u8>, &'static crate::config::ConfigSpec)> = Vec::new();
    let mut add = |name: &[u8], spec: &'static crate::config::ConfigSpec| {
        if !found.iter().any(|(_, seen)| std::ptr::eq(*seen, spec)) {
            found.push((name.to_vec(), spec));
        }
    };
    for pattern in c.argv.iter().skip(2) {
        if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            let spec = std::str::from_utf8(pattern).ok().and_then(lookup_config);
            if let Some(spec) = spec {
                add(pattern, spec);
            }
            continue;
        }
        for spec in CONFIGS {
            if !spec.hidden && string_match(pattern, spec.name.as_bytes(), true) {
                add(spec.name.as_bytes(), spec);
            }
        }
    }
    c.reply.map_len(found.len());
    for (name, spec) in found {
        c.reply.bulk(&name);
        c.reply.bulk(spec.get(&srv.config).as_bytes());
    }
}

/// CONFIG SET parameter value [parameter value ...]: changes settings while the server runs,
/// all or none (Redis 7.0). [`config_set`] checks every parameter and stores every value;
/// then the run-time actions the new values need run (rebinding the listeners, the log
/// level, ...). If one fails, the old settings come back and every action runs again to undo
/// what the others did, and the reply names the failure.
fn config_set_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() % 2 != 0 {
        return c.reply.error("ERR syntax error");
    }
    // The value of a secret setting never reaches the slow log or a monitor.
    for j in (2..c.argv.len()).step_by(2) {
        let name = String::from_utf8_lossy(c.argv.arg(j)).into_owned();
        if lookup_config(&name).is_some_and(|spec| spec.sensitive) {
            c.redact_argument(j + 1);
        }
    }
    let args = c.argv.get(2..).unwrap_or_default();
    let text: Vec<String> = args
        .iter()
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect();
    let pairs: Vec<(&str, &str)> = text
        .chunks_exact(2)
        .filter_map(|pair| match pair {
            [name, value] => Some((name.as_str(), value.as_str())),
            _ => None,
        })
        .collect();
    let backup = srv.config.clone();
    let applies = match config_set(&mut srv.config, &pairs) {
        Ok(applies) => applies,
        Err(e) => {
            srv.config = backup;
            return c.reply.error(&e.message());
        }
    };
    for &(apply, name) in &applies {
        if let Err(why) = apply.run(srv) {
            log::warn!(
                "Failed applying new configuration. Possibly related to new {name} setting. \
                 Restoring previous settings."
            );
            srv.config = backup;
            for &(undo, undo_name) in &applies {
                if let Err(undo_why) = undo.run(srv) {
                    log::warn!(
                        "Failed applying restored configuration ({undo_name} setting): {undo_why}"
                    );
                }
            }
            let error = ConfigSetError::Failed {
                name: name.into(),
                why,
            };
            return c.reply.error(&error.message());
        }
    }
    c.reply.ok();
}

/// CONFIG RESETSTAT: zeroes the counters INFO stats reports ([`crate::server::Stats::reset`]).
/// Redis also clears its per-command and per-error statistics, which rredis does not keep
/// yet.
fn config_resetstat_command(srv: &mut Server, c: &mut Client) {
    srv.stats.reset(now_ms());
    srv.command_stats.fill(Default::default());
    c.reply.ok();
}

/// CONFIG REWRITE: writes the current settings into the config file the server was started
/// with ([`crate::config::rewrite::rewrite_config`]), with Redis's errors: none without a
/// config file, the system's reason when the file cannot be written.
fn config_rewrite_command(srv: &mut Server, c: &mut Client) {
    let Some(path) = srv.config_file.clone() else {
        return c
            .reply
            .error("ERR The server is running without a config file");
    };
    match crate::config::rewrite::rewrite_config(srv, std::path::Path::new(&path)) {
        Ok(()) => {
            log::info!("CONFIG REWRITE executed with success.");
            c.reply.ok();
        }
        Err(e) => {
            let why = crate::util::strerror(&e);
            log::warn!("CONFIG-REWRITE failed: {why}");
            c.reply.error(&format!("ERR Rewriting config file: {why}"));
        }
    }
}

// ---------------------------------------------------------------------------------------
// TIME, LASTSAVE, SHUTDOWN
// ---------------------------------------------------------------------------------------

/// LASTSAVE: unix time of the last successful save, in seconds (`Server::lastsave`: the
/// start time until the persistence work saves).
fn lastsave_command(srv: &mut Server, c: &mut Client) {
    c.reply.int(srv.lastsave);
}

/// TIME: the server's clock as two bulk strings, unix seconds and the microseconds within
/// that second.
fn time_command(_srv: &mut Server, c: &mut Client) {
    let now = now_us();
    c.reply.array_len(2);
    c.reply.bulk_i64(now / 1_000_000);
    c.reply.bulk_i64(now % 1_000_000);
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stops the server (Redis's shutdownCommand).
/// On success there is no reply: the event loop ends after this turn and the process exits,
/// closing every connection (the caller reads end-of-file, which redis-cli expects).
///
/// [`prepare_for_shutdown`] kills a running child and writes the final snapshot when save
/// points are configured (SAVE: always; NOSAVE: never); if that save fails, the server
/// stays up and says so, unless FORCE says to exit anyway. NOW (do not wait for replicas)
/// changes nothing without replicas, and since a shutdown never waits, ABORT never finds
/// one in progress.
fn shutdown_command(srv: &mut Server, c: &mut Client) {
    let mut flags = ShutdownFlags::default();
    let (mut now, mut abort) = (false, false);
    for arg in c.argv.iter().skip(1) {
        match arg.to_ascii_lowercase().as_slice() {
            b"save" => flags.save = true,
            b"nosave" => flags.nosave = true,
            b"now" => now = true,
            b"force" => flags.force = true,
            b"abort" => abort = true,
            _ => {
                c.reply.error("ERR syntax error");
                return;
            }
        }
    }
    let any_flag = flags != ShutdownFlags::default() || now;
    if (abort && any_flag) || (flags.save && flags.nosave) {
        c.reply.error("ERR syntax error");
        return;
    }
    if abort {
        c.reply.error("ERR No shutdown in progress.");
        return;
    }
    if !prepare_for_shutdown(srv, flags) {
        c.reply.error("ERR Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    // Run nothing more this client pipelined after SHUTDOWN.
    c.close_after_reply = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_byte_counts() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(1_138_544), "1.09M");
        assert_eq!(bytes_to_human(25_276_514_304), "23.54G");
    }

    #[test]
    fn client_type_names() {
        assert_eq!(ClientType::from_name(b"SLAVE"), Some(ClientType::Replica));
        assert_eq!(ClientType::from_name(b"Normal"), Some(ClientType::Normal));
        assert_eq!(ClientType::from_name(b"PubSub"), Some(ClientType::PubSub));
        assert_eq!(ClientType::from_name(b"master"), Some(ClientType::Master));
        assert_eq!(ClientType::from_name(b"foo"), None);
    }
}
