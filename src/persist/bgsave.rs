//! Saving RDB snapshots, in the foreground and from a forked child (Redis's rdbSave,
//! rdbSaveBackground and backgroundSaveDoneHandler in rdb.c), and the save points that start
//! background saves from the cron.
//!
//! The file format itself is [`crate::persist::rdb`]'s; this module decides when a snapshot
//! is written, by which process, and keeps the state INFO persistence, LASTSAVE and the
//! MISCONF check report on ([`RdbSaveState`]).

use std::path::Path;

use crate::persist::fork::{
    has_active_child_process, kill_child, redis_fork, run_child, send_child_cow_info, ActiveChild,
    ChildKind, Forked, CHILD_FAILED, CHILD_OK,
};
use crate::persist::rdb::save_to_file;
use crate::server::Server;
use crate::util::now_ms;

/// Seconds to wait after a failed background save before a save point may try again
/// (Redis's CONFIG_BGSAVE_RETRY_DELAY): a full disk is not fixed by retrying every tick.
pub const CONFIG_BGSAVE_RETRY_DELAY: i64 = 5;

/// The server's record of RDB saves (Redis's dirty_before_bgsave, lastbgsave_status,
/// lastbgsave_try, rdb_save_time_last, rdb_bgsave_scheduled). Held by
/// `Server::rdb`, for the life of the server.
#[derive(Debug)]
pub struct RdbSaveState {
    /// `Server::dirty` when the running background save forked: the changes that snapshot
    /// contains, subtracted from `dirty` when it succeeds (writes made meanwhile still count).
    pub dirty_before_bgsave: u64,
    /// Whether the last background save (or foreground save) succeeded: INFO's
    /// rdb_last_bgsave_status, and what MISCONF refuses writes on.
    pub lastbgsave_ok: bool,
    /// Unix seconds of the last attempt to start a background save (the retry delay counts
    /// from it).
    pub lastbgsave_try: i64,
    /// How long the last background save took, in seconds; -1 before the first one.
    pub save_time_last: i64,
    /// BGSAVE SCHEDULE (or BGSAVE inside MULTI) asked for a save while another child ran:
    /// the cron starts it once no child is active.
    pub bgsave_scheduled: bool,
    /// Bytes the last successful BGSAVE child copied on write (INFO's rdb_last_cow_size).
    pub last_cow_size: u64,
}

impl Default for RdbSaveState {
    fn default() -> Self {
        RdbSaveState {
            dirty_before_bgsave: 0,
            lastbgsave_ok: true,
            lastbgsave_try: 0,
            save_time_last: -1,
            bgsave_scheduled: false,
            last_cow_size: 0,
        }
    }
}

/// Unix time in seconds (Redis's `time(NULL)`, which its save bookkeeping uses).
fn unix_seconds() -> i64 {
    now_ms().div_euclid(1000)
}

/// Writes the snapshot to `dbfilename` in the foreground (Redis's rdbSave): through a
/// temporary file, so a failure leaves the previous file whole. On success the changes count
/// starts again from zero and LASTSAVE moves; the error is logged and returned.
///
/// Also what a BGSAVE child runs: there the bookkeeping changes only the child's copy of the
/// server, which dies with it; the parent does its own in [`background_save_done_handler`].
pub fn rdb_save(srv: &mut Server) -> std::io::Result<()> {
    let path = Path::new(&srv.config.dbfilename).to_path_buf();
    if let Err(e) = save_to_file(srv, &path) {
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "unknown".into());
        log::warn!(
            "Failed saving the DB {} (in server root dir {cwd}): {e}",
            path.display()
        );
        return Err(e);
    }
    log::info!("DB saved on disk");
    srv.dirty = 0;
    srv.lastsave = unix_seconds();
    srv.rdb.lastbgsave_ok = true;
    Ok(())
}

/// Starts a background save (Redis's rdbSaveBackground): forks a child that writes the
/// snapshot with [`rdb_save`] and exits 0 on success, 1 on failure. The parent returns at
/// once; [`background_save_done_handler`] learns the outcome. True if the child was
/// started; false without forking when a child already runs (the callers check first, to
/// reply as Redis does) or when `fork` fails (logged; the save counts as failed).
pub fn rdb_save_background(srv: &mut Server) -> bool {
    if has_active_child_process(srv) {
        return false;
    }
    srv.stats.rdb_saves += 1;
    srv.rdb.dirty_before_bgsave = srv.dirty;
    srv.rdb.lastbgsave_try = unix_seconds();
    match redis_fork(srv, ChildKind::Rdb) {
        Ok(Forked::Child) => run_child(|| match rdb_save(srv) {
            Ok(()) => {
                send_child_cow_info("RDB");
                CHILD_OK
            }
            Err(_) => CHILD_FAILED,
        }),
        Ok(Forked::Parent(pid)) => {
            log::info!("Background saving started by pid {pid}");
            true
        }
        Err(e) => {
            srv.rdb.lastbgsave_ok = false;
            log::warn!("Can't save in background: fork: {e}");
            false
        }
    }
}

