//! String commands (t_string.c) over raw TCP: exact reply bytes, as redis-server 7.0.15 gives
//! them, for each command's options, errors and edge cases; then a differential run of the
//! same kind of traffic against a real redis-server.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{real_redis, Raw, Server};

const WRONG_ARGS: &str = "-ERR wrong number of arguments for";
const NOT_INTEGER: &str = "-ERR value is not an integer or out of range\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const NULL: &str = "$-1\r\n";
const OK: &str = "+OK\r\n";
const EMPTY: &str = "$0\r\n\r\n";

/// Splits a command line on spaces; `"..."` quotes one argument (`""` is the empty one).
fn split(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&ch) = chars.peek() {
        if ch == ' ' {
            chars.next();
        } else if ch == '"' {
            chars.next();
            args.push(chars.by_ref().take_while(|&c| c != '"').collect());
        } else {
            let mut arg = String::new();
            while let Some(c) = chars.next_if(|&c| c != ' ') {
                arg.push(c);
            }
            args.push(arg);
        }
    }
    args
}

/// Sends a command line and returns the reply as text.
fn run(c: &mut Raw, line: &str) -> String {
    let args = split(line);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    c.cmd_str(&args)
}

/// Runs each `(command line, exact reply)` pair in order.
fn check(c: &mut Raw, cases: &[(&str, &str)]) {
    for (line, want) in cases {
        assert_eq!(run(c, line), *want, "reply to `{line}`");
    }
}

/// An integer reply.
fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// A bulk string reply.
fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// Polls `cond` until it holds, failing after a few seconds.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn get_and_set_options() {
    let srv = Server::start();
    let mut c = srv.raw();
    check(
        &mut c,
        &[
            ("GET k", NULL),
            ("SET k v", OK),
            ("GET k", &bulk("v")),
            ("SET k \"\"", OK),
            ("GET k", EMPTY),
            // NX / XX, alone and with GET (NX GET is allowed since 7.0).
            ("SET k v nx get", EMPTY),
            ("SET k v nx", NULL),
            ("SET n v NX", OK),
            ("SET n v2 nx get", &bulk("v")),
            ("GET n", &bulk("v")),
            ("SET n v3 xx get", &bulk("v")),
            ("GET n", &bulk("v3")),
            ("SET missing v xx get", NULL),
            ("SET missing v XX", NULL),
            ("GET missing", NULL),
            ("SET n v nx nx", NULL),
            ("SET n v4 get get", &bulk("v3")),
            ("SET n v Ex 100 Nx", NULL),
            // Option conflicts and unknown options.
            ("SET k v nx xx", SYNTAX),
            ("SET k v xx nx", SYNTAX),
            ("SET k v ex 10 px 20", SYNTAX),
            ("SET k v exat 10 pxat 20", SYNTAX),
            ("SET k v keepttl ex 10", SYNTAX),
            ("SET k v ex 10 keepttl", SYNTAX),
            ("SET k v persist", SYNTAX),
            ("SET k v foo", SYNTAX),
            ("SET k v ex", SYNTAX),
            ("SET k v ex abc nx xx", SYNTAX),
            ("SET k v ex 10 ex 20", OK),
            ("SET k v KEEPTTL keepttl", OK),
            // Expire values.
            ("SET k v ex abc", NOT_INTEGER),
            ("SET k v EX 1.5", NOT_INTEGER),
            (
                "SET k v ex 0",
                "-ERR invalid expire time in 'set' command\r\n",
            ),
            (
                "SET k v px -1",
                "-ERR invalid expire time in 'set' command\r\n",
            ),
            (
                "SET k v exat 0",
                "-ERR invalid expire time in 'set' command\r\n",
            ),
            // EX * 1000 + now must fit in 64 bits.
            (
                "SET k v ex 9223372036854775",
                "-ERR invalid expire time in 'set' command\r\n",
            ),
            (
                "SET k v ex 9223372036854776",
                "-ERR invalid expire time in 'set' command\r\n",
            ),
            (
                "SET k v px 9223372036854775807",
                "-ERR invalid expire time in 'set' command\r\n",
            ),
            ("SET k v pxat 9223372036854775807", OK),
            ("SET k v exat 9223372036854775", OK),
            ("SET k v ex 100", OK),
            // The expire time is checked before GET replies and before NX/XX.
            (
                "SET n v nx get px 0",
                "-ERR invalid expire time in 'set' command\r\n",
            ),
            ("SET k", &format!("{WRONG_ARGS} 'set' command\r\n")),
            ("GET", &format!("{WRONG_ARGS} 'get' command\r\n")),
            ("GET a b", &format!("{WRONG_ARGS} 'get' command\r\n")),
        ],
    );
}

