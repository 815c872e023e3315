//! Child processes for background persistence (Redis's redisFork, hasActiveChildProcess and
//! checkChildrenDone in server.c).
//!
//! BGSAVE and BGREWRITEAOF write a point-in-time image of the whole keyspace without stopping
//! the event loop: the server `fork()`s, and the child, which sees the memory exactly as it
//! was at the instant of the fork (the kernel shares the pages copy-on-write), writes the file
//! and exits, while the parent goes on serving clients. The parent never waits for the
//! child: [`check_children_done`], called from `server_cron`, reaps it with a non-blocking
//! `waitpid` and hands its exit status to the handler of its kind.
//!
//! Invariants:
//! - at most one child exists at a time (`Server::child`), as in Redis: two children would
//!   double the copy-on-write memory and compete for the disk;
//! - the child never returns into the event loop: whatever it runs ends in [`run_child`],
//!   which leaves with `_exit`, so no destructor runs, no buffered output of the parent is
//!   flushed twice and no client socket is written by two processes.
//!
//! The server is single-threaded, so no other thread can hold a lock (the logger's, the
//! allocator's) at the instant of the fork; jemalloc also registers its own `pthread_atfork`
//! handlers, so the allocator is usable in the child.

use std::io;
use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};
use std::time::Instant;

use crate::server::Server;

/// What a child process is writing (Redis's CHILD_TYPE_RDB / CHILD_TYPE_AOF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    /// An RDB snapshot (BGSAVE, a save point).
    Rdb,
    /// An append-only file rewrite (BGREWRITEAOF).
    Aof,
}

/// The running child, held in `Server::child` from the fork until [`check_children_done`]
/// reaps it (or [`kill_child`] ends it).
#[derive(Debug, Clone, Copy)]
pub struct ActiveChild {
    pub pid: libc::pid_t,
    pub kind: ChildKind,
    /// When it was forked (INFO's rdb_current_bgsave_time_sec, the last save's duration).
    pub start: Instant,
    /// Read end of the pipe the child reports through (Redis's child_info_pipe), -1 if the
    /// pipe could not be made. Closed when the child is reaped or killed.
    pub info_fd: libc::c_int,
    /// What the child last reported while running (INFO persistence's current_* fields).
    pub progress: ChildProgress,
}

/// A running child's progress as it last reported it (Redis's stat_current_cow_*,
/// stat_current_save_keys_*): read from the info pipe by [`check_children_done`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ChildProgress {
    /// The child's copy-on-write size, in bytes, and the largest one reported.
    pub cow_bytes: u64,
    pub cow_peak: u64,
    /// When `cow_bytes` was last reported; `None` before the first report.
    pub cow_updated: Option<Instant>,
    /// Keys saved so far, out of the keys the data set had at the fork.
    pub keys_processed: u64,
    pub keys_total: u64,
    /// The copy-on-write size the child reported when it finished its work, once received.
    pub final_cow_bytes: Option<u64>,
}

/// Which side of a fork the caller is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    /// The new process: it must do its work and end in [`run_child`] (or [`exit_from_child`]).
    Child,
    /// The server, with the child's pid.
    Parent(libc::pid_t),
}

/// Exit code of a child that finished its work (Redis: 0).
pub const CHILD_OK: i32 = 0;

/// Exit code of a child that failed, or panicked (Redis: 1).
pub const CHILD_FAILED: i32 = 1;

