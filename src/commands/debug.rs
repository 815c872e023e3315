//! DEBUG (Redis's debug.c): the developer's and test suite's toolbox. It can stall the
//! server (SLEEP), fill it (POPULATE), reload it from disk (RELOAD) or switch off active
//! expiry, so, as in Redis, it runs only when `enable-debug-command` allows it: `no` (the
//! default), `yes`, or `local` (connections from the loopback interface only). The check is
//! made in `process_command` through the row's `PROTECTED` flag ([`debug_allowed`]).
//!
//! rredis has the subcommands a client or a test suite uses against a server: HELP, SLEEP,
//! OBJECT, SET-ACTIVE-EXPIRE, RELOAD, POPULATE, LOG, ERROR and PROTOCOL; the others (crash
//! tests, allocator internals, DIGEST) answer with Redis's unknown-subcommand error.

use std::time::Duration;

use crate::client::Client;
use crate::commands::{acl, flags::*, subcommand_syntax_error, Command, NO_KEYS};
use crate::db::{idle_seconds, lookup_key_read_with_flags, LOOKUP_NONOTIFY, LOOKUP_NOTOUCH};
use crate::persist::rdb::{dump_payload, load_file, SaveOptions};
use crate::server::Server;
use crate::types::string::RString;
use crate::types::Value;
use crate::util::{parse_i64, LongDouble};

pub static COMMANDS: &[Command] = &[Command::new(
    "debug",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
    NO_KEYS,
    acl::SLOW,
    debug_command,
)];

/// The refusal of a DEBUG that `enable-debug-command` does not allow.
pub const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the \
    enable-debug-command option is set to \"local\", you can run it from a local connection, \
    otherwise you need to set this option in the configuration file, and then restart the \
    server.";

/// True if `enable-debug-command` lets `c` run a protected command (Redis's
/// allowProtectedAction).
pub fn debug_allowed(srv: &Server, c: &Client) -> bool {
    match srv.config.enable_debug_command.as_str() {
        "yes" => true,
        "local" => c.addr.ip().is_loopback(),
        _ => false,
    }
}

/// DEBUG subcommand [arg ...].
fn debug_command(srv: &mut Server, c: &mut Client) {
    let sub = c.argv.arg(1).to_ascii_lowercase();
    match (sub.as_slice(), c.argv.len()) {
        (b"help", 2) => debug_help(c),
        (b"sleep", 3) => {
            // strtod: text that is not a number sleeps for 0 seconds.
            let seconds = LongDouble::parse(c.argv.arg(2)).map_or(0.0, |s| s.to_f64());
            if seconds > 0.0 {
                std::thread::sleep(Duration::from_secs_f64(seconds.min(1e9)));
            }
            c.reply.ok();
        }
        (b"object", 3) => debug_object(srv, c),
        (b"set-active-expire", 3) => {
            srv.active_expire_enabled = c_atoi(c.argv.arg(2)) != 0;
            c.reply.ok();
        }
        (b"reload", _) => debug_reload(srv, c),
        (b"populate", 3..=5) => debug_populate(srv, c),
        (b"log", 3) => {
            log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(c.argv.arg(2)));
            c.reply.ok();
        }
        (b"error", 3) => {
            let msg = c.argv.arg_bytes(2);
            c.reply.error_bytes(&msg);
        }
        (b"protocol", 3) => debug_protocol(c),
        _ => subcommand_syntax_error(c),
    }
}

/// C's atoi: the leading decimal digits (with a sign), 0 when there are none.
fn c_atoi(arg: &[u8]) -> i64 {
    let digits = arg
        .iter()
        .enumerate()
        .take_while(|&(i, &b)| b.is_ascii_digit() || (i == 0 && (b == b'-' || b == b'+')))
        .count();
    arg.get(..digits).and_then(parse_i64).unwrap_or(0)
}

/// DEBUG OBJECT key: Redis's one-line description of the value.
fn debug_object(srv: &mut Server, c: &mut Client) {
    let key = c.argv.arg_bytes(2);
    let list_fill = srv.config.list_max_listpack_size;
    let opts = SaveOptions::from_server(srv);
    let flags = LOOKUP_NOTOUCH | LOOKUP_NONOTIFY;
    let Some(obj) = lookup_key_read_with_flags(srv, c.db, &key, flags) else {
        return c.reply.error("ERR no such key");
    };
    // The value's RDB serialisation: a DUMP payload less its type byte, version and CRC.
    let serialized = dump_payload(&obj.value, opts).len().saturating_sub(11);
    let mut text = format!(
        "Value at:{:p} refcount:1 encoding:{} serializedlength:{serialized} lru:{} \
         lru_seconds_idle:{}",
        obj as *const _,
        obj.value.encoding(),
        obj.lru,
        idle_seconds(obj.lru)
    );
    if let Value::List(list) = &obj.value {
        let nodes = list.node_count().max(1);
        text.push_str(&format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{list_fill} ql_compressed:0 \
             ql_uncompressed_size:{}",
            list.node_count(),
            list.len() as f64 / nodes as f64,
            list.bytes()
        ));
    }
    c.reply.status(&text);
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the RDB file (unless NOSAVE) and load it
/// back in place of the data set. MERGE and NOFLUSH are accepted, but the load always
/// replaces the whole data set.
fn debug_reload(srv: &mut Server, c: &mut Client) {
    let mut save = true;
    for arg in c.argv.iter().skip(2) {
        if arg.eq_ignore_ascii_case(b"NOSAVE") {
            save = false;
        } else if !arg.eq_ignore_ascii_case(b"MERGE") && !arg.eq_ignore_ascii_case(b"NOFLUSH") {
            return c
                .reply
                .error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
        }
    }
    if save && crate::persist::bgsave::rdb_save(srv).is_err() {
        return c.reply.error("ERR");
    }
    let path = std::path::PathBuf::from(&srv.config.dbfilename);
    match load_file(srv, &path) {
        Ok(()) => {
            log::info!("DB reloaded by DEBUG RELOAD");
            c.reply.ok();
        }
        Err(e) => {
            log::warn!("Error trying to load the RDB dump: {e}");
            c.reply
                .error("ERR Error trying to load the RDB dump, check server logs.");
        }
    }
}