#[test]
fn expired_deadlines_and_expiry() {
    let srv = Server::start();
    let mut c = srv.raw();
    // A deadline already in the past is stored; the key is gone when next looked at.
    check(
        &mut c,
        &[
            ("SET k v PXAT 1", OK),
            ("GET k", NULL),
            ("SET k v EXAT 1 GET", NULL),
            ("GET k", NULL),
            ("SET k v PX 50", OK),
        ],
    );
    wait_until("SET PX to expire", || run(&mut c, "GET k") == NULL);
    // INCR, APPEND, SETRANGE and SET KEEPTTL keep the TTL.
    check(
        &mut c,
        &[
            ("SET t 1 PX 200", OK),
            ("INCR t", &int(2)),
            ("APPEND t 0", &int(2)),
            ("SETRANGE t 0 3", &int(2)),
        ],
    );
    wait_until("INCR/APPEND/SETRANGE to keep the TTL", || {
        run(&mut c, "GET t") == NULL
    });
    check(&mut c, &[("SET t 5 PX 200", OK), ("SET t 6 KEEPTTL", OK)]);
    wait_until("SET KEEPTTL to keep the TTL", || {
        run(&mut c, "GET t") == NULL
    });
    check(&mut c, &[("PSETEX p 30 v", OK), ("GET p", &bulk("v"))]);
    wait_until("PSETEX to expire", || run(&mut c, "GET p") == NULL);
    check(&mut c, &[("SET g v", OK), ("GETEX g PX 30", &bulk("v"))]);
    wait_until("GETEX PX to expire", || run(&mut c, "GET g") == NULL);
}

#[test]
fn setnx_setex_psetex() {
    let srv = Server::start();
    let mut c = srv.raw();
    check(
        &mut c,
        &[
            ("SETNX k v", &int(1)),
            ("SETNX k w", &int(0)),
            ("GET k", &bulk("v")),
            ("SETEX k 100 w", OK),
            ("GET k", &bulk("w")),
            (
                "SETEX k 0 v",
                "-ERR invalid expire time in 'setex' command\r\n",
            ),
            ("SETEX k abc v", NOT_INTEGER),
            (
                "PSETEX k -1 v",
                "-ERR invalid expire time in 'psetex' command\r\n",
            ),
            ("PSETEX k 100000 x", OK),
            ("GET k", &bulk("x")),
            ("SETEX k 10", &format!("{WRONG_ARGS} 'setex' command\r\n")),
            ("SETNX k", &format!("{WRONG_ARGS} 'setnx' command\r\n")),
        ],
    );
}

#[test]
fn getex_getdel_getset() {
    let srv = Server::start();
    let mut c = srv.raw();
    check(
        &mut c,
        &[
            ("SET k v", OK),
            ("GETEX k", &bulk("v")),
            ("GETEX k persist", &bulk("v")),
            ("GETEX k ex 100", &bulk("v")),
            ("GETEX k ex 10 ex 20", &bulk("v")),
            ("GETEX k persist persist", &bulk("v")),
            ("GETEX k persist ex 10", SYNTAX),
            ("GETEX k ex 10 persist", SYNTAX),
            ("GETEX k keepttl", SYNTAX),
            ("GETEX k nx", SYNTAX),
            ("GETEX k get", SYNTAX),
            ("GETEX k foo", SYNTAX),
            ("GETEX k ex", SYNTAX),
            ("GETEX k ex abc", NOT_INTEGER),
            (
                "GETEX k ex -5",
                "-ERR invalid expire time in 'getex' command\r\n",
            ),
            (
                "GETEX k ex 9223372036854775",
                "-ERR invalid expire time in 'getex' command\r\n",
            ),
            // A missing key replies null before the time is even looked at.
            ("GETEX nokey ex -5", NULL),
            // EXAT/PXAT in the past delete the key after replying its value.
            ("GETEX k pxat 1", &bulk("v")),
            ("GET k", NULL),
            ("SET k v", OK),
            ("GETEX k EXAT 1", &bulk("v")),
            ("GETEX k", NULL),
            ("GETDEL k", NULL),
            ("SET k 12", OK),
            ("GETDEL k", &bulk("12")),
            ("GETDEL k", NULL),
            ("GETSET k 12", NULL),
            ("GETSET k abc", &bulk("12")),
            ("GET k", &bulk("abc")),
            ("GETEX", &format!("{WRONG_ARGS} 'getex' command\r\n")),
            ("GETDEL a b", &format!("{WRONG_ARGS} 'getdel' command\r\n")),
        ],
    );
}

