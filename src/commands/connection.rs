//! Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET (Redis keeps these in
//! server.c, db.c, networking.c and acl.c). They act on the calling connection, not on data.

use bytes::Bytes;

use crate::acl::{
    auth_required, authenticate_user, client_set_default_auth, default_user_nopass, DEFAULT_USER,
};
use crate::client::{Client, ReplyMode};
use crate::commands::multi::discard_transaction;
use crate::commands::pubsub::{ping_in_pubsub_context, pubsub_unsubscribe_all};
use crate::commands::server_cmds::{client_set_name_or_reply, REDIS_VERSION};
use crate::commands::{acl, flags::*, Command, NO_KEYS};
use crate::server::Server;
use crate::util::parse_i64;

/// The reply to a failed authentication, whatever failed (unknown user or wrong password:
/// Redis does not tell which).
const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command::new(
        "ping",
        -1,
        FAST | SENTINEL,
        NO_KEYS,
        acl::CONNECTION,
        ping_command,
    ),
    Command::new(
        "echo",
        2,
        LOADING | STALE | FAST,
        NO_KEYS,
        acl::CONNECTION,
        echo_command,
    ),
    Command::new(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        NO_KEYS,
        acl::CONNECTION,
        quit_command,
    ),
    Command::new(
        "select",
        2,
        LOADING | STALE | FAST,
        NO_KEYS,
        acl::CONNECTION,
        select_command,
    ),
    Command::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        NO_KEYS,
        acl::CONNECTION,
        hello_command,
    ),
    Command::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        NO_KEYS,
        acl::CONNECTION,
        auth_command,
    ),
    Command::new(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        NO_KEYS,
        acl::CONNECTION,
        reset_command,
    ),
];

/// PING [message]: `+PONG`, or the message as a bulk string.
fn ping_command(_srv: &mut Server, c: &mut Client) {
    if c.argv.len() <= 2 && ping_in_pubsub_context(c) {
        return;
    }
    match c.argv.len() {
        1 => c.reply.status("PONG"),
        2 => c.reply.bulk(c.argv.arg(1)),
        _ => c
            .reply
            .error("ERR wrong number of arguments for 'ping' command"),
    }
}

/// ECHO message.
fn echo_command(_srv: &mut Server, c: &mut Client) {
    c.reply.bulk(c.argv.arg(1));
}

/// QUIT: `+OK`, then the connection closes once the reply is written (any arguments are
/// ignored, as in Redis 7.0).
fn quit_command(_srv: &mut Server, c: &mut Client) {
    c.reply.ok();
    c.close_after_reply = true;
}

