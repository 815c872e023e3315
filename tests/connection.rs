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
