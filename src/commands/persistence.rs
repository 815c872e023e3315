//! Persistence commands (Redis's rdb.c command side): SAVE writes the RDB snapshot in the
//! foreground. The file format itself is `persist/rdb.rs`.

use std::path::Path;

use crate::client::Client;
use crate::commands::{flags::*, Command, NO_KEYS};
use crate::persist::rdb::save_to_file;
use crate::server::Server;

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[Command::new(
    "save",
    1,
    ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
    NO_KEYS,
    0,
    save_command,
)];

/// Writes the dataset to `dir/dbfilename` and records the save (Redis's rdbSave): the dirty
/// counter restarts from zero and LASTSAVE moves to now. `Err` carries the text Redis logs.
pub fn rdb_save(srv: &mut Server) -> Result<(), String> {
    let path = Path::new(&srv.config.dbfilename).to_path_buf();
    match save_to_file(srv, &path) {
        Ok(()) => {
            log::info!("DB saved on disk");
            srv.dirty = 0;
            srv.lastsave = srv.now_ms / 1000;
            Ok(())
        }
        Err(e) => {
            let message = format!("Write error saving DB on disk: {e}");
            log::warn!("{message}");
            Err(message)
        }
    }
}

/// SAVE: a synchronous save; `+OK`, or Redis's bare `-ERR` when it failed (the reason goes
/// to the log).
fn save_command(srv: &mut Server, c: &mut Client) {
    match rdb_save(srv) {
        Ok(()) => c.reply.ok(),
        Err(_) => c.reply.error("ERR"),
    }
}
