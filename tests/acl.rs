//! Authentication and ACLs, compared with redis-server 7.0 where it is installed: rule
//! parsing and its errors, ACL GETUSER / LIST output, every NOPERM text, AUTH and HELLO AUTH,
//! the ACL log, DRYRUN, ACL files, `user` lines in the config file, the limits on
//! unauthenticated requests and the POST / Host: defence.
//!
//! Each scenario runs on several connections to rredis and to redis-server side by side;
//! every reply is compared byte for byte (ACL LOG's age and client details normalised), and
//! the key replies are also asserted literally, so the tests still check rredis alone when
//! redis-server is missing.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{real_redis, real_redis_with, Raw, Server};

/// rredis and (when installed) redis-server with the same number of connections each.
struct Pair {
    ours: Vec<Raw>,
    real: Option<Vec<Raw>>,
    /// Text that legitimately differs (a file path), replaced in redis-server's replies.
    real_to_ours: Option<(String, String)>,
    _servers: (Server, Option<Server>),
}

impl Pair {
    fn new(test: &str, conns: usize) -> Pair {
        Pair::with(Server::start(), real_redis(test), conns)
    }

    fn with(ours: Server, real: Option<Server>, conns: usize) -> Pair {
        Pair {
            ours: (0..conns).map(|_| ours.raw()).collect(),
            real: real.as_ref().map(|r| (0..conns).map(|_| r.raw()).collect()),
            real_to_ours: None,
            _servers: (ours, real),
        }
    }

    /// Runs `args` on connection `n` of both servers; panics if the replies differ; returns
    /// rredis's reply as text.
    fn cmd(&mut self, n: usize, args: &[&str]) -> String {
        let ours = normalize(&self.ours[n].cmd_str(args));
        if let Some(real) = &mut self.real {
            let mut expected = normalize(&real[n].cmd_str(args));
            if let Some((from, to)) = &self.real_to_ours {
                expected = expected.replace(from, to);
            }
            assert_eq!(ours, expected, "reply to {args:?} on connection {n}");
        }
        ours
    }

    /// Asserts that connection `n` was closed by both servers.
    fn closed(&mut self, n: usize) {
        assert!(self.ours[n].is_closed(), "rredis kept connection {n} open");
        if let Some(real) = &mut self.real {
            assert!(real[n].is_closed(), "redis kept connection {n} open");
        }
    }
}

/// Replaces what legitimately differs between servers: ACL LOG's age, the client-info
/// line (ids, addresses, memory), of which the user and command fields are kept, and
/// HELLO's client id.
fn normalize(reply: &str) -> String {
    let lines: Vec<&str> = reply.split("\r\n").collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&line) = lines.get(i) {
        i += 1;
        if line == "age-seconds" {
            out.push("age-seconds\r\n<age>".into());
            i += 2;
            continue;
        }
        let next = lines.get(i).copied().unwrap_or_default();
        if line.starts_with('$') && next.starts_with("id=") {
            let kept: Vec<&str> = next
                .split(' ')
                .filter(|f| {
                    ["cmd=", "user=", "flags=", "db="]
                        .iter()
                        .any(|k| f.starts_with(k))
                })
                .collect();
            out.push(format!("<client {}>", kept.join(" ")));
            i += 1;
            continue;
        }
        // HELLO's client id.
        if line == "id" && next.starts_with(':') {
            out.push("id\r\n:<id>".into());
            i += 1;
            continue;
        }
        out.push(line.to_string());
    }
    out.join("\r\n")
}

fn ok() -> String {
    "+OK\r\n".into()
}

fn err(text: &str) -> String {
    format!("-{text}\r\n")
}

const NOPERM_KEY: &str =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
const NOPERM_CHANNEL: &str =
    "NOPERM this user has no permissions to access one of the channels used as arguments";

fn noperm_cmd(name: &str) -> String {
    err(&format!(
        "NOPERM this user has no permissions to run the '{name}' command"
    ))
}