#[test]
fn mget_mset_msetnx() {
    let srv = Server::start();
    let mut c = srv.raw();
    check(
        &mut c,
        &[
            ("MSET a 1 b 2", OK),
            ("MGET a nokey b", "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n"),
            ("MSET a 1 b", &format!("{WRONG_ARGS} 'mset' command\r\n")),
            ("MSET a", &format!("{WRONG_ARGS} 'mset' command\r\n")),
            ("MSETNX x", &format!("{WRONG_ARGS} 'msetnx' command\r\n")),
            ("MSETNX a 1 c 2", &int(0)),
            ("GET c", NULL),
            // A key repeated within MSETNX is not "existing": the last value wins.
            ("MSETNX c 1 c 2", &int(1)),
            ("GET c", &bulk("2")),
            ("MSET d 1 d 2 d 3", OK),
            ("GET d", &bulk("3")),
            ("MGET", &format!("{WRONG_ARGS} 'mget' command\r\n")),
        ],
    );
}

#[test]
fn append_and_strlen() {
    let srv = Server::start();
    let mut c = srv.raw();
    check(
        &mut c,
        &[
            ("STRLEN k", &int(0)),
            ("APPEND k 123", &int(3)),
            ("APPEND k 4", &int(4)),
            ("GET k", &bulk("1234")),
            ("APPEND k \"\"", &int(4)),
            ("STRLEN k", &int(4)),
            ("SET i -12345", OK),
            ("STRLEN i", &int(6)),
            ("APPEND i 6", &int(7)),
            ("GET i", &bulk("-123456")),
            ("APPEND e \"\"", &int(0)),
            ("GET e", EMPTY),
        ],
    );
}

#[test]
fn getrange_and_setrange() {
    let srv = Server::start();
    let mut c = srv.raw();
    check(
        &mut c,
        &[
            ("SET s \"Hello World\"", OK),
            ("GETRANGE s 0 4", &bulk("Hello")),
            ("GETRANGE s -5 -1", &bulk("World")),
            ("GETRANGE s -1 -5", EMPTY),
            ("GETRANGE s 5 2", EMPTY),
            ("GETRANGE s 0 100", &bulk("Hello World")),
            ("GETRANGE s -100 -50", &bulk("H")),
            ("GETRANGE s -100 2", &bulk("Hel")),
            ("GETRANGE s 20 30", EMPTY),
            (
                "GETRANGE s -9223372036854775808 9223372036854775807",
                &bulk("Hello World"),
            ),
            ("GETRANGE s 0 x", NOT_INTEGER),
            ("GETRANGE s x 0", NOT_INTEGER),
            ("GETRANGE nokey 0 1", EMPTY),
            ("GETRANGE nokey x 1", NOT_INTEGER),
            ("SUBSTR s 0 2", &bulk("Hel")),
            ("SET e \"\"", OK),
            ("GETRANGE e 0 -1", EMPTY),
            ("GETRANGE e -1 0", EMPTY),
            ("SET i 12345", OK),
            ("GETRANGE i 1 2", &bulk("23")),
            ("GETRANGE i -2 -1", &bulk("45")),
            // SETRANGE.
            ("SETRANGE sr 0 5", &int(1)),
            ("SETRANGE sr2 0 \"\"", &int(0)),
            ("GET sr2", NULL),
            ("SETRANGE sr 3 xy", &int(5)),
            ("GET sr", "$5\r\n5\0\0xy\r\n"),
            ("SETRANGE sr 1 ab", &int(5)),
            ("GET sr", &bulk("5abxy")),
            ("SETRANGE sr 536870911 \"\"", &int(5)),
            ("SETRANGE sr -1 x", "-ERR offset is out of range\r\n"),
            ("SETRANGE nk -1 \"\"", "-ERR offset is out of range\r\n"),
            ("SETRANGE sr abc x", NOT_INTEGER),
            ("SETRANGE nk 536870912 \"\"", &int(0)),
            (
                "SETRANGE sr 536870912 x",
                "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n",
            ),
            (
                "SETRANGE nk 536870912 x",
                "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n",
            ),
            ("SETRANGE i 0 9", &int(5)),
            ("GET i", &bulk("92345")),
            ("INCR i", &int(92346)),
        ],
    );
}

#[test]
fn limits_follow_proto_max_bulk_len() {
    let srv = Server::start_with(&["--proto-max-bulk-len", "1mb"]);
    let mut c = srv.raw();
    let mb = 1024 * 1024;
    let big = "a".repeat(mb - 1);
    assert_eq!(c.cmd_str(&["SET", "k", &big]), OK);
    assert_eq!(c.cmd_str(&["APPEND", "k", "b"]), int(mb as i64));
    assert_eq!(
        c.cmd_str(&["APPEND", "k", "c"]),
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    );
    assert_eq!(
        c.cmd_str(&["SETRANGE", "n", "1048575", "x"]),
        int(mb as i64)
    );
    assert_eq!(
        c.cmd_str(&["SETRANGE", "n", "1048576", "x"]),
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    );
    // LCS's table of (len1+1)*(len2+1) u32 cells may not exceed proto-max-bulk-len either:
    // 512*512*4 bytes is exactly 1 MiB.
    let s511 = "x".repeat(511);
    let s512 = "x".repeat(512);
    assert_eq!(c.cmd_str(&["MSET", "a", &s511, "b", &s511, "c", &s512]), OK);
    assert_eq!(c.cmd_str(&["LCS", "a", "b", "LEN"]), int(511));
    assert_eq!(
        c.cmd_str(&["LCS", "a", "c", "LEN"]),
        "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
    );
    assert_eq!(c.cmd_str(&["PING"]), "+PONG\r\n");
}

