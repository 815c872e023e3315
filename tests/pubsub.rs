//! Pub/Sub with several real connections: subscription confirmations, message delivery,
//! the RESP2 subscribed context, RESP3 push frames, cleanup on UNSUBSCRIBE / RESET /
//! disconnect, as scenarios (tests/common/scenario.rs) replayed on rredis and on
//! redis-server 7.0 and compared reply by reply. Then what only rredis is checked for: a
//! publish reaching 1,000 subscribers, and a subscriber that stops reading being
//! disconnected by `client-output-buffer-limit` without slowing anyone else.
//! Single-connection introspection and errors are in tests/corpus/pubsub.txt.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::scenario::{same_on_both, Step::*};
use common::{ensure_fd_limit, Raw, Server};

/// The reply read at scenario step `n`.
fn step(replies: &[String], n: usize) -> &str {
    let prefix = format!("step {n}: ");
    replies
        .iter()
        .find_map(|r| r.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no reply at step {n}"))
}

#[test]
fn subscribe_publish_and_unsubscribe_match_redis() {
    let got = same_on_both(
        "subscribe_publish_and_unsubscribe_match_redis",
        &[
            // Confirmations carry the count of channels + patterns; a repeat is confirmed
            // again without counting twice.
            Cmd(0, &["SUBSCRIBE", "news", "sport", "news"]),
            Read(0),
            Read(0),
            Cmd(1, &["PSUBSCRIBE", "n*", "x?"]),
            Read(1),
            Cmd(1, &["SUBSCRIBE", "news"]),
            // Channel subscribers first, then pattern subscribers, each counted.
            Cmd(2, &["PUBLISH", "news", "hello"]),
            Read(0),
            Read(1),
            Read(1),
            Cmd(2, &["PUBLISH", "sport", "goal"]),
            Read(0),
            Cmd(2, &["PUBLISH", "nothing", "x"]),
            Read(1),
            Cmd(2, &["PUBLISH", "elsewhere", "x"]),
            // Introspection from an unsubscribed connection.
            Cmd(2, &["PUBSUB", "NUMSUB", "news", "sport", "none"]),
            Cmd(2, &["PUBSUB", "NUMPAT"]),
            Cmd(2, &["PUBSUB", "CHANNELS", "s*"]),
            Fields(
                2,
                &["CLIENT", "LIST", "ID", "$ID0", "$ID1", "$ID2"],
                &["flags", "sub", "psub", "ssub", "cmd"],
            ),
            Fields(2, &["CLIENT", "LIST", "TYPE", "pubsub"], &["sub", "psub"]),
            // RESP2 subscribed context: only the subscription commands, PING, QUIT, RESET.
            Cmd(0, &["GET", "k"]),
            Cmd(0, &["CLIENT", "INFO"]),
            Cmd(0, &["PUBSUB", "NUMPAT"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["PING"]),
            Cmd(0, &["PING", "hi"]),
            Cmd(0, &["PING", "a", "b"]),
            // Unsubscribing: named, then all (one left, so the order is fixed), then none.
            Cmd(0, &["UNSUBSCRIBE", "news", "never"]),
            Read(0),
            Cmd(0, &["UNSUBSCRIBE"]),
            Cmd(0, &["UNSUBSCRIBE"]),
            Cmd(0, &["PUNSUBSCRIBE"]),
            Cmd(0, &["PING"]),
            Cmd(0, &["GET", "k"]),
            Cmd(1, &["PUNSUBSCRIBE", "x?"]),
            // UNSUBSCRIBE's count still includes the remaining pattern.
            Cmd(1, &["UNSUBSCRIBE"]),
            Cmd(1, &["PUNSUBSCRIBE"]),
            Cmd(2, &["PUBLISH", "news", "again"]),
            Cmd(2, &["PUBSUB", "NUMSUB", "news", "sport"]),
            Cmd(2, &["PUBSUB", "NUMPAT"]),
            Cmd(2, &["PUBSUB", "CHANNELS"]),
        ],
    );
    assert_eq!(
        step(&got, 5),
        "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:3\r\n"
    );
    assert_eq!(
        step(&got, 7),
        "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
    );
}

#[test]
fn shard_channels_are_a_separate_namespace() {
    same_on_both(
        "shard_channels_are_a_separate_namespace",
        &[
            Cmd(0, &["SSUBSCRIBE", "s1", "s2"]),
            Read(0),
            Cmd(1, &["SUBSCRIBE", "s1"]),
            Cmd(1, &["PSUBSCRIBE", "s*"]),
            Cmd(2, &["SPUBLISH", "s1", "shard"]),
            Read(0),
            Cmd(2, &["PUBLISH", "s1", "global"]),
            Read(1),
            Read(1),
            Cmd(2, &["PUBSUB", "SHARDNUMSUB", "s1", "s2", "s3"]),
            Cmd(2, &["PUBSUB", "SHARDCHANNELS", "s1"]),
            Cmd(2, &["PUBSUB", "NUMSUB", "s1", "s2"]),
            Fields(
                2,
                &["CLIENT", "LIST", "ID", "$ID0"],
                &["flags", "sub", "psub", "ssub"],
            ),
            // Shard subscriptions alone keep the subscribed context.
            Cmd(0, &["SUBSCRIBE", "x"]),
            Cmd(0, &["UNSUBSCRIBE", "x"]),
            Cmd(0, &["GET", "k"]),
            Cmd(0, &["SUNSUBSCRIBE", "s2", "s1"]),
            Read(0),
            Cmd(0, &["SUNSUBSCRIBE"]),
            Cmd(0, &["GET", "k"]),
            Cmd(2, &["SPUBLISH", "s1", "gone"]),
            Cmd(2, &["PUBSUB", "SHARDCHANNELS"]),
            Cmd(1, &["RESET"]),
        ],
    );
}

#[test]
fn transactions_and_pubsub_match_redis() {
    same_on_both(
        "transactions_and_pubsub_match_redis",
        &[
            Cmd(0, &["SUBSCRIBE", "c"]),
            // PUBLISH queues; SUBSCRIBE inside MULTI runs at EXEC (allowed in 7.0).
            Cmd(1, &["MULTI"]),
            Cmd(1, &["PUBLISH", "c", "queued"]),
            Cmd(1, &["SUBSCRIBE", "d"]),
            Cmd(1, &["EXEC"]),
            Read(0),
            // Now subscribed: MULTI is refused.
            Cmd(1, &["MULTI"]),
            Cmd(2, &["PUBLISH", "d", "to-1"]),
            Read(1),
            Cmd(1, &["RESET"]),
            Cmd(1, &["GET", "k"]),
            Cmd(2, &["PUBLISH", "d", "nobody"]),
        ],
    );
}

#[test]
fn subscriptions_end_with_reset_and_disconnect() {
    same_on_both(
        "subscriptions_end_with_reset_and_disconnect",
        &[
            Cmd(0, &["SUBSCRIBE", "a"]),
            Cmd(0, &["PSUBSCRIBE", "a*"]),
            Cmd(0, &["SSUBSCRIBE", "a"]),
            Cmd(1, &["SUBSCRIBE", "a"]),
            Cmd(2, &["PUBLISH", "a", "1"]),
            Read(0),
            Read(0),
            Read(1),
            // RESET drops everything without confirmations.
            Cmd(0, &["RESET"]),
            Cmd(0, &["GET", "k"]),
            Cmd(2, &["PUBLISH", "a", "2"]),
            Read(1),
            Cmd(2, &["PUBSUB", "NUMPAT"]),
            Cmd(2, &["PUBSUB", "SHARDNUMSUB", "a"]),
            // A disconnected subscriber is forgotten.
            Close(1),
            Until(&["PUBSUB", "NUMSUB", "a"], "*2\r\n$1\r\na\r\n:0\r\n"),
            Cmd(2, &["PUBLISH", "a", "3"]),
            Cmd(2, &["PUBSUB", "CHANNELS"]),
        ],
    );
}

#[test]
fn resp3_messages_are_push_frames() {
    let got = same_on_both(
        "resp3_messages_are_push_frames",
        &[
            Send(0, &["HELLO", "3"]),
            Discard(0),
            Cmd(0, &["SUBSCRIBE", "z"]),
            // Any command runs in RESP3; PING is the plain one.
            Cmd(0, &["GET", "k"]),
            Cmd(0, &["PING"]),
            Cmd(1, &["PUBLISH", "z", "m"]),
            Read(0),
            // Publishing to its own channel: the push comes before PUBLISH's reply.
            Cmd(0, &["PUBLISH", "z", "self"]),
            Read(0),
            Cmd(0, &["PSUBSCRIBE", "z*"]),
            Cmd(1, &["PUBLISH", "zz", "p"]),
            Read(0),
            Cmd(0, &["UNSUBSCRIBE"]),
            Cmd(0, &["UNSUBSCRIBE"]),
            Cmd(0, &["PUNSUBSCRIBE"]),
            Cmd(0, &["SUNSUBSCRIBE"]),
            Cmd(0, &["PUBSUB", "NUMSUB", "z"]),
        ],
    );
    assert_eq!(step(&got, 2), ">3\r\n$9\r\nsubscribe\r\n$1\r\nz\r\n:1\r\n");
    assert_eq!(
        step(&got, 6),
        ">3\r\n$7\r\nmessage\r\n$1\r\nz\r\n$1\r\nm\r\n"
    );
    assert_eq!(
        step(&got, 7),
        ">3\r\n$7\r\nmessage\r\n$1\r\nz\r\n$4\r\nself\r\n"
    );
    assert_eq!(step(&got, 8), ":1\r\n");
    assert_eq!(step(&got, 13), ">3\r\n$11\r\nunsubscribe\r\n_\r\n:1\r\n");
}

/// Reads one reply with a deadline, so a missing message fails the test instead of hanging.
fn read_reply_within(conn: &mut Raw, timeout: Duration) -> Vec<u8> {
    conn.stream()
        .set_read_timeout(Some(timeout))
        .expect("read timeout");
    conn.read_reply()
}

#[test]
fn a_publish_reaches_a_thousand_subscribers() {
    const SUBSCRIBERS: usize = 1000;
    ensure_fd_limit(2 * SUBSCRIBERS as u64 + 200);
    let server = Server::start();
    let mut subscribers: Vec<Raw> = (0..SUBSCRIBERS).map(|_| server.raw()).collect();
    for sub in &mut subscribers {
        sub.send_cmd(&[b"SUBSCRIBE", b"fanout"]);
    }
    for sub in &mut subscribers {
        let confirmation = read_reply_within(sub, Duration::from_secs(10));
        assert_eq!(
            confirmation,
            b"*3\r\n$9\r\nsubscribe\r\n$6\r\nfanout\r\n:1\r\n"
        );
    }
    let mut publisher = server.raw();
    assert_eq!(
        publisher.cmd_str(&["PUBLISH", "fanout", "to everyone"]),
        format!(":{SUBSCRIBERS}\r\n")
    );
    for sub in &mut subscribers {
        let message = read_reply_within(sub, Duration::from_secs(10));
        assert_eq!(
            message,
            b"*3\r\n$7\r\nmessage\r\n$6\r\nfanout\r\n$11\r\nto everyone\r\n"
        );
    }
    assert_eq!(
        publisher.cmd_str(&["PUBSUB", "NUMSUB", "fanout"]),
        format!("*2\r\n$6\r\nfanout\r\n:{SUBSCRIBERS}\r\n")
    );
    drop(subscribers);
    let deadline = Instant::now() + Duration::from_secs(10);
    while publisher.cmd_str(&["PUBSUB", "NUMSUB", "fanout"]) != "*2\r\n$6\r\nfanout\r\n:0\r\n" {
        assert!(Instant::now() < deadline, "subscribers never forgotten");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(publisher
        .cmd_str(&["INFO", "stats"])
        .contains("pubsub_channels:0\r\n"));
}

/// A subscriber that never reads is disconnected when its pending messages pass the pubsub
/// hard limit; a subscriber that reads keeps getting every message, and PUBLISH stays fast.
#[test]
fn a_subscriber_that_does_not_read_is_disconnected_at_the_hard_limit() {
    let server = Server::start();
    let mut publisher = server.raw();
    assert_eq!(
        publisher.cmd_str(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 4mb 0 0"
        ]),
        "+OK\r\n"
    );
    let mut slow = server.raw();
    assert!(slow.cmd_str(&["SUBSCRIBE", "flood"]).ends_with(":1\r\n"));

    // 32 MB in all: far more than the limit plus what the kernel's buffers can hold.
    const MESSAGES: usize = 1000;
    let payload = "x".repeat(32 * 1024);
    let message = format!(
        "*3\r\n$7\r\nmessage\r\n$5\r\nflood\r\n${}\r\n{payload}\r\n",
        payload.len()
    );
    let mut fast = server.raw();
    assert!(fast.cmd_str(&["SUBSCRIBE", "flood"]).ends_with(":1\r\n"));
    let expected = message.repeat(MESSAGES).into_bytes();
    let reader = std::thread::spawn(move || {
        // Read in large chunks, so this side is never the bottleneck.
        let mut received = vec![0u8; expected.len()];
        fast.stream()
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("read timeout");
        let mut stream = fast.stream();
        stream.read_exact(&mut received).expect("every message");
        // The connection is handed back: it must stay subscribed to the end.
        (received == expected, fast)
    });

    let mut slowest = Duration::ZERO;
    let mut receivers_seen = Vec::new();
    for _ in 0..MESSAGES {
        let start = Instant::now();
        let reply = publisher.cmd_str(&["PUBLISH", "flood", &payload]);
        slowest = slowest.max(start.elapsed());
        if receivers_seen.last() != Some(&reply) {
            receivers_seen.push(reply);
        }
    }
    // Two receivers until the slow one is closed, then one.
    assert_eq!(receivers_seen, [":2\r\n", ":1\r\n"]);
    assert!(
        slowest < Duration::from_millis(500),
        "a PUBLISH took {slowest:?}"
    );
    let (complete, _fast) = reader.join().expect("fast subscriber");
    assert!(complete, "the fast subscriber missed messages");

    // The slow subscriber finds its connection closed once it reads what reached it.
    let (_, closed) = slow.read_until_closed(Duration::from_secs(10));
    assert!(closed, "the slow subscriber was not disconnected");
    let list = publisher.cmd_str(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert_eq!(list.matches("sub=1").count(), 1, "{list}");
    assert_eq!(
        publisher.cmd_str(&["PUBSUB", "NUMSUB", "flood"]),
        "*2\r\n$5\r\nflood\r\n:1\r\n"
    );
}

/// The soft limit disconnects a subscriber only once it has stayed over it for longer than
/// its seconds.
#[test]
fn a_subscriber_over_the_soft_limit_for_too_long_is_disconnected() {
    let server = Server::start();
    let mut publisher = server.raw();
    publisher.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "pubsub 0 1mb 1",
    ]);
    let mut slow = server.raw();
    slow.cmd(&["SUBSCRIBE", "flood"]);
    let payload = "y".repeat(16 * 1024);
    let start = Instant::now();
    let mut first_drop = None;
    while start.elapsed() < Duration::from_secs(10) {
        let reply = publisher.cmd_str(&["PUBLISH", "flood", &payload]);
        if reply == ":0\r\n" {
            first_drop = Some(start.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let dropped_after = first_drop.expect("the slow subscriber was never disconnected");
    // Over the soft limit within a few messages, then more than one whole second over it.
    assert!(dropped_after > Duration::from_secs(1), "{dropped_after:?}");
    let mut rest = Vec::new();
    let _ = slow.stream().set_read_timeout(Some(Duration::from_secs(5)));
    let _ = slow.stream().read_to_end(&mut rest);
}

#[test]
fn client_output_buffer_limit_config_matches_redis() {
    let script: &[&[&str]] = &[
        &["CONFIG", "GET", "client-output-buffer-limit"],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 2k 5",
        ],
        &["CONFIG", "GET", "client-output-buffer-limit"],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 2k",
        ],
        &["CONFIG", "SET", "client-output-buffer-limit", "foo 1 1 1"],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "master 1 1 1",
        ],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub x 1 1",
        ],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1 1 -1",
        ],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1 1 x",
        ],
        // A bad group rejects the whole value.
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "replica 1 1 1 master 2 2 2",
        ],
        &["CONFIG", "SET", "client-output-buffer-limit", ""],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "REPLICA 1gb 1MB 0 Normal 1gb 2 3",
        ],
        &["CONFIG", "GET", "client-output-buffer-limit"],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60",
        ],
        &["CONFIG", "GET", "client-output-buffer-limit"],
    ];
    common::assert_same_replies("client_output_buffer_limit_config_matches_redis", script);
}