/// Forks a child of `kind` (Redis's redisFork). In the parent it records the child in
/// `srv.child` and the fork's cost in INFO stats (`latest_fork_usec`, `total_forks`); in the
/// child it restores the default action of SIGINT and SIGTERM, so that the child dies of them
/// as any process does (signal-hook's handler, inherited from the parent, would only mark a
/// pipe nobody reads in the child).
///
/// Refuses with an error if a child is already running: callers check
/// [`has_active_child_process`] first to give the client Redis's reply.
pub fn redis_fork(srv: &mut Server, kind: ChildKind) -> io::Result<Forked> {
    if has_active_child_process(srv) {
        return Err(io::Error::other("a child process is already active"));
    }
    let start = Instant::now();
    let mut pipe: [libc::c_int; 2] = [-1, -1];
    // SAFETY: pipe2 writes two descriptors into the array it is given. Non-blocking: the
    // parent reads only once the child has exited, and must never wait on it.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } == -1 {
        pipe = [-1, -1];
    }
    let [info_read, info_write] = pipe;
    // SAFETY: fork() in a single-threaded process; the child only runs the caller's work and
    // then _exit (see `run_child`).
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => {
            let e = io::Error::last_os_error();
            close_fd(info_read);
            close_fd(info_write);
            Err(e)
        }
        0 => {
            crate::logging::set_child_role();
            close_fd(info_read);
            CHILD_INFO_FD.store(info_write, Ordering::Relaxed);
            // SAFETY: setting a signal's disposition to the default has no preconditions.
            unsafe {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGTERM, libc::SIG_DFL);
            }
            Ok(Forked::Child)
        }
        pid => {
            close_fd(info_write);
            srv.stats.latest_fork_usec = start.elapsed().as_micros() as u64;
            srv.stats.total_forks += 1;
            let keys_total = srv.dbs.iter().map(|db| db.dict.len() as u64).sum();
            srv.child = Some(ActiveChild {
                pid,
                kind,
                start,
                info_fd: info_read,
                progress: ChildProgress {
                    keys_total,
                    ..ChildProgress::default()
                },
            });
            update_dict_resize_policy(srv);
            Ok(Forked::Parent(pid))
        }
    }
}

/// In a child: the write end of its info pipe (see `ActiveChild::info_fd`); -1 in the
/// server itself.
static CHILD_INFO_FD: AtomicI32 = AtomicI32::new(-1);

/// Closes a descriptor this module opened; -1 (none) is skipped.
fn close_fd(fd: libc::c_int) {
    if fd >= 0 {
        // SAFETY: closing a descriptor this module owns and nothing else uses.
        unsafe { libc::close(fd) };
    }
}

/// One report on the info pipe: its kind ([`INFO_CURRENT`] or [`INFO_DONE`]), the child's
/// copy-on-write size in bytes and the keys it has saved, as three little-endian u64. Writes
/// to a pipe this small are atomic, so a report is always read whole.
const INFO_REPORT_LEN: usize = 24;

/// A report sent while the child works (Redis's CHILD_INFO_TYPE_CURRENT_INFO).
const INFO_CURRENT: u64 = 0;

/// The report of a child that finished its work (Redis's CHILD_INFO_TYPE_RDB_COW_SIZE).
const INFO_DONE: u64 = 1;

/// Least time between two progress reports of a child, in ms (Redis: about a second).
const INFO_PERIOD_MS: i64 = 1000;

/// Keys between two looks at the clock in [`child_key_saved`] (Redis: 1024).
const INFO_CHECK_KEYS: u64 = 1024;

/// In a child: unix ms of its last progress report.
static CHILD_INFO_SENT_MS: AtomicI64 = AtomicI64::new(0);

/// Writes one report to the info pipe; nothing outside a child (SAVE runs the same writer).
fn send_child_info(kind: u64, cow: u64, keys: u64) {
    let fd = CHILD_INFO_FD.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    let mut report = [0u8; INFO_REPORT_LEN];
    for (slot, value) in report.chunks_exact_mut(8).zip([kind, cow, keys]) {
        slot.copy_from_slice(&value.to_le_bytes());
    }
    // SAFETY: writing a live buffer to our own pipe. A failed write (the pipe full because
    // the server is slow to read) only loses this report.
    unsafe { libc::write(fd, report.as_ptr().cast(), report.len()) };
}

/// Called by the RDB writer after each key with the number saved so far: in a child, about
/// once a second, reports that number and the copy-on-write size so far (Redis's
/// rdbSaveRio's sendChildInfo). The clock is read only every [`INFO_CHECK_KEYS`] keys.
pub fn child_key_saved(keys_saved: u64) {
    if keys_saved.wrapping_sub(1) % INFO_CHECK_KEYS != 0
        || CHILD_INFO_FD.load(Ordering::Relaxed) < 0
    {
        return;
    }
    let now = crate::util::now_ms();
    if now - CHILD_INFO_SENT_MS.load(Ordering::Relaxed) >= INFO_PERIOD_MS {
        CHILD_INFO_SENT_MS.store(now, Ordering::Relaxed);
        send_child_info(INFO_CURRENT, private_dirty_bytes(), keys_saved);
    }
}

