//! Client-side caching (CLIENT TRACKING and friends) with several real connections, as
//! scenarios (tests/common/scenario.rs) replayed on rredis and on redis-server 7.0 and
//! compared reply by reply: RESP3 push invalidations, RESP2 invalidations through REDIRECT
//! to a `__redis__:invalidate` subscriber, NOLOOP, OPTIN / OPTOUT with CLIENT CACHING,
//! BCAST with prefixes, flushes, a redirect target that goes away, and the errors.

mod common;

use common::scenario::{same_on_both, Step::*};

/// PUBSUB NUMSUB's reply once the redirect target, the channel's only subscriber, is gone.
const GONE: &str = "*2\r\n$20\r\n__redis__:invalidate\r\n:0\r\n";

#[test]
fn default_mode_resp3_invalidations_match_redis() {
    same_on_both(
        "default_mode_resp3_invalidations_match_redis",
        &[
            Send(0, &["HELLO", "3"]),
            Discard(0),
            Cmd(0, &["CLIENT", "TRACKING", "on"]),
            Cmd(0, &["GET", "k1"]),
            Cmd(0, &["MGET", "k2", "k3"]),
            // Another client's write: one push per key, the key then forgotten.
            Cmd(1, &["MSET", "k2", "1", "k3", "2"]),
            Read(0),
            Read(0),
            Cmd(1, &["SET", "k2", "again"]),
            // The client's own write: the push follows the reply.
            Cmd(0, &["SET", "k1", "v"]),
            Read(0),
            // Inside a transaction, after EXEC's reply.
            Cmd(0, &["GET", "k1"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["SET", "k1", "x"]),
            Cmd(0, &["GET", "k1"]),
            Cmd(0, &["EXEC"]),
            Read(0),
            // A flush: a null key list.
            Cmd(0, &["GET", "k1"]),
            Cmd(1, &["FLUSHALL"]),
            Read(0),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["CLIENT", "GETREDIR"]),
            Fields(0, &["CLIENT", "INFO"], &["flags", "redir", "resp"]),
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["CLIENT", "GETREDIR"]),
            Cmd(0, &["GET", "k1"]),
            Cmd(1, &["SET", "k1", "y"]),
            Cmd(0, &["PING"]),
        ],
    );
}

#[test]
fn resp2_redirect_to_subscriber_matches_redis() {
    same_on_both(
        "resp2_redirect_to_subscriber_matches_redis",
        &[
            Cmd(1, &["SUBSCRIBE", "__redis__:invalidate"]),
            Cmd(
                0,
                &["CLIENT", "TRACKING", "on", "REDIRECT", "$ID1", "NOLOOP"],
            ),
            Fields(0, &["CLIENT", "INFO"], &["flags"]),
            // NOLOOP: the client's own write sends nothing.
            Cmd(0, &["GET", "z"]),
            Cmd(0, &["SET", "z", "1"]),
            Cmd(0, &["GET", "z"]),
            Cmd(2, &["SET", "z", "2"]),
            Read(1),
            Cmd(0, &["GET", "z"]),
            Cmd(2, &["FLUSHDB"]),
            Read(1),
            // The target goes: RESP2 gets nothing, the redirect is marked broken.
            Close(1),
            Until(&["PUBSUB", "NUMSUB", "__redis__:invalidate"], GONE),
            Cmd(0, &["GET", "z"]),
            Cmd(2, &["SET", "z", "3"]),
            Fields(0, &["CLIENT", "INFO"], &["flags"]),
        ],
    );
}

#[test]
fn broken_redirect_resp3_and_optin_optout_match_redis() {
    same_on_both(
        "broken_redirect_resp3_and_optin_optout_match_redis",
        &[
            Send(0, &["HELLO", "3"]),
            Discard(0),
            Cmd(1, &["SUBSCRIBE", "__redis__:invalidate"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "$ID1"]),
            Cmd(0, &["GET", "a"]),
            Close(1),
            Until(&["PUBSUB", "NUMSUB", "__redis__:invalidate"], GONE),
            Cmd(2, &["SET", "a", "1"]),
            // `>2 tracking-redir-broken <id>`: ids differ between the servers, so it is
            // read but not compared; the flag R is.
            Discard(0),
            Fields(0, &["CLIENT", "INFO"], &["flags"]),
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            // OPTIN: only reads right after CLIENT CACHING YES are remembered.
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN"]),
            Cmd(0, &["CLIENT", "CACHING", "no"]),
            Cmd(0, &["GET", "notcached"]),
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["GET", "cached"]),
            Cmd(0, &["GET", "notcached2"]),
            Cmd(
                2,
                &["MSET", "notcached", "1", "notcached2", "1", "cached", "1"],
            ),
            Read(0),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTOUT"]),
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            // OPTOUT: every read but the one after CLIENT CACHING NO.
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTOUT"]),
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(0, &["CLIENT", "CACHING", "no"]),
            Cmd(0, &["GET", "skipped"]),
            Cmd(0, &["GET", "kept"]),
            Cmd(2, &["MSET", "skipped", "1", "kept", "1"]),
            Read(0),
            Cmd(0, &["PING"]),
        ],
    );
}

