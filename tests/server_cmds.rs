//! CLIENT, INFO, CONFIG GET, TIME and SHUTDOWN over raw TCP, with differential checks
//! against the real redis-server 7.0 where the output is deterministic.

mod common;

use common::{real_redis, Raw, Server};

/// The text of a bulk-string reply (`$n\r\n...\r\n`), for replies like INFO and CLIENT LIST.
fn bulk_text(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply).into_owned();
    let (header, body) = text.split_once("\r\n").expect("bulk header");
    assert!(header.starts_with('$'), "not a bulk string: {text:?}");
    body.strip_suffix("\r\n").expect("bulk trailer").to_string()
}

/// The `field=value` pairs of one CLIENT LIST line, in order.
fn client_fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("field=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {name}"))
}

/// Sends the same commands to both servers and asserts byte-identical replies.
fn assert_same_replies(ours: &mut Raw, redis: &mut Raw, commands: &[&[&str]]) {
    for args in commands {
        assert_eq!(
            String::from_utf8_lossy(&ours.cmd(args)),
            String::from_utf8_lossy(&redis.cmd(args)),
            "reply to {args:?}"
        );
    }
}

/// The CLIENT LIST fields of Redis 7.0, in order.
const CLIENT_LIST_FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
];

#[test]
fn client_id_setname_getname() {
    let srv = Server::start();
    let mut c = srv.raw();
    let first = c.cmd_str(&["CLIENT", "ID"]);
    let second = srv.raw().cmd_str(&["client", "id"]);
    let id = |reply: &str| -> i64 { reply.trim_start_matches(':').trim().parse().unwrap() };
    assert!(id(&second) > id(&first), "{first} {second}");

    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$-1\r\n");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "worker-1"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$8\r\nworker-1\r\n");
    for bad in ["a b", "a\nb", "caf\u{e9}", "\x7f"] {
        assert_eq!(
            c.cmd(&["CLIENT", "SETNAME", bad]),
            b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
            "{bad:?}"
        );
    }
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$8\r\nworker-1\r\n");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", ""]), b"+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$-1\r\n");
}

#[test]
fn client_info_and_list_lines() {
    let srv = Server::start();
    let mut a = srv.raw();
    let mut b = srv.raw();
    assert_eq!(b.cmd(&["CLIENT", "SETNAME", "bee"]), b"+OK\r\n");
    assert_eq!(b.cmd(&["SELECT", "3"]), b"+OK\r\n");
    let a_id = a.cmd_str(&["CLIENT", "ID"]).trim()[1..].to_string();
    let b_id = b.cmd_str(&["CLIENT", "ID"]).trim()[1..].to_string();

    let info = bulk_text(&a.cmd(&["CLIENT", "INFO"]));
    assert!(
        info.ends_with('\n') && info.matches('\n').count() == 1,
        "{info:?}"
    );
    let fields = client_fields(info.trim_end());
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, CLIENT_LIST_FIELDS);
    assert_eq!(field(&fields, "id"), a_id);
    assert_eq!(field(&fields, "laddr"), format!("127.0.0.1:{}", srv.port));
    assert!(field(&fields, "addr").starts_with("127.0.0.1:"));
    assert!(field(&fields, "fd").parse::<i32>().unwrap() > 2);
    assert_eq!(field(&fields, "name"), "");
    assert_eq!(field(&fields, "flags"), "N");
    assert_eq!(field(&fields, "cmd"), "client|info");
    assert_eq!(field(&fields, "argv-mem"), "10");
    assert_eq!(field(&fields, "events"), "r");
    assert_eq!(field(&fields, "user"), "default");
    assert_eq!(field(&fields, "resp"), "2");

    // Both clients, in connection order, the caller included.
    let list = bulk_text(&a.cmd(&["CLIENT", "LIST"]));
    let lines: Vec<Vec<(String, String)>> = list.lines().map(client_fields).collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert_eq!(field(&lines[0], "id"), a_id);
    assert_eq!(field(&lines[0], "cmd"), "client|list");
    assert_eq!(field(&lines[1], "id"), b_id);
    assert_eq!(field(&lines[1], "name"), "bee");
    assert_eq!(field(&lines[1], "db"), "3");
    assert_eq!(field(&lines[1], "cmd"), "client|id");
    assert!(list.ends_with('\n'));

    assert_eq!(
        bulk_text(&a.cmd(&["CLIENT", "LIST", "TYPE", "NORMAL"]))
            .lines()
            .count(),
        2
    );
    for other in ["master", "replica", "slave", "pubsub"] {
        assert_eq!(a.cmd(&["CLIENT", "LIST", "TYPE", other]), b"$0\r\n\r\n");
    }
    // ID lists the ids in the order given, repeats included, unknown ones skipped.
    let by_id = bulk_text(&a.cmd(&["CLIENT", "LIST", "ID", &b_id, "999", &a_id, &b_id]));
    let ids: Vec<String> = by_id
        .lines()
        .map(|l| field(&client_fields(l), "id").to_string())
        .collect();
    assert_eq!(ids, [b_id.clone(), a_id, b_id]);
}