#[test]
fn setuser_rules_getuser_and_list_match_redis() {
    let mut p = Pair::new("setuser_rules_getuser_and_list_match_redis", 1);
    assert_eq!(
        p.cmd(0, &["ACL", "LIST"]),
        "*1\r\n$34\r\nuser default on nopass ~* &* +@all\r\n"
    );
    p.cmd(0, &["ACL", "GETUSER", "default"]);
    assert_eq!(p.cmd(0, &["ACL", "SETUSER", "alice"]), ok());
    p.cmd(0, &["ACL", "GETUSER", "alice"]);
    let rules = [
        "ACL",
        "SETUSER",
        "alice",
        "on",
        ">p1",
        "~k*",
        "%R~r*",
        "%W~w*",
        "%RW~b*",
        "&ch*",
        "+@read",
        "-@dangerous",
        "+get",
        "+keys",
    ];
    assert_eq!(p.cmd(0, &rules), ok());
    p.cmd(0, &["ACL", "GETUSER", "alice"]);
    let cases: &[&[&str]] = &[
        &[
            "ACL",
            "SETUSER",
            "bob",
            "on",
            "nopass",
            "allkeys",
            "allchannels",
            "allcommands",
            "-@admin",
            "+acl|whoami",
            "+@hash",
            "-hset",
        ],
        &["ACL", "SETUSER", "u1", "%R", "%RW~*", "%w~x", "%R~x"],
        &["ACL", "SETUSER", "u2", "reset"],
        &["ACL", "SETUSER", "u3", "-@all", "+@read", "+@write"],
        &["ACL", "SETUSER", "u4", "+@all", "-@dangerous"],
        &["ACL", "SETUSER", "u5", "+select|0", "+select|1"],
        // At most one single command printed per user (beyond a container and its
        // subcommands): Redis orders several by a randomly seeded hash table.
        &["ACL", "SETUSER", "u6", "-@all", "+@hash", "-hset"],
        &["ACL", "SETUSER", "u11", "-@all", "+client", "-client|kill"],
        &[
            "ACL",
            "SETUSER",
            "u7",
            "on",
            "nopass",
            ">x",
            "#5aef96240bca5582e6fd0468879a26863d81d1c1fb602def55926ef33ec8bb1f",
        ],
        &["ACL", "SETUSER", "u7", "<x", "sanitize-payload"],
        &[
            "ACL",
            "SETUSER",
            "u8",
            "on",
            "(~x +get)",
            "(+set",
            "%W~y)",
            "&news",
        ],
        &["ACL", "SETUSER", "u9", "+config", "-config|set"],
        &[
            "ACL",
            "SETUSER",
            "u10",
            "allcommands",
            "nocommands",
            "+@string",
            "skip-sanitize-payload",
        ],
    ];
    for case in cases {
        assert_eq!(p.cmd(0, case), ok(), "{case:?}");
        p.cmd(0, &["ACL", "GETUSER", case[2]]);
    }
    // The `+select|0` form is printed back as written; `+select` then replaces it.
    assert_eq!(
        p.cmd(0, &["ACL", "GETUSER", "u5"]),
        "*12\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$9\r\npasswords\r\n*0\r\n$8\r\ncommands\r\n\
         $25\r\n-@all +select|0 +select|1\r\n$4\r\nkeys\r\n$0\r\n\r\n$8\r\nchannels\r\n$0\r\n\r\n\
         $9\r\nselectors\r\n*0\r\n"
    );
    p.cmd(0, &["ACL", "SETUSER", "u5", "+select"]);
    p.cmd(0, &["ACL", "GETUSER", "u5"]);
    let list = p.cmd(0, &["ACL", "LIST"]);
    assert!(
        list.contains("user u3 off resetchannels -@all +@write +@read\r\n"),
        "{list}"
    );
    assert!(
        list.contains("user u4 off resetchannels +@all -@dangerous\r\n"),
        "{list}"
    );
    p.cmd(0, &["ACL", "USERS"]);
    assert_eq!(p.cmd(0, &["ACL", "GETUSER", "nosuch"]), "$-1\r\n");
    assert_eq!(
        p.cmd(0, &["ACL", "DELUSER", "u3", "u3", "nosuch"]),
        ":1\r\n"
    );
    assert_eq!(
        p.cmd(0, &["ACL", "DELUSER", "default"]),
        err("ERR The 'default' user cannot be removed")
    );
    // RESP3: GETUSER is a map, its flags a set.
    p.cmd(0, &["HELLO", "3"]);
    p.cmd(0, &["ACL", "GETUSER", "u8"]);
}

#[test]
fn setuser_errors_match_redis() {
    let mut p = Pair::new("setuser_errors_match_redis", 1);
    let cases: &[(&[&str], &str)] = &[
        (&["%~x"], "Syntax error"),
        (&["%RR~x"], "Syntax error"),
        (&["%X~x"], "Syntax error"),
        (&["foo"], "Syntax error"),
        (&["+get|"], "Syntax error"),
        (&["+nosuch"], "Unknown command or category name in ACL"),
        (&["-nosuch"], "Unknown command or category name in ACL"),
        (&["+@nosuch"], "Unknown command or category name in ACL"),
        (&["+config|nosuch"], "Unknown command or category name in ACL"),
        (&["+config|get|x"], "Allowing first-arg of a subcommand is not supported"),
        (&["#abc"], "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"),
        (&["<nope"], "The password you are trying to remove from the user does not exist"),
        (&["~*", "~x"], "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"),
        (&["&*", "&x"], "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"),
    ];
    for (rules, why) in cases {
        let mut args = vec!["ACL", "SETUSER", "u"];
        args.extend_from_slice(rules);
        let bad = rules.last().copied().unwrap_or_default();
        assert_eq!(
            p.cmd(0, &args),
            err(&format!("ERR Error in ACL SETUSER modifier '{bad}': {why}")),
        );
    }
    // A failed SETUSER changes nothing, not even the rules before the bad one.
    assert_eq!(p.cmd(0, &["ACL", "GETUSER", "u"]), "$-1\r\n");
    assert_eq!(
        p.cmd(0, &["ACL", "SETUSER", "u", "on", "(~x", "+get"]),
        err("ERR Unmatched parenthesis in acl selector starting at '(~x'.")
    );
    assert_eq!(
        p.cmd(0, &["ACL", "SETUSER", "a b"]),
        err("ERR Usernames can't contain spaces or null characters")
    );
    p.cmd(0, &["ACL", "SETUSER"]);
    p.cmd(0, &["ACL", "GETUSER"]);
    p.cmd(0, &["ACL", "NOSUCH"]);
    p.cmd(0, &["ACL", "HELP"]);
    p.cmd(0, &["ACL", "CAT"]);
    p.cmd(0, &["ACL", "CAT", "nosuch"]);
    p.cmd(0, &["ACL", "GENPASS", "0"]);
    p.cmd(0, &["ACL", "GENPASS", "4097"]);
    p.cmd(0, &["ACL", "LOG", "x"]);
    p.cmd(0, &["ACL", "LOAD"]);
    p.cmd(0, &["ACL", "SAVE"]);
    p.cmd(0, &["ACL", "WHOAMI"]);
    p.cmd(0, &["CONFIG", "GET", "aclfile"]);
    p.cmd(0, &["CONFIG", "GET", "acl-pubsub-default"]);
    p.cmd(0, &["CONFIG", "GET", "acllog-max-len"]);
    p.cmd(0, &["CONFIG", "SET", "aclfile", "x"]);
}