/// In a child that finished its work: measures the memory it holds privately, which is what
/// copy-on-write cost (its own pages plus those it copied), logs it and sends it to the
/// server through the info pipe (Redis's sendChildCowInfo). `what` names the work ("RDB").
pub fn send_child_cow_info(what: &str) {
    let cow = private_dirty_bytes();
    let mb = cow >> 20;
    log::info!("Fork CoW for {what}: current {mb} MB, peak {mb} MB, average {mb} MB");
    send_child_info(INFO_DONE, cow, 0);
}

/// This process's private dirty memory in bytes (Redis's zmalloc_get_private_dirty).
fn private_dirty_bytes() -> u64 {
    smap_bytes_by_field("Private_Dirty:")
}

/// The sum over this process's mappings of one /proc smaps field (`"AnonHugePages:"`), in
/// bytes, from /proc/self/smaps_rollup (Redis's zmalloc_get_smap_bytes_by_field); 0 where
/// the kernel does not provide it.
pub fn smap_bytes_by_field(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    text.lines()
        .filter_map(|line| line.strip_prefix(field))
        .filter_map(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .sum::<u64>()
        * 1024
}

/// Reads every report waiting in `child`'s info pipe into `child.progress` (Redis's
/// receiveChildInfo). Never blocks (the pipe is non-blocking).
fn receive_child_info(child: &mut ActiveChild) {
    if child.info_fd < 0 {
        return;
    }
    let mut buf = [0u8; INFO_REPORT_LEN * 16];
    loop {
        // SAFETY: reading into a live buffer of the given length from our own pipe.
        let n = unsafe { libc::read(child.info_fd, buf.as_mut_ptr().cast(), buf.len()) };
        let n = match usize::try_from(n) {
            Ok(n) if n > 0 => n,
            _ => return,
        };
        for report in buf
            .get(..n)
            .unwrap_or_default()
            .chunks_exact(INFO_REPORT_LEN)
        {
            let field = |i: usize| {
                report
                    .get(i * 8..i * 8 + 8)
                    .and_then(|b| b.try_into().ok())
                    .map_or(0, u64::from_le_bytes)
            };
            let (kind, cow, keys) = (field(0), field(1), field(2));
            let p = &mut child.progress;
            if kind == INFO_DONE {
                p.final_cow_bytes = Some(cow);
            } else {
                p.cow_bytes = cow;
                p.cow_peak = p.cow_peak.max(cow);
                p.cow_updated = Some(Instant::now());
                p.keys_processed = keys;
            }
        }
    }
}

/// Runs the child's `work` and ends the process with its exit code; a panic in `work` is
/// caught and ends the child with [`CHILD_FAILED`], so it can never unwind into the copy of
/// the event loop the child inherited.
pub fn run_child(work: impl FnOnce() -> i32) -> ! {
    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|_| {
        log::warn!("Child process panicked");
        CHILD_FAILED
    });
    exit_from_child(code)
}

/// Ends a child process at once (Redis's exitFromChild): `_exit` runs no destructors and no
/// atexit handlers and flushes no stdio buffers, all of which belong to the parent.
pub fn exit_from_child(code: i32) -> ! {
    // SAFETY: _exit has no preconditions and does not return.
    unsafe { libc::_exit(code) }
}

/// True while a child process runs (Redis's hasActiveChildProcess).
pub fn has_active_child_process(srv: &Server) -> bool {
    srv.child.is_some()
}

