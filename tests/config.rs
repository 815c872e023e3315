//! CONFIG SET / RESETSTAT, AUTH and `requirepass`, RESET and LASTSAVE over raw TCP: exact
//! replies (each checked against redis-server 7.0.15), differential scripts run against the
//! real server, and the run-time effects of settings (listening port and addresses, idle
//! timeout, hz, log level).

mod common;

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{assert_same_replies, free_port, Raw, Server};

/// How long a test waits for something the server does on its own (a cron tick, a log line).
const DEADLINE: Duration = Duration::from_secs(10);

/// The value of `field` in an INFO reply.
fn info_field(info: &str, field: &str) -> String {
    info.split("\r\n")
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {field} in INFO"))
        .to_string()
}

/// `*2 name value`, CONFIG GET's reply for one setting.
fn config_get_reply(name: &str, value: &str) -> Vec<u8> {
    format!(
        "*2\r\n${}\r\n{name}\r\n${}\r\n{value}\r\n",
        name.len(),
        value.len()
    )
    .into_bytes()
}

fn config_set_failed(name: &str, why: &str) -> Vec<u8> {
    format!("-ERR CONFIG SET failed (possibly related to argument '{name}') - {why}\r\n")
        .into_bytes()
}

const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const NOAUTH: &[u8] = b"-NOAUTH Authentication required.\r\n";

#[test]
fn config_set_replies() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["CONFIG", "SET", "timeout", "30"]), b"+OK\r\n");
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "timeout"]),
        config_get_reply("timeout", "30")
    );
    // Several pairs at once.
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "timeout",
            "0",
            "maxmemory",
            "2mb",
            "tcp-keepalive",
            "60"
        ]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "maxmemory"]),
        config_get_reply("maxmemory", "2097152")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "foo", "bar"]),
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz", "10", "port"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz"]),
        b"-ERR wrong number of arguments for 'config|set' command\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "databases", "5"]),
        config_set_failed("databases", "can't set immutable config")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz", "5", "HZ", "6"]),
        config_set_failed("HZ", "duplicate parameter")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "HZ", "abc"]),
        config_set_failed("hz", "argument couldn't be parsed into an integer")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "port", "70000"]),
        config_set_failed("port", "argument must be between 0 and 65535 inclusive")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", "-1"]),
        config_set_failed("maxmemory", "argument must be a memory value")
    );
    // All or nothing: the valid `timeout` is not kept when `hz` fails.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "timeout", "99", "hz", "x"]),
        config_set_failed("hz", "argument couldn't be parsed into an integer")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "timeout"]),
        config_get_reply("timeout", "0")
    );
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), b"+OK\r\n");
    assert_eq!(
        c.cmd(&["CONFIG", "RESETSTAT", "x"]),
        b"-ERR wrong number of arguments for 'config|resetstat' command\r\n"
    );
}