#[test]
fn genpass_gives_the_bits_asked_for() {
    let srv = Server::start();
    let mut c = srv.raw();
    let default = c.cmd_str(&["ACL", "GENPASS"]);
    assert!(default.starts_with("$64\r\n"), "{default}");
    assert_ne!(default, c.cmd_str(&["ACL", "GENPASS"]), "not random");
    assert_eq!(&c.cmd_str(&["ACL", "GENPASS", "5"])[..4], "$2\r\n");
    assert_eq!(&c.cmd_str(&["ACL", "GENPASS", "4096"])[..7], "$1024\r\n");
}

#[test]
fn command_key_and_channel_permissions_match_redis() {
    let mut p = Pair::new("command_key_and_channel_permissions_match_redis", 3);
    let carol = [
        "ACL",
        "SETUSER",
        "carol",
        "on",
        ">cp",
        "~c*",
        "&ch",
        "-@all",
        "+get",
        "+set",
        "+publish",
        "+subscribe",
        "+psubscribe",
        "+client|id",
        "+select|0",
        "+multi",
        "+exec",
    ];
    assert_eq!(p.cmd(0, &carol), ok());
    assert_eq!(p.cmd(1, &["AUTH", "carol", "cp"]), ok());
    assert_eq!(p.cmd(1, &["GET", "x"]), err(NOPERM_KEY));
    assert_eq!(p.cmd(1, &["SET", "c1", "v"]), ok());
    assert_eq!(p.cmd(1, &["INCR", "c1"]), noperm_cmd("incr"));
    assert_eq!(p.cmd(1, &["PUBLISH", "x", "m"]), err(NOPERM_CHANNEL));
    assert_eq!(p.cmd(1, &["PUBLISH", "ch", "m"]), ":0\r\n");
    assert_eq!(p.cmd(1, &["CLIENT", "LIST"]), noperm_cmd("client|list"));
    assert_eq!(p.cmd(1, &["SELECT", "0"]), ok());
    assert_eq!(p.cmd(1, &["SELECT", "1"]), noperm_cmd("select"));
    assert_eq!(p.cmd(1, &["ACL", "WHOAMI"]), noperm_cmd("acl|whoami"));
    // Unknown commands and arity come first; AUTH-free commands are always allowed.
    p.cmd(1, &["NOSUCH"]);
    p.cmd(1, &["GET"]);
    p.cmd(1, &["PING"]);
    // Inside MULTI the check is made when queueing, and again by EXEC.
    assert_eq!(p.cmd(1, &["MULTI"]), ok());
    assert_eq!(p.cmd(1, &["GET", "x"]), err(NOPERM_KEY));
    p.cmd(1, &["GET", "c"]);
    p.cmd(1, &["EXEC"]);
    p.cmd(1, &["MULTI"]);
    p.cmd(1, &["GET", "c"]);
    p.cmd(1, &["SET", "c", "v"]);
    assert_eq!(
        p.cmd(0, &["ACL", "SETUSER", "carol", "resetkeys", "~c", "-set"]),
        ok()
    );
    let exec = p.cmd(1, &["EXEC"]);
    assert!(
        exec.contains("This command is no longer allowed for the following reason: no permission to execute the command or subcommand"),
        "{exec}"
    );
    // Key permissions by access: %R~ reads, %W~ writes, both for read-modify-write.
    let dave = [
        "ACL", "SETUSER", "dave", "on", ">dp", "%R~r*", "%W~w*", "~b*", "+@all",
    ];
    assert_eq!(p.cmd(0, &dave), ok());
    assert_eq!(p.cmd(2, &["AUTH", "dave", "dp"]), ok());
    for args in [
        &["GET", "r1"][..],
        &["GET", "w1"],
        &["SET", "w1", "v"],
        &["SET", "r1", "v"],
        &["SET", "w1", "v", "GET"],
        &["APPEND", "w1", "x"],
        &["COPY", "r1", "w1"],
        &["COPY", "w1", "r1"],
        &["LMOVE", "r1", "w1", "LEFT", "LEFT"],
        &["DEL", "w1"],
        &["EXISTS", "w1"],
        &["TTL", "w1"],
        &["RENAME", "w1", "w2"],
        &["RENAME", "b1", "b2"],
        &["SORT", "r1", "STORE", "w1"],
        &["MSET", "w1", "1", "r1", "2"],
        &["MGET", "r1", "b1", "w1"],
        &["INCR", "b1"],
    ] {
        p.cmd(2, args);
    }
    // Channels: PSUBSCRIBE needs the very pattern; SUBSCRIBE checks every channel.
    let eve = [
        "ACL",
        "SETUSER",
        "eve",
        "on",
        "nopass",
        "resetchannels",
        "&news.*",
        "&exact",
        "+@all",
        "~*",
    ];
    assert_eq!(p.cmd(0, &eve), ok());
    assert_eq!(p.cmd(2, &["AUTH", "eve", "x"]), ok());
    assert_eq!(p.cmd(2, &["PSUBSCRIBE", "news.x"]), err(NOPERM_CHANNEL));
    assert_eq!(
        p.cmd(2, &["SUBSCRIBE", "exact", "news.2", "other"]),
        err(NOPERM_CHANNEL)
    );
    p.cmd(2, &["PUBLISH", "news.1", "m"]);
    p.cmd(2, &["PSUBSCRIBE", "news.*"]);
}

