//! DEBUG and the latency monitor, compared with redis-server 7.0: DEBUG refused unless
//! `enable-debug-command` allows it, then its subcommands' replies side by side; LATENCY's
//! replies after a command slow enough to be recorded.

mod common;

use common::{real_redis_with, Raw, Server};

/// Runs `script` on a connection and returns the replies, with DEBUG OBJECT's address and
/// LRU fields cut off (they differ between any two servers).
fn replies(conn: &mut Raw, script: &[&[&str]]) -> Vec<String> {
    script
        .iter()
        .map(|args| {
            let reply = conn.cmd_str(args);
            match reply.find(" refcount:") {
                Some(at) if reply.starts_with("+Value at:") => {
                    let end = reply.find(" lru:").unwrap_or(reply.len());
                    reply[at..end].to_string()
                }
                _ => reply,
            }
        })
        .collect()
}

#[test]
fn debug_is_refused_by_default_like_redis() {
    let Some(redis) = real_redis_with("debug_is_refused_by_default_like_redis", &[]) else {
        return;
    };
    let ours = Server::start();
    let script: &[&[&str]] = &[
        &["DEBUG", "SLEEP", "0"],
        &["MULTI"],
        &["DEBUG", "HELP"],
        &["EXEC"],
    ];
    assert_eq!(
        replies(&mut ours.raw(), script),
        replies(&mut redis.raw(), script)
    );
}

#[test]
fn debug_subcommands_match_redis() {
    let dir = std::env::temp_dir().join(format!("rredis-debug-{}", std::process::id()));
    let (ours_dir, redis_dir) = (dir.join("ours"), dir.join("redis"));
    for d in [&ours_dir, &redis_dir] {
        std::fs::create_dir_all(d).expect("temp dir");
    }
    let args = |d: &std::path::Path| {
        vec![
            "--enable-debug-command".to_string(),
            "yes".to_string(),
            "--dir".to_string(),
            d.display().to_string(),
        ]
    };
    let redis_args = args(&redis_dir);
    let redis_args: Vec<&str> = redis_args.iter().map(String::as_str).collect();
    let Some(redis) = real_redis_with("debug_subcommands_match_redis", &redis_args) else {
        return;
    };
    let ours_args = args(&ours_dir);
    let ours_args: Vec<&str> = ours_args.iter().map(String::as_str).collect();
    let ours = Server::start_with(&ours_args);
    let mut script: Vec<&[&str]> = vec![
        &["DEBUG", "POPULATE", "3"],
        &["DEBUG", "POPULATE", "2", "pfx", "5"],
        &["DEBUG", "POPULATE", "1", "big", "20"],
        &["DEBUG", "POPULATE", "x"],
        &["MGET", "key:0", "key:2", "pfx:1", "big:0", "key:3"],
        &["RPUSH", "list", "a", "b"],
        &["HSET", "hash", "f", "v"],
        &["SET", "n", "12345"],
        &["DEBUG", "OBJECT", "list"],
        &["DEBUG", "OBJECT", "hash"],
        &["DEBUG", "OBJECT", "n"],
        &["DEBUG", "OBJECT", "key:1"],
        &["DEBUG", "OBJECT", "missing"],
        &["DEBUG", "ERROR", "CUSTOM something broke"],
        &["DEBUG", "LOG", "hello"],
        &["DEBUG", "SLEEP", "0"],
        &["DEBUG", "SLEEP", "x"],
        &["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        &["SET", "short", "v", "PX", "100000"],
        &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        &["DEBUG", "RELOAD", "BOGUS"],
        &["DEBUG", "RELOAD"],
        &["DBSIZE"],
        &["LRANGE", "list", "0", "-1"],
        &["DEBUG", "RELOAD", "NOSAVE"],
        &["HGETALL", "hash"],
        &["DEBUG", "NOSUCHTHING"],
        &["DEBUG", "OBJECT"],
    ];
    let types = [
        "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
        "verbatim", "true", "false", "nope",
    ];
    let protocol: Vec<[&str; 3]> = types.iter().map(|t| ["DEBUG", "PROTOCOL", t]).collect();
    script.extend(protocol.iter().map(|a| &a[..]));
    let (mut mine, mut theirs) = (ours.raw(), redis.raw());
    assert_eq!(replies(&mut mine, &script), replies(&mut theirs, &script));
    for conn in [&mut mine, &mut theirs] {
        conn.cmd(&["HELLO", "3"]);
    }
    let protocol: Vec<&[&str]> = protocol.iter().map(|a| &a[..]).collect();
    assert_eq!(
        replies(&mut mine, &protocol),
        replies(&mut theirs, &protocol)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn latency_monitor_records_slow_commands_like_redis() {
    let Some(redis) = real_redis_with(
        "latency_monitor_records_slow_commands_like_redis",
        &["--enable-debug-command", "yes"],
    ) else {
        return;
    };
    let ours = Server::start_with(&["--enable-debug-command", "yes"]);
    for server in [&ours, &redis] {
        let mut c = server.raw();
        assert_eq!(c.cmd_str(&["LATENCY", "LATEST"]), "*0\r\n");
        // Below the threshold (off by default) nothing is recorded.
        c.cmd(&["DEBUG", "SLEEP", "0.02"]);
        assert_eq!(c.cmd_str(&["LATENCY", "LATEST"]), "*0\r\n");
        c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "10"]);
        c.cmd(&["DEBUG", "SLEEP", "0.02"]);
        let latest = c.cmd_str(&["LATENCY", "LATEST"]);
        assert!(
            latest.starts_with("*1\r\n*4\r\n$7\r\ncommand\r\n:"),
            "{latest}"
        );
        let history = c.cmd_str(&["LATENCY", "HISTORY", "command"]);
        assert!(history.starts_with("*1\r\n*2\r\n:"), "{history}");
        assert_eq!(c.cmd_str(&["LATENCY", "HISTORY", "none"]), "*0\r\n");
        assert_eq!(
            c.cmd_str(&["LATENCY", "RESET", "command", "none"]),
            ":1\r\n"
        );
        assert_eq!(c.cmd_str(&["LATENCY", "LATEST"]), "*0\r\n");
        assert_eq!(c.cmd_str(&["LATENCY", "RESET"]), ":0\r\n");
    }
}
