//! Connection commands and protocol behaviour over raw TCP.

mod common;

use common::Server;

#[test]
fn ping_echo_select_quit() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd(&["ping", "hi"]), b"$2\r\nhi\r\n");
    assert_eq!(
        c.cmd(&["PING", "a", "b"]),
        b"-ERR wrong number of arguments for 'ping' command\r\n"
    );
    assert_eq!(c.cmd(&["ECHO", ""]), b"$0\r\n\r\n");
    assert_eq!(c.cmd(&["SELECT", "15"]), b"+OK\r\n");
    assert_eq!(
        c.cmd(&["SELECT", "16"]),
        b"-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["SELECT", "x"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["FOO", "a", "b"]),
        b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(c.cmd(&["QUIT", "x"]), b"+OK\r\n");
    assert!(c.is_closed());
}

#[test]
fn inline_commands_and_protocol_errors_close_the_connection() {
    let srv = Server::start();
    let mut c = srv.raw();
    c.send(b"PING\r\nECHO \"a b\\x41\"\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert_eq!(c.read_reply(), b"$4\r\na bA\r\n");
    c.send(b"*1\r\n$x\r\n");
    assert_eq!(
        c.read_reply(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(c.is_closed());
    // The server keeps serving everyone else.
    assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn redis_crate_client_works() {
    let srv = Server::start();
    let mut con = srv.client();
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn hello_matches_redis() {
    // Client ids differ between the two servers, so compare everything but HELLO's id.
    let Some(real_server) = common::real_redis("hello_matches_redis") else {
        return;
    };
    let ours = Server::start();
    let script: &[&[&str]] = &[
        &["HELLO", "4"],
        &["HELLO", "x"],
        &["HELLO", "2", "SETNAME", "a", "b"],
        &["HELLO", "2", "SETNAME", "a b"],
        &["HELLO", "2", "FOO"],
        &["HELLO", "2", "AUTH"],
        &["HELLO", "2", "AUTH", "bob", "x"],
        &["HELLO", "3", "AUTH", "default", "x", "SETNAME", "me"],
        &["CLIENT", "GETNAME"],
        &["GET", "missing"],
        &["HELLO", "2"],
        &["GET", "missing"],
    ];
    let (mut a, mut b) = (ours.raw(), real_server.raw());
    let mask_id = |reply: Vec<u8>| {
        let text = String::from_utf8_lossy(&reply).into_owned();
        match text.find("$2\r\nid\r\n:") {
            Some(at) => {
                let start = at + "$2\r\nid\r\n:".len();
                let end = start + text[start..].find("\r\n").unwrap_or(0);
                format!("{}ID{}", &text[..start], &text[end..])
            }
            None => text,
        }
    };
    for args in script {
        assert_eq!(
            mask_id(a.cmd(args)),
            mask_id(b.cmd(args)),
            "reply to {args:?}"
        );
    }
}