#[test]
fn dryrun_matches_redis() {
    let mut p = Pair::new("dryrun_matches_redis", 1);
    let rules = [
        "ACL",
        "SETUSER",
        "d",
        "on",
        "%R~r*",
        "~k*",
        "&ch",
        "-@all",
        "+get",
        "+set",
        "+publish",
        "+select|0",
    ];
    assert_eq!(p.cmd(0, &rules), ok());
    for args in [
        &["ACL", "DRYRUN", "d", "get", "k"][..],
        &["ACL", "DRYRUN", "d", "get", "x"],
        &["ACL", "DRYRUN", "d", "set", "r1", "v"],
        &["ACL", "DRYRUN", "d", "incr", "k"],
        &["ACL", "DRYRUN", "d", "publish", "x", "m"],
        &["ACL", "DRYRUN", "d", "select", "0"],
        &["ACL", "DRYRUN", "d", "select", "2"],
        &["ACL", "DRYRUN", "nobody", "get", "k"],
        &["ACL", "DRYRUN", "d", "nocmd", "k"],
        &["ACL", "DRYRUN", "d", "get"],
        &["ACL", "DRYRUN", "d"],
    ] {
        p.cmd(0, args);
    }
    assert_eq!(
        p.cmd(0, &["ACL", "DRYRUN", "d", "get", "x"]),
        "$50\r\nThis user has no permissions to access the 'x' key\r\n"
    );
}

#[test]
fn auth_hello_and_client_fields_match_redis() {
    let mut p = Pair::new("auth_hello_and_client_fields_match_redis", 6);
    let wrongpass = err("WRONGPASS invalid username-password pair or user is disabled.");
    p.cmd(0, &["ACL", "SETUSER", "f", "on", ">fp", "~f*", "+get"]);
    p.cmd(
        0,
        &["ACL", "SETUSER", "g", "on", "nopass", "+@all", "~*", "&*"],
    );
    assert_eq!(p.cmd(1, &["AUTH", "f", "wrong"]), wrongpass);
    assert_eq!(p.cmd(1, &["AUTH", "nouser", "x"]), wrongpass);
    assert_eq!(p.cmd(1, &["AUTH", "f", "fp"]), ok());
    p.cmd(2, &["AUTH", "g", "anything"]);
    p.cmd(2, &["CLIENT", "INFO"]);
    p.cmd(2, &["ACL", "WHOAMI"]);
    // HELLO AUTH: a failure sticks nothing; a success switches user and protocol.
    assert_eq!(p.cmd(3, &["HELLO", "3", "AUTH", "f", "wrong"]), wrongpass);
    p.cmd(3, &["HELLO", "2", "AUTH", "g", "x", "SETNAME", "n"]);
    p.cmd(3, &["CLIENT", "INFO"]);
    // A user switched off can no longer authenticate; its connections stay.
    p.cmd(0, &["ACL", "SETUSER", "g", "off"]);
    p.cmd(2, &["PING"]);
    assert_eq!(p.cmd(4, &["AUTH", "g", "x"]), wrongpass);
    // CLIENT KILL USER, CLIENT LIST's user=.
    p.cmd(0, &["ACL", "SETUSER", "g", "on"]);
    p.cmd(0, &["CLIENT", "KILL", "USER", "nosuch"]);
    assert_eq!(p.cmd(0, &["CLIENT", "KILL", "USER", "g"]), ":2\r\n");
    p.closed(2);
    p.closed(3);
    // requirepass is the default user's password; ACL rules may add others.
    p.cmd(5, &["CONFIG", "SET", "requirepass", "pw"]);
    p.cmd(5, &["ACL", "LIST"]);
    assert_eq!(p.cmd(4, &["PING"]), "+PONG\r\n");
    p.cmd(5, &["ACL", "SETUSER", "default", ">other"]);
    p.cmd(5, &["CONFIG", "GET", "requirepass"]);
    p.cmd(5, &["ACL", "GETUSER", "default"]);
    p.cmd(5, &["CONFIG", "SET", "requirepass", ""]);
    p.cmd(5, &["ACL", "GETUSER", "default"]);
    p.cmd(5, &["AUTH", "x"]);
    p.cmd(5, &["AUTH", "default", "anything"]);
}