#[test]
fn lcs_of_huge_strings_is_refused_without_allocating() {
    let srv = Server::start();
    let mut c = srv.raw();
    // Two 12,000-byte strings need a 576 MB table: over the default 512 MB limit.
    let s = "a".repeat(12_000);
    assert_eq!(c.cmd_str(&["MSET", "a", &s, "b", &s]), OK);
    for opts in [&[][..], &["LEN"], &["IDX"]] {
        let mut args = vec!["LCS", "a", "b"];
        args.extend_from_slice(opts);
        assert_eq!(
            c.cmd_str(&args),
            "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
        );
    }
}

#[test]
fn counters() {
    let srv = Server::start();
    let mut c = srv.raw();
    let overflow = "-ERR increment or decrement would overflow\r\n";
    check(
        &mut c,
        &[
            ("INCR n", &int(1)),
            ("INCRBY n 5", &int(6)),
            ("DECR n", &int(5)),
            ("DECRBY n 3", &int(2)),
            ("DECRBY n -3", &int(5)),
            ("INCRBY n -10", &int(-5)),
            ("GET n", &bulk("-5")),
            (
                "DECRBY n -9223372036854775808",
                "-ERR decrement would overflow\r\n",
            ),
            (
                "DECRBY nokey -9223372036854775808",
                "-ERR decrement would overflow\r\n",
            ),
            ("INCRBY n 9223372036854775807", &int(9223372036854775802)),
            ("INCR n", &int(9223372036854775803)),
            ("INCRBY n 5", overflow),
            ("INCRBY n abc", NOT_INTEGER),
            ("INCRBY n 1.5", NOT_INTEGER),
            ("INCRBY n \"\"", NOT_INTEGER),
            ("INCRBY n 01", NOT_INTEGER),
            ("SET n 9223372036854775807", OK),
            ("INCR n", overflow),
            ("SET n -9223372036854775808", OK),
            ("DECR n", overflow),
            ("DECRBY n 1", overflow),
            ("INCRBY n -1", overflow),
            ("INCRBY n 9223372036854775807", &int(-1)),
            ("SET f 1.5", OK),
            ("INCR f", NOT_INTEGER),
            ("SET f \" 1\"", OK),
            ("INCR f", NOT_INTEGER),
            ("SET f +1", OK),
            ("INCR f", NOT_INTEGER),
            ("SET f 123456789012345678901", OK),
            ("INCR f", NOT_INTEGER),
            ("SET f \"\"", OK),
            ("INCR f", NOT_INTEGER),
            ("SET z 0", OK),
            ("DECR z", &int(-1)),
            ("APPEND a 1", &int(1)),
            ("APPEND a 0", &int(2)),
            ("INCR a", &int(11)),
            ("INCR", &format!("{WRONG_ARGS} 'incr' command\r\n")),
            ("INCRBY a", &format!("{WRONG_ARGS} 'incrby' command\r\n")),
        ],
    );
}

#[test]
fn incrbyfloat_uses_long_double_precision() {
    let srv = Server::start();
    let mut c = srv.raw();
    let not_float = "-ERR value is not a valid float\r\n";
    let nan_inf = "-ERR increment would produce NaN or Infinity\r\n";
    check(
        &mut c,
        &[
            ("INCRBYFLOAT f 10.5", &bulk("10.5")),
            ("INCRBYFLOAT f 0.1", &bulk("10.6")),
            ("INCRBYFLOAT f -5.0e3", &bulk("-4989.39999999999999991")),
            ("SET f 0.1", OK),
            ("INCRBYFLOAT f 0.2", &bulk("0.3")),
            ("SET f 5.0e3", OK),
            ("INCRBYFLOAT f 2.0e2", &bulk("5200")),
            ("SET f 3", OK),
            ("INCRBYFLOAT f -3", &bulk("0")),
            ("INCRBYFLOAT f -1e-20", &bulk("0")),
            ("INCRBYFLOAT f 0x10", &bulk("16")),
            ("INCRBYFLOAT f 1.", &bulk("17")),
            ("INCRBYFLOAT f .5", &bulk("17.5")),
            ("INCRBYFLOAT f inf", nan_inf),
            ("INCRBYFLOAT f -Infinity", nan_inf),
            ("INCRBYFLOAT f nan", not_float),
            ("INCRBYFLOAT f \" 1\"", not_float),
            ("INCRBYFLOAT f \"1 \"", not_float),
            ("INCRBYFLOAT f \"\"", not_float),
            ("INCRBYFLOAT f 1e", not_float),
            ("INCRBYFLOAT f 1e-5000", not_float),
            ("INCRBYFLOAT f 1e5000", not_float),
            ("GET f", &bulk("17.5")),
            ("SET f abc", OK),
            ("INCRBYFLOAT f 1", not_float),
            ("SET f 1.18e4932", OK),
            ("INCRBYFLOAT f 1.18e4932", nan_inf),
            ("SET f 1e308", OK),
            (
                "INCRBYFLOAT f 1e308",
                &bulk(
                    "199999999999999999993371759311691291321120199694831134415594095989843469737\
                     676123744200253843777078640893494450108026446304269499187921167194841628860\
                     392837535918200039206381557326219209014213335878306791577877829121087126122\
                     536729803237260434173178506889763247582601711514636284849020905456510092687\
                     857156096",
                ),
            ),
            ("SET i 5", OK),
            ("INCRBYFLOAT i 1", &bulk("6")),
            ("INCR i", &int(7)),
            (
                "INCRBYFLOAT",
                &format!("{WRONG_ARGS} 'incrbyfloat' command\r\n"),
            ),
        ],
    );
}

