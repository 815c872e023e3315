//! Expire commands (expire.c) and key expiry, lazy and active, over raw TCP.

mod common;

use std::time::{Duration, Instant};

use common::{assert_same_replies, encode, Server};

/// Unix time in ms on the test's clock (the same clock the server reads).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// An integer reply's value.
fn int_reply(reply: &str) -> i64 {
    reply
        .strip_prefix(':')
        .and_then(|r| r.strip_suffix("\r\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not an integer reply: {reply:?}"))
}

#[test]
fn expire_option_and_argument_errors() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["SET", "k", "v"]), "+OK\r\n");
    let nx_err = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
    let gt_lt_err = "-ERR GT and LT options at the same time are not compatible\r\n";
    let cases: &[(&[&str], &str)] = &[
        (&["EXPIRE", "k", "100", "NX", "XX"], nx_err),
        (&["EXPIRE", "k", "100", "nx", "gt"], nx_err),
        (&["PEXPIRE", "k", "100", "lt", "NX"], nx_err),
        (&["EXPIRE", "k", "100", "GT", "LT"], gt_lt_err),
        (&["EXPIREAT", "k", "100", "xx", "lt", "gt"], gt_lt_err),
        (
            &["EXPIRE", "k", "100", "foo"],
            "-ERR Unsupported option foo\r\n",
        ),
        // Options are checked before the number.
        (
            &["EXPIRE", "k", "x", "foo"],
            "-ERR Unsupported option foo\r\n",
        ),
        (
            &["EXPIRE", "k", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["EXPIRE", "k", "1.5"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["EXPIRE", "k", "9223372036854775807"],
            "-ERR invalid expire time in 'expire' command\r\n",
        ),
        // Fits after `* 1000`, overflows once now is added.
        (
            &["EXPIRE", "k", "9223372036854775"],
            "-ERR invalid expire time in 'expire' command\r\n",
        ),
        (
            &["EXPIRE", "k", "-9223372036854776"],
            "-ERR invalid expire time in 'expire' command\r\n",
        ),
        (
            &["PEXPIRE", "k", "9223372036854775807"],
            "-ERR invalid expire time in 'pexpire' command\r\n",
        ),
        (
            &["EXPIREAT", "k", "9223372036854776"],
            "-ERR invalid expire time in 'expireat' command\r\n",
        ),
        (
            &["EXPIRE", "k"],
            "-ERR wrong number of arguments for 'expire' command\r\n",
        ),
        (&["EXPIRE", "nokey", "100"], ":0\r\n"),
        (&["EXPIRE", "k", "100", "NX", "NX"], ":1\r\n"),
    ];
    for (args, expected) in cases {
        assert_eq!(c.cmd_str(args), *expected, "{args:?}");
    }
}

#[test]
fn nx_xx_gt_lt_conditions() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["SET", "k", "v"]), "+OK\r\n");
    let cases: &[(&[&str], &str)] = &[
        // No TTL counts as an infinite one: XX and GT fail, LT succeeds.
        (&["EXPIRE", "k", "100", "XX"], ":0\r\n"),
        (&["EXPIRE", "k", "100", "GT"], ":0\r\n"),
        (&["TTL", "k"], ":-1\r\n"),
        (&["EXPIRE", "k", "100", "LT"], ":1\r\n"),
        (&["TTL", "k"], ":100\r\n"),
        (&["EXPIRE", "k", "50", "NX"], ":0\r\n"),
        (&["EXPIRE", "k", "200", "LT"], ":0\r\n"),
        (&["EXPIRE", "k", "50", "GT"], ":0\r\n"),
        (&["EXPIRE", "k", "200", "xx", "GT"], ":1\r\n"),
        (&["TTL", "k"], ":200\r\n"),
        (&["EXPIRE", "k", "150", "XX", "lt"], ":1\r\n"),
        (&["TTL", "k"], ":150\r\n"),
        (&["PERSIST", "k"], ":1\r\n"),
        (&["PERSIST", "k"], ":0\r\n"),
        (&["PERSIST", "nokey"], ":0\r\n"),
        (&["EXPIRE", "k", "60", "NX"], ":1\r\n"),
        (&["TTL", "k"], ":60\r\n"),
    ];
    for (args, expected) in cases {
        assert_eq!(c.cmd_str(args), *expected, "{args:?}");
    }
}

#[test]
fn a_deadline_in_the_past_deletes_the_key() {
    let srv = Server::start();
    let mut c = srv.raw();
    for (i, args) in [
        ["EXPIRE", "k", "0"],
        ["EXPIRE", "k", "-10"],
        ["PEXPIRE", "k", "-9223372036854775808"],
        ["EXPIREAT", "k", "1"],
        ["PEXPIREAT", "k", "0"],
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(c.cmd_str(&["SET", "k", "v"]), "+OK\r\n");
        assert_eq!(c.cmd_str(args), ":1\r\n", "case {i}: {args:?}");
        assert_eq!(c.cmd_str(&["EXISTS", "k"]), ":0\r\n", "case {i}");
        assert_eq!(c.cmd_str(args), ":0\r\n", "case {i}: the key is gone");
    }
    // A condition that fails keeps the key.
    assert_eq!(c.cmd_str(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["EXPIRE", "k", "-1", "XX"]), ":0\r\n");
    assert_eq!(c.cmd_str(&["EXISTS", "k"]), ":1\r\n");
}