#[test]
fn acl_log_matches_redis() {
    let mut p = Pair::new("acl_log_matches_redis", 2);
    p.cmd(
        0,
        &[
            "ACL", "SETUSER", "f", "on", ">fp", "~f*", "+get", "+multi", "+exec",
        ],
    );
    p.cmd(1, &["AUTH", "f", "wrong"]);
    p.cmd(1, &["AUTH", "f", "wrong"]);
    p.cmd(1, &["Auth", "nouser", "x"]);
    p.cmd(1, &["HELLO", "3", "AUTH", "f", "bad"]);
    p.cmd(1, &["AUTH", "f", "fp"]);
    p.cmd(1, &["GET", "x"]);
    p.cmd(1, &["GET", "x"]);
    p.cmd(1, &["SET", "f", "x"]);
    p.cmd(1, &["MULTI"]);
    p.cmd(1, &["GET", "y"]);
    p.cmd(1, &["DISCARD"]);
    let log = p.cmd(0, &["ACL", "LOG"]);
    assert!(log.starts_with("*7\r\n"), "{log}");
    assert!(
        log.contains("count\r\n:2\r\n$6\r\nreason\r\n$3\r\nkey\r\n"),
        "{log}"
    );
    p.cmd(0, &["ACL", "LOG", "2"]);
    p.cmd(0, &["ACL", "LOG", "0"]);
    p.cmd(0, &["ACL", "LOG", "-1"]);
    p.cmd(0, &["ACL", "LOG", "1", "2"]);
    assert_eq!(p.cmd(0, &["ACL", "LOG", "RESET"]), ok());
    assert_eq!(p.cmd(0, &["ACL", "LOG"]), "*0\r\n");
    p.cmd(0, &["CONFIG", "SET", "acllog-max-len", "1"]);
    p.cmd(1, &["GET", "a"]);
    p.cmd(1, &["GET", "b"]);
    p.cmd(0, &["ACL", "LOG"]);
}

#[test]
fn deleting_a_user_or_revoking_channels_disconnects_clients() {
    let mut p = Pair::new(
        "deleting_a_user_or_revoking_channels_disconnects_clients",
        5,
    );
    p.cmd(
        0,
        &["ACL", "SETUSER", "g", "on", "nopass", "+@all", "~*", "&*"],
    );
    p.cmd(1, &["AUTH", "g", "x"]);
    assert_eq!(p.cmd(0, &["ACL", "DELUSER", "g"]), ":1\r\n");
    p.closed(1);
    // Subscribers whose subscriptions the new rules no longer allow are closed; others stay.
    p.cmd(
        0,
        &[
            "ACL",
            "SETUSER",
            "s",
            "on",
            "nopass",
            "+@all",
            "~*",
            "resetchannels",
            "&ch*",
        ],
    );
    p.cmd(2, &["AUTH", "s", "x"]);
    p.cmd(2, &["SUBSCRIBE", "ch1"]);
    p.cmd(3, &["AUTH", "s", "x"]);
    p.cmd(3, &["PSUBSCRIBE", "ch*"]);
    p.cmd(0, &["ACL", "SETUSER", "s", "resetchannels", "&ch1"]);
    p.cmd(2, &["PING"]);
    p.closed(3);
    p.cmd(
        0,
        &["ACL", "SETUSER", "t", "on", "nopass", "+@all", "~*", "&*"],
    );
    p.cmd(4, &["AUTH", "t", "x"]);
    p.cmd(4, &["SUBSCRIBE", "zz"]);
    p.cmd(0, &["ACL", "SETUSER", "t", "resetchannels"]);
    p.closed(4);
}

#[test]
fn category_lists_match_redis() {
    let test = "category_lists_match_redis";
    let srv = Server::start();
    let mut ours = srv.raw();
    let cats = ours.cmd_str(&["ACL", "CAT"]);
    assert!(cats.starts_with("*21\r\n$8\r\nkeyspace\r\n"), "{cats}");
    let Some(real) = real_redis(test) else { return };
    let mut theirs = real.raw();
    assert_eq!(cats, theirs.cmd_str(&["ACL", "CAT"]));
    let elements = |reply: &str| -> Vec<String> {
        reply
            .split("\r\n")
            .filter(|l| !l.is_empty() && !l.starts_with(['*', '$']))
            .map(str::to_string)
            .collect()
    };
    // Every command is in @fast or @slow: together they name every row rredis has.
    let mut implemented = elements(&ours.cmd_str(&["ACL", "CAT", "fast"]));
    implemented.extend(elements(&ours.cmd_str(&["ACL", "CAT", "slow"])));
    for category in elements(&cats) {
        let mut mine = elements(&ours.cmd_str(&["ACL", "CAT", &category]));
        let mut redis: Vec<String> = elements(&theirs.cmd_str(&["ACL", "CAT", &category]))
            .into_iter()
            .filter(|name| implemented.contains(name))
            .collect();
        mine.sort();
        redis.sort();
        assert_eq!(mine, redis, "ACL CAT {category}");
    }
}