#[test]
fn lcs() {
    let srv = Server::start();
    let mut c = srv.raw();
    let idx = "*4\r\n$7\r\nmatches\r\n*2\r\n\
               *2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n\
               *2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n\
               $3\r\nlen\r\n:6\r\n";
    let idx_withlen = "*4\r\n$7\r\nmatches\r\n*2\r\n\
                       *3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
                       *3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n\
                       $3\r\nlen\r\n:6\r\n";
    let idx_min4 = "*4\r\n$7\r\nmatches\r\n*1\r\n\
                    *3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
                    $3\r\nlen\r\n:6\r\n";
    check(
        &mut c,
        &[
            ("MSET key1 ohmytext key2 mynewtext", OK),
            ("LCS key1 key2", &bulk("mytext")),
            ("LCS key1 key2 len", &int(6)),
            ("LCS key1 key2 idx", idx),
            ("LCS key1 key2 IDX WITHMATCHLEN", idx_withlen),
            ("LCS key1 key2 idx minmatchlen 4 withmatchlen", idx_min4),
            ("LCS key1 key2 minmatchlen -5 len", &int(6)),
            ("LCS key1 key2 withmatchlen", &bulk("mytext")),
            ("LCS key1 key2 len withmatchlen minmatchlen 3", &int(6)),
            (
                "LCS key1 key2 len idx",
                "-ERR If you want both the length and indexes, please just use IDX.\r\n",
            ),
            ("LCS key1 key2 minmatchlen", SYNTAX),
            ("LCS key1 key2 minmatchlen x", NOT_INTEGER),
            ("LCS key1 key2 foo", SYNTAX),
            ("LCS key1 nokey", EMPTY),
            (
                "LCS key1 nokey idx",
                "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n",
            ),
            ("LCS nokey nokey2 len", &int(0)),
            ("MSET x ab y ba", OK),
            ("LCS x y", &bulk("b")),
            ("LCS key1", &format!("{WRONG_ARGS} 'lcs' command\r\n")),
        ],
    );
}

#[test]
fn binary_safe_values_and_keys() {
    let srv = Server::start();
    let mut c = srv.raw();
    let value: &[u8] = b"a\r\n\0b";
    c.send_cmd(&[b"SET", b"\0k", value]);
    assert_eq!(c.read_reply(), OK.as_bytes());
    c.send_cmd(&[b"GET", b"\0k"]);
    assert_eq!(c.read_reply(), b"$5\r\na\r\n\0b\r\n");
    c.send_cmd(&[b"APPEND", b"\0k", b"\xff"]);
    assert_eq!(c.read_reply(), b":6\r\n");
    c.send_cmd(&[b"GETRANGE", b"\0k", b"-2", b"-1"]);
    assert_eq!(c.read_reply(), b"$2\r\nb\xff\r\n");
}

#[test]
fn redis_crate_client() {
    let srv = Server::start();
    let mut con = srv.client();
    let () = redis::cmd("SET").arg("k").arg(41).query(&mut con).unwrap();
    let n: i64 = redis::cmd("INCR").arg("k").query(&mut con).unwrap();
    assert_eq!(n, 42);
    let v: Vec<Option<String>> = redis::cmd("MGET")
        .arg("k")
        .arg("missing")
        .query(&mut con)
        .unwrap();
    assert_eq!(v, vec![Some("42".to_string()), None]);
    let f: f64 = redis::cmd("INCRBYFLOAT")
        .arg("k")
        .arg(0.5)
        .query(&mut con)
        .unwrap();
    assert_eq!(f, 42.5);
}

// ---------------------------------------------------------------------------------------------
// Differential: the same traffic to rredis and to redis-server 7.0, compared reply by reply.
// ---------------------------------------------------------------------------------------------