#[test]
fn client_kill_filters_and_old_form() {
    let srv = Server::start();
    let mut admin = srv.raw();
    let mut victim = srv.raw();
    let victim_id = victim.cmd_str(&["CLIENT", "ID"]).trim()[1..].to_string();
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ID", "999999"]), b":0\r\n");
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ID", &victim_id]), b":1\r\n");
    assert!(victim.is_closed());

    let mut victim = srv.raw();
    let info = bulk_text(&victim.cmd(&["CLIENT", "INFO"]));
    let addr = field(&client_fields(info.trim_end()), "addr").to_string();
    assert_eq!(admin.cmd(&["CLIENT", "KILL", &addr]), b"+OK\r\n");
    assert!(victim.is_closed());
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", &addr]),
        b"-ERR No such client\r\n"
    );

    // TYPE normal spares the caller unless SKIPME no.
    let mut others = [srv.raw(), srv.raw()];
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "TYPE", "normal"]), b":2\r\n");
    for other in &mut others {
        assert!(other.is_closed());
    }
    assert_eq!(admin.cmd(&["PING"]), b"+PONG\r\n");
    let laddr = format!("127.0.0.1:{}", srv.port);
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "LADDR", &laddr, "SKIPME", "no"]),
        b":1\r\n"
    );
    assert!(admin.is_closed());

    // The old form kills the caller too.
    let mut me = srv.raw();
    let info = bulk_text(&me.cmd(&["CLIENT", "INFO"]));
    let addr = field(&client_fields(info.trim_end()), "addr").to_string();
    assert_eq!(me.cmd(&["CLIENT", "KILL", &addr]), b"+OK\r\n");
    assert!(me.is_closed());
    assert_eq!(srv.raw().cmd(&["PING"]), b"+PONG\r\n");
}