/// Takes in the outcome of a BGSAVE child that `check_children_done` reaped (Redis's
/// backgroundSaveDoneHandler): on success the changes the snapshot holds are no longer
/// "since the last save" and LASTSAVE moves; on failure the status turns to `err` (which
/// makes writes fail with MISCONF, see [`writes_denied_by_disk_error`]). A child killed by
/// SIGUSR1 was stopped on purpose and is not an error; any other signal is.
pub fn background_save_done_handler(
    srv: &mut Server,
    child: ActiveChild,
    exitcode: i32,
    bysignal: i32,
    cow_bytes: u64,
) {
    if bysignal == 0 && exitcode == 0 {
        log::info!("Background saving terminated with success");
        srv.rdb.last_cow_size = cow_bytes;
        srv.dirty = srv.dirty.saturating_sub(srv.rdb.dirty_before_bgsave);
        srv.lastsave = unix_seconds();
        srv.rdb.lastbgsave_ok = true;
    } else if bysignal == 0 {
        log::warn!("Background saving error");
        srv.rdb.lastbgsave_ok = false;
    } else {
        log::warn!("Background saving terminated by signal {bysignal}");
        rdb_remove_temp_file(child.pid);
        if bysignal != libc::SIGUSR1 {
            srv.rdb.lastbgsave_ok = false;
        }
    }
    srv.rdb.save_time_last = child.start.elapsed().as_secs() as i64;
}

/// What FLUSHALL owes the snapshot (Redis's flushAllDataAndResetRDB): a running BGSAVE is
/// killed, since it would write the keys just deleted, and with save points configured the
/// now empty data set is saved at once, so a restart cannot bring the keys back.
pub fn rdb_reset_after_flushall(srv: &mut Server) {
    if srv.child.is_some_and(|child| child.kind == ChildKind::Rdb) {
        kill_child(srv);
    }
    if !srv.config.save_params.is_empty() {
        // A failure is logged by rdb_save; FLUSHALL itself succeeded either way.
        let _ = rdb_save(srv);
    }
}

/// Removes the temporary file a BGSAVE child `pid` was writing, `temp-<pid>.rdb` in the
/// working directory (Redis's rdbRemoveTempFile); a child that died before creating it
/// leaves nothing to remove.
pub fn rdb_remove_temp_file(pid: libc::pid_t) {
    let _ = std::fs::remove_file(format!("temp-{pid}.rdb"));
}

/// Starts a BGSAVE when a save point is met (Redis's serverCron): at least `changes` writes
/// since the last save and more than `seconds` seconds since it. After a failed save, no point
/// fires again until [`CONFIG_BGSAVE_RETRY_DELAY`] has passed since that attempt. Called by
/// the cron only while no child runs.
pub fn rdb_save_points_cron(srv: &mut Server) {
    let now = unix_seconds();
    let may_retry =
        srv.rdb.lastbgsave_ok || now - srv.rdb.lastbgsave_try > CONFIG_BGSAVE_RETRY_DELAY;
    let due =
        srv.config.save_params.iter().find(|sp| {
            srv.dirty >= sp.changes as u64 && now - srv.lastsave > sp.seconds && may_retry
        });
    if let Some(sp) = due.copied() {
        log::info!(
            "{} changes in {} seconds. Saving...",
            sp.changes,
            sp.seconds
        );
        rdb_save_background(srv);
    }
}

/// Runs the BGSAVE that BGSAVE SCHEDULE deferred, once no child is active (and, after a
/// failure, once the retry delay has passed), as Redis's serverCron does.
pub fn start_scheduled_bgsave(srv: &mut Server) {
    if !srv.rdb.bgsave_scheduled || has_active_child_process(srv) {
        return;
    }
    let may_retry = srv.rdb.lastbgsave_ok
        || unix_seconds() - srv.rdb.lastbgsave_try > CONFIG_BGSAVE_RETRY_DELAY;
    if may_retry && rdb_save_background(srv) {
        srv.rdb.bgsave_scheduled = false;
    }
}

/// Redis's -MISCONF error, given to writes while snapshots are failing.
pub const MISCONF_RDB_ERROR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's \
    currently unable to persist to disk. Commands that may modify the data set are disabled, \
    because this instance is configured to report errors during writes if RDB snapshotting \
    fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about \
    the RDB error.";

/// The error writes get while the data cannot reach the disk (Redis's
/// writeCommandsDeniedByDiskError with writeCommandsGetDiskErrorMessage): the last save
/// failed, save points are configured and `stop-writes-on-bgsave-error` is on. `None` while
/// writes are allowed. After it, the AOF's own failure (a failed AOF write or fsync).
pub fn writes_denied_by_disk_error(srv: &Server) -> Option<String> {
    let rdb_failing = srv.config.stop_writes_on_bgsave_error
        && !srv.config.save_params.is_empty()
        && !srv.rdb.lastbgsave_ok;
    rdb_failing
        .then(|| MISCONF_RDB_ERROR.to_string())
        .or_else(|| crate::persist::aof::writes_denied_error(srv))
}