/// A deterministic pseudo-random generator for the generated cases.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Generated groups: GETRANGE over a grid of indexes, LCS of random strings with every
/// option, INCRBYFLOAT over assorted numbers, SET option combinations.
fn generated_groups() -> Vec<(String, Vec<String>)> {
    let mut rng = Lcg(42);
    let mut groups = Vec::new();

    let mut getrange = vec![
        "SET gr \"Hello World\"".to_string(),
        "SET ge \"\"".into(),
        "SET gi -12345".into(),
    ];
    let idx = [
        "-9223372036854775808",
        "-100",
        "-12",
        "-11",
        "-10",
        "-6",
        "-2",
        "-1",
        "0",
        "1",
        "5",
        "10",
        "11",
        "12",
        "100",
        "9223372036854775807",
    ];
    for key in ["gr", "ge", "gi", "gmissing"] {
        for start in idx {
            for end in idx {
                getrange.push(format!("GETRANGE {key} {start} {end}"));
            }
        }
    }
    groups.push(("getrange grid".to_string(), getrange));

    let mut lcs = Vec::new();
    for case in 0..40 {
        let alphabet = 1 + rng.below(4) as u8;
        let word = |rng: &mut Lcg| -> String {
            let len = rng.below(25);
            (0..len)
                .map(|_| char::from(b'a' + rng.below(alphabet as u64) as u8))
                .collect()
        };
        let (a, b) = (word(&mut rng), word(&mut rng));
        lcs.push(format!("MSET la{case} \"{a}\" lb{case} \"{b}\""));
        for opts in [
            "",
            "LEN",
            "IDX",
            "IDX WITHMATCHLEN",
            "IDX MINMATCHLEN 2",
            "WITHMATCHLEN IDX MINMATCHLEN 3",
        ] {
            lcs.push(format!("LCS la{case} lb{case} {opts}"));
        }
    }
    groups.push(("lcs of random strings".to_string(), lcs));

    let numbers = [
        "0",
        "1",
        "-1",
        "0.1",
        "0.2",
        "-0.3",
        "10.5",
        "3.0e3",
        "-7e-3",
        "1e-17",
        "5e-18",
        "123456789.987654321",
        "1e20",
        "-1e20",
        "0x1p-3",
        "1.5e300",
        "9223372036854775807",
        "2.5",
        "1e-300",
        "33.33333333333333333333",
        "+4",
        "007",
        "1E2",
        ".25",
    ];
    let mut floats = Vec::new();
    for (i, a) in numbers.iter().enumerate() {
        floats.push(format!("SET fl{i} {a}"));
        for b in numbers.iter().step_by(3) {
            floats.push(format!("INCRBYFLOAT fl{i} {b}"));
        }
    }
    for _ in 0..60 {
        let mantissa = rng.below(1_000_000_000);
        let exp = rng.below(60) as i64 - 30;
        floats.push(format!("INCRBYFLOAT flr {mantissa}e{exp}"));
    }
    groups.push(("incrbyfloat".to_string(), floats));

    let opts = [
        "NX",
        "XX",
        "GET",
        "KEEPTTL",
        "EX 100",
        "PX 100000",
        "EXAT 9999999999",
        "PXAT 1",
        "EX 0",
        "ex",
        "get",
        "nx",
        "PERSIST",
    ];
    let mut set = vec!["SET so exists".to_string()];
    for a in opts {
        for b in opts {
            for key in ["so", "sm"] {
                set.push(format!("SET {key} v {a} {b}"));
                set.push(format!("GET {key}"));
                set.push(format!("SET {key} exists"));
                set.push(format!("GETEX {key} {a} {b}"));
                set.push("GETDEL sm".to_string());
            }
        }
    }
    groups.push(("set and getex option pairs".to_string(), set));
    groups
}

