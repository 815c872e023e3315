//! rredis: a Redis 7.0-compatible server. One thread runs a mio poll loop that owns every
//! socket and the whole keyspace; see docs/architecture.md for the path of a command from
//! `read()` to `write()`.
//!
//! Module map (after Redis's own `src/`):
//! - [`event_loop`] — the reactor (ae.c): poll, accept, dispatch, `before_sleep`;
//! - [`client`] — one connection's buffers and I/O (networking.c);
//! - [`resp`] — the request parser and the reply encoder;
//! - [`server`] — global state, `process_command`, `server_cron` (server.c);
//! - [`commands`] — the command table and one module per command family; [`commandstats`] —
//!   their per-command counters and latency histograms;
//! - [`db`] — databases, keys, TTLs, lookups (db.c); [`key`] — a key's name, short ones
//!   inline; [`expire`] — active expiry (expire.c);
//! - [`zmalloc`] — the counting allocator behind `used_memory` (zmalloc.c); [`evict`] —
//!   `maxmemory` and key eviction (evict.c);
//! - [`dict`] — the incrementally rehashed hash table (dict.c);
//! - [`types`] — the value types; [`config`] — settings; [`util`] — parsing, glob, formatting;
//! - [`acl`] — users, permissions, authentication, the ACL log (acl.c); [`sha256`] — the
//!   digest ACL passwords are kept as (sha256.c);
//! - [`blocked`] — clients parked by BLPOP and friends until a key is ready (blocked.c);
//! - [`persist`] — RDB snapshots and the append-only file (rdb.c, aof.c);
//! - [`pause`] — CLIENT PAUSE: commands postponed while writes or all commands are paused;
//! - [`propagate`] — what a write leaves for the AOF (alsoPropagate in server.c).

pub mod acl;
pub mod blocked;
pub mod client;
pub mod commands;
pub mod commandstats;
pub mod config;
pub mod db;
pub mod dict;
pub mod event_loop;
pub mod evict;
pub mod expire;
pub mod key;
pub mod logging;
pub mod notify;
pub mod pause;
pub mod persist;
pub mod propagate;
pub mod resp;
pub mod server;
pub mod sha256;
pub mod sparkline;
pub mod tracking;
pub mod types;
pub mod util;
pub mod zmalloc;
