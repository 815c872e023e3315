//! Persistence (Redis's rdb.c and aof.c): point-in-time snapshots in the RDB format
//! ([`rdb`]), written in the foreground by SAVE or by a forked child for BGSAVE, and read back
//! at start-up.
pub mod bgsave;
pub mod fork;
pub mod rdb;
