//! What operators read about the commands a server ran — SLOWLOG, MONITOR, INFO errorstats —
//! compared with redis-server 7.0: the same commands on both servers, then the results side
//! by side, with what cannot agree (timestamps, durations, client ports) masked.

mod common;

use common::{aggregate_items, real_redis, Raw, Server};

/// A command list that exercises what the slow log and MONITOR must get right: argument
/// cutting (over 32 arguments, over 128 bytes), redaction (AUTH, HELLO AUTH, CONFIG SET
/// requirepass), database numbers (SELECT), binary arguments, a transaction and a failed
/// command.
fn script() -> Vec<Vec<Vec<u8>>> {
    let mut many = vec![b"MSET".to_vec()];
    for i in 0..20 {
        many.push(format!("k{i}").into_bytes());
        many.push(b"v".to_vec());
    }
    let words = |s: &str| {
        s.split(' ')
            .map(|w| w.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    vec![
        words("SET a 1"),
        vec![b"SET".to_vec(), b"big".to_vec(), vec![b'x'; 300]],
        many,
        vec![b"SET".to_vec(), b"\xff\x01\"q\\ \n".to_vec(), b"v".to_vec()],
        words("AUTH nopass"),
        words("AUTH user secret"),
        words("HELLO 2 AUTH default secret"),
        words("CONFIG SET requirepass "),
        words("INCR a"),
        words("GET missing"),
        words("MULTI"),
        words("INCR a"),
        words("LPUSH a x"),
        words("EXEC"),
        words("SELECT 3"),
        words("SET in3 v"),
        words("SELECT 0"),
        words("CLIENT SETNAME worker"),
        words("PING"),
    ]
}

/// Runs [`script`] on `port` over one connection and returns its replies.
fn run_script(conn: &mut Raw) {
    for args in script() {
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        conn.send_cmd(&args);
        conn.read_reply();
    }
}

/// SLOWLOG GET's entries with the time, the duration and the client's port masked.
fn masked_slowlog(reply: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let (_, entries) = aggregate_items(reply).expect("SLOWLOG GET is an array");
    entries
        .iter()
        .map(|entry| {
            let (_, mut fields) = aggregate_items(entry).expect("an entry is an array");
            assert_eq!(fields.len(), 6, "entry fields");
            fields[1] = b"<time>".to_vec();
            fields[2] = b"<duration>".to_vec();
            fields[4] = b"<addr>".to_vec();
            fields
        })
        .collect()
}

#[test]
fn slowlog_entries_match_redis() {
    let Some(redis) = real_redis("slowlog_entries_match_redis") else {
        return;
    };
    let ours = Server::start();
    let mut logs = Vec::new();
    for server in [&ours, &redis] {
        let mut conn = server.raw();
        conn.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        conn.cmd(&["SLOWLOG", "RESET"]);
        run_script(&mut conn);
        let len = conn.cmd_str(&["SLOWLOG", "LEN"]);
        let all = conn.cmd(&["SLOWLOG", "GET", "-1"]);
        let two = conn.cmd(&["SLOWLOG", "GET", "2"]);
        let errors = [
            conn.cmd(&["SLOWLOG", "GET", "-2"]),
            conn.cmd(&["SLOWLOG", "GET", "x"]),
            conn.cmd(&["SLOWLOG", "GET", "1", "2"]),
            conn.cmd(&["SLOWLOG", "NOPE"]),
        ];
        conn.cmd(&["CONFIG", "SET", "slowlog-max-len", "3"]);
        conn.cmd(&["SET", "after", "trim"]);
        let trimmed = conn.cmd(&["SLOWLOG", "GET", "-1"]);
        conn.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
        conn.cmd(&["SLOWLOG", "RESET"]);
        conn.cmd(&["SET", "not", "logged"]);
        let disabled = conn.cmd_str(&["SLOWLOG", "LEN"]);
        logs.push((
            len,
            masked_slowlog(&all),
            masked_slowlog(&two),
            errors,
            masked_slowlog(&trimmed),
            disabled,
        ));
    }
    let (mine, theirs) = (&logs[0], &logs[1]);
    assert_eq!(mine.0, theirs.0, "SLOWLOG LEN");
    for (m, t) in mine.1.iter().zip(&theirs.1) {
        assert_eq!(
            m.iter()
                .map(|f| f.escape_ascii().to_string())
                .collect::<Vec<_>>(),
            t.iter()
                .map(|f| f.escape_ascii().to_string())
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(mine.1.len(), theirs.1.len(), "SLOWLOG GET -1 length");
    assert_eq!(mine.2, theirs.2, "SLOWLOG GET 2");
    assert_eq!(mine.3, theirs.3, "SLOWLOG errors");
    assert_eq!(mine.4, theirs.4, "trimmed to slowlog-max-len");
    assert_eq!(mine.5, theirs.5, "disabled with -1");
}

/// A monitor line with the time and the client's port masked: `[db] "arg" ...`.
fn masked_monitor_line(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line).into_owned();
    let open = text.find('[').expect("a monitor line has [db addr]");
    let close = text.find(']').expect("a monitor line has [db addr]");
    let db = text[open + 1..close]
        .split(' ')
        .next()
        .unwrap_or("")
        .to_string();
    format!("[{db}]{}", &text[close + 1..])
}

/// Reads monitor lines from `monitor` until one for `PING "end"`, masked.
fn monitor_lines(monitor: &mut Raw) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = masked_monitor_line(&monitor.read_reply());
        let end = line.ends_with("\"ECHO\" \"end-of-script\"\r\n");
        lines.push(line);
        if end {
            return lines;
        }
    }
}

#[test]
fn monitor_stream_matches_redis() {
    let Some(redis) = real_redis("monitor_stream_matches_redis") else {
        return;
    };
    let ours = Server::start();
    let mut streams = Vec::new();
    for server in [&ours, &redis] {
        let mut monitor = server.raw();
        assert_eq!(monitor.cmd_str(&["MONITOR"]), "+OK\r\n");
        let mut conn = server.raw();
        run_script(&mut conn);
        conn.cmd(&["ECHO", "end-of-script"]);
        let lines = monitor_lines(&mut monitor);
        // The monitor itself: PING is allowed (and shown), keys are not, a second MONITOR
        // gets no reply, RESET ends monitoring.
        let ping = monitor.cmd_str(&["PING"]);
        let own_ping = masked_monitor_line(&monitor.read_reply());
        let get = monitor.cmd_str(&["GET", "a"]);
        monitor.send_cmd(&[b"MONITOR"]);
        let reset = monitor.cmd_str(&["RESET"]);
        let after = monitor.cmd_str(&["GET", "a"]);
        // Inside a transaction MONITOR is refused when EXEC runs it.
        let mut tx = server.raw();
        tx.cmd(&["MULTI"]);
        tx.cmd(&["MONITOR"]);
        let exec = tx.cmd_str(&["EXEC"]);
        streams.push((lines, ping, own_ping, get, reset, after, exec));
    }
    assert_eq!(streams[0].0, streams[1].0, "monitor lines");
    assert_eq!(streams[0], streams[1]);
}

#[test]
fn errorstats_match_redis() {
    let Some(redis) = real_redis("errorstats_match_redis") else {
        return;
    };
    let ours = Server::start();
    let mut sections = Vec::new();
    for server in [&ours, &redis] {
        let mut conn = server.raw();
        conn.cmd(&["CONFIG", "RESETSTAT"]);
        conn.cmd(&["SET", "s", "v"]);
        for args in [
            &["LPUSH", "s", "x"][..],
            &["INCR", "s"],
            &["NOSUCHCOMMAND"],
            &["GET"],
            &["AUTH", "nopassword"],
            &["AUTH", "user", "pass"],
            &["EXEC"],
            &["MULTI"],
            &["NOSUCHCOMMAND"],
            &["EXEC"],
            &["HELLO", "4"],
            &["CLIENT", "PAUSE", "x"],
            &["OBJECT", "ENCODING", "s", "extra"],
        ] {
            conn.cmd(args);
        }
        let mut info = conn.cmd_str(&["INFO", "errorstats"]);
        info.push_str(
            &conn
                .cmd_str(&["INFO", "stats"])
                .lines()
                .filter(|l| l.starts_with("total_error_replies"))
                .collect::<String>(),
        );
        conn.cmd(&["CONFIG", "RESETSTAT"]);
        info.push_str(&conn.cmd_str(&["INFO", "errorstats"]));
        sections.push(info);
    }
    assert_eq!(sections[0], sections[1]);
}
