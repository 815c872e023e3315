//! The RDB file format, version 10 (what Redis 7.0 writes; Redis's rdb.c): [`save_snapshot`]
//! serialises every database, [`load_from`] reads a whole file back, and the same value
//! encoding serves DUMP and RESTORE ([`dump_payload`], [`restore_payload`]).
//!
//! # Layout
//!
//! ```text
//! "REDIS0010"
//! AUX (0xfa) name value        redis-ver, redis-bits, ctime, used-mem, aof-base
//! per non-empty database:
//!   SELECTDB (0xfe) <db>  RESIZEDB (0xfb) <keys> <keys with a TTL>
//!   per key: [EXPIRETIME_MS (0xfc) <i64 ms LE>] <type> <key string> <value>
//! EOF (0xff)  <CRC-64 of everything before, u64 LE; 0 when rdbchecksum is off>
//! ```
//!
//! *Lengths* take 1, 2, 5 or 9 bytes (top two bits 00: 6 bits, 01: 14 bits big endian, 0x80:
//! u32 BE, 0x81: u64 BE); top bits 11 mark a *special string encoding* instead: an integer
//! of 8, 16 or 32 bits (LE), or an LZF-compressed string (`0xc3 <compressed len> <len>
//! <data>`). A *string* is a length and its bytes, or one of those encodings; the writer
//! picks them as Redis's rdbSaveRawString does ([`save_string`]).
//!
//! *Values* (what Redis 7.0 writes): a string (type 0); a list as a QUICKLIST_2 (18): node
//! count, then per node a container (2 = packed) and a listpack blob; a set as an intset
//! blob (11) or a member count and members (2); a hash as a listpack blob (16) or pairs (4);
//! a sorted set as a listpack blob (17) or members with binary double scores, highest first
//! (5). Blobs are strings, so they are LZF-compressed like any other. The blob layouts are
//! in `persist/packed.rs`. The loader also reads every older encoding (ziplists, zipmaps,
//! plain lists, string scores) and rebuilds each value in the encoding rredis would choose
//! under the current settings, as Redis converts on load.
//!
//! The loader treats the file as hostile: each length is checked against the bytes left
//! before anything is allocated for it, every blob is validated entry by entry, duplicate
//! members are refused, and an error names the byte offset. Loading fills fresh databases
//! that replace the server's only when the whole file, checksum included, was read.

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use crate::commands::server_cmds::used_memory;
use crate::db::Db;
use crate::persist::crc64::crc64;
use crate::persist::lzf;
use crate::persist::packed::{
    intset_blob, intset_values, listpack_entries, ziplist_entries, zipmap_pairs, ListpackWriter,
};
use crate::server::Server;
use crate::types::hash::ListpackLimits;
use crate::types::list::{Fill, Where};
use crate::types::listpack::Entry;
use crate::types::set::SetMember;
use crate::types::zset::{AddFlags, AddOutcome, ZsetLimits};
use crate::types::{Hash, List, Obj, RSet, RString, Value, ZSet};
use crate::util::{format_double, now_ms, parse_i64, parse_strtod};

/// RDB version written, and the highest one read (Redis 7.0's RDB_VERSION).
pub const RDB_VERSION: u32 = 10;

/// The version Redis reports in the `redis-ver` AUX field. rredis writes the Redis version
/// it is compatible with rather than its own: tools reading the field (and Redis's own log
/// line "Loading RDB produced by version") expect a Redis version number.
const REDIS_VERSION: &str = "7.0.15";

// Opcodes (Redis's RDB_OPCODE_*).
const OPCODE_FUNCTION2: u8 = 245;
const OPCODE_FUNCTION_PRE_GA: u8 = 246;
const OPCODE_MODULE_AUX: u8 = 247;
const OPCODE_IDLE: u8 = 248;
const OPCODE_FREQ: u8 = 249;
const OPCODE_AUX: u8 = 250;
const OPCODE_RESIZEDB: u8 = 251;
const OPCODE_EXPIRETIME_MS: u8 = 252;
const OPCODE_EXPIRETIME: u8 = 253;
const OPCODE_SELECTDB: u8 = 254;
const OPCODE_EOF: u8 = 255;

// Value types (Redis's RDB_TYPE_*).
const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_MODULE_PRE_GA: u8 = 6;
const TYPE_MODULE_2: u8 = 7;
const TYPE_HASH_ZIPMAP: u8 = 9;
const TYPE_LIST_ZIPLIST: u8 = 10;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_ZSET_ZIPLIST: u8 = 12;
const TYPE_HASH_ZIPLIST: u8 = 13;
const TYPE_LIST_QUICKLIST: u8 = 14;
const TYPE_STREAM_LISTPACKS: u8 = 15;
const TYPE_HASH_LISTPACK: u8 = 16;
const TYPE_ZSET_LISTPACK: u8 = 17;
const TYPE_LIST_QUICKLIST_2: u8 = 18;
const TYPE_STREAM_LISTPACKS_2: u8 = 19;

// Length and string encodings.
const LEN_6BIT: u8 = 0;
const LEN_14BIT: u8 = 1;
const LEN_32BIT: u8 = 0x80;
const LEN_64BIT: u8 = 0x81;
const ENC_VAL: u8 = 3;
const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Quicklist node containers (QUICKLIST_NODE_CONTAINER_*).
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// Elements this long or longer get a node of their own (PLAIN) in Redis 7.0's quicklist
/// (its packed_threshold, 1 GB).
const PACKED_THRESHOLD: usize = 1 << 30;

/// Strings up to this length are tried as integers (rdbSaveRawString: "len <= 11").
const INT_ENCODING_MAX_LEN: usize = 11;

/// Strings longer than this are tried with LZF when rdbcompression is on (Redis: 20 bytes;
/// shorter ones rarely shrink).
const LZF_MIN_LEN: usize = 20;

/// The writer's buffer is handed to the output (and the checksum) once it holds this much.
const WRITE_CHUNK: usize = 64 * 1024;

/// Why a file could not be loaded: what was wrong and the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for RdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// The settings that shape how a value is written (read from the config once per save).
#[derive(Debug, Clone, Copy)]
pub struct SaveOptions {
    /// rdbcompression: LZF for long strings.
    pub compression: bool,
    /// list-max-listpack-size: how the list's elements are cut into quicklist nodes.
    pub list_fill: i64,
}

impl SaveOptions {
    pub fn from_server(srv: &Server) -> SaveOptions {
        SaveOptions {
            compression: srv.config.rdbcompression,
            list_fill: srv.config.list_max_listpack_size,
        }
    }
}

/// Appends a length (rdbSaveLen).
fn save_len(buf: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        buf.push((LEN_6BIT << 6) | len as u8);
    } else if len < 1 << 14 {
        buf.push((LEN_14BIT << 6) | (len >> 8) as u8);
        buf.push(len as u8);
    } else if len <= u32::MAX as u64 {
        buf.push(LEN_32BIT);
        buf.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        buf.push(LEN_64BIT);
        buf.extend_from_slice(&len.to_be_bytes());
    }
}