#[test]
fn bcast_prefixes_match_redis() {
    same_on_both(
        "bcast_prefixes_match_redis",
        &[
            Send(0, &["HELLO", "3"]),
            Discard(0),
            Cmd(
                0,
                &[
                    "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:",
                ],
            ),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Fields(0, &["CLIENT", "INFO"], &["flags"]),
            // Keys of one command are batched per prefix, sorted, whoever wrote them.
            Cmd(
                1,
                &[
                    "MSET", "user:2", "a", "user:1", "b", "obj:9", "c", "other", "d",
                ],
            ),
            Read(0),
            Read(0),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "use"]),
            Cmd(
                0,
                &[
                    "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab",
                ],
            ),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x:"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["CLIENT", "TRACKING", "on"]),
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            // BCAST without prefixes: every key; NOLOOP hides the client's own writes.
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"]),
            Cmd(0, &["SET", "mine", "1"]),
            Cmd(1, &["SET", "theirs", "1"]),
            Read(0),
            Cmd(0, &["PING"]),
        ],
    );
}

#[test]
fn tracking_errors_match_redis() {
    same_on_both(
        "tracking_errors_match_redis",
        &[
            Cmd(0, &["CLIENT", "TRACKING", "maybe"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BOGUS"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "notanumber"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "987654"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "-1"]),
            Cmd(
                0,
                &[
                    "CLIENT", "TRACKING", "on", "REDIRECT", "$ID1", "REDIRECT", "$ID1",
                ],
            ),
            Cmd(0, &["CLIENT", "TRACKING", "on", "PREFIX", "a"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"]),
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTOUT"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST"]),
            Cmd(0, &["CLIENT", "CACHING", "no"]),
            Cmd(0, &["CLIENT", "CACHING", "maybe"]),
            Cmd(0, &["CLIENT", "CACHING"]),
            Cmd(0, &["CLIENT", "GETREDIR", "x"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO", "x"]),
            Cmd(0, &["CLIENT", "TRACKING", "off", "REDIRECT", "$ID1"]),
            Cmd(0, &["CLIENT", "GETREDIR"]),
            // A RESP2 client without REDIRECT may track; it just receives nothing.
            Cmd(0, &["CLIENT", "TRACKING", "on"]),
            Cmd(0, &["GET", "q"]),
            Cmd(1, &["SET", "q", "1"]),
            Cmd(0, &["PING"]),
            Cmd(0, &["RESET"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
        ],
    );
}

#[test]
fn keys_changed_by_served_blocked_clients_are_invalidated_like_redis() {
    same_on_both(
        "keys_changed_by_served_blocked_clients_are_invalidated_like_redis",
        &[
            Send(0, &["HELLO", "3"]),
            Discard(0),
            Cmd(0, &["CLIENT", "TRACKING", "on"]),
            Cmd(0, &["LRANGE", "src", "0", "-1"]),
            Cmd(0, &["LRANGE", "dst", "0", "-1"]),
            Send(1, &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]),
            Blocked(1),
            // The tracking client's own push wakes the mover: its reply, then the pushes.
            Cmd(0, &["LPUSH", "src", "x"]),
            Read(0),
            Read(0),
            Read(1),
            Cmd(0, &["PING"]),
        ],
    );
}

#[test]
fn resp3_tracker_redirecting_to_resp2_subscriber_matches_redis() {
    same_on_both(
        "resp3_tracker_redirecting_to_resp2_subscriber_matches_redis",
        &[
            Send(0, &["HELLO", "3"]),
            Discard(0),
            // Subscribed to anything: a RESP2 target only needs to be in pub/sub mode.
            Cmd(1, &["SUBSCRIBE", "other"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "$ID1"]),
            Cmd(0, &["GET", "k"]),
            Send(2, &["HELLO", "3"]),
            Discard(2),
            Cmd(2, &["CLIENT", "TRACKING", "on"]),
            Cmd(2, &["GET", "k"]),
            Cmd(3, &["SET", "k", "1"]),
            Read(1),
            Read(2),
            // The flush's null is written in the tracking client's protocol (`_`), even to
            // a RESP2 target, as Redis does.
            Cmd(3, &["FLUSHALL"]),
            Read(1),
            Read(2),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a"]),
            Cmd(2, &["CLIENT", "TRACKING", "off"]),
            Cmd(
                2,
                &[
                    "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b",
                ],
            ),
            Cmd(2, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a"]),
            Cmd(2, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bc"]),
            Cmd(
                2,
                &[
                    "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c", "PREFIX", "c",
                ],
            ),
            Cmd(2, &["CLIENT", "TRACKINGINFO"]),
            Cmd(2, &["PING"]),
        ],
    );
}