#[test]
fn config_set_matches_real_redis() {
    let too_many_addresses = vec!["127.0.0.1"; 17].join(" ");
    assert_same_replies(
        "config_set_matches_real_redis",
        &[
            // hz is a hint: out-of-range values are capped, not refused.
            &["CONFIG", "SET", "hz", "0"],
            &["CONFIG", "GET", "hz"],
            &["CONFIG", "SET", "hz", "1000"],
            &["CONFIG", "GET", "hz"],
            &["CONFIG", "SET", "hz", "10"],
            &["CONFIG", "SET", "hz", "-1"],
            &["CONFIG", "SET", "HZ", "abc"],
            &["CONFIG", "SET", "hz", "10.5"],
            &["CONFIG", "SET", "hz", "007"],
            &["CONFIG", "SET", "hz", "+7"],
            &["CONFIG", "SET", "hz", ""],
            // Which problem is reported when there are several: the first one.
            &["CONFIG", "SET", "hz", "10", "hz", "20"],
            &["CONFIG", "SET", "hz", "10", "HZ", "20"],
            &["CONFIG", "SET", "databases", "5"],
            &["CONFIG", "SET", "hz", "10", "databases", "5"],
            &["CONFIG", "SET", "databases", "5", "foo", "bar"],
            &["CONFIG", "SET", "foo", "bar", "databases", "5"],
            &["CONFIG", "SET", "hz", "5", "foo", "bar"],
            &["CONFIG", "SET", "hz", "abc", "foo", "bar"],
            &["CONFIG", "SET", "hz", "5", "databases", "5", "hz", "7"],
            &["CONFIG", "SET", "hz", "5", "hz", "7", "databases", "5"],
            // A value error after a good value: nothing is kept.
            &["CONFIG", "SET", "hz", "11", "timeout", "abc"],
            &["CONFIG", "GET", "hz"],
            &["CONFIG", "SET", "hz"],
            &["CONFIG", "SET", "hz", "10", "port"],
            &["CONFIG", "SET", "foo", "bar"],
            &["CONFIG", "SET", "tcp-backlog", "100"],
            &["CONFIG", "SET", "logfile", "x"],
            &["CONFIG", "SET", "loglevel", "foo"],
            &["CONFIG", "SET", "loglevel", "nothing"],
            &["CONFIG", "SET", "loglevel", "VERBOSE"],
            &["CONFIG", "GET", "loglevel"],
            &["CONFIG", "SET", "loglevel", "warning"],
            &["CONFIG", "SET", "protected-mode", "maybe"],
            &["CONFIG", "SET", "protected-mode", "NO"],
            &["CONFIG", "GET", "protected-mode"],
            &["CONFIG", "SET", "protected-mode", "yes"],
            // Memory values: units, and Redis's quirks with no digits and overflow.
            &["CONFIG", "SET", "maxmemory", "abc"],
            &["CONFIG", "SET", "maxmemory", "-1"],
            &["CONFIG", "SET", "maxmemory", "+5"],
            &["CONFIG", "SET", "maxmemory", " 3"],
            &["CONFIG", "SET", "maxmemory", "1x"],
            &["CONFIG", "SET", "maxmemory", "1.5mb"],
            &["CONFIG", "SET", "maxmemory", "3Kb"],
            &["CONFIG", "GET", "maxmemory"],
            &["CONFIG", "SET", "maxmemory", "2B"],
            &["CONFIG", "GET", "maxmemory"],
            &["CONFIG", "SET", "maxmemory", "00012"],
            &["CONFIG", "GET", "maxmemory"],
            &["CONFIG", "SET", "maxmemory", "mb"],
            &["CONFIG", "GET", "maxmemory"],
            &["CONFIG", "SET", "maxmemory", "99999999999999999999"],
            &["CONFIG", "GET", "maxmemory"],
            &["CONFIG", "SET", "maxmemory", "99999999999gb"],
            &["CONFIG", "GET", "maxmemory"],
            &["CONFIG", "SET", "maxmemory", ""],
            &["CONFIG", "GET", "maxmemory"],
            &["CONFIG", "SET", "proto-max-bulk-len", "100"],
            &["CONFIG", "SET", "proto-max-bulk-len", "-1"],
            &["CONFIG", "SET", "proto-max-bulk-len", "9223372036854775808"],
            &["CONFIG", "SET", "proto-max-bulk-len", "1gb"],
            &["CONFIG", "GET", "proto-max-bulk-len"],
            &["CONFIG", "SET", "client-query-buffer-limit", "100"],
            &["CONFIG", "SET", "client-query-buffer-limit", "2gb"],
            &["CONFIG", "GET", "client-query-buffer-limit"],
            // Integers.
            &["CONFIG", "SET", "timeout", "-1"],
            &["CONFIG", "SET", "timeout", "1k"],
            &["CONFIG", "SET", "timeout", "2147483648"],
            &["CONFIG", "SET", "timeout", "0"],
            &["CONFIG", "SET", "maxclients", "0"],
            &["CONFIG", "SET", "maxclients", "4294967296"],
            &["CONFIG", "SET", "maxclients", "500"],
            &["CONFIG", "GET", "maxclients"],
            &["CONFIG", "SET", "port", "70000"],
            &["CONFIG", "SET", "port", "-1"],
            &["CONFIG", "SET", "port", "abc"],
            &["CONFIG", "SET", "tcp-keepalive", "60"],
            &["CONFIG", "GET", "tcp-keepalive"],
            &["CONFIG", "SET", "bind", &too_many_addresses],
            &["CONFIG", "SET", "maxmemory-policy", "NOEVICTION"],
            &["CONFIG", "GET", "maxmemory-policy"],
            &["CONFIG", "GET", "requirepass"],
            &["CONFIG", "RESETSTAT"],
            &["CONFIG", "RESETSTAT", "x"],
            &["CONFIG", "HELP"],
        ],
    );
}