/// DEBUG POPULATE count [prefix] [size]: creates the string keys `<prefix>:<n>` (prefix
/// `key`) with values `value:<n>`, cut or zero-padded to `size` bytes when given; keys that
/// exist are left alone.
fn debug_populate(srv: &mut Server, c: &mut Client) {
    let Some(count) = parse_i64(c.argv.arg(2)).filter(|&n| n >= 0) else {
        return c.reply.error("ERR value is out of range, must be positive");
    };
    let prefix = if c.argv.len() >= 4 {
        c.argv.arg_bytes(3)
    } else {
        bytes::Bytes::from_static(b"key")
    };
    let size = match c.argv.get(4) {
        Some(arg) => match parse_i64(arg).filter(|&n| n >= 0) {
            Some(n) => Some(n as usize),
            None => return c.reply.error("ERR value is out of range, must be positive"),
        },
        None => None,
    };
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!(":{j}").as_bytes());
        if crate::db::key_exists(srv, c.db, &key) {
            continue;
        }
        let mut value = format!("value:{j}").into_bytes();
        if let Some(size) = size {
            value.resize(size, 0);
        }
        let Some(db) = srv.dbs.get_mut(c.db) else {
            break;
        };
        db.set_key(&key, Value::Str(RString::from_bytes(&value)), false);
    }
    c.reply.ok();
}

/// DEBUG PROTOCOL double's value: Redis's sample, which happens to look like pi.
#[allow(clippy::approx_constant)]
const DEBUG_PROTOCOL_DOUBLE: f64 = 3.141;

/// DEBUG PROTOCOL type: a sample reply of each RESP type, for client library tests.
fn debug_protocol(c: &mut Client) {
    let r = &mut c.reply;
    match c.argv.arg(2).to_ascii_lowercase().as_slice() {
        b"string" => r.bulk(b"Hello World"),
        b"integer" => r.int(12345),
        b"double" => r.double(DEBUG_PROTOCOL_DOUBLE),
        b"bignum" => {
            let digits = b"1234567999999999999999999999999999999";
            if r.resp >= 3 {
                r.raw(b"(");
                r.raw(digits);
                r.raw(b"\r\n");
            } else {
                r.bulk(digits);
            }
        }
        b"null" => r.null(),
        b"array" => {
            r.array_len(3);
            (0..3).for_each(|j| r.int(j));
        }
        b"set" => {
            r.set_len(3);
            (0..3).for_each(|j| r.int(j));
        }
        b"map" => {
            r.map_len(3);
            for j in 0..3 {
                r.int(j);
                r.bool(j == 1);
            }
        }
        b"attrib" => {
            if r.resp >= 3 {
                r.raw(b"|1\r\n");
                r.bulk(b"key-popularity");
                r.array_len(2);
                r.bulk(b"key:123");
                r.int(90);
            }
            r.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if r.resp < 3 {
                return r.error("ERR RESP2 is not supported by this command");
            }
            r.push_len(2);
            r.bulk(b"server-cpu-usage");
            r.int(42);
            r.bulk(b"Some real reply following the push reply");
        }
        b"verbatim" => r.verbatim(b"This is a verbatim\nstring"),
        b"true" => r.bool(true),
        b"false" => r.bool(false),
        _ => r.error(
            "ERR Wrong protocol type name. Please use one of the following: \
             string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ),
    }
}

/// DEBUG HELP: Redis's text for the subcommands rredis has.
fn debug_help(c: &mut Client) {
    c.reply.help(
        "DEBUG",
        &[
            "ERROR <string>",
            "    Return a Redis protocol error with <string> as message. Useful for clients",
            "    unit tests to simulate Redis errors.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "OBJECT <key>",
            "    Show low level info about `key` and associated value.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named key:<num>. If <prefix> is specified then",
            "    it is used instead of the 'key' prefix. These are not propagated to",
            "    replicas. Cluster slots are not respected so keys not belonging to the",
            "    current node can be created in cluster mode.",
            "PROTOCOL <type>",
            "    Reply with a test value of the specified type. <type> can be: string,",
            "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
            "    true, false.",
            "RELOAD [option ...]",
            "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
            "    * MERGE: conflicting keys will be loaded from RDB.",
            "    * NOFLUSH: the existing database will not be removed before load, but",
            "      conflicting keys will generate an exception and kill the server.",
            "    * NOSAVE: the database will be loaded from an existing RDB file.",
            "    Examples:",
            "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
            "      the database.",
            "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
            "      existing RDB file.",
            "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
            "      file to the database.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_reads_the_leading_number() {
        assert_eq!(c_atoi(b"1"), 1);
        assert_eq!(c_atoi(b"0"), 0);
        assert_eq!(c_atoi(b"x"), 0);
        assert_eq!(c_atoi(b"12abc"), 12);
        assert_eq!(c_atoi(b"-3"), -3);
        assert_eq!(c_atoi(b""), 0);
    }
}