/// Error texts and fixed replies of every subcommand and option, byte for byte against
/// redis-server.
#[test]
fn errors_and_help_match_real_redis() {
    let Some(redis) = real_redis("errors_and_help_match_real_redis") else {
        return;
    };
    let srv = Server::start();
    let (mut ours, mut theirs) = (srv.raw(), redis.raw());
    assert_same_replies(
        &mut ours,
        &mut theirs,
        &[
            &["CLIENT", "HELP"],
            &["CONFIG", "HELP"],
            &["CLIENT"],
            &["CLIENT", "FOO"],
            &["CLIENT", "ID", "x"],
            &["CLIENT", "INFO", "x"],
            &["CLIENT", "GETNAME", "x"],
            &["CLIENT", "HELP", "x"],
            &["CLIENT", "SETNAME"],
            &["CLIENT", "SETNAME", "a", "b"],
            &["CLIENT", "SETNAME", "a b"],
            &["CLIENT", "SETNAME", "a~b"],
            &["CLIENT", "GETNAME"],
            &["CLIENT", "LIST", "TYPE", "foo"],
            &["CLIENT", "LIST", "TYPE"],
            &["CLIENT", "LIST", "TYPE", "master"],
            &["CLIENT", "LIST", "TYPE", "normal", "x"],
            &["CLIENT", "LIST", "ID"],
            &["CLIENT", "LIST", "ID", "x"],
            &["CLIENT", "LIST", "ID", "01"],
            &["CLIENT", "LIST", "ID", "1", "TYPE", "normal"],
            &["CLIENT", "LIST", "ID", "0", "-1", "99999"],
            &["CLIENT", "LIST", "foo"],
            &["CLIENT", "KILL"],
            &["CLIENT", "KILL", "1.2.3.4:5"],
            &["CLIENT", "KILL", "ID"],
            &["CLIENT", "KILL", "ID", "x"],
            &["CLIENT", "KILL", "ID", "0"],
            &["CLIENT", "KILL", "ID", "-5"],
            &["CLIENT", "KILL", "ID", "99999"],
            &["CLIENT", "KILL", "ID", "1", "ID", "x"],
            &["CLIENT", "KILL", "ADDR", "1.2.3.4:5"],
            &["CLIENT", "KILL", "LADDR", "1.2.3.4:5"],
            &["CLIENT", "KILL", "SKIPME", "maybe"],
            &["CLIENT", "KILL", "SKIPME", "yes"],
            &["CLIENT", "KILL", "TYPE", "foo"],
            &["CLIENT", "KILL", "TYPE", "normal", "ID"],
            &["CLIENT", "KILL", "TYPE", "pubsub"],
            &["CLIENT", "KILL", "USER", "nobody"],
            &["CLIENT", "KILL", "USER", "default"],
            &["CLIENT", "KILL", "FOO", "bar"],
            &["CLIENT", "KILL", "a", "b", "c"],
            &["CONFIG"],
            &["CONFIG", "FOO"],
            &["CONFIG", "GET"],
            &["CONFIG", "HELP", "x"],
            &["CONFIG", "GET", "nosuchsetting"],
            &["CONFIG", "GET", "HZ"],
            &["CONFIG", "GET", "Hz", "hz", "HZ"],
            &["INFO", "nosuchsection"],
            &["INFO", "foo", "bar"],
            &["INFO", "keyspace"],
            &["TIME", "x"],
            &["SHUTDOWN", "foo"],
            &["SHUTDOWN", "ABORT"],
            &["SHUTDOWN", "ABORT", "ABORT"],
            &["SHUTDOWN", "ABORT", "NOW"],
            &["SHUTDOWN", "SAVE", "NOSAVE"],
            &["SHUTDOWN", "NOW", "x"],
        ],
    );
}

/// The values of settings rredis and Redis share and whose defaults agree.
#[test]
fn config_get_matches_real_redis() {
    let Some(redis) = real_redis("config_get_matches_real_redis") else {
        return;
    };
    let srv = Server::start();
    let names = [
        "hz",
        "timeout",
        "databases",
        "maxclients",
        "tcp-keepalive",
        "tcp-backlog",
        "protected-mode",
        "maxmemory",
        "maxmemory-policy",
        "proto-max-bulk-len",
        "client-query-buffer-limit",
        "loglevel",
        "logfile",
        "requirepass",
    ];
    let mut args = vec!["CONFIG", "GET"];
    args.extend(names);
    let pairs = |reply: Vec<u8>| -> Vec<(String, String)> {
        let text = String::from_utf8_lossy(&reply).into_owned();
        let items: Vec<&str> = text.split("\r\n").skip(1).skip(1).step_by(2).collect();
        let mut pairs: Vec<(String, String)> = items
            .chunks(2)
            .filter_map(|kv| match kv {
                [k, v] => Some((k.to_string(), v.to_string())),
                _ => None,
            })
            .collect();
        pairs.sort();
        pairs
    };
    let ours = pairs(srv.raw().cmd(&args));
    assert_eq!(ours.len(), names.len(), "{ours:?}");
    assert_eq!(ours, pairs(redis.raw().cmd(&args)));
}

#[test]
fn config_get_replies() {
    let srv = Server::start_with(&["--hz", "20"]);
    let mut c = srv.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hz"]),
        b"*2\r\n$2\r\nhz\r\n$2\r\n20\r\n"
    );
    // Several patterns, each setting once, spelled as asked when named exactly.
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "PORT", "hz", "port", "nosuch"]),
        format!(
            "*4\r\n$4\r\nPORT\r\n${}\r\n{}\r\n$2\r\nhz\r\n$2\r\n20\r\n",
            srv.port.to_string().len(),
            srv.port
        )
        .as_bytes()
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "bind"]),
        b"*2\r\n$4\r\nbind\r\n$14\r\n127.0.0.1 -::1\r\n"
    );
    // `*` lists every setting of the table, in table order.
    let all = c.cmd_str(&["CONFIG", "GET", "*"]);
    assert!(
        all.split_once("\r\n")
            .unwrap()
            .1
            .starts_with("$4\r\nbind\r\n$14\r\n127.0.0.1 -::1\r\n$4\r\nport\r\n"),
        "{all}"
    );
    assert!(all.contains("\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"));
}