/// Appends a string as Redis's rdbSaveRawString does: as an 8/16/32-bit integer when it is
/// the canonical text of one, LZF-compressed when that is allowed and saves at least five
/// bytes (the compressor gets `len - 4` bytes of room), else as length and bytes.
fn save_string(buf: &mut Vec<u8>, s: &[u8], compression: bool) {
    if s.len() <= INT_ENCODING_MAX_LEN {
        if let Some(v) = parse_i64(s) {
            if save_int_encoded(buf, v) {
                return;
            }
        }
    }
    if compression && s.len() > LZF_MIN_LEN {
        if let Some(packed) = lzf::compress(s, s.len() - 4) {
            buf.push((ENC_VAL << 6) | ENC_LZF);
            save_len(buf, packed.len() as u64);
            save_len(buf, s.len() as u64);
            buf.extend_from_slice(&packed);
            return;
        }
    }
    save_len(buf, s.len() as u64);
    buf.extend_from_slice(s);
}

/// The integer string encodings (rdbEncodeInteger); false when `v` needs more than 32 bits.
fn save_int_encoded(buf: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(v) = i8::try_from(v) {
        buf.push((ENC_VAL << 6) | ENC_INT8);
        buf.push(v as u8);
    } else if let Ok(v) = i16::try_from(v) {
        buf.push((ENC_VAL << 6) | ENC_INT16);
        buf.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i32::try_from(v) {
        buf.push((ENC_VAL << 6) | ENC_INT32);
        buf.extend_from_slice(&v.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// The RDB type byte a value is written under (rdbSaveObjectType).
fn object_type(value: &Value) -> u8 {
    match value {
        Value::Str(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::Set(s) => match **s {
            RSet::Intset(_) => TYPE_SET_INTSET,
            RSet::Hashtable(_) => TYPE_SET,
        },
        Value::Hash(Hash::Listpack(_)) => TYPE_HASH_LISTPACK,
        Value::Hash(Hash::Table(_)) => TYPE_HASH,
        Value::ZSet(ZSet::Listpack(_)) => TYPE_ZSET_LISTPACK,
        Value::ZSet(ZSet::Skiplist(_)) => TYPE_ZSET_2,
    }
}

/// Appends a value's type byte and body (rdbSaveObjectType + rdbSaveObject), as a DUMP
/// payload starts.
fn save_object(buf: &mut Vec<u8>, value: &Value, opts: SaveOptions) {
    buf.push(object_type(value));
    save_value(buf, value, opts);
}

/// Appends one key of a snapshot: `type key value` (rdbSaveKeyValuePair after the expire).
fn save_key_value(buf: &mut Vec<u8>, key: &[u8], value: &Value, opts: SaveOptions) {
    buf.push(object_type(value));
    save_string(buf, key, opts.compression);
    save_value(buf, value, opts);
}

/// Appends a value's body, the part after its type byte (rdbSaveObject).
fn save_value(buf: &mut Vec<u8>, value: &Value, opts: SaveOptions) {
    let compress = opts.compression;
    match value {
        Value::Str(s) => {
            let mut scratch = Vec::new();
            save_string(buf, s.as_bytes(&mut scratch), compress);
        }
        Value::List(l) => save_list(buf, l, opts),
        Value::Set(s) => match &**s {
            RSet::Intset(values) => save_string(buf, &intset_blob(values), compress),
            RSet::Hashtable(d) => {
                save_len(buf, d.len() as u64);
                for member in d.keys() {
                    save_string(buf, member, compress);
                }
            }
        },
        Value::Hash(h) => match h {
            Hash::Listpack(_) => {
                let mut lp = ListpackWriter::new();
                for (f, v) in h.iter() {
                    lp.push(Entry::Str(&f));
                    lp.push(Entry::Str(&v));
                }
                save_string(buf, &lp.finish(), compress);
            }
            Hash::Table(d) => {
                save_len(buf, d.len() as u64);
                for (f, v) in d.iter() {
                    save_string(buf, f, compress);
                    save_string(buf, v, compress);
                }
            }
        },
        Value::ZSet(z) => match z {
            ZSet::Listpack(_) => {
                let mut lp = ListpackWriter::new();
                let mut text = Vec::new();
                for (m, score) in z.iter() {
                    lp.push(Entry::Str(m));
                    text.clear();
                    listpack_score_text(score, &mut text);
                    lp.push(Entry::Str(&text));
                }
                save_string(buf, &lp.finish(), compress);
            }
            ZSet::Skiplist(_) => {
                // Highest first, as Redis writes them: loading then inserts each at the
                // head of the skiplist, the cheapest place.
                save_len(buf, z.len() as u64);
                for (m, score) in z.iter_from(z.len().saturating_sub(1), true) {
                    save_string(buf, m, compress);
                    buf.extend_from_slice(&score.to_le_bytes());
                }
            }
        },
    }
}

/// A score as a Redis 7.0 listpack holds it: the `%.17g` text (d2string), which the
/// listpack stores as an integer entry when it is one; zero is always `0`, as Redis writes
/// it.
fn listpack_score_text(score: f64, out: &mut Vec<u8>) {
    if score == 0.0 {
        out.push(b'0');
    } else {
        format_double(score, out);
    }
}

/// Appends a list as a QUICKLIST_2: the elements cut into listpack nodes by the rule Redis's
/// quicklist applies when the list is built by pushes at the tail (_quicklistNodeAllowInsert
/// under `list-max-listpack-size`), so a list built that way is written byte for byte as
/// Redis writes it.
fn save_list(buf: &mut Vec<u8>, list: &List, opts: SaveOptions) {
    let mut nodes = Vec::new();
    let mut count = 0u64;
    let mut node = ListpackWriter::new();
    let flush = |node: ListpackWriter, nodes: &mut Vec<u8>, count: &mut u64| {
        if !node.is_empty() {
            save_len(nodes, CONTAINER_PACKED);
            save_string(nodes, &node.finish(), opts.compression);
            *count += 1;
        }
    };
    for entry in list.iter() {
        let text = entry.text();
        if text.len() >= PACKED_THRESHOLD {
            flush(std::mem::take(&mut node), &mut nodes, &mut count);
            save_len(&mut nodes, CONTAINER_PLAIN);
            save_string(&mut nodes, &text, opts.compression);
            count += 1;
            continue;
        }
        if !node.is_empty() && !node_allows_insert(&node, text.len(), opts.list_fill) {
            flush(std::mem::take(&mut node), &mut nodes, &mut count);
        }
        node.push(entry);
    }
    flush(node, &mut nodes, &mut count);
    save_len(buf, count);
    buf.extend_from_slice(&nodes);
}

/// Redis 7.0's _quicklistNodeAllowInsert (with quicklistNodeExceedsLimit): may an element
/// of `sz` bytes join `node`? A negative fill bounds the node's bytes (4 KB << level, the
/// last level for anything below -5), a positive one its count (and 8 KB as a safety
/// limit); the new size is estimated with 8 bytes of entry overhead, as Redis does.
fn node_allows_insert(node: &ListpackWriter, sz: usize, fill: i64) -> bool {
    const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
    const SIZE_SAFETY_LIMIT: usize = 8192;
    const SIZE_ESTIMATE_OVERHEAD: usize = 8;
    let new_sz = node.bytes() + sz + SIZE_ESTIMATE_OVERHEAD;
    if fill < 0 {
        let level = usize::try_from(-(fill + 1)).unwrap_or(usize::MAX);
        new_sz <= OPTIMIZATION_LEVEL[level.min(OPTIMIZATION_LEVEL.len() - 1)]
    } else {
        let max_count = fill.max(1) as usize;
        new_sz <= SIZE_SAFETY_LIMIT && node.len() < max_count
    }
}

/// The output side of a save: a buffer handed to the writer in [`WRITE_CHUNK`]s, with the
/// running checksum of everything handed over (Redis's rio with its update_cksum hook).
struct Rio<'a> {
    out: &'a mut dyn Write,
    buf: Vec<u8>,
    crc: u64,
    checksum: bool,
}

impl Rio<'_> {
    fn flush_chunk(&mut self) -> io::Result<()> {
        if self.checksum {
            self.crc = crc64(self.crc, &self.buf);
        }
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= WRITE_CHUNK {
            self.flush_chunk()?;
        }
        Ok(())
    }
}

/// Appends an AUX field (rdbSaveAuxField): both parts are strings.
fn save_aux(buf: &mut Vec<u8>, name: &str, value: &[u8]) {
    buf.push(OPCODE_AUX);
    save_string(buf, name.as_bytes(), false);
    save_string(buf, value, false);
}

/// Writes a snapshot of every database of `srv` to `w`, in RDB format (rdbSaveRio).
pub fn save_snapshot(w: &mut dyn Write, srv: &Server) -> io::Result<()> {
    save_rio(w, srv, false)
}

/// [`save_snapshot`] as the start of an AOF base file (Redis's RDB preamble): the same
/// image, with the `aof-base` AUX field set to 1.
pub fn save_aof_preamble(w: &mut dyn Write, srv: &Server) -> io::Result<()> {
    save_rio(w, srv, true)
}

/// `rdb-key-save-delay`: a testing knob that slows a save (and an AOF rewrite) down key by
/// key, so tests can watch a child at work (Redis's debugDelay in rdbSaveDb); zero or
/// negative is none.
pub fn key_save_delay(srv: &Server) -> Option<std::time::Duration> {
    u64::try_from(srv.config.rdb_key_save_delay)
        .ok()
        .filter(|&us| us > 0)
        .map(std::time::Duration::from_micros)
}

/// The body of [`save_snapshot`] and [`save_aof_preamble`].
fn save_rio(w: &mut dyn Write, srv: &Server, aof_base: bool) -> io::Result<()> {
    let opts = SaveOptions::from_server(srv);
    let key_save_delay = key_save_delay(srv);
    // Keys written so far, which a BGSAVE child reports to the server about once a second.
    let mut keys_saved: u64 = 0;
    let mut rio = Rio {
        out: w,
        buf: Vec::with_capacity(WRITE_CHUNK * 2),
        crc: 0,
        checksum: srv.config.rdbchecksum,
    };
    rio.buf
        .extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    save_aux(&mut rio.buf, "redis-ver", REDIS_VERSION.as_bytes());
    save_aux(&mut rio.buf, "redis-bits", b"64");
    save_aux(
        &mut rio.buf,
        "ctime",
        (now_ms() / 1000).to_string().as_bytes(),
    );
    save_aux(
        &mut rio.buf,
        "used-mem",
        used_memory().to_string().as_bytes(),
    );
    save_aux(&mut rio.buf, "aof-base", if aof_base { b"1" } else { b"0" });
    for (id, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        rio.buf.push(OPCODE_SELECTDB);
        save_len(&mut rio.buf, id as u64);
        rio.buf.push(OPCODE_RESIZEDB);
        save_len(&mut rio.buf, db.dict.len() as u64);
        save_len(&mut rio.buf, db.expires.len() as u64);
        for (key, obj) in db.dict.iter() {
            if let Some(when) = db.get_expire(key) {
                rio.buf.push(OPCODE_EXPIRETIME_MS);
                rio.buf.extend_from_slice(&when.to_le_bytes());
            }
            save_access_data(&mut rio.buf, obj, srv);
            save_key_value(&mut rio.buf, key, &obj.value, opts);
            rio.maybe_flush()?;
            keys_saved += 1;
            crate::persist::fork::child_key_saved(keys_saved);
            if let Some(delay) = key_save_delay {
                std::thread::sleep(delay);
            }
        }
    }
    rio.buf.push(OPCODE_EOF);
    rio.flush_chunk()?;
    let crc = if rio.checksum { rio.crc } else { 0 };
    rio.out.write_all(&crc.to_le_bytes())
}

/// What a key's object remembers of its use, written before it as Redis's
/// rdbSaveKeyValuePair does, so a restart keeps the eviction order: under an LRU policy its
/// idle time in seconds (IDLE), under an LFU policy its decayed access counter (FREQ),
/// under the others nothing.
fn save_access_data(buf: &mut Vec<u8>, obj: &Obj, srv: &Server) {
    let policy = srv.evict.policy;
    if policy.is_lru() {
        buf.push(OPCODE_IDLE);
        save_len(buf, crate::db::idle_seconds(obj.lru));
    } else if policy.is_lfu() {
        buf.push(OPCODE_FREQ);
        buf.push(crate::evict::lfu_decr_and_return(
            obj.lru,
            srv.config.lfu_decay_time,
        ));
    }
}

/// Writes the snapshot to `path` the safe way: a temporary file beside it, fsynced, then
/// renamed over `path`, so a crash leaves either the old file or the new one.
pub fn save_to_file(srv: &Server, path: &Path) -> io::Result<()> {
    let tmp = path.with_file_name(format!("temp-{}.rdb", std::process::id()));
    let result = (|| {
        let mut file = io::BufWriter::new(std::fs::File::create(&tmp)?);
        save_snapshot(&mut file, srv)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A DUMP payload (createDumpPayload): the value as RDB writes it, the RDB version as two
/// bytes LE, then the CRC-64 of all that, LE.
pub fn dump_payload(value: &Value, opts: SaveOptions) -> Vec<u8> {
    let mut buf = Vec::new();
    save_object(&mut buf, value, opts);
    buf.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = crc64(0, &buf);
    buf.extend_from_slice(&crc.to_le_bytes());
    buf
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// The settings that shape how a loaded value is stored: the encoding limits in force.
#[derive(Debug, Clone, Copy)]
struct LoadLimits {
    pub hash: ListpackLimits,
    pub zset: ZsetLimits,
    pub max_intset: usize,
    pub list_fill: Fill,
}

impl LoadLimits {
    pub fn from_server(srv: &Server) -> LoadLimits {
        LoadLimits {
            hash: ListpackLimits::from_config(&srv.config),
            zset: ZsetLimits::from_config(&srv.config),
            max_intset: usize::try_from(srv.config.set_max_intset_entries).unwrap_or(0),
            list_fill: Fill::new(srv.config.list_max_listpack_size),
        }
    }
}

/// A cursor over the bytes being loaded; every read is bounds-checked and an error carries
/// the offset where the failing item started.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

/// A length as read: a plain number, or the marker of a special string encoding.
enum Len {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    fn error(&self, at: usize, message: impl Into<String>) -> RdbError {
        RdbError {
            offset: at,
            message: message.into(),
        }
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], RdbError> {
        let data: &'a [u8] = self.data;
        let end = self.pos.checked_add(n);
        match end.and_then(|end| data.get(self.pos..end)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(self.error(self.pos, "Unexpected EOF reading RDB file")),
        }
    }

    fn u8(&mut self) -> Result<u8, RdbError> {
        Ok(self.bytes(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    fn len_or_encoding(&mut self) -> Result<Len, RdbError> {
        let first = self.u8()?;
        Ok(match first >> 6 {
            0 => Len::Plain((first & 0x3f) as u64),
            1 => Len::Plain((((first & 0x3f) as u64) << 8) | self.u8()? as u64),
            2 => match first {
                LEN_32BIT => Len::Plain(u32::from_be_bytes(self.array()?) as u64),
                LEN_64BIT => Len::Plain(u64::from_be_bytes(self.array()?)),
                _ => return Err(self.error(self.pos - 1, "Unknown length encoding in RDB")),
            },
            _ => Len::Encoded(first & 0x3f),
        })
    }

    /// A plain length (rdbLoadLen).
    fn len(&mut self) -> Result<u64, RdbError> {
        let at = self.pos;
        match self.len_or_encoding()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => Err(self.error(at, "Unexpected string encoding for a length")),
        }
    }

    /// A count of items that each take at least one byte: never more than the bytes left,
    /// so nothing is ever reserved for a count the data cannot hold.
    fn count(&mut self) -> Result<usize, RdbError> {
        let at = self.pos;
        let n = self.len()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() => Ok(n),
            // What Redis reports too, once it has tried to read that many items.
            _ => Err(self.error(
                at,
                format!("Unexpected EOF reading RDB file: length {n} larger than the data left"),
            )),
        }
    }

    /// A string in any of its encodings (rdbGenericLoadStringObject).
    fn string(&mut self) -> Result<Cow<'a, [u8]>, RdbError> {
        let at = self.pos;
        match self.len_or_encoding()? {
            Len::Plain(n) => {
                let n = usize::try_from(n).map_err(|_| self.error(at, "String too long"))?;
                Ok(Cow::Borrowed(self.bytes(n)?))
            }
            Len::Encoded(ENC_INT8) => Ok(int_text(self.u8()? as i8 as i64)),
            Len::Encoded(ENC_INT16) => Ok(int_text(i16::from_le_bytes(self.array()?) as i64)),
            Len::Encoded(ENC_INT32) => Ok(int_text(i32::from_le_bytes(self.array()?) as i64)),
            Len::Encoded(ENC_LZF) => {
                let clen = self.len()?;
                let len = self.len()?;
                let clen = usize::try_from(clen).map_err(|_| self.error(at, "String too long"))?;
                let len = usize::try_from(len).map_err(|_| self.error(at, "String too long"))?;
                let packed = self.bytes(clen)?;
                lzf::decompress(packed, len)
                    .map(Cow::Owned)
                    .map_err(|e| self.error(at, format!("Invalid LZF compressed string: {e}")))
            }
            Len::Encoded(other) => {
                Err(self.error(at, format!("Unknown RDB string encoding type {other}")))
            }
        }
    }

    /// A score written as text (RDB_TYPE_ZSET): a length byte, with 253/254/255 meaning
    /// NaN, +inf and -inf.
    fn double_text(&mut self) -> Result<f64, RdbError> {
        let at = self.pos;
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.bytes(n as usize)?;
                parse_strtod(text).ok_or_else(|| self.error(at, "Invalid double value"))
            }
        }
    }
}

/// An integer's decimal text, owned.
fn int_text(v: i64) -> Cow<'static, [u8]> {
    Cow::Owned(v.to_string().into_bytes())
}

/// Why a value could not be built; the loader turns it into an [`RdbError`] at the value's
/// offset.
type ValueResult<T> = Result<T, String>;

/// True for the type bytes of values (rdbIsObjectType), rather than opcodes.
fn is_object_type(t: u8) -> bool {
    matches!(t, 0..=7 | 9..=19)
}

/// Reads one value of RDB type `t` (rdbLoadObject). `Ok(None)` is an empty collection,
/// which Redis skips in a file and RESTORE refuses.
fn load_object(r: &mut Reader<'_>, t: u8, limits: LoadLimits) -> Result<Option<Value>, RdbError> {
    let at = r.pos;
    let with_offset = |e: String| RdbError {
        offset: at,
        message: e,
    };
    match t {
        TYPE_STRING => Ok(Some(Value::Str(RString::from_bytes(&r.string()?)))),
        TYPE_LIST => {
            let n = r.count()?;
            let mut list = List::new();
            for _ in 0..n {
                list.push(Where::Tail, &r.string()?, limits.list_fill);
            }
            Ok((!list.is_empty()).then(|| Value::List(Box::new(list))))
        }
        TYPE_SET => {
            let n = r.count()?;
            let mut set = RSet::new_intset();
            for _ in 0..n {
                let member = r.string()?;
                if !set.add(&member, limits.max_intset) {
                    return Err(with_offset("Duplicate set members detected".into()));
                }
            }
            Ok((!set.is_empty()).then(|| Value::Set(Box::new(set))))
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.count()?;
            // Built as a skiplist, then packed if it fits, as Redis does.
            let mut z = ZSet::with_hint(n, usize::MAX, limits.zset);
            for _ in 0..n {
                let member = r.string()?;
                let score = if t == TYPE_ZSET {
                    r.double_text()?
                } else {
                    f64::from_le_bytes(r.array()?)
                };
                zset_insert(&mut z, &member, score, limits).map_err(with_offset)?;
            }
            z.convert_to_listpack_if_needed(limits.zset);
            Ok((!z.is_empty()).then_some(Value::ZSet(z)))
        }
        TYPE_HASH => {
            let n = r.count()?;
            let mut h = Hash::new();
            for _ in 0..n {
                let field = r.string()?;
                let value = r.string()?;
                hash_insert(&mut h, &field, &value, limits).map_err(with_offset)?;
            }
            Ok((!h.is_empty()).then_some(Value::Hash(h)))
        }
        TYPE_HASH_ZIPMAP => {
            let blob = r.string()?;
            let pairs = zipmap_pairs(&blob).map_err(|e| with_offset(e.into()))?;
            let mut h = Hash::new();
            for (f, v) in pairs {
                hash_insert(&mut h, f, v, limits).map_err(with_offset)?;
            }
            Ok((!h.is_empty()).then_some(Value::Hash(h)))
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = r.string()?;
            let entries = blob_entries(&blob, t == TYPE_HASH_LISTPACK).map_err(with_offset)?;
            hash_from_entries(&entries, limits).map_err(with_offset)
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = r.string()?;
            let entries = blob_entries(&blob, t == TYPE_ZSET_LISTPACK).map_err(with_offset)?;
            zset_from_entries(&entries, limits).map_err(with_offset)
        }
        TYPE_SET_INTSET => {
            let blob = r.string()?;
            let values = intset_values(&blob).map_err(|e| with_offset(e.into()))?;
            let mut set = RSet::new_intset();
            for v in values {
                set.add_member(SetMember::Int(v), limits.max_intset);
            }
            Ok((!set.is_empty()).then(|| Value::Set(Box::new(set))))
        }
        TYPE_LIST_ZIPLIST => {
            let blob = r.string()?;
            let entries = blob_entries(&blob, false).map_err(with_offset)?;
            let mut list = List::new();
            for e in entries {
                list.push_entry(Where::Tail, e, limits.list_fill);
            }
            Ok((!list.is_empty()).then(|| Value::List(Box::new(list))))
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let nodes = r.count()?;
            let mut list = List::new();
            for _ in 0..nodes {
                let container = if t == TYPE_LIST_QUICKLIST_2 {
                    let c_at = r.pos;
                    match r.len()? {
                        c @ (CONTAINER_PLAIN | CONTAINER_PACKED) => c,
                        c => return Err(r.error(c_at, format!("Unknown quicklist container {c}"))),
                    }
                } else {
                    CONTAINER_PACKED
                };
                let blob = r.string()?;
                if container == CONTAINER_PLAIN {
                    list.push(Where::Tail, &blob, limits.list_fill);
                    continue;
                }
                let entries =
                    blob_entries(&blob, t == TYPE_LIST_QUICKLIST_2).map_err(with_offset)?;
                for e in entries {
                    list.push_entry(Where::Tail, e, limits.list_fill);
                }
            }
            Ok((!list.is_empty()).then(|| Value::List(Box::new(list))))
        }
        TYPE_MODULE_PRE_GA | TYPE_MODULE_2 => Err(r.error(
            at,
            format!("The RDB file contains module data (RDB type {t}), which rredis cannot load"),
        )),
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => Err(r.error(
            at,
            format!("The RDB file contains a stream (RDB type {t}), which rredis does not support"),
        )),
        _ => Err(r.error(at, format!("Unknown RDB object type {t}"))),
    }
}

/// The entries of a listpack (`listpack` true) or ziplist blob.
fn blob_entries(blob: &[u8], listpack: bool) -> ValueResult<Vec<Entry<'_>>> {
    let entries = if listpack {
        listpack_entries(blob)
    } else {
        ziplist_entries(blob)
    };
    entries.map_err(|e| {
        format!(
            "Invalid {}: {e}",
            if listpack { "listpack" } else { "ziplist" }
        )
    })
}

fn hash_insert(h: &mut Hash, field: &[u8], value: &[u8], limits: LoadLimits) -> ValueResult<()> {
    if h.set(limits.hash, field, value) {
        Ok(())
    } else {
        Err("Duplicate hash fields detected".into())
    }
}

fn hash_from_entries(entries: &[Entry<'_>], limits: LoadLimits) -> ValueResult<Option<Value>> {
    if entries.len() % 2 != 0 {
        return Err("Hash listpack with an odd number of entries".into());
    }
    let mut h = Hash::new();
    for pair in entries.chunks_exact(2) {
        hash_insert(&mut h, &pair[0].to_vec(), &pair[1].to_vec(), limits)?;
    }
    Ok((!h.is_empty()).then_some(Value::Hash(h)))
}

fn zset_insert(z: &mut ZSet, member: &[u8], score: f64, limits: LoadLimits) -> ValueResult<()> {
    if score.is_nan() {
        return Err("Zset with a NaN score".into());
    }
    match z.add(score, member, AddFlags::default(), limits.zset) {
        Some((AddOutcome::Added, _)) => Ok(()),
        _ => Err("Duplicate zset fields detected".into()),
    }
}

fn zset_from_entries(entries: &[Entry<'_>], limits: LoadLimits) -> ValueResult<Option<Value>> {
    if entries.len() % 2 != 0 {
        return Err("Zset listpack with an odd number of entries".into());
    }
    let max_len = entries
        .chunks_exact(2)
        .map(|p| p[0].text().len())
        .max()
        .unwrap_or(0);
    let mut z = ZSet::with_hint(entries.len() / 2, max_len, limits.zset);
    for pair in entries.chunks_exact(2) {
        let score = match pair[1] {
            Entry::Int(n) => n as f64,
            Entry::Str(s) => parse_strtod(s).ok_or("Zset listpack with an invalid score")?,
        };
        zset_insert(&mut z, &pair[0].to_vec(), score, limits)?;
    }
    Ok((!z.is_empty()).then_some(Value::ZSet(z)))
}

/// What a load found, for the log line.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadStats {
    pub keys_loaded: u64,
    pub keys_expired: u64,
    pub empty_keys_skipped: u64,
    /// Bytes of the image read, checksum included (an AOF base file goes on after them).
    pub consumed: usize,
}

/// How a load treats what it reads (Redis's RDBFLAGS_*).
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Verify the CRC-64 when the file has one (`rdbchecksum`).
    pub check_sum: bool,
    /// Drop keys whose deadline has passed, as a master loading a snapshot does. An AOF
    /// preamble keeps them (the commands after it may still refer to them; expiry takes
    /// them later), as Redis does.
    pub drop_expired: bool,
}

/// Parses a whole RDB image into fresh databases (rdbLoadRio). Nothing of `srv` changes.
pub fn load_databases(
    data: &[u8],
    srv: &Server,
    opts: LoadOptions,
) -> Result<(Vec<Db>, LoadStats), RdbError> {
    let mut r = Reader::new(data);
    let magic = r.bytes(9)?;
    if &magic[..5] != b"REDIS" {
        return Err(r.error(0, "Wrong signature trying to load DB from file"));
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|v| (1..=RDB_VERSION).contains(v))
        .ok_or_else(|| {
            r.error(
                5,
                format!(
                    "Can't handle RDB format version {}",
                    String::from_utf8_lossy(&magic[5..])
                ),
            )
        })?;
    let limits = LoadLimits::from_server(srv);
    let now = now_ms();
    let mut dbs: Vec<Db> = (0..srv.dbs.len()).map(|_| Db::default()).collect();
    let mut stats = LoadStats::default();
    let mut db_id = 0usize;
    let mut expire: Option<i64> = None;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;
    loop {
        let op_at = r.pos;
        let op = r.u8()?;
        match op {
            OPCODE_EXPIRETIME => {
                expire = Some(i32::from_le_bytes(r.array()?) as i64 * 1000);
                continue;
            }
            OPCODE_EXPIRETIME_MS => {
                expire = Some(i64::from_le_bytes(r.array()?));
                continue;
            }
            OPCODE_FREQ => {
                freq = Some(r.u8()?);
                continue;
            }
            OPCODE_IDLE => {
                idle = Some(r.len()?);
                continue;
            }
            OPCODE_EOF => break,
            OPCODE_SELECTDB => {
                let id = r.len()?;
                match usize::try_from(id) {
                    Ok(id) if id < dbs.len() => db_id = id,
                    _ => {
                        return Err(r.error(
                            op_at,
                            format!(
                                "FATAL: Data file was created with a Redis server configured \
                                 to handle more than {} databases. Exiting",
                                dbs.len()
                            ),
                        ))
                    }
                }
                continue;
            }
            OPCODE_RESIZEDB => {
                // Pre-size the tables, as Redis does; a key takes at least 3 bytes, so the
                // sizes are capped by what the rest of the file can hold.
                let most = r.remaining() / 3;
                let keys = usize::try_from(r.len()?).unwrap_or(usize::MAX).min(most);
                let expires = usize::try_from(r.len()?).unwrap_or(usize::MAX).min(most);
                dbs[db_id].dict.expand_for(keys);
                dbs[db_id].expires.expand_for(expires);
                continue;
            }
            OPCODE_AUX => {
                let name = r.string()?;
                let value = r.string()?;
                log_aux_field(&name, &value);
                continue;
            }
            OPCODE_MODULE_AUX => {
                return Err(r.error(
                    op_at,
                    "The RDB file contains module auxiliary data, which rredis cannot load",
                ))
            }
            OPCODE_FUNCTION2 | OPCODE_FUNCTION_PRE_GA => {
                return Err(r.error(
                    op_at,
                    "The RDB file contains functions, which rredis does not support",
                ))
            }
            t if is_object_type(t) => {}
            t => return Err(r.error(op_at, format!("Unknown RDB opcode or type {t}"))),
        }
        let key_at = r.pos;
        let key = r.string()?;
        let value = load_object(&mut r, op, limits)?;
        let when = expire.take();
        let obj_lru = crate::evict::object_lru_from(idle.take(), freq.take());
        let Some(value) = value else {
            stats.empty_keys_skipped += 1;
            continue;
        };
        // Redis (as a master) drops keys whose deadline has passed.
        if opts.drop_expired && when.is_some_and(|w| w < now) {
            stats.keys_expired += 1;
            continue;
        }
        let obj = Obj {
            value,
            lru: obj_lru,
        };
        if !dbs[db_id].add_loaded(&key, obj, when) {
            return Err(r.error(
                key_at,
                format!(
                    "Duplicate key '{}' found in RDB file",
                    String::from_utf8_lossy(&key)
                ),
            ));
        }
        stats.keys_loaded += 1;
    }
    if version >= 5 {
        let sum_at = r.pos;
        let expected = u64::from_le_bytes(r.array()?);
        if opts.check_sum && expected != 0 {
            let got = crc64(0, &data[..sum_at]);
            if got != expected {
                return Err(r.error(
                    sum_at,
                    format!(
                        "Wrong RDB checksum expected: ({expected:x}) but got ({got:x}). Aborting now."
                    ),
                ));
            }
        }
    }
    stats.consumed = r.pos;
    Ok((dbs, stats))
}

/// Logs the AUX fields Redis logs at load time (the writer's version, the file's age, the
/// memory it used); others are skipped, as Redis skips fields it does not know.
fn log_aux_field(name: &[u8], value: &[u8]) {
    let value_str = String::from_utf8_lossy(value);
    match name {
        b"redis-ver" => log::info!("Loading RDB produced by version {value_str}"),
        b"ctime" => {
            if let Some(ctime) = parse_i64(value) {
                let age = (now_ms() / 1000 - ctime).max(0);
                log::info!("RDB age {age} seconds");
            }
        }
        b"used-mem" => {
            if let Some(bytes) = parse_i64(value) {
                log::info!(
                    "RDB memory usage when created {:.2} Mb",
                    bytes as f64 / (1024.0 * 1024.0)
                );
            }
        }
        _ => log::debug!(
            "Unrecognized RDB AUX field: '{}'",
            String::from_utf8_lossy(name)
        ),
    }
}

/// Loads a whole RDB image into `srv`'s databases, replacing what they held. On error
/// nothing of `srv` has changed: the file is parsed into fresh databases first.
pub fn load_from(data: &[u8], srv: &mut Server) -> Result<(), RdbError> {
    let opts = LoadOptions {
        check_sum: srv.config.rdbchecksum,
        drop_expired: true,
    };
    let stats = install(data, srv, opts)?;
    log::info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        stats.keys_loaded,
        stats.keys_expired
    );
    if stats.empty_keys_skipped > 0 {
        log::info!("Empty keys skipped: {}", stats.empty_keys_skipped);
    }
    Ok(())
}

/// Loads the RDB preamble at the start of an AOF base file into `srv`'s databases (as
/// [`load_from`], keeping expired keys) and returns its length in bytes: the AOF commands
/// start there.
pub fn load_aof_preamble(data: &[u8], srv: &mut Server) -> Result<usize, RdbError> {
    let opts = LoadOptions {
        check_sum: srv.config.rdbchecksum,
        drop_expired: false,
    };
    Ok(install(data, srv, opts)?.consumed)
}

/// Parses `data` into fresh databases and, only if that succeeded, swaps them in.
fn install(data: &[u8], srv: &mut Server, opts: LoadOptions) -> Result<LoadStats, RdbError> {
    let (loaded, stats) = load_databases(data, srv, opts)?;
    for (db, new) in srv.dbs.iter_mut().zip(loaded) {
        db.dict = new.dict;
        db.expires = new.expires;
    }
    Ok(stats)
}

/// Reads `path` and loads it with [`load_from`].
pub fn load_file(srv: &mut Server, path: &Path) -> Result<(), RdbError> {
    let data = std::fs::read(path).map_err(|e| RdbError {
        offset: 0,
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    load_from(&data, srv)
}

/// Start-up loading (loadDataFromDisk): `dir/dbfilename` if it exists, timed and logged as
/// Redis logs it. A missing file is an empty dataset; any other failure is returned and the
/// caller refuses to start.
pub fn load_data_from_disk(srv: &mut Server) -> Result<(), RdbError> {
    let path = Path::new(&srv.config.dbfilename).to_path_buf();
    if !path.exists() {
        return Ok(());
    }
    let start = Instant::now();
    load_file(srv, &path)?;
    log::info!(
        "DB loaded from disk: {:.3} seconds",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Checks a DUMP payload's footer (verifyDumpPayload): at least 10 bytes, an RDB version we
/// read, and a CRC-64 that matches.
pub fn verify_dump_payload(payload: &[u8]) -> bool {
    let Some(body_len) = payload.len().checked_sub(10) else {
        return false;
    };
    let version = u16::from_le_bytes([payload[body_len], payload[body_len + 1]]);
    if version as u32 > RDB_VERSION {
        return false;
    }
    let mut sum = [0u8; 8];
    sum.copy_from_slice(&payload[body_len + 2..]);
    crc64(0, &payload[..body_len + 2]) == u64::from_le_bytes(sum)
}

/// The value a RESTORE payload holds (its footer already checked with
/// [`verify_dump_payload`]); `None` when it does not parse or is an empty collection
/// (RESTORE's "Bad data format").
pub fn restore_payload(payload: &[u8], srv: &Server) -> Option<Value> {
    let mut r = Reader::new(payload.get(..payload.len().saturating_sub(10))?);
    let t = r.u8().ok()?;
    if !is_object_type(t) {
        return None;
    }
    load_object(&mut r, t, LoadLimits::from_server(srv)).ok()?
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKED: LoadOptions = LoadOptions {
        check_sum: true,
        drop_expired: true,
    };

    fn opts() -> SaveOptions {
        SaveOptions {
            compression: true,
            list_fill: -2,
        }
    }

    fn string_bytes(s: &[u8]) -> Vec<u8> {
        let mut buf = Vec::new();
        save_string(&mut buf, s, true);
        buf
    }

    #[test]
    fn lengths() {
        for (n, expect) in [
            (0u64, &b"\x00"[..]),
            (63, b"\x3f"),
            (64, b"\x40\x40"),
            (16383, b"\x7f\xff"),
            (16384, b"\x80\x00\x00\x40\x00"),
            (1 << 32, b"\x81\x00\x00\x00\x01\x00\x00\x00\x00"),
        ] {
            let mut buf = Vec::new();
            save_len(&mut buf, n);
            assert_eq!(buf, expect, "{n}");
            assert_eq!(Reader::new(&buf).len().unwrap(), n);
        }
    }

    #[test]
    fn strings_pick_redis_encodings() {
        assert_eq!(string_bytes(b"12"), b"\xc0\x0c");
        assert_eq!(string_bytes(b"-300"), b"\xc1\xd4\xfe");
        assert_eq!(string_bytes(b"100000"), b"\xc2\xa0\x86\x01\x00");
        // Too big for 32 bits, or not canonical: plain text.
        assert_eq!(string_bytes(b"4294967296"), b"\x0a4294967296");
        assert_eq!(string_bytes(b"012"), b"\x03012");
        // What Redis 7.0 DUMPs for 50 'a's.
        assert_eq!(string_bytes(&[b'a'; 50]), b"\xc3\x092\x01aa\xe0%\x00\x01aa");
        for s in [&b"12"[..], b"-300", b"4294967296", &[b'a'; 50], b""] {
            assert_eq!(&*Reader::new(&string_bytes(s)).string().unwrap(), s);
        }
    }

    /// Redis 7.0's DUMP of the zset `0.1 a 1 b -0 c 2.5 d inf e`, listpack encoded.
    #[test]
    fn zset_listpack_score_texts() {
        let mut text = Vec::new();
        listpack_score_text(0.1, &mut text);
        assert_eq!(text, b"0.10000000000000001");
        text.clear();
        listpack_score_text(-0.0, &mut text);
        assert_eq!(text, b"0");
        text.clear();
        listpack_score_text(f64::INFINITY, &mut text);
        assert_eq!(text, b"inf");
    }

    #[test]
    fn dump_payload_matches_redis_for_an_int_string() {
        let v = Value::Str(RString::from_bytes(b"12"));
        assert_eq!(
            dump_payload(&v, opts()),
            b"\x00\xc0\x0c\x0a\x00<*\xf8Q\\\x04\xbc\xd5"
        );
        assert!(verify_dump_payload(&dump_payload(&v, opts())));
    }

    /// Every prefix and many random corruptions of a file with every type: an error or a
    /// valid dataset, never a panic.
    #[test]
    fn corrupt_files_never_panic() {
        let srv = Server::new(crate::config::Config::default(), None);
        let mut file = Vec::new();
        file.extend_from_slice(b"REDIS0010");
        let limits = LoadLimits::from_server(&srv);
        let mut h = Hash::new();
        h.set(limits.hash, b"f", b"v");
        h.set(limits.hash, b"n", b"12345");
        let mut z = ZSet::with_hint(1, 1, limits.zset);
        zset_insert(&mut z, b"m", 1.5, limits).unwrap();
        let mut l = List::new();
        for e in ["a", "1", "-70000", "long long long long long element"] {
            l.push(Where::Tail, e.as_bytes(), limits.list_fill);
        }
        let mut s = RSet::new_intset();
        s.add(b"7", 512);
        let mut big_z = ZSet::with_hint(200, usize::MAX, limits.zset);
        for i in 0..200 {
            zset_insert(
                &mut big_z,
                format!("m{i}").as_bytes(),
                i as f64 / 7.0,
                limits,
            )
            .unwrap();
        }
        let values = [
            Value::Str(RString::from_bytes(&[b'x'; 40])),
            Value::Hash(h),
            Value::ZSet(z),
            Value::List(Box::new(l)),
            Value::Set(Box::new(s)),
            Value::ZSet(big_z),
        ];
        file.push(OPCODE_SELECTDB);
        file.push(0);
        for (i, v) in values.iter().enumerate() {
            file.push(OPCODE_EXPIRETIME_MS);
            file.extend_from_slice(&(now_ms() + 100_000).to_le_bytes());
            save_key_value(&mut file, format!("k{i}").as_bytes(), v, opts());
        }
        file.push(OPCODE_EOF);
        let crc = crc64(0, &file);
        file.extend_from_slice(&crc.to_le_bytes());
        let (dbs, stats) = load_databases(&file, &srv, CHECKED).unwrap();
        assert_eq!(stats.keys_loaded, 6);
        assert_eq!(dbs[0].len(), 6);
        // Every value comes back equal, element for element and in the same encoding.
        for (i, v) in values.iter().enumerate() {
            let loaded = &dbs[0].dict.get(format!("k{i}").as_bytes()).unwrap().value;
            assert_eq!(loaded.encoding(), v.encoding());
            assert_eq!(
                dump_payload(loaded, opts()),
                dump_payload(v, opts()),
                "k{i}"
            );
        }
        for cut in 0..file.len() {
            assert!(
                load_databases(&file[..cut], &srv, CHECKED).is_err(),
                "cut {cut}"
            );
        }
        let mut unchecked = Server::new(
            crate::config::Config {
                rdbchecksum: false,
                ..Default::default()
            },
            None,
        );
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..10_000 {
            let mut bad = file.clone();
            for _ in 0..1 + seed % 3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = (seed % bad.len() as u64) as usize;
                bad[i] ^= 1 << (seed >> 60 & 7);
            }
            // Without the checksum, so the corruption reaches the parsers. What loads must
            // be whole: every value dumps and restores in the same encoding.
            if load_from(&bad, &mut unchecked).is_ok() {
                for (_, obj) in unchecked.dbs.iter().flat_map(|db| db.dict.iter()) {
                    let payload = dump_payload(&obj.value, opts());
                    let back = restore_payload(&payload, &unchecked).expect("restores");
                    assert_eq!(back.encoding(), obj.value.encoding());
                }
            }
        }
    }

    #[test]
    fn huge_counts_are_refused_before_allocating() {
        let srv = Server::new(crate::config::Config::default(), None);
        // A set claiming 2^60 members.
        let mut file = b"REDIS0010\x02\x01k\x81".to_vec();
        file.extend_from_slice(&(1u64 << 60).to_be_bytes());
        file.push(OPCODE_EOF);
        let Err(err) = load_databases(&file, &srv, CHECKED) else {
            panic!("a 2^60-member set loaded");
        };
        assert!(err.message.contains("larger than the data left"), "{err}");
        assert_eq!(err.offset, 12);
    }

    /// A ziplist of string entries (what Redis before 7.0 wrote for small lists, hashes and
    /// sorted sets): prevlen, 6-bit string header, bytes.
    fn ziplist(entries: &[&[u8]]) -> Vec<u8> {
        let mut zl = vec![0u8; 10];
        let (mut prev, mut last) = (0usize, 10usize);
        for e in entries {
            last = zl.len();
            zl.push(prev as u8);
            zl.push(e.len() as u8);
            zl.extend_from_slice(e);
            prev = zl.len() - last;
        }
        zl.push(0xff);
        let total = zl.len() as u32;
        zl[0..4].copy_from_slice(&total.to_le_bytes());
        zl[4..8].copy_from_slice(&(last as u32).to_le_bytes());
        zl[8..10].copy_from_slice(&(entries.len() as u16).to_le_bytes());
        zl
    }

    /// A file of `body` (opcodes and keys) after the header, with EOF and checksum.
    fn file_of(body: &[u8]) -> Vec<u8> {
        let mut file = b"REDIS0009".to_vec();
        file.extend_from_slice(body);
        file.push(OPCODE_EOF);
        let crc = crc64(0, &file);
        file.extend_from_slice(&crc.to_le_bytes());
        file
    }

    fn key(buf: &mut Vec<u8>, t: u8, name: &str) {
        buf.push(t);
        save_string(buf, name.as_bytes(), false);
    }

    fn text(v: &Value) -> Vec<Vec<u8>> {
        match v {
            Value::Str(s) => vec![s.to_vec()],
            Value::List(l) => l.iter().map(|e| e.to_vec()).collect(),
            Value::Hash(h) => {
                let mut pairs: Vec<Vec<u8>> = h
                    .iter()
                    .map(|(f, v)| [&f[..], b"=", &v[..]].concat())
                    .collect();
                pairs.sort();
                pairs
            }
            Value::ZSet(z) => z
                .iter()
                .map(|(m, s)| format!("{}={s}", String::from_utf8_lossy(m)).into_bytes())
                .collect(),
            Value::Set(s) => {
                let mut m: Vec<Vec<u8>> = s.iter().map(|m| m.to_vec()).collect();
                m.sort();
                m
            }
        }
    }

    /// Every encoding older Redis versions wrote loads, into rredis's own encodings.
    #[test]
    fn old_encodings_load() {
        let srv = Server::new(crate::config::Config::default(), None);
        let mut b = Vec::new();
        // RDB_TYPE_LIST: a count and strings; with a TTL in seconds, IDLE and FREQ before.
        b.push(OPCODE_EXPIRETIME);
        b.extend_from_slice(&2_000_000_000i32.to_le_bytes());
        b.extend_from_slice(&[OPCODE_IDLE, 10, OPCODE_FREQ, 5]);
        key(&mut b, TYPE_LIST, "list");
        b.push(3);
        for e in ["a", "12", "c"] {
            save_string(&mut b, e.as_bytes(), false);
        }
        // RDB_TYPE_ZSET: scores as text, 254 = +inf.
        key(&mut b, TYPE_ZSET, "zset");
        b.extend_from_slice(b"\x02\x01a\x031.5\x01b\xfe");
        key(&mut b, TYPE_HASH_ZIPMAP, "zipmap");
        save_string(&mut b, b"\x01\x01f\x02\x00vv\xff", false);
        key(&mut b, TYPE_LIST_ZIPLIST, "zl-list");
        save_string(&mut b, &ziplist(&[b"x", b"y"]), false);
        key(&mut b, TYPE_ZSET_ZIPLIST, "zl-zset");
        save_string(&mut b, &ziplist(&[b"m", b"2.5", b"n", b"3"]), false);
        key(&mut b, TYPE_HASH_ZIPLIST, "zl-hash");
        save_string(&mut b, &ziplist(&[b"f", b"1", b"g", b"two"]), false);
        key(&mut b, TYPE_LIST_QUICKLIST, "quicklist");
        b.push(2);
        save_string(&mut b, &ziplist(&[b"p", b"q"]), true);
        save_string(&mut b, &ziplist(&[b"r"]), true);
        key(&mut b, TYPE_SET_INTSET, "intset");
        save_string(&mut b, &intset_blob(&[-1, 5, 70000]), false);
        let (dbs, stats) = load_databases(&file_of(&b), &srv, CHECKED).unwrap();
        assert_eq!(stats.keys_loaded, 8);
        let get = |k: &str| &dbs[0].dict.get(k.as_bytes()).unwrap().value;
        let strs = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(text(get("list")), strs(&["a", "12", "c"]));
        assert_eq!(dbs[0].get_expire(b"list"), Some(2_000_000_000_000));
        assert_eq!(text(get("zset")), strs(&["a=1.5", "b=inf"]));
        assert_eq!(text(get("zipmap")), strs(&["f=vv"]));
        assert_eq!(text(get("zl-list")), strs(&["x", "y"]));
        assert_eq!(text(get("zl-zset")), strs(&["m=2.5", "n=3"]));
        assert_eq!(get("zl-zset").encoding(), "listpack");
        assert_eq!(text(get("zl-hash")), strs(&["f=1", "g=two"]));
        assert_eq!(text(get("quicklist")), strs(&["p", "q", "r"]));
        assert_eq!(text(get("intset")), strs(&["-1", "5", "70000"]));
        assert_eq!(get("intset").encoding(), "intset");
    }

    /// A loaded value takes the encoding the current limits call for, as Redis converts.
    #[test]
    fn loaded_values_follow_the_limits() {
        let config = crate::config::Config {
            hash_max_listpack_entries: 1,
            zset_max_listpack_entries: 1,
            set_max_intset_entries: 2,
            ..Default::default()
        };
        let srv = Server::new(config, None);
        let mut b = Vec::new();
        key(&mut b, TYPE_HASH_ZIPLIST, "h");
        save_string(&mut b, &ziplist(&[b"f", b"1", b"g", b"2"]), false);
        key(&mut b, TYPE_ZSET_ZIPLIST, "z");
        save_string(&mut b, &ziplist(&[b"m", b"1", b"n", b"2"]), false);
        key(&mut b, TYPE_SET_INTSET, "s");
        save_string(&mut b, &intset_blob(&[1, 2, 3]), false);
        let (dbs, _) = load_databases(&file_of(&b), &srv, CHECKED).unwrap();
        let enc = |k: &str| dbs[0].dict.get(k.as_bytes()).unwrap().value.encoding();
        assert_eq!(enc("h"), "hashtable");
        assert_eq!(enc("z"), "skiplist");
        assert_eq!(enc("s"), "hashtable");
    }

    /// What rredis cannot hold is refused with an error naming it and its offset.
    #[test]
    fn unsupported_content_is_refused_clearly() {
        let srv = Server::new(crate::config::Config::default(), None);
        let cases: [(&[u8], &str, usize); 7] = [
            (b"\x07\x01k", "module data (RDB type 7)", 12),
            (b"\x0f\x01k", "stream (RDB type 15)", 12),
            (b"\x13\x01k", "stream (RDB type 19)", 12),
            (b"\xf5", "functions", 9),
            (b"\xf7", "module auxiliary data", 9),
            (b"\xfe\x40\x63", "more than 16 databases", 9),
            (b"\x08\x01k", "Unknown RDB opcode or type 8", 9),
        ];
        for (body, message, offset) in cases {
            let Err(e) = load_databases(&file_of(body), &srv, CHECKED) else {
                panic!("{message}: loaded");
            };
            assert!(e.message.contains(message), "{e}");
            assert_eq!(e.offset, offset, "{e}");
        }
        let Err(e) = load_databases(b"REDIS0011\xff", &srv, CHECKED) else {
            panic!("version 11 loaded");
        };
        assert!(
            e.message.contains("Can't handle RDB format version 0011"),
            "{e}"
        );
        // Duplicate keys and members.
        let mut b = Vec::new();
        key(&mut b, TYPE_STRING, "k");
        b.extend_from_slice(b"\x01v");
        key(&mut b, TYPE_STRING, "k");
        b.extend_from_slice(b"\x01v");
        let Err(e) = load_databases(&file_of(&b), &srv, CHECKED) else {
            panic!("duplicate key loaded");
        };
        assert!(e.message.contains("Duplicate key 'k'"), "{e}");
        let mut b = Vec::new();
        key(&mut b, TYPE_SET, "s");
        b.extend_from_slice(b"\x02\x01a\x01a");
        let Err(e) = load_databases(&file_of(&b), &srv, CHECKED) else {
            panic!("duplicate member loaded");
        };
        assert!(e.message.contains("Duplicate set members"), "{e}");
    }

    /// An AOF base file's RDB preamble: `aof-base 1`, its length is reported so the AOF
    /// part can follow, and keys past their deadline are kept.
    #[test]
    fn aof_preamble() {
        let mut srv = Server::new(crate::config::Config::default(), None);
        let obj = |v: &[u8]| Obj {
            value: Value::Str(RString::from_bytes(v)),
            lru: 0,
        };
        srv.dbs[0].add(b"old", obj(b"1"), Some(1_000));
        srv.dbs[2].add(b"k", obj(b"v"), None);
        let mut image = Vec::new();
        save_aof_preamble(&mut image, &srv).unwrap();
        assert!(image.windows(10).any(|w| w == b"aof-base\xc0\x01"));
        let preamble_len = image.len();
        image.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let mut fresh = Server::new(crate::config::Config::default(), None);
        assert_eq!(load_aof_preamble(&image, &mut fresh).unwrap(), preamble_len);
        assert_eq!(fresh.dbs[0].get_expire(b"old"), Some(1_000));
        assert_eq!(fresh.dbs[2].len(), 1);
        // A snapshot load drops the expired key.
        load_from(&image[..preamble_len], &mut fresh).unwrap();
        assert_eq!(fresh.dbs[0].len(), 0);
        assert_eq!(fresh.dbs[2].len(), 1);
    }
}