/// Hand-written groups, each with its own keys. A line starting `@unchecked` is sent to both
/// servers but its reply is not compared (HELLO's reply carries the connection's id).
const GROUPS: &[(&str, &[&str])] = &[
    (
        "strings basics",
        &[
            "SET a 1",
            "GET a",
            "GETSET a 2",
            "GETDEL a",
            "GET a",
            "MSET a 1 b 2 c 3",
            "MGET a b c d",
            "MSETNX c 1 d 2",
            "MSETNX d 1 e 2",
            "APPEND a xyz",
            "STRLEN a",
            "SETRANGE a 10 q",
            "GET a",
            "SETNX a 5",
            "SETEX sx 100 v",
            "PSETEX sx 100000 w",
            "GET sx",
            "INCR counter",
            "INCRBY counter -9223372036854775808",
            "DECRBY counter 9223372036854775807",
            "DECR counter",
            "GET counter",
        ],
    ),
    (
        "wrong arity",
        &[
            "GET",
            "SET k",
            "SETNX k",
            "SETEX k 1",
            "PSETEX k 1",
            "MGET",
            "MSET k",
            "MSET k v k2",
            "MSETNX k v k2",
            "GETSET k",
            "GETDEL",
            "GETEX",
            "APPEND k",
            "STRLEN",
            "GETRANGE k 0",
            "SUBSTR k 0",
            "SETRANGE k 0",
            "INCR",
            "DECR",
            "INCRBY k",
            "DECRBY k",
            "INCRBYFLOAT k",
            "LCS k",
        ],
    ),
    (
        "wrong type",
        &[
            "RPUSH l a",
            "GET l",
            "SET l v GET",
            "SET l v NX GET",
            "GETSET l v",
            "GETDEL l",
            "GETEX l",
            "GETEX l EX -1",
            "GETEX l EX abc",
            "MGET l",
            "APPEND l x",
            "STRLEN l",
            "GETRANGE l 0 1",
            "GETRANGE l x 1",
            "SETRANGE l 0 x",
            "SETRANGE l 0 \"\"",
            "SETRANGE l -1 x",
            "INCR l",
            "INCRBY l x",
            "DECRBY l -9223372036854775808",
            "INCRBYFLOAT l 1",
            "INCRBYFLOAT l x",
            "LCS l l2",
            "LCS l2 l foo",
            "SET l v",
            "GET l",
        ],
    ),
    (
        "encodings",
        &[
            "SET e1 123",
            "OBJECT ENCODING e1",
            "SET e2 0123",
            "OBJECT ENCODING e2",
            "SET e3 -9223372036854775808",
            "OBJECT ENCODING e3",
            "SET e4 12345678901234567890",
            "OBJECT ENCODING e4",
            "SET e5 abcdefghijabcdefghijabcdefghijabcdefghij1234",
            "OBJECT ENCODING e5",
            "SET e6 abcdefghijabcdefghijabcdefghijabcdefghij12345",
            "OBJECT ENCODING e6",
            "APPEND e7 12",
            "OBJECT ENCODING e7",
            "APPEND e7 3",
            "OBJECT ENCODING e7",
            "SET e8 abc",
            "APPEND e8 \"\"",
            "OBJECT ENCODING e8",
            "SETRANGE e9 0 5",
            "OBJECT ENCODING e9",
            "SET e10 abc",
            "SETRANGE e10 0 x",
            "OBJECT ENCODING e10",
            "SET e11 55",
            "SETRANGE e11 0 6",
            "OBJECT ENCODING e11",
            "INCR e11",
            "OBJECT ENCODING e11",
            "INCRBYFLOAT e12 1",
            "OBJECT ENCODING e12",
            "INCRBYFLOAT e12 1e40",
            "OBJECT ENCODING e12",
            "GETSET e13 77",
            "OBJECT ENCODING e13",
            "GETSET e13 x",
            "OBJECT ENCODING e13",
            "MSET e14 1 e15 a",
            "OBJECT ENCODING e14",
            "OBJECT ENCODING e15",
            "SETEX e16 100 42",
            "OBJECT ENCODING e16",
            "SETNX e17 42",
            "OBJECT ENCODING e17",
            "SET e18 10",
            "INCRBY e18 0",
            "OBJECT ENCODING e18",
            "SET e19 \"\"",
            "OBJECT ENCODING e19",
        ],
    ),
    (
        "ttls",
        &[
            "SET t1 v EX 100",
            "TTL t1",
            "SET t1 w",
            "TTL t1",
            "SET t1 v EX 100",
            "SET t1 w KEEPTTL",
            "TTL t1",
            "INCR t2",
            "EXPIRE t2 100",
            "INCR t2",
            "TTL t2",
            "INCRBYFLOAT t2 1.5",
            "TTL t2",
            "APPEND t2 0",
            "TTL t2",
            "SETRANGE t2 0 9",
            "TTL t2",
            "GETSET t2 1",
            "TTL t2",
            "SET t3 v EXAT 9999999999",
            "TTL t3",
            "GETEX t3 PERSIST",
            "TTL t3",
            "GETEX t3 EX 200",
            "TTL t3",
            "GETEX t3",
            "TTL t3",
            "SETEX t4 300 v",
            "TTL t4",
            "MSET t4 x",
            "TTL t4",
            "SET t5 v PXAT 1",
            "EXISTS t5",
            "SET t6 v",
            "GETEX t6 PXAT 1",
            "EXISTS t6",
        ],
    ),
    (
        "resp3 lcs",
        &[
            "MSET r1 ohmytext r2 mynewtext",
            "@unchecked HELLO 3",
            "LCS r1 r2 IDX",
            "LCS r1 r2 IDX WITHMATCHLEN MINMATCHLEN 3",
            "LCS r1 nokey IDX",
            "GET nokey",
            "GETEX nokey",
            "SET r1 v NX",
            "INCRBYFLOAT r3 1.5",
            "@unchecked HELLO 2",
        ],
    ),
];

