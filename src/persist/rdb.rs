//! The RDB file format, version 10 (what Redis 7.0 writes): [`save_snapshot`] serialises every
//! database, [`load_from`] reads a whole file back.
//!
//! Interface placeholder: the writer emits an empty (but valid) RDB file and the loader accepts
//! only that; the real encoder and decoder replace the bodies, keeping these names.

use std::io::{self, Write};
use std::path::Path;

use crate::server::Server;

/// RDB version written, and the highest one read (Redis 7.0's RDB_VERSION).
pub const RDB_VERSION: u32 = 10;

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

/// Writes a snapshot of every database of `srv` to `w`, in RDB format.
pub fn save_snapshot(w: &mut dyn Write, _srv: &Server) -> io::Result<()> {
    w.write_all(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
    // EOF opcode, then a zero checksum (Redis's "checksum disabled").
    w.write_all(&[0xff, 0, 0, 0, 0, 0, 0, 0, 0])
}

/// Writes the snapshot to `path` the safe way: a temporary file beside it, fsynced, then
/// renamed over `path`, so a crash leaves either the old file or the new one.
pub fn save_to_file(srv: &Server, path: &Path) -> io::Result<()> {
    let tmp = path.with_file_name(format!("temp-{}.rdb", std::process::id()));
    let mut file = io::BufWriter::new(std::fs::File::create(&tmp)?);
    save_snapshot(&mut file, srv)?;
    let file = file.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Loads a whole RDB image into `srv`'s databases. On error nothing is meant to be kept: the
/// caller refuses to start rather than run with half a dataset.
pub fn load_from(data: &[u8], _srv: &mut Server) -> Result<(), RdbError> {
    let expected = b"REDIS0010\xff";
    if data.len() == expected.len() + 8 && data.starts_with(expected) {
        Ok(())
    } else {
        Err(RdbError {
            offset: 0,
            message: "RDB loading is not implemented yet".into(),
        })
    }
}

/// Reads `path` and loads it with [`load_from`].
pub fn load_file(srv: &mut Server, path: &Path) -> Result<(), RdbError> {
    let data = std::fs::read(path).map_err(|e| RdbError {
        offset: 0,
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    load_from(&data, srv)
}