#[test]
fn unauthenticated_requests_are_capped_and_http_closes_the_connection() {
    let test = "unauthenticated_requests_are_capped_and_http_closes_the_connection";
    let ours = Server::start_with(&["--requirepass", "pw"]);
    let real = real_redis_with(test, &["--requirepass", "pw"]);
    let cases: &[(&[u8], &[u8])] = &[
        (
            b"*11\r\n",
            b"-ERR Protocol error: unauthenticated multibulk length\r\n",
        ),
        (
            b"*2\r\n$16385\r\n",
            b"-ERR Protocol error: unauthenticated bulk length\r\n",
        ),
        (b"POST / HTTP/1.1\r\n", b""),
        (b"Host: example.com\r\n", b""),
        (b"*1\r\n$5\r\nhost:\r\n", b""),
    ];
    for &(request, reply) in cases {
        for port in std::iter::once(ours.port).chain(real.as_ref().map(|r| r.port)) {
            let mut c = Raw::connect(port);
            c.send(request);
            let (got, closed) = c.read_until_closed(Duration::from_secs(5));
            assert_eq!(got, reply, "{}", String::from_utf8_lossy(request));
            assert!(closed, "{} left open", String::from_utf8_lossy(request));
        }
    }
    // Up to the caps, and once authenticated, requests are served.
    let mut c = ours.raw();
    assert_eq!(
        c.cmd_str(&["AUTH", "a", "b", "c", "d", "e", "f", "g", "h", "i"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd_str(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(c.cmd_str(&["AUTH", "pw"]), "+OK\r\n");
    let big = "x".repeat(20_000);
    let many = ["x"; 20];
    assert_eq!(c.cmd_str(&["ECHO", &big]).len(), 20_000 + 10);
    assert!(c.cmd_str(&many).starts_with("-ERR unknown command 'x'"));
}

/// A scratch directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rredis-acl-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn acl_file_load_and_save_match_redis() {
    let test = "acl_file_load_and_save_match_redis";
    let dir = temp_dir(test);
    let file = |who: &str| dir.join(format!("{who}.acl"));
    let initial = "user default on nopass ~* &* +@all\n\
                   user bob on #5aef96240bca5582e6fd0468879a26863d81d1c1fb602def55926ef33ec8bb1f ~b* resetchannels &x -@all +get\n";
    for who in ["ours", "real"] {
        std::fs::write(file(who), initial).expect("write acl file");
    }
    let ours_path = file("ours").display().to_string();
    let real_path = file("real").display().to_string();
    let ours = Server::start_with(&["--aclfile", &ours_path]);
    let real = real_redis_with(test, &["--aclfile", &real_path]);
    let mut p = Pair::with(ours, real, 2);
    p.real_to_ours = Some((real_path.clone(), ours_path.clone()));
    p.cmd(0, &["ACL", "LIST"]);
    assert_eq!(p.cmd(1, &["AUTH", "bob", "fp"]), ok());
    assert_eq!(
        p.cmd(0, &["ACL", "SETUSER", "zed", "on", ">z", "~z*", "+@string"]),
        ok()
    );
    assert_eq!(p.cmd(0, &["ACL", "SAVE"]), ok());
    let saved = std::fs::read_to_string(file("ours")).expect("saved");
    assert_eq!(
        saved,
        "user bob on #5aef96240bca5582e6fd0468879a26863d81d1c1fb602def55926ef33ec8bb1f ~b* resetchannels &x -@all +get\n\
         user default on nopass ~* &* +@all\n\
         user zed on #594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06 ~z* resetchannels -@all +@string\n"
    );
    if p.real.is_some() {
        assert_eq!(saved, std::fs::read_to_string(file("real")).expect("saved"));
    }
    // LOAD replaces every user and disconnects the clients of the replaced ones.
    p.cmd(0, &["ACL", "DELUSER", "zed"]);
    assert_eq!(p.cmd(0, &["ACL", "LOAD"]), ok());
    p.cmd(0, &["ACL", "USERS"]);
    p.closed(1);
    // A bad file changes nothing, and every error is reported.
    let bad = "user alice on >pw +nosuch\nfoo bar\nuser alice on\nuser bad name\n\
               user carol on #abc\nuser dan (~x +get\n\nuser  eve  on   ~e*\n";
    for who in ["ours", "real"] {
        std::fs::write(file(who), bad).expect("write acl file");
    }
    let errors = p.cmd(0, &["ACL", "LOAD"]);
    assert!(errors.contains("WARNING: ACL errors detected"), "{errors}");
    p.cmd(0, &["ACL", "USERS"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn users_from_the_config_file() {
    let dir = temp_dir("users_from_the_config_file");
    let port = common::free_port();
    let conf = dir.join("rredis.conf");
    std::fs::write(
        &conf,
        format!(
            "port {port}\nuser alice on >pw ~* +@all\nuser bob on nopass +get ~b*\nrequirepass rp\n"
        ),
    )
    .expect("write config");
    let conf = conf.display().to_string();
    let srv = Server::start_exact(&[&conf], "127.0.0.1", port);
    let mut c = srv.raw();
    assert_eq!(c.cmd_str(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(c.cmd_str(&["AUTH", "alice", "pw"]), "+OK\r\n");
    assert_eq!(
        c.cmd_str(&["ACL", "LIST"]),
        "*3\r\n\
         $102\r\nuser alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* resetchannels +@all\r\n\
         $47\r\nuser bob on nopass ~b* resetchannels -@all +get\r\n\
         $93\r\nuser default on #796e80c7e5bf8a48cb603f229eeec578ec72443dbfe37710cc80de67228c6713 ~* &* +@all\r\n"
    );
    // On the command line the words after --user up to the next option are its rules.
    let cli = Server::start_with(&[
        "--user", "carol", "on", "nopass", "+@all", "~c*", "--hz", "10",
    ]);
    let list = cli.raw().cmd_str(&["ACL", "LIST"]);
    assert!(
        list.contains("user carol on nopass ~c* resetchannels +@all\r\n"),
        "{list}"
    );
    assert_eq!(
        cli.raw().cmd_str(&["ACL", "USERS"]),
        "*2\r\n$5\r\ncarol\r\n$7\r\ndefault\r\n"
    );
    // A bad rule stops the start-up.
    let bad = dir.join("bad.conf");
    std::fs::write(&bad, "user alice on >pw +nosuch\n").expect("write config");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rredis"))
        .arg(bad.display().to_string())
        .args(["--port", &common::free_port().to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let status = common::wait_child(&mut child, Duration::from_secs(10)).expect("exits");
    assert!(!status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A non-loopback address of this machine, if it has one (the source address of a route
/// outward; no packet is sent).
fn outward_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn protected_mode_refuses_outside_clients_without_a_password() {
    let test = "protected_mode_refuses_outside_clients_without_a_password";
    let Some(ip) = outward_address() else {
        eprintln!("\n*** SKIPPING {test}: no non-loopback address on this machine ***\n");
        return;
    };
    let ours = Server::start_with(&["--bind", "0.0.0.0"]);
    let real = real_redis_with(test, &["--bind", "0.0.0.0"]);
    let mut replies = Vec::new();
    for srv in std::iter::once(&ours).chain(real.as_ref()) {
        let stream = std::net::TcpStream::connect((ip, srv.port)).expect("connect");
        let mut c = Raw::from_stream(stream);
        let (denied, closed) = c.read_until_closed(Duration::from_secs(5));
        assert!(closed, "connection left open");
        replies.push(denied);
        // With a password for the default user, outside clients are let in (to AUTH).
        srv.raw().cmd(&["CONFIG", "SET", "requirepass", "pw"]);
        let stream = std::net::TcpStream::connect((ip, srv.port)).expect("connect");
        let mut c = Raw::from_stream(stream);
        assert_eq!(c.cmd_str(&["PING"]), "-NOAUTH Authentication required.\r\n");
    }
    let text = String::from_utf8_lossy(&replies[0]).into_owned();
    assert!(
        text.starts_with("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.")
            && text.ends_with("accepting connections from the outside.\r\n"),
        "{text}"
    );
    if let Some(theirs) = replies.get(1) {
        assert_eq!(&replies[0], theirs);
    }
}

/// Random users and random commands: ACL SETUSER's reply and ACL DRYRUN's verdict must be
/// Redis's for every pair, which covers how categories, commands, subcommands, first
/// arguments, key patterns with read/write permissions, channels and selectors combine.
#[test]
fn random_rules_and_dryruns_match_redis() {
    let test = "acl::random_rules_and_dryruns_match_redis";
    let Some(mut twin) = common::Twin::start(test, &[]) else {
        return;
    };
    let mut rng = common::TestRng::from_env_or(test, 0xac1_0001);
    const RULES: &[&str] = &[
        "on",
        "off",
        "allkeys",
        "resetkeys",
        "allchannels",
        "resetchannels",
        "allcommands",
        "nocommands",
        "reset",
        "+@all",
        "-@all",
        "+@read",
        "-@read",
        "+@write",
        "-@write",
        "+@string",
        "-@string",
        "+@list",
        "+@hash",
        "-@hash",
        "+@set",
        "+@sortedset",
        "+@keyspace",
        "-@keyspace",
        "+@dangerous",
        "-@dangerous",
        "+@admin",
        "-@admin",
        "+@fast",
        "-@fast",
        "+@slow",
        "-@slow",
        "+@pubsub",
        "-@pubsub",
        "+@connection",
        "+@transaction",
        "+@blocking",
        "-@blocking",
        "+get",
        "-get",
        "+set",
        "-set",
        "+incr",
        "+lpush",
        "-lpush",
        "+publish",
        "+subscribe",
        "+psubscribe",
        "+config",
        "-config",
        "+config|get",
        "-config|set",
        "+client|id",
        "-client|list",
        "+select|0",
        "+select",
        "+object|encoding",
        "+sort",
        "+copy",
        "+lmove",
        "~*",
        "~r*",
        "~w*",
        "%R~r*",
        "%W~w*",
        "%RW~b*",
        "%R~*",
        "%W~*",
        "~a?",
        "&*",
        "&ch*",
        "&c*",
        "&news",
        "&n*",
        "(~a* +get)",
        "(%R~b* +@all)",
        "(&x* +publish)",
        "clearselectors",
        "+nosuch",
        "%~x",
    ];
    const COMMANDS: &[&[&str]] = &[
        &["get", "r1"],
        &["get", "w1"],
        &["get", "b1"],
        &["get", "a1"],
        &["get", "ax"],
        &["set", "w1", "v"],
        &["set", "r1", "v"],
        &["set", "b1", "v", "GET"],
        &["incr", "w1"],
        &["append", "b1", "x"],
        &["mget", "r1", "w1", "b1"],
        &["mset", "w1", "1", "b1", "2"],
        &["del", "w1", "r1"],
        &["exists", "r1"],
        &["copy", "r1", "w1"],
        &["lmove", "r1", "w1", "left", "right"],
        &["sort", "r1", "store", "w1"],
        &["sort_ro", "r1"],
        &["lpush", "w1", "x"],
        &["lrange", "r1", "0", "-1"],
        &["keys", "*"],
        &["flushall"],
        &["ping"],
        &["auth", "x"],
        &["publish", "ch1", "m"],
        &["publish", "news", "m"],
        &["publish", "x1", "m"],
        &["subscribe", "ch1", "news"],
        &["psubscribe", "ch*"],
        &["psubscribe", "n*"],
        &["config", "get", "port"],
        &["config", "set", "hz", "10"],
        &["client", "id"],
        &["client", "list"],
        &["select", "0"],
        &["select", "1"],
        &["object", "encoding", "r1"],
        &["object", "freq", "r1"],
        &["multi"],
        &["exec"],
        &["blpop", "r1", "w1", "0"],
        &["zadd", "b1", "1", "m"],
        &["hset", "a1", "f", "v"],
    ];
    for _ in 0..1000 {
        let mut setuser = vec!["ACL", "SETUSER", "u", "reset"];
        // Half the users start from every command, so the key and channel rules get tested.
        if rng.chance(50) {
            setuser.push("+@all");
        }
        for _ in 0..rng.range(1, 6) {
            setuser.push(rng.pick(RULES));
        }
        twin.run(&setuser, common::Check::Exact);
        for _ in 0..8 {
            let mut dryrun = vec!["ACL", "DRYRUN", "u"];
            dryrun.extend_from_slice(rng.pick(COMMANDS));
            twin.run(&dryrun, common::Check::Exact);
        }
    }
}

#[test]
fn sort_by_and_get_patterns_need_access_to_every_key() {
    let mut p = Pair::new("sort_by_and_get_patterns_need_access_to_every_key", 3);
    p.cmd(0, &["RPUSH", "l", "1", "2"]);
    p.cmd(0, &["ACL", "SETUSER", "s1", "on", "nopass", "+@all", "~l*"]);
    p.cmd(
        0,
        &["ACL", "SETUSER", "s2", "on", "nopass", "+@all", "%R~*"],
    );
    p.cmd(
        0,
        &[
            "ACL",
            "SETUSER",
            "s3",
            "on",
            "nopass",
            "+@all",
            "~l*",
            "(~* +sort)",
        ],
    );
    for (n, user) in [(0, "s1"), (1, "s2"), (2, "s3")] {
        p.cmd(n, &["AUTH", user, "x"]);
        p.cmd(n, &["SORT", "l", "BY", "nosort"]);
        p.cmd(n, &["SORT", "l", "BY", "w_*"]);
        p.cmd(n, &["SORT", "l", "GET", "#"]);
        p.cmd(n, &["SORT_RO", "l", "BY", "w_", "GET", "w_*"]);
    }
    assert_eq!(
        p.cmd(0, &["SORT", "l", "BY", "w_*"]),
        err("ERR BY option of SORT denied due to insufficient ACL permissions.")
    );
}

#[test]
fn setuser_arguments_stay_out_of_the_slow_log() {
    let srv = Server::start();
    let mut c = srv.raw();
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    c.cmd(&["ACL", "SETUSER", "zz", "on", ">secret"]);
    let log = c.cmd_str(&["SLOWLOG", "GET", "2"]);
    assert!(
        log.contains("$3\r\nACL\r\n$7\r\nSETUSER\r\n$10\r\n(redacted)\r\n$10\r\n(redacted)\r\n$10\r\n(redacted)\r\n"),
        "{log}"
    );
    assert!(!log.contains("secret"), "{log}");
}
