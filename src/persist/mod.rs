//! Persistence (Redis's rdb.c and aof.c): point-in-time snapshots in the RDB format
//! ([`rdb`]), written in the foreground by SAVE or by a forked child for BGSAVE, and read back
//! at start-up; and the append-only file ([`aof`]), the log of every write.
pub mod aof;
pub mod rdb;