/// `timeout` closes idle clients, but not subscribers: they only listen.
#[test]
fn idle_timeout_spares_subscribers() {
    let server = Server::start_with(&["--timeout", "1"]);
    let mut subscriber = server.raw();
    subscriber.cmd(&["SUBSCRIBE", "quiet"]);
    let mut idle = server.raw();
    idle.cmd(&["PING"]);
    let (_, closed) = idle.read_until_closed(Duration::from_secs(5));
    assert!(closed, "the idle client was not timed out");
    let mut publisher = server.raw();
    assert_eq!(
        publisher.cmd_str(&["PUBLISH", "quiet", "still here"]),
        ":1\r\n"
    );
    assert_eq!(
        read_reply_within(&mut subscriber, Duration::from_secs(5)),
        b"*3\r\n$7\r\nmessage\r\n$5\r\nquiet\r\n$10\r\nstill here\r\n"
    );
}

/// A real client library's pub/sub API (redis-rs): subscribing, pattern messages, and
/// leaving pub/sub mode when the handle is dropped (it sends UNSUBSCRIBE and PUNSUBSCRIBE
/// and waits for the confirmations to reach a count of zero), after which the connection
/// runs ordinary commands again.
#[test]
fn redis_rs_pubsub_round_trip() {
    let server = Server::start();
    let mut con = server.client();
    let mut publisher = server.client();
    {
        let mut pubsub = con.as_pubsub();
        pubsub.subscribe("orders").expect("subscribe");
        pubsub.psubscribe("order*").expect("psubscribe");
        pubsub
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let receivers: i64 = redis::cmd("PUBLISH")
            .arg("orders")
            .arg("42")
            .query(&mut publisher)
            .expect("publish");
        assert_eq!(receivers, 2);
        let direct = pubsub.get_message().expect("message");
        assert_eq!(direct.get_channel_name(), "orders");
        assert!(!direct.from_pattern());
        assert_eq!(direct.get_payload::<String>().expect("payload"), "42");
        let matched = pubsub.get_message().expect("pmessage");
        assert!(matched.from_pattern());
        assert_eq!(matched.get_pattern::<String>().expect("pattern"), "order*");
        assert_eq!(matched.get_payload::<i64>().expect("payload"), 42);
    }
    let pong: String = redis::cmd("PING")
        .query(&mut con)
        .expect("ping after pubsub");
    assert_eq!(pong, "PONG");
    let numsub: (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg("orders")
        .query(&mut publisher)
        .expect("numsub");
    assert_eq!(numsub, ("orders".to_string(), 0));
}

/// INFO stats counts active channels, distinct patterns and shard channels, as Redis 7.0.
#[test]
fn info_counts_channels_and_patterns() {
    let server = Server::start();
    let mut a = server.raw();
    let mut b = server.raw();
    let mut control = server.raw();
    a.cmd(&["SUBSCRIBE", "x"]);
    a.cmd(&["PSUBSCRIBE", "p*"]);
    b.cmd(&["SUBSCRIBE", "x"]);
    b.cmd(&["SUBSCRIBE", "y"]);
    b.cmd(&["PSUBSCRIBE", "p*"]);
    b.cmd(&["PSUBSCRIBE", "q*"]);
    b.cmd(&["SSUBSCRIBE", "s"]);
    let info = control.cmd_str(&["INFO", "stats"]);
    for line in [
        "pubsub_channels:2\r\n",
        "pubsub_patterns:2\r\n",
        "pubsubshard_channels:1\r\n",
    ] {
        assert!(info.contains(line), "{line:?} missing from {info}");
    }
    b.cmd(&["RESET"]);
    let info = control.cmd_str(&["INFO", "stats"]);
    for line in [
        "pubsub_channels:1\r\n",
        "pubsub_patterns:1\r\n",
        "pubsubshard_channels:0\r\n",
    ] {
        assert!(info.contains(line), "{line:?} missing from {info}");
    }
}