#[test]
fn config_set_port_moves_the_listener() {
    let srv = Server::start();
    let mut c = srv.raw();
    let new_port = free_port();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "port", &new_port.to_string()]),
        b"+OK\r\n"
    );
    // The connection that asked stays; new ones reach the new port only.
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(Raw::connect(new_port).cmd(&["PING"]), b"+PONG\r\n");
    assert!(TcpStream::connect(("127.0.0.1", srv.port)).is_err());
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "port"]),
        config_get_reply("port", &new_port.to_string())
    );
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "server"])).into_owned();
    assert_eq!(info_field(&info, "tcp_port"), new_port.to_string());
}

#[test]
fn config_set_port_that_is_taken_changes_nothing() {
    let srv = Server::start();
    let mut c = srv.raw();
    let taken = TcpListener::bind(("127.0.0.1", 0)).expect("bind a port to take");
    let taken_port = taken.local_addr().expect("local addr").port().to_string();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "port", &taken_port]),
        config_set_failed("port", "Unable to listen on this port. Check server logs.")
    );
    // Values set with it are rolled back too.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz", "50", "port", &taken_port]),
        config_set_failed("port", "Unable to listen on this port. Check server logs.")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hz"]),
        config_get_reply("hz", "10")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "port"]),
        config_get_reply("port", &srv.port.to_string())
    );
    assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn config_set_bind_rebinds_the_addresses() {
    let srv = Server::start();
    let mut c = srv.raw();
    // 192.0.2.1 (TEST-NET-1) is no address of this host: binding it fails, nothing changes.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1 192.0.2.1"]),
        config_set_failed("bind", "Failed to bind to specified addresses.")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "bind"]),
        config_get_reply("bind", "127.0.0.1 -::1")
    );
    assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
    // From a specific address to the wildcard on the same port (the kernel refuses both at
    // once, so the old socket must go first), and back.
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "* -::*"]), b"+OK\r\n");
    assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1"]), b"+OK\r\n");
    assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
    // No address at all: connected clients stay, nobody new gets in.
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", ""]), b"+OK\r\n");
    assert!(TcpStream::connect(("127.0.0.1", srv.port)).is_err());
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "bind"]),
        config_get_reply("bind", "")
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "localhost"]), b"+OK\r\n");
    assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn config_set_timeout_closes_idle_clients() {
    let srv = Server::start();
    let mut idle = srv.raw();
    assert_eq!(idle.cmd(&["PING"]), b"+PONG\r\n");
    // At the lowest hz the cron still runs, once a second, and finds the idle client.
    assert_eq!(
        srv.raw().cmd(&["CONFIG", "SET", "hz", "1", "timeout", "1"]),
        b"+OK\r\n"
    );
    let (bytes, closed) = idle.read_until_closed(DEADLINE);
    assert!(closed, "the idle client was not disconnected");
    assert!(bytes.is_empty(), "{bytes:?}");
}

#[test]
fn config_set_hz_is_capped_and_reported() {
    let srv = Server::start();
    let mut c = srv.raw();
    for (asked, kept) in [("0", "1"), ("1000", "500"), ("100", "100")] {
        assert_eq!(c.cmd(&["CONFIG", "SET", "hz", asked]), b"+OK\r\n");
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "hz"]),
            config_get_reply("hz", kept)
        );
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "server"])).into_owned();
        assert_eq!(info_field(&info, "hz"), kept);
        assert_eq!(info_field(&info, "configured_hz"), kept);
    }
    // The same cap applies to the start-up setting.
    let srv = Server::start_with(&["--hz", "0"]);
    assert_eq!(
        srv.raw().cmd(&["CONFIG", "GET", "hz"]),
        config_get_reply("hz", "1")
    );
}

