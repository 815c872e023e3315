//! List commands (t_list.c) over raw TCP, against the real redis-server where it matters:
//! what the differential corpus (tests/corpus/lists.txt) cannot hold in a few lines. A seeded
//! random replay of every list command (with node limits small enough that nodes split and
//! merge all the time), lists spanning many nodes, elements larger than a node, RESP3 reply
//! shapes, and the keys created and deleted as lists fill and empty.

mod common;

use common::{encode, real_redis, Raw, Server};
use rredis::util::Rng;

/// Sends `cmds` pipelined, in batches, and returns every reply's raw bytes in order.
fn replay(r: &mut Raw, cmds: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    let mut replies = Vec::with_capacity(cmds.len());
    for batch in cmds.chunks(200) {
        let mut buf = Vec::new();
        for cmd in batch {
            let args: Vec<&[u8]> = cmd.iter().map(Vec::as_slice).collect();
            buf.extend_from_slice(&encode(&args));
        }
        r.send(&buf);
        for _ in batch {
            replies.push(r.read_reply());
        }
    }
    replies
}

/// Runs `cmds` on a fresh rredis and a fresh redis-server and asserts the replies are the
/// same, byte for byte, naming the first command that differs with the commands before it.
/// HELLO's reply is not compared (it holds the connection id). Returns redis-server's replies
/// (empty when it is not installed).
fn assert_same_replies_owned(test: &str, cmds: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    let Some(real_server) = real_redis(test) else {
        return Vec::new();
    };
    let our_server = Server::start();
    let expected = replay(&mut real_server.raw(), cmds);
    let got = replay(&mut our_server.raw(), cmds);
    for (i, (cmd, (want, have))) in cmds.iter().zip(expected.iter().zip(&got)).enumerate() {
        let hello = cmd
            .first()
            .is_some_and(|c| c.eq_ignore_ascii_case(b"hello"));
        if want != have && !hello {
            let show = |c: &Vec<Vec<u8>>| {
                c.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let context: Vec<String> = cmds[i.saturating_sub(15)..i].iter().map(show).collect();
            panic!(
                "{test}: command #{i} `{}` differs\n  redis:  {:?}\n  rredis: {:?}\n  after:\n    {}",
                show(cmd),
                String::from_utf8_lossy(want),
                String::from_utf8_lossy(have),
                context.join("\n    ")
            );
        }
    }
    expected
}

/// Builds a command from words.
fn cmd(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// The random command generator: a few list keys, a string key, a missing key; a small pool
/// of elements (integers, integer-looking strings, empty, long) so that searches match.
struct Gen {
    rng: Rng,
}

const KEYS: &[&str] = &["l1", "l2", "l3", "str", "none"];
const ELEMS: &[&str] = &[
    "a", "b", "c", "1", "2", "01", "-1", "100000", "", "+1", "x y",
];

impl Gen {
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.rng.below(from.len() as u64) as usize]
    }

    fn key(&mut self) -> String {
        // Mostly list keys, so that lists grow; sometimes the wrong type or nothing.
        if self.rng.below(10) < 8 {
            self.pick(&KEYS[..3]).to_string()
        } else {
            self.pick(KEYS).to_string()
        }
    }

    fn elem(&mut self) -> String {
        match self.rng.below(20) {
            0 => "L".repeat(self.rng.below(300) as usize),
            1 => (self.rng.next_u64() as i64).to_string(),
            _ => self.pick(ELEMS).to_string(),
        }
    }

    /// An index or count: usually small, sometimes extreme or not a number.
    fn num(&mut self) -> String {
        match self.rng.below(30) {
            0 => i64::MAX.to_string(),
            1 => i64::MIN.to_string(),
            2 => "x".to_string(),
            3 => "99999999999999999999".to_string(),
            _ => (self.rng.below(25) as i64 - 12).to_string(),
        }
    }

    fn side(&mut self) -> String {
        match self.rng.below(20) {
            0 => "MIDDLE".to_string(),
            n if n % 2 == 0 => "LEFT".to_string(),
            _ => "right".to_string(),
        }
    }

    fn next(&mut self) -> Vec<String> {
        let mut c: Vec<String> = Vec::new();
        let name = [
            "LPUSH",
            "RPUSH",
            "LPUSHX",
            "RPUSHX",
            "LPOP",
            "RPOP",
            "LLEN",
            "LRANGE",
            "LINDEX",
            "LSET",
            "LINSERT",
            "LREM",
            "LTRIM",
            "LPOS",
            "LMOVE",
            "RPOPLPUSH",
            "LMPOP",
            "RPUSH",
            "LPUSH",
            "RPUSH",
        ];
        let which = self.pick(&name);
        c.push(which.to_string());
        match which {
            "LPUSH" | "RPUSH" | "LPUSHX" | "RPUSHX" => {
                c.push(self.key());
                for _ in 0..1 + self.rng.below(4) {
                    c.push(self.elem());
                }
            }
            "LPOP" | "RPOP" => {
                c.push(self.key());
                if self.rng.below(2) == 0 {
                    c.push(self.num());
                }
            }
            "LLEN" => c.push(self.key()),
            "LRANGE" | "LTRIM" => {
                c.push(self.key());
                if which == "LTRIM" && self.rng.below(2) == 0 {
                    // Mostly gentle trims, so that lists live long enough to grow.
                    c.push("0".into());
                    c.push((self.rng.below(60) as i64 - 5).to_string());
                } else {
                    c.push(self.num());
                    c.push(self.num());
                }
            }
            "LINDEX" => {
                c.push(self.key());
                c.push(self.num());
            }
            "LSET" => {
                c.push(self.key());
                c.push(self.num());
                c.push(self.elem());
            }
            "LINSERT" => {
                c.push(self.key());
                c.push(
                    self.pick(&["BEFORE", "after", "BEFORE", "AFTER", "UP"])
                        .into(),
                );
                c.push(self.elem());
                c.push(self.elem());
            }
            "LREM" => {
                c.push(self.key());
                c.push(self.num());
                c.push(self.elem());
            }
            "LPOS" => {
                c.push(self.key());
                c.push(self.elem());
                for _ in 0..self.rng.below(3) {
                    let opt = self.pick(&["RANK", "COUNT", "MAXLEN", "rank", "FOO"]);
                    c.push(opt.into());
                    if self.rng.below(15) != 0 {
                        c.push(self.num());
                    }
                }
            }
            "LMOVE" => {
                c.push(self.key());
                c.push(self.key());
                c.push(self.side());
                c.push(self.side());
            }
            "RPOPLPUSH" => {
                c.push(self.key());
                c.push(self.key());
            }
            _ => {
                // LMPOP numkeys key... LEFT|RIGHT [COUNT n]
                let n = 1 + self.rng.below(3);
                c.push(if self.rng.below(25) == 0 {
                    self.num()
                } else {
                    n.to_string()
                });
                for _ in 0..n {
                    c.push(self.key());
                }
                c.push(self.side());
                if self.rng.below(2) == 0 {
                    c.push("COUNT".into());
                    c.push(self.num());
                }
            }
        }
        c
    }
}