#[test]
fn ttl_pttl_expiretime_pexpiretime() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["SET", "k", "v"]), "+OK\r\n");
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(c.cmd_str(&[cmd, "nokey"]), ":-2\r\n", "{cmd}");
        assert_eq!(c.cmd_str(&[cmd, "k"]), ":-1\r\n", "{cmd}");
    }
    // Absolute readings are exact; EXPIRETIME rounds half up.
    let cases: &[(&[&str], &str)] = &[
        (&["PEXPIREAT", "k", "33177117420499"], ":1\r\n"),
        (&["PEXPIRETIME", "k"], ":33177117420499\r\n"),
        (&["EXPIRETIME", "k"], ":33177117420\r\n"),
        (&["PEXPIREAT", "k", "33177117420500"], ":1\r\n"),
        (&["EXPIRETIME", "k"], ":33177117421\r\n"),
        (&["EXPIREAT", "k", "33177117420"], ":1\r\n"),
        (&["PEXPIRETIME", "k"], ":33177117420000\r\n"),
        // The latest possible deadline does not overflow the rounding.
        (&["PEXPIREAT", "k", "9223372036854775807"], ":1\r\n"),
        (&["PEXPIRETIME", "k"], ":9223372036854775807\r\n"),
        (&["EXPIRETIME", "k"], ":9223372036854776\r\n"),
    ];
    for (args, expected) in cases {
        assert_eq!(c.cmd_str(args), *expected, "{args:?}");
    }
    // Relative readings: PTTL within the window, TTL rounded to the nearest second.
    assert_eq!(c.cmd_str(&["PEXPIRE", "k", "100000"]), ":1\r\n");
    let pttl = int_reply(&c.cmd_str(&["PTTL", "k"]));
    assert!((99_000..=100_000).contains(&pttl), "PTTL {pttl}");
    assert_eq!(c.cmd_str(&["TTL", "k"]), ":100\r\n");
    assert_eq!(c.cmd_str(&["PEXPIRE", "k", "2600"]), ":1\r\n");
    assert_eq!(c.cmd_str(&["TTL", "k"]), ":3\r\n");
    let deadline = now_ms() + 5000;
    assert_eq!(
        c.cmd_str(&["PEXPIREAT", "k", &deadline.to_string()]),
        ":1\r\n"
    );
    let at = int_reply(&c.cmd_str(&["EXPIRETIME", "k"]));
    assert_eq!(at, (deadline + 500) / 1000);
}

#[test]
fn keys_expire_lazily_on_access() {
    let srv = Server::start_with(&["--hz", "1"]);
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd_str(&["PEXPIRE", "k", "30"]), ":1\r\n");
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.cmd_str(&["GET", "k"]) != "$-1\r\n" {
        assert!(Instant::now() < deadline, "key never expired");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(c.cmd_str(&["TTL", "k"]), ":-2\r\n");
    assert_eq!(c.cmd_str(&["PERSIST", "k"]), ":0\r\n");
    assert_eq!(c.cmd_str(&["DBSIZE"]), ":0\r\n");
}

#[test]
fn active_expiry_reclaims_keys_nobody_touches() {
    const KEYS: usize = 10_000;
    let srv = Server::start();
    let mut c = srv.raw();
    let mut batch = Vec::new();
    for i in 0..KEYS {
        let key = format!("key:{i}");
        batch.extend(encode(&[b"SET", key.as_bytes(), b"v", b"PX", b"100"]));
    }
    c.send(&batch);
    for _ in 0..KEYS {
        assert_eq!(c.read_reply(), b"+OK\r\n");
    }
    // DBSIZE counts keys that expired but were not reclaimed yet: only the active cycle can
    // bring it to zero, since nothing reads these keys.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let size = int_reply(&c.cmd_str(&["DBSIZE"]));
        if size == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{size} expired keys still not reclaimed after 5 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn differential_against_real_redis() {
    assert_same_replies(
        "expire differential",
        &[
            &["SET", "k", "v"],
            &["EXPIRE", "k", "100", "nx", "xx"],
            &["EXPIRE", "k", "100", "gt", "lt"],
            &["EXPIRE", "k", "100", "NX", "LT"],
            &["PEXPIREAT", "k", "100", "bogus"],
            &["EXPIRE", "k", "abc"],
            &["EXPIRE", "k", "9223372036854775"],
            &["EXPIREAT", "k", "-9223372036854776"],
            &["PEXPIRE", "k", "9223372036854775807"],
            &["PEXPIREAT", "k", "9223372036854775807"],
            &["EXPIRETIME", "k"],
            &["PEXPIRETIME", "k"],
            &["PEXPIREAT", "k", "33177117420500", "LT"],
            &["EXPIRETIME", "k"],
            &["PEXPIREAT", "k", "33177117420400", "GT"],
            &["PEXPIREAT", "k", "33177117420400", "XX", "LT"],
            &["PEXPIRETIME", "k"],
            &["EXPIRE", "k", "100", "NX"],
            &["PERSIST", "k"],
            &["PERSIST", "k"],
            &["TTL", "k"],
            &["PTTL", "nokey"],
            &["EXPIRETIME", "nokey"],
            &["EXPIRE", "k", "100", "GT"],
            &["EXPIRE", "k", "100", "XX"],
            &["EXPIRE", "nokey", "100"],
            &["EXPIRE", "k", "-1"],
            &["EXISTS", "k"],
            &["TTL"],
            &["PERSIST", "a", "b"],
            &["EXPIRE", "k"],
        ],
    );
}