/// True when rredis does not know the command (another module not merged yet). Probes with
/// the bare name, which any known command answers with an arity error (or, for HELLO, its
/// harmless default reply).
fn unknown_to(c: &mut Raw, name: &str) -> bool {
    c.cmd_str(&[name]).starts_with("-ERR unknown command")
}

#[test]
fn differential_against_real_redis() {
    let Some(redis) = real_redis("differential_against_real_redis") else {
        return;
    };
    let ours = Server::start();
    let (mut theirs_c, mut ours_c) = (redis.raw(), ours.raw());
    let mut groups: Vec<(String, Vec<String>)> = GROUPS
        .iter()
        .map(|(name, lines)| {
            (
                name.to_string(),
                lines.iter().map(|l| l.to_string()).collect(),
            )
        })
        .collect();
    groups.extend(generated_groups());
    let mut compared = 0;
    let mut unknown: HashMap<String, bool> = HashMap::new();
    for (name, lines) in &groups {
        // Groups that need commands of modules not merged yet are skipped, loudly.
        let mut missing = Vec::new();
        for line in lines {
            let line = line.strip_prefix("@unchecked ").unwrap_or(line);
            let cmd = split(line)
                .into_iter()
                .next()
                .unwrap_or_default()
                .to_uppercase();
            let is_unknown = *unknown
                .entry(cmd.clone())
                .or_insert_with(|| unknown_to(&mut ours_c, &cmd));
            if is_unknown && !missing.contains(&cmd) {
                missing.push(cmd);
            }
        }
        if !missing.is_empty() {
            eprintln!("*** SKIPPING differential group '{name}': rredis lacks {missing:?} ***");
            continue;
        }
        for line in lines {
            if let Some(line) = line.strip_prefix("@unchecked ") {
                run(&mut theirs_c, line);
                run(&mut ours_c, line);
                continue;
            }
            let want = run(&mut theirs_c, line);
            let got = run(&mut ours_c, line);
            assert_eq!(got, want, "group '{name}', command `{line}`");
            compared += 1;
        }
    }
    assert!(compared > 1000, "only {compared} replies compared");
}

/// The INFO fields string commands move: writes counted in the dirty counter
/// (rdb_changes_since_last_save), keyspace hits and misses of the read lookups, error replies
/// and lazily expired keys, after the same traffic on both servers.
#[test]
fn dirty_and_keyspace_counters_match_redis() {
    let Some(redis) = real_redis("dirty_and_keyspace_counters_match_redis") else {
        return;
    };
    let ours = Server::start();
    let script = [
        "SET a 1",
        "GET a",
        "GET nokey",
        "SET a 2 GET",
        "SET b 2 GET",
        "SET b 3 NX GET",
        "SET c 1 XX",
        "MGET a b nokey",
        "GETEX a",
        "GETEX nokey EX 10",
        "GETEX a EX 100",
        "GETEX a PERSIST",
        "GETEX a PERSIST",
        "GETDEL b",
        "GETDEL b",
        "GETSET a 5",
        "STRLEN a",
        "STRLEN nokey",
        "GETRANGE a 0 1",
        "GETRANGE nokey 0 1",
        "APPEND a x",
        "APPEND z y",
        "SETRANGE a 0 q",
        "SETRANGE a 0 \"\"",
        "SETRANGE newr 0 \"\"",
        "INCR n",
        "INCRBY n x",
        "INCR a",
        "INCRBYFLOAT f 1.5",
        "INCRBYFLOAT f x",
        "LCS a f",
        "LCS a nokey LEN",
        "MSET m1 1 m2 2 m3 3",
        "MSETNX m1 1 m4 2",
        "MSETNX m5 1 m6 2",
        "SETNX m5 3",
        "SETNX m7 3",
        "SETEX s 100 v",
        "PSETEX s 100000 w",
        "SET p v PXAT 1",
        "GETEX p",
        "SET q v",
        "GETEX q PXAT 1",
        "SET k v EX 0",
    ];
    let fields = [
        "rdb_changes_since_last_save",
        "keyspace_hits",
        "keyspace_misses",
        "total_error_replies",
        "expired_keys",
    ];
    let mut counters = Vec::new();
    for server in [&redis, &ours] {
        let mut c = server.raw();
        for line in script {
            run(&mut c, line);
        }
        let info = run(&mut c, "INFO");
        let values: Vec<String> = fields
            .iter()
            .map(|f| {
                info.lines()
                    .find_map(|l| l.strip_prefix(&format!("{f}:")))
                    .unwrap_or("missing")
                    .to_string()
            })
            .collect();
        counters.push(values);
    }
    assert!(counters[0].iter().all(|v| v != "missing"), "{counters:?}");
    assert_eq!(counters[1], counters[0], "{fields:?}: rredis vs redis");
}
