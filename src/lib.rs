//! rredis: a Redis 7.0-compatible server. One thread runs a mio poll loop that owns every
//! socket and the whole keyspace; see docs/architecture.md for the path of a command from
//! `read()` to `write()`.
//!
//! Module map (after Redis's own `src/`):
//! - [`event_loop`] — the reactor (ae.c): poll, accept, dispatch, `before_sleep`;
//! - [`client`] — one connection's buffers and I/O (networking.c);
//! - [`resp`] — the request parser and the reply encoder;
//! - [`server`] — global state, `process_command`, `server_cron` (server.c);
//! - [`commands`] — the command table and one module per command family;
//! - [`db`] — databases, keys, TTLs, lookups (db.c); [`expire`] — active expiry (expire.c);
//! - [`zmalloc`] — the counting allocator behind `used_memory` (zmalloc.c); [`evict`] —
//!   `maxmemory` and key eviction (evict.c);
//! - [`dict`] — the incrementally rehashed hash table (dict.c);
//! - [`types`] — the value types; [`config`] — settings; [`util`] — parsing, glob, formatting;
//! - [`acl`] — the default user and authentication (acl.c);
//! - [`blocked`] — clients parked by BLPOP and friends until a key is ready (blocked.c);
//! - [`persist`] — RDB snapshots and the append-only file (rdb.c, aof.c);
//! - [`pause`] — CLIENT PAUSE: commands postponed while writes or all commands are paused.

pub mod acl;
pub mod blocked;
pub mod client;
pub mod commands;
pub mod config;
pub mod db;
pub mod dict;
pub mod event_loop;
pub mod evict;
pub mod expire;
pub mod logging;
pub mod notify;
pub mod pause;
pub mod persist;
pub mod resp;
pub mod server;
pub mod tracking;
pub mod types;
pub mod util;
pub mod zmalloc;