#[test]
fn config_get_glob_patterns() {
    let srv = Server::start();
    let mut c = srv.raw();
    // Name/value pairs; Redis lists them in its hash table's order, rredis in table order.
    let reply = c.cmd_str(&["CONFIG", "GET", "MAXMEMORY*"]);
    let mut pairs: Vec<&str> = reply.split("\r\n").skip(2).step_by(2).collect();
    pairs.retain(|s| !s.is_empty());
    pairs.sort_unstable();
    assert_eq!(
        pairs,
        [
            "0",
            "10",
            "5",
            "maxmemory",
            "maxmemory-eviction-tenacity",
            "maxmemory-policy",
            "maxmemory-samples",
            "noeviction"
        ],
        "{reply}"
    );
    assert_eq!(
        c.cmd_str(&["CONFIG", "GET", "h?", "[h]z", "*-backlog"]),
        "*4\r\n$2\r\nhz\r\n$2\r\n10\r\n$11\r\ntcp-backlog\r\n$3\r\n511\r\n"
    );
}

/// Section headers, separators and field names of INFO, as Redis lays them out.
#[test]
fn info_sections_and_layout() {
    let srv = Server::start();
    let mut c = srv.raw();
    let headers = |text: &str| -> Vec<String> {
        text.split("\r\n")
            .filter(|l| l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    let default = bulk_text(&c.cmd(&["INFO"]));
    assert_eq!(
        headers(&default),
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    assert!(default.starts_with("# Server\r\nredis_version:7.0.15\r\n"));
    assert!(default.contains("\r\nio_threads_active:0\r\n\r\n# Clients\r\n"));
    assert!(default.ends_with("\r\n\r\n# Keyspace\r\n"));
    assert!(!default.contains("\n\n") && !default.contains("\r\r"));
    assert_eq!(
        headers(&bulk_text(&c.cmd(&["INFO", "DEFAULT"]))),
        headers(&default)
    );
    // `all` and `everything` add the two sections that are not in the default set.
    let mut all = headers(&default);
    all.insert(8, "# Commandstats".to_string());
    all.insert(10, "# Latencystats".to_string());
    for every in ["all", "everything"] {
        assert_eq!(headers(&bulk_text(&c.cmd(&["INFO", every]))), all);
    }
    assert_eq!(c.cmd(&["INFO", "keyspace"]), b"$12\r\n# Keyspace\r\n\r\n");
    assert_eq!(c.cmd(&["INFO", "nosuch"]), b"$0\r\n\r\n");
    // Redis's order, whatever the order asked; unknown names and repeats ignored.
    let two = bulk_text(&c.cmd(&["INFO", "Keyspace", "nosuch", "server", "SERVER"]));
    assert_eq!(headers(&two), ["# Server", "# Keyspace"]);

    let server = bulk_text(&c.cmd(&["INFO", "server"]));
    let value = |text: &str, name: &str| -> String {
        text.split("\r\n")
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .to_string()
    };
    assert_eq!(value(&server, "redis_mode"), "standalone");
    assert_eq!(value(&server, "tcp_port"), srv.port.to_string());
    assert_eq!(value(&server, "run_id").len(), 40);
    assert_eq!(value(&server, "arch_bits"), "64");
    assert!(value(&server, "executable").ends_with("rredis"));
    assert_eq!(value(&server, "config_file"), "");
    let memory = bulk_text(&c.cmd(&["INFO", "memory"]));
    assert!(value(&memory, "used_memory_rss").parse::<u64>().unwrap() > 0);
    assert_eq!(value(&memory, "maxmemory_policy"), "noeviction");
}

/// Every field rredis prints exists in the same section of Redis's INFO, in the same
/// relative order; Server and Clients have exactly Redis's fields.
#[test]
fn info_field_names_follow_real_redis() {
    let Some(redis) = real_redis("info_field_names_follow_real_redis") else {
        return;
    };
    let srv = Server::start();
    let sections = |text: String| -> Vec<(String, Vec<String>)> {
        text.split("\r\n\r\n")
            .map(|section| {
                let mut lines = section.split("\r\n").filter(|l| !l.is_empty());
                let title = lines.next().unwrap_or_default().to_string();
                let names = lines
                    .map(|l| l.split(':').next().unwrap_or_default().to_string())
                    .collect();
                (title, names)
            })
            .collect()
    };
    let ours = sections(bulk_text(&srv.raw().cmd(&["INFO"])));
    let theirs = sections(bulk_text(&redis.raw().cmd(&["INFO"])));
    for (title, names) in &ours {
        let (_, redis_names) = theirs
            .iter()
            .find(|(t, _)| t == title)
            .unwrap_or_else(|| panic!("Redis has no section {title}"));
        let mut rest = redis_names.iter();
        for name in names {
            assert!(
                rest.any(|n| n == name),
                "{title}: {name} missing or out of Redis's order ({redis_names:?})"
            );
        }
        if title == "# Server" || title == "# Clients" {
            assert_eq!(names, redis_names, "{title}");
        }
    }
}

#[test]
fn info_stats_count_commands_errors_and_connections() {
    let srv = Server::start();
    let mut c = srv.raw();
    let info = |c: &mut Raw, section: &str, name: &str| -> u64 {
        let text = bulk_text(&c.cmd(&["INFO", section]));
        text.split("\r\n")
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .parse()
            .unwrap()
    };
    let stats = |c: &mut Raw| {
        [
            "total_commands_processed",
            "total_error_replies",
            "total_connections_received",
        ]
        .map(|name| info(c, "stats", name))
    };
    let [commands, errors, connections] = stats(&mut c);
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    // One error from dispatch, one from a handler.
    c.cmd(&["NOSUCHCOMMAND"]);
    c.cmd(&["CLIENT", "KILL", "ID", "x"]);
    srv.raw().cmd(&["PING"]);
    let [commands_now, errors_now, connections_now] = stats(&mut c);
    // The three INFOs before, PING, CLIENT KILL and the other client's PING; an unknown
    // command is not processed.
    assert_eq!(commands_now, commands + 6);
    assert_eq!(errors_now, errors + 2);
    assert_eq!(connections_now, connections + 1);
    // The other connection is gone once the server has seen it close.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while info(&mut c, "clients", "connected_clients") != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "connected_clients stays above 1"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn time_reply() {
    let srv = Server::start();
    let reply = srv.raw().cmd_str(&["TIME"]);
    let parts: Vec<&str> = reply.split("\r\n").collect();
    assert_eq!(parts[0], "*2");
    let seconds: u64 = parts[2].parse().unwrap();
    let micros: u64 = parts[4].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(seconds.abs_diff(now) <= 2, "{reply}");
    assert!(micros < 1_000_000);
}

#[test]
fn shutdown_exits_without_reply() {
    let mut srv = Server::start();
    let mut c = srv.raw();
    // (What SHUTDOWN saves, and a failed save keeping the server up: tests/bgsave.rs.)
    c.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n*1\r\n$4\r\nPING\r\n");
    assert!(c.is_closed(), "no reply, the connection just closes");
    let status = srv.child().wait().expect("wait");
    assert!(status.success(), "{status}");
}

/// CLIENT SETINFO (Redis 7.2), which redis-py 5 and Jedis 5 send on connect and whose error
/// they ignore: rredis answers as Redis 7.0.15 does, with the unknown-subcommand error, so
/// that CLIENT LIST keeps 7.0's fields (7.2 adds lib-name and lib-ver). The error names the
/// subcommand as the client spelled it.
#[test]
fn client_setinfo_is_unknown_as_in_redis_7_0() {
    let srv = Server::start();
    let mut c = srv.raw();
    assert_eq!(
        c.cmd_str(&["CLIENT", "SETINFO", "LIB-NAME", "redis-py"]),
        "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"
    );
    assert_eq!(
        c.cmd_str(&["client", "setinfo", "lib-ver", "5.0.1"]),
        "-ERR unknown subcommand 'setinfo'. Try CLIENT HELP.\r\n"
    );
    let Some(real) = real_redis("client_setinfo_is_unknown_as_in_redis_7_0") else {
        return;
    };
    assert_same_replies(
        &mut c,
        &mut real.raw(),
        &[
            &["CLIENT", "SETINFO", "LIB-NAME", "redis-py"],
            &["client", "setinfo", "lib-ver", "5.0.1"],
            &["CLIENT", "SETINFO"],
        ],
    );
}