/// SELECT index.
fn select_command(srv: &mut Server, c: &mut Client) {
    match parse_i64(c.argv.arg(1)) {
        None => c.reply.error("ERR value is not an integer or out of range"),
        Some(n) if n < 0 || n >= srv.dbs.len() as i64 => {
            c.reply.error("ERR DB index is out of range")
        }
        Some(n) => {
            c.db = n as usize;
            c.reply.ok();
        }
    }
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]: switches the connection's
/// protocol (2 or 3), optionally authenticates and names it, and replies with a map
/// describing the server. HELLO runs before authentication (it is `no_auth`), so it checks
/// that itself: with a password set, an unauthenticated connection must use its AUTH option.
///
/// The order is Redis 7.0's, and clients can see it: the version is checked first; then the
/// options take effect one by one as they are read, so an AUTH or SETNAME sticks even if a
/// later option fails; the protocol changes only once every option passed.
fn hello_command(srv: &mut Server, c: &mut Client) {
    let mut protocol = c.reply.resp;
    if c.argv.len() >= 2 {
        match parse_i64(c.argv.arg(1)) {
            None => {
                return c
                    .reply
                    .error("ERR Protocol version is not an integer or out of range");
            }
            Some(v) if !(2..=3).contains(&v) => {
                return c.reply.error("NOPROTO unsupported protocol version");
            }
            Some(v) => protocol = v as u8,
        }
    }
    let mut j = 2;
    while j < c.argv.len() {
        let option = c.argv.arg(j);
        let more = c.argv.len() - 1 - j;
        if option.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
            c.redact_argument(j + 1);
            c.redact_argument(j + 2);
            let (username, password) = (c.argv.arg_bytes(j + 1), c.argv.arg_bytes(j + 2));
            if !authenticate_user(&srv.config, c, &username, &password) {
                return c.reply.error(WRONGPASS);
            }
            j += 3;
        } else if option.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            let name = c.argv.arg_bytes(j + 1);
            if !client_set_name_or_reply(c, &name) {
                return;
            }
            j += 2;
        } else {
            let option = String::from_utf8_lossy(option).into_owned();
            return c
                .reply
                .error(&format!("ERR Syntax error in HELLO option '{option}'"));
        }
    }
    if auth_required(&srv.config, c) {
        return c.reply.error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
             the RESP protocol version at the same time",
        );
    }
    c.reply.resp = protocol;
    c.reply.map_len(7);
    c.reply.bulk(b"server");
    c.reply.bulk(b"redis");
    c.reply.bulk(b"version");
    c.reply.bulk(REDIS_VERSION.as_bytes());
    c.reply.bulk(b"proto");
    c.reply.int(protocol as i64);
    c.reply.bulk(b"id");
    c.reply.int(c.id as i64);
    c.reply.bulk(b"mode");
    c.reply.bulk(b"standalone");
    c.reply.bulk(b"role");
    c.reply.bulk(b"master");
    c.reply.bulk(b"modules");
    c.reply.array_len(0);
}

/// AUTH [username] password: authenticates the connection (see [`crate::acl`]). The
/// one-argument form names the default user; without a password configured it is refused
/// (Redis keeps that old error, so a client sending a password the server does not expect
/// learns of the misconfiguration), while `AUTH default anything` succeeds, as the nopass
/// default user accepts every password.
fn auth_command(srv: &mut Server, c: &mut Client) {
    // The password (and the user name with it) never reaches the slow log or a monitor.
    if c.argv.len() <= 3 {
        for j in 1..c.argv.len() {
            c.redact_argument(j);
        }
    }
    let (username, password) = match c.argv.len() {
        2 => {
            if default_user_nopass(&srv.config) {
                return c.reply.error(
                    "ERR AUTH <password> called without any password configured for the \
                     default user. Are you sure your configuration is correct?",
                );
            }
            (Bytes::from_static(DEFAULT_USER), c.argv.arg_bytes(1))
        }
        3 => (c.argv.arg_bytes(1), c.argv.arg_bytes(2)),
        _ => return c.reply.error("ERR syntax error"),
    };
    if authenticate_user(&srv.config, c, &username, &password) {
        c.reply.ok();
    } else {
        c.reply.error(WRONGPASS);
    }
}

/// RESET: returns the connection to the state of a new one (Redis's resetCommand and
/// clearClientConnectionState) and replies `+RESET`: database 0, RESP2, no name, and the
/// default user's authentication, so with a password set the client must authenticate
/// again.
///
/// It also leaves MULTI, discarding the queued commands, drops every WATCH and ends every
/// pub/sub subscription, without confirmations, ends client tracking and MONITOR, and turns
/// replies back on (CLIENT REPLY OFF, or a SKIP still waiting for its command; a RESET that
/// is itself the skipped command stays unanswered, as in Redis). Redis also clears the
/// READONLY / ASKING cluster flags here; each feature must clear its state in this function
/// when it arrives. CLIENT NO-EVICT survives RESET, as in Redis 7.0.
fn reset_command(srv: &mut Server, c: &mut Client) {
    discard_transaction(srv, c);
    pubsub_unsubscribe_all(srv, c);
    crate::tracking::disable_tracking(srv, c);
    crate::commands::monitor::stop_monitoring(srv, c);
    if c.reply_mode != ReplyMode::Skip {
        c.reply_mode = ReplyMode::On;
    }
    c.db = 0;
    c.reply.resp = 2;
    c.name = None;
    client_set_default_auth(&srv.config, c);
    c.reply.status("RESET");
}