#[test]
fn config_set_loglevel_takes_effect_at_once() {
    let log = std::env::temp_dir().join(format!("rredis-config-test-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let srv = Server::start_with(&["--logfile", log.to_str().expect("utf-8 path")]);
    let mut c = srv.raw();
    // At `warning`, accepting a connection (a `verbose` line) is not logged.
    assert_eq!(c.cmd(&["CONFIG", "SET", "loglevel", "verbose"]), b"+OK\r\n");
    assert!(!log_text().contains("Accepted"), "{}", log_text());
    assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
    let deadline = Instant::now() + DEADLINE;
    while !log_text().contains("Accepted") {
        assert!(Instant::now() < deadline, "no verbose line: {}", log_text());
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(srv);
    let _ = std::fs::remove_file(&log);
}

#[test]
fn config_resetstat_zeroes_the_counters() {
    let srv = Server::start();
    let mut c = srv.raw();
    let _ = srv.raw();
    c.cmd(&["PING"]);
    c.cmd(&["NOSUCHCOMMAND"]);
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), b"+OK\r\n");
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "stats"])).into_owned();
    // RESETSTAT itself is counted once it has run, as in Redis.
    assert_eq!(info_field(&info, "total_commands_processed"), "1");
    for zero in [
        "total_connections_received",
        "total_error_replies",
        "rejected_connections",
        "expired_keys",
        "keyspace_hits",
        "keyspace_misses",
    ] {
        assert_eq!(info_field(&info, zero), "0", "{zero}");
    }
}

#[test]
fn lastsave_is_the_start_time() {
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs()
    };
    let before = now();
    let srv = Server::start();
    let after = now();
    let mut c = srv.raw();
    let reply = c.cmd_str(&["LASTSAVE"]);
    let lastsave: u64 = reply
        .strip_prefix(':')
        .and_then(|r| r.strip_suffix("\r\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not an integer reply: {reply:?}"));
    assert!((before..=after).contains(&lastsave), "{lastsave}");
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
    assert_eq!(
        info_field(&info, "rdb_last_save_time"),
        lastsave.to_string()
    );
    assert_eq!(
        c.cmd(&["LASTSAVE", "x"]),
        b"-ERR wrong number of arguments for 'lastsave' command\r\n"
    );
}

#[test]
fn auth_without_a_password() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(
        c.cmd(&["AUTH", "secret"]),
        b"-ERR AUTH <password> called without any password configured for the default user. \
          Are you sure your configuration is correct?\r\n"
    );
    // The default user has no password, so it accepts any.
    assert_eq!(c.cmd(&["AUTH", "default", "secret"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["AUTH", "DEFAULT", "secret"]), WRONGPASS);
    assert_eq!(c.cmd(&["AUTH", "bob", "secret"]), WRONGPASS);
    assert_eq!(c.cmd(&["AUTH", "a", "b", "c"]), b"-ERR syntax error\r\n");
    assert_eq!(
        c.cmd(&["AUTH"]),
        b"-ERR wrong number of arguments for 'auth' command\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn requirepass_at_start_up() {
    let srv = Server::start_with(&["--requirepass", "secret"]);
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["PING"]), NOAUTH);
    assert_eq!(c.cmd(&["CONFIG", "GET", "hz"]), NOAUTH);
    // Unknown commands and arity errors come before the authentication check.
    assert_eq!(
        c.cmd(&["FOO"]),
        b"-ERR unknown command 'FOO', with args beginning with: \r\n"
    );
    assert_eq!(
        c.cmd(&["ECHO"]),
        b"-ERR wrong number of arguments for 'echo' command\r\n"
    );
    assert_eq!(
        c.cmd(&["HELLO", "3"]),
        b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the \
          HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
          the RESP protocol version at the same time\r\n"
    );
    assert_eq!(c.cmd(&["AUTH", "wrong"]), WRONGPASS);
    assert_eq!(
        c.cmd(&["HELLO", "3", "AUTH", "default", "wrong"]),
        WRONGPASS
    );
    let hello = c.cmd_str(&["HELLO", "3", "AUTH", "default", "secret"]);
    assert!(hello.starts_with("%7\r\n"), "{hello}");
    assert!(hello.contains("$5\r\nproto\r\n:3\r\n"), "{hello}");
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    // RESET goes back to the unauthenticated state of a new connection.
    assert_eq!(c.cmd(&["RESET"]), b"+RESET\r\n");
    assert_eq!(c.cmd(&["PING"]), NOAUTH);
    assert_eq!(c.cmd(&["AUTH", "secret"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "requirepass"]),
        config_get_reply("requirepass", "secret")
    );
    // QUIT needs no authentication.
    let mut other = srv.raw();
    assert_eq!(other.cmd(&["QUIT"]), b"+OK\r\n");
    assert!(other.is_closed());
}