/// ≥ 10,000 random list commands, replayed on both servers reply by reply, under four node
/// limits (the default 8 KB, 1 and 3 entries per node, 4 KB). `RREDIS_LIST_SEED=n` replays
/// another sequence (to hunt for differences; the default seed is what CI runs).
#[test]
fn random_list_commands_match_redis() {
    let seed = std::env::var("RREDIS_LIST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2024);
    let mut gen = Gen {
        rng: Rng::new(seed),
    };
    let mut cmds: Vec<Vec<Vec<u8>>> = vec![cmd(&["FLUSHALL"]), cmd(&["SET", "str", "v"])];
    for fill in ["-2", "1", "3", "-1"] {
        cmds.push(cmd(&["CONFIG", "SET", "list-max-listpack-size", fill]));
        for _ in 0..3000 {
            let words = gen.next();
            cmds.push(words.into_iter().map(String::into_bytes).collect());
        }
        for key in ["l1", "l2", "l3"] {
            cmds.push(cmd(&["LRANGE", key, "0", "-1"]));
        }
    }
    assert!(cmds.len() >= 10_000);
    let replies = assert_same_replies_owned("random_list_commands_match_redis", &cmds);
    // The generator must exercise more than errors and empty keys.
    let errors = replies.iter().filter(|r| r.starts_with(b"-")).count();
    let long_arrays = replies
        .iter()
        .filter(|r| r.starts_with(b"*") && r.len() > 100)
        .count();
    let wrongtype = replies
        .iter()
        .filter(|r| r.starts_with(b"-WRONGTYPE"))
        .count();
    assert!(
        replies.is_empty() || errors * 4 < replies.len(),
        "{errors} errors"
    );
    assert!(
        replies.is_empty() || long_arrays > 100,
        "{long_arrays} long arrays"
    );
    assert!(
        replies.is_empty() || wrongtype > 50,
        "{wrongtype} WRONGTYPE"
    );
}

/// Lists spanning many nodes: reads and edits in the middle, both ends, big elements that
/// take a node each.
#[test]
fn long_lists_match_redis() {
    let mut cmds: Vec<Vec<Vec<u8>>> = vec![cmd(&["FLUSHALL"])];
    for chunk in 0..20 {
        let mut push = cmd(&["RPUSH", "big"]);
        for i in 0..500 {
            push.push(format!("element:{:06}", chunk * 500 + i).into_bytes());
        }
        cmds.push(push);
        let mut push = cmd(&["LPUSH", "big"]);
        for i in 0..100 {
            push.push((chunk * 100 + i).to_string().into_bytes());
        }
        cmds.push(push);
    }
    for words in [
        &["LLEN", "big"][..],
        &["LRANGE", "big", "0", "99"],
        &["LRANGE", "big", "5000", "5599"],
        &["LRANGE", "big", "-600", "-1"],
        &["LINDEX", "big", "6000"],
        &["LINDEX", "big", "-4321"],
        &["LSET", "big", "7000", "replaced"],
        &["LINSERT", "big", "BEFORE", "replaced", "before-it"],
        &["LINSERT", "big", "AFTER", "element:005000", "after-it"],
        &["LPOS", "big", "replaced"],
        &["LPOS", "big", "element:005000", "RANK", "-1"],
        &["LPOS", "big", "1500", "COUNT", "0"],
        &["LREM", "big", "0", "7"],
        &["LREM", "big", "-3", "element:000001"],
        &["LPOP", "big", "777"],
        &["RPOP", "big", "1234"],
        &["LTRIM", "big", "100", "-100"],
        &["LLEN", "big"],
        &["LRANGE", "big", "0", "-1"],
    ] {
        cmds.push(cmd(words));
    }
    let huge = "h".repeat(70_000);
    let medium = "m".repeat(5_000);
    for words in [
        &["RPUSH", "fat", &huge, "small", &medium, &huge][..],
        &["LPUSH", "fat", &medium],
        &["LINSERT", "fat", "AFTER", "small", &huge],
        &["LSET", "fat", "2", &medium],
        &["LRANGE", "fat", "0", "-1"],
        &["LREM", "fat", "0", &huge],
        &["LRANGE", "fat", "0", "-1"],
        &["LMOVE", "fat", "big", "LEFT", "RIGHT"],
        &["RPOP", "big"],
        &["LMPOP", "2", "nothing", "fat", "RIGHT", "COUNT", "10"],
        &["EXISTS", "fat"],
    ] {
        cmds.push(cmd(words));
    }
    assert_same_replies_owned("long_lists_match_redis", &cmds);
}

/// RESP3 shapes: the null of LPOP/RPOP/LINDEX/LPOS/LMOVE is `_`, and so is the "null array"
/// of LPOP with a count and LMPOP; LMPOP's reply stays an array.
#[test]
fn resp3_reply_shapes() {
    let script: &[&[&str]] = &[
        &["HELLO", "3"],
        &["LPOP", "nokey"],
        &["LPOP", "nokey", "2"],
        &["RPOP", "nokey", "0"],
        &["LINDEX", "nokey", "0"],
        &["LPOS", "nokey", "a"],
        &["LPOS", "nokey", "a", "COUNT", "0"],
        &["LMOVE", "nokey", "x", "LEFT", "LEFT"],
        &["LMPOP", "1", "nokey", "LEFT"],
        &["RPUSH", "l", "a", "b", "1"],
        &["LPOS", "l", "z"],
        &["LINDEX", "l", "9"],
        &["LMPOP", "1", "l", "LEFT", "COUNT", "2"],
        &["LPOP", "l", "0"],
        &["RPOP", "l", "5"],
        &["EXISTS", "l"],
    ];
    let cmds: Vec<_> = script.iter().map(|words| cmd(words)).collect();
    assert_same_replies_owned("resp3_reply_shapes", &cmds);
}

/// Every way a list empties deletes the key, and pushes recreate it.
#[test]
fn emptied_lists_are_deleted() {
    let server = Server::start();
    let mut r = server.raw();
    let exists = |r: &mut Raw| r.cmd_str(&["EXISTS", "k"]);
    let steps: &[&[&str]] = &[
        &["LPOP", "k"],
        &["RPOP", "k", "3"],
        &["LREM", "k", "0", "v"],
        &["LTRIM", "k", "1", "0"],
        &["LMOVE", "k", "other", "LEFT", "LEFT"],
        &["RPOPLPUSH", "k", "other"],
        &["LMPOP", "1", "k", "RIGHT", "COUNT", "5"],
    ];
    for step in steps {
        assert_eq!(r.cmd_str(&["RPUSH", "k", "v"]), ":1\r\n");
        r.cmd(step);
        assert_eq!(exists(&mut r), ":0\r\n", "after {step:?}");
        assert_eq!(r.cmd_str(&["TYPE", "k"]), "+none\r\n");
    }
    assert_eq!(r.cmd_str(&["LLEN", "other"]), ":2\r\n");
}

/// Pushing and popping a million elements at both ends stays quick (O(1) pops) and leaves
/// nothing behind.
#[test]
fn many_pushes_and_pops() {
    let server = Server::start();
    let mut r = server.raw();
    let mut cmds = Vec::new();
    for i in 0..2000 {
        let mut push = cmd(&[if i % 2 == 0 { "LPUSH" } else { "RPUSH" }, "q"]);
        for j in 0..100 {
            push.push(format!("{i}-{j}").into_bytes());
        }
        cmds.push(push);
    }
    replay(&mut r, &cmds);
    assert_eq!(r.cmd_str(&["LLEN", "q"]), ":200000\r\n");
    let pops: Vec<_> = (0..2000)
        .map(|i| cmd(&[if i % 2 == 0 { "LPOP" } else { "RPOP" }, "q", "100"]))
        .collect();
    let replies = replay(&mut r, &pops);
    assert!(replies.iter().all(|rep| rep.starts_with(b"*100\r\n")));
    assert_eq!(r.cmd_str(&["EXISTS", "q"]), ":0\r\n");
}