/// Reaps a child that has ended, if any, and runs the handler of its kind (Redis's
/// checkChildrenDone). Called from `server_cron` while a child is active; never blocks.
pub fn check_children_done(srv: &mut Server) {
    if let Some(child) = srv.child.as_mut() {
        receive_child_info(child);
    }
    let mut status: libc::c_int = 0;
    // SAFETY: waitpid with a valid out-pointer; -1 reaps any child, as Redis does, so a
    // stray child cannot linger as a zombie.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    if pid <= 0 {
        if pid == -1 {
            let e = io::Error::last_os_error();
            log::warn!(
                "waitpid() returned an error: {e}. child_pid = {:?}",
                srv.child
            );
        }
        return;
    }
    let exitcode = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let bysignal = if libc::WIFSIGNALED(status) {
        libc::WTERMSIG(status)
    } else {
        0
    };
    match srv.child {
        Some(mut child) if child.pid == pid => {
            srv.child = None;
            update_dict_resize_policy(srv);
            receive_child_info(&mut child);
            close_fd(child.info_fd);
            let cow_bytes = child.progress.final_cow_bytes.unwrap_or(0);
            match child.kind {
                ChildKind::Rdb => {
                    crate::persist::bgsave::background_save_done_handler(
                        srv, child, exitcode, bysignal, cow_bytes,
                    );
                }
                ChildKind::Aof => {
                    crate::persist::aof::background_rewrite_done_handler(
                        srv, child, exitcode, bysignal, cow_bytes,
                    );
                }
            }
        }
        _ => log::warn!("Warning, detected child with unmatched pid: {pid}"),
    }
}

/// Holds back the growth of the keyspace tables while a child runs and allows it again
/// when none does (Redis's updateDictResizePolicy; see `Dict::set_resize_allowed`).
fn update_dict_resize_policy(srv: &mut Server) {
    let allowed = !has_active_child_process(srv);
    for db in &mut srv.dbs {
        db.dict.set_resize_allowed(allowed);
        db.expires.set_resize_allowed(allowed);
    }
}

/// Ends the running child, if any, and waits for it (Redis's killRDBChild and
/// killAppendOnlyChild, for SHUTDOWN and FLUSHALL). SIGUSR1 is what Redis sends: the child has
/// no handler for it, so it dies at once. The file it was writing is removed: an RDB child's
/// `temp-<pid>.rdb`, an AOF child's `temp-rewriteaof-bg-<pid>.aof`.
pub fn kill_child(srv: &mut Server) {
    let Some(child) = srv.child.take() else {
        return;
    };
    update_dict_resize_policy(srv);
    close_fd(child.info_fd);
    let mut status: libc::c_int = 0;
    // SAFETY: signalling and reaping our own child; waitpid with a valid out-pointer.
    unsafe {
        libc::kill(child.pid, libc::SIGUSR1);
        libc::waitpid(child.pid, &mut status, 0);
    }
    match child.kind {
        ChildKind::Rdb => crate::persist::bgsave::rdb_remove_temp_file(child.pid),
        ChildKind::Aof => crate::persist::aof::aof_remove_temp_file(child.pid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// Polls `check_children_done` until the child is reaped (the child exits at once).
    fn reap(srv: &mut Server) {
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while has_active_child_process(srv) && Instant::now() < deadline {
            check_children_done(srv);
            std::thread::yield_now();
        }
        assert!(!has_active_child_process(srv), "child not reaped");
    }

    #[test]
    fn one_child_at_a_time_and_its_exit_code_reaches_the_handler() {
        let mut srv = Server::new(Config::default(), None);
        match redis_fork(&mut srv, ChildKind::Rdb).unwrap() {
            Forked::Child => exit_from_child(CHILD_OK),
            Forked::Parent(pid) => assert_eq!(srv.child.map(|c| c.pid), Some(pid)),
        }
        assert!(
            redis_fork(&mut srv, ChildKind::Rdb).is_err(),
            "second child refused"
        );
        assert_eq!(srv.stats.total_forks, 1);
        reap(&mut srv);
        assert!(srv.rdb.lastbgsave_ok);
        assert_eq!(srv.rdb.save_time_last, 0);

        match redis_fork(&mut srv, ChildKind::Rdb).unwrap() {
            Forked::Child => run_child(|| panic!("a child's panic must not unwind")),
            Forked::Parent(_) => {}
        }
        reap(&mut srv);
        assert!(!srv.rdb.lastbgsave_ok, "a failed child is a failed save");
        assert_eq!(srv.stats.total_forks, 2);
    }

    #[test]
    fn killed_child_is_reaped_at_once() {
        let mut srv = Server::new(Config::default(), None);
        match redis_fork(&mut srv, ChildKind::Aof).unwrap() {
            Forked::Child => {
                // SAFETY: pause has no preconditions; the child waits to be killed.
                unsafe { libc::pause() };
                exit_from_child(CHILD_OK)
            }
            Forked::Parent(_) => {}
        }
        kill_child(&mut srv);
        assert!(!has_active_child_process(&srv));
    }
}