#[test]
fn requirepass_set_at_run_time() {
    let srv = Server::start();
    let mut admin = srv.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "requirepass", "s3cret"]),
        b"+OK\r\n"
    );
    // A connection authenticated before stays authenticated; a new one must authenticate.
    assert_eq!(admin.cmd(&["PING"]), b"+PONG\r\n");
    let mut late = srv.raw();
    assert_eq!(late.cmd(&["PING"]), NOAUTH);
    // Once the password is gone, nobody needs to authenticate.
    assert_eq!(admin.cmd(&["CONFIG", "SET", "requirepass", ""]), b"+OK\r\n");
    assert_eq!(late.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn requirepass_matches_real_redis() {
    assert_same_replies(
        "requirepass_matches_real_redis",
        &[
            &["CONFIG", "SET", "requirepass", "secret"],
            &["PING"],
            &["CONFIG", "GET", "requirepass"],
            &["RESET"],
            &["PING"],
            &["FOO"],
            &["CONFIG", "FOO"],
            &["CONFIG", "GET"],
            &["HELLO", "3"],
            &["HELLO"],
            &["HELLO", "4"],
            &["HELLO", "x"],
            &["CLIENT", "SETNAME", "x"],
            // HELLO's options take effect in order: the name sticks though AUTH fails.
            &["HELLO", "3", "SETNAME", "early", "AUTH", "default", "wrong"],
            &["AUTH", "wrong"],
            &["AUTH", "default", "wrong"],
            &["AUTH", "bob", "secret"],
            &["AUTH", "secret"],
            &["CLIENT", "GETNAME"],
            &["PING"],
            &["RESET"],
            &["CLIENT", "GETNAME"],
            &["AUTH", "default", "secret"],
            &["PING"],
            &["RESET"],
            // ... and so does AUTH, though a later option is wrong.
            &["HELLO", "3", "AUTH", "default", "secret", "FOO"],
            &["PING"],
            &[
                "HELLO", "2", "AUTH", "bob", "x", "AUTH", "default", "secret",
            ],
            &["CONFIG", "SET", "requirepass", ""],
            &["RESET"],
            &["PING"],
            &["AUTH", "x"],
        ],
    );
}

#[test]
fn reset_and_auth_match_real_redis() {
    assert_same_replies(
        "reset_and_auth_match_real_redis",
        &[
            &["AUTH", "x"],
            &["AUTH", "default", "x"],
            &["AUTH", "DEFAULT", "x"],
            &["AUTH", "bob", "x"],
            &["AUTH", "a", "b", "c"],
            &["SELECT", "3"],
            &["CLIENT", "SETNAME", "n"],
            &["RESET"],
            &["CLIENT", "GETNAME"],
            &["RESET", "x"],
            &["HELLO", "2", "SETNAME", "n2", "FOO"],
            &["CLIENT", "GETNAME"],
            &["HELLO", "3", "SETNAME", "n3", "AUTH", "bob", "x"],
            &["CLIENT", "GETNAME"],
            &["HELLO", "3", "AUTH", "default", "x", "FOO"],
            &["HELLO", "3", "SETNAME", "a b", "AUTH", "bob", "x"],
            &["LASTSAVE", "x"],
        ],
    );
}

#[test]
fn reset_returns_to_the_connection_defaults() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["SELECT", "5"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "me"]), b"+OK\r\n");
    assert!(c.cmd_str(&["HELLO", "3"]).starts_with("%7\r\n"));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$2\r\nme\r\n");
    assert_eq!(c.cmd(&["RESET"]), b"+RESET\r\n");
    // RESP2 again: a missing name is `$-1`, not RESP3's `_`.
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$-1\r\n");
    let info = c.cmd_str(&["CLIENT", "INFO"]);
    assert!(info.contains(" db=0 "), "{info}");
    assert!(info.contains(" name= "), "{info}");
    assert!(info.contains(" resp=2\n"), "{info}");
}
