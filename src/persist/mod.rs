//! Persistence (Redis's rdb.c and aof.c): point-in-time snapshots in the RDB format
//! ([`rdb`]), written in the foreground by SAVE or by a forked child for BGSAVE, and read back
//! at start-up; and the append-only file ([`aof`]), the log of every write. [`packed`] holds
//! the blob encodings (listpack, ziplist, intset, zipmap) RDB values are made of, [`lzf`] the
//! string compression and [`crc64`] the checksum.
pub mod aof;
pub mod bgsave;
pub mod crc64;
pub mod fork;
pub mod lzf;
pub mod packed;
pub mod rdb;
