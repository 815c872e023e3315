//! The append-only file (Redis 7.0's aof.c): every write, as [`crate::propagate`] leaves it,
//! appended in RESP to a file that rebuilds the dataset when replayed.
//!
//! **Layout** (Redis 7.0's multi-part AOF, so Redis and rredis read each other's directory):
//! a directory `appenddirname` inside `dir` holds
//! - one *base* file, `<appendfilename>.<seq>.base.rdb` (an RDB snapshot, with
//!   `aof-use-rdb-preamble yes`) or `.base.aof` (commands that rebuild the keyspace);
//! - *incr* files, `<appendfilename>.<seq>.incr.aof`, the commands since that base, in order;
//! - the *manifest* `<appendfilename>.manifest`, one line per file
//!   (`file appendonly.aof.1.base.rdb seq 1 type b`), replaced atomically (temp + rename).
//!
//! **Path of a write**: [`feed_append_only_file`] appends the command to `Aof::buf` (with a
//! SELECT first when the database differs from the last one written); [`before_sleep`]
//! (called by the event loop before any reply of the turn is written) writes the buffer to
//! the current incr file with [`flush_append_only_file`] and, with `appendfsync always`,
//! fsyncs it, so no client reads +OK for a write that is not on disk. With `everysec` a
//! helper thread fsyncs once a second ([`FsyncThread`]); with `no` the kernel decides.
//!
//! **Rewrite** (BGREWRITEAOF, CONFIG SET appendonly yes, the auto-rewrite in the cron): a new
//! incr file is opened first, so writes arriving during the rewrite land there; the new
//! base is written to a temporary file; once it is complete and fsynced, it is renamed into
//! the directory, the manifest is replaced by one naming the new base and the new incr, and
//! the files it no longer names (the old base and incrs, "history") are deleted.
//!
//! **Loading** ([`load_append_only_files`]): the base (RDB or commands) then every incr file,
//! each command run by a fake client through the normal command path. A last command cut
//! short (a crash mid-write) is dropped and the file truncated, with a warning, when
//! `aof-load-truncated` is on; anything else malformed refuses the start, naming the file and
//! the offset.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use bytes::Bytes;

use crate::client::Client;
use crate::persist::fork::{
    has_active_child_process, kill_child, redis_fork, run_child, send_child_cow_info, ActiveChild,
    ChildKind, Forked, CHILD_FAILED, CHILD_OK,
};
use crate::resp::cat_command;
use crate::server::{process_command, Server};
use crate::util::{now_ms, parse_i64, strerror};

/// How long `everysec` lets a write wait for the previous background fsync before writing
/// anyway, in ms (Redis: 2 seconds; past that, the write is counted in aof_delayed_fsync).
const MAX_FLUSH_POSTPONE_MS: i64 = 2000;

/// Keys' elements per command in a command-format base file (Redis's
/// AOF_REWRITE_ITEMS_PER_CMD), so no command of the base is unboundedly large.
const AOF_REWRITE_ITEMS_PER_CMD: usize = 64;

/// A buffer this large (bytes) is freed rather than cleared once written, so one burst does
/// not pin its memory (Redis keeps buffers under 4 KB for reuse).
const AOF_BUF_KEEP: usize = 4 * 1024;

/// Longest manifest line accepted, in bytes (Redis's AOF_MANIFEST line limit).
const MANIFEST_MAX_LINE: usize = 1024;

/// Whether the AOF is written (Redis's aof_state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AofStatus {
    #[default]
    Off,
    On,
    /// Turned on at run time; writes are collected while the first base is written, and the
    /// AOF becomes `On` when that rewrite succeeds.
    WaitRewrite,
}

/// The kind of a file named in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileType {
    Base,
    Incr,
    /// A file a completed rewrite replaced, kept only until it is deleted.
    History,
}

impl FileType {
    fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::Incr => 'i',
            FileType::History => 'h',
        }
    }
}

/// One manifest line: a file of the AOF directory.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AofInfo {
    name: String,
    seq: i64,
    kind: FileType,
}

/// The AOF's set of files (Redis's aofManifest): what the manifest file says, in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Manifest {
    base: Option<AofInfo>,
    incrs: Vec<AofInfo>,
    history: Vec<AofInfo>,
    /// Highest sequence numbers used, so new files get the next ones.
    curr_base_seq: i64,
    curr_incr_seq: i64,
}

impl Manifest {
    /// The manifest file's text: the base, the history, then the incr files in order (the
    /// order Redis writes; file names are quoted only if they need it, which rredis's
    /// names never do since `appendfilename` holds no blanks in practice).
    fn to_text(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, info: &AofInfo| {
            out.push_str(&format!(
                "file {} seq {} type {}\n",
                quote_name(&info.name),
                info.seq,
                info.kind.letter()
            ));
        };
        if let Some(base) = &self.base {
            line(&mut out, base);
        }
        for info in self.history.iter().chain(&self.incrs) {
            line(&mut out, info);
        }
        out
    }

    /// Parses a manifest (Redis's aofLoadManifestFromFile): `key value` pairs per line,
    /// `#` comments, at most one base; unknown keys are ignored, as Redis does, for files
    /// of later versions.
    fn parse(text: &[u8]) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for raw in text.split(|&b| b == b'\n') {
            if raw.len() > MANIFEST_MAX_LINE {
                return Err("The AOF manifest file contains too long line".into());
            }
            let line = String::from_utf8_lossy(raw);
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = split_manifest_line(line)
                .ok_or("Invalid AOF manifest file format (unbalanced quotes)")?;
            if words.len() % 2 != 0 {
                return Err("Invalid AOF manifest file format".into());
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in words.chunks(2) {
                if let [key, value] = pair {
                    match key.as_str() {
                        "file" => name = Some(value.clone()),
                        "seq" => seq = parse_i64(value.as_bytes()),
                        "type" => {
                            kind = match value.as_str() {
                                "b" => Some(FileType::Base),
                                "i" => Some(FileType::Incr),
                                "h" => Some(FileType::History),
                                _ => None,
                            }
                        }
                        _ => {}
                    }
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err("Invalid AOF manifest file format".into());
            };
            if name.contains('/') {
                return Err(format!("Invalid AOF file name in the manifest: {name}"));
            }
            let info = AofInfo { name, seq, kind };
            match kind {
                FileType::Base => {
                    if m.base.is_some() {
                        return Err("Found duplicate base file information".into());
                    }
                    m.curr_base_seq = seq;
                    m.base = Some(info);
                }
                FileType::History => m.history.push(info),
                FileType::Incr => {
                    if seq <= m.curr_incr_seq {
                        return Err("Found a non-monotonic sequence number".into());
                    }
                    m.curr_incr_seq = seq;
                    m.incrs.push(info);
                }
            }
        }
        Ok(m)
    }
}

/// A file name as the manifest writes it: bare, or quoted when it holds blanks, quotes or
/// backslashes (Redis's sdscatrepr only when needed).
fn quote_name(name: &str) -> String {
    if name
        .chars()
        .any(|ch| ch.is_whitespace() || ch == '"' || ch == '\\' || ch == '\'')
    {
        format!("{name:?}")
    } else {
        name.to_string()
    }
}

/// Splits a manifest line into words, honouring double quotes with backslash escapes.
fn split_manifest_line(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|ch| ch.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return Some(words);
        };
        let mut word = String::new();
        if first == '"' {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => word.push(chars.next()?),
                    ch => word.push(ch),
                }
            }
        } else {
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                word.push(ch);
                chars.next();
            }
        }
        words.push(word);
    }
}

/// State shared with the fsync thread: two counters, so atomics (nothing else crosses).
#[derive(Debug, Default)]
struct FsyncShared {
    /// fsyncs queued or running (INFO's aof_pending_bio_fsync).
    pending: AtomicUsize,
    /// errno of the last failed background fsync, 0 after a successful one.
    errno: AtomicI32,
}

/// The background fsync thread of `appendfsync everysec` (Redis's bio AOF_FSYNC job).
///
/// The only thread besides the event loop, and it touches no server state: it receives a
/// duplicate of the incr file's descriptor and fsyncs it. fsync can take hundreds of ms on a
/// busy disk; done on the loop it would stall every client, which is the whole point of
/// `everysec` over `always`. Lives from the first everysec flush until the process exits.
///
/// A forked child (BGSAVE, BGREWRITEAOF) must not find a lock held by this thread: it takes
/// none of the loop's (it never logs), and what it allocates or frees goes through
/// jemalloc, whose fork handlers hold and release its locks around `fork`.
#[derive(Debug)]
struct FsyncThread {
    jobs: mpsc::Sender<File>,
    shared: Arc<FsyncShared>,
}

impl FsyncThread {
    fn spawn() -> io::Result<FsyncThread> {
        let (jobs, queue) = mpsc::channel::<File>();
        let shared = Arc::new(FsyncShared::default());
        let theirs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("bio_aof_fsync".into())
            .spawn(move || {
                for file in queue {
                    let errno = match file.sync_data() {
                        Ok(()) => 0,
                        Err(e) => e.raw_os_error().unwrap_or(libc_eio()),
                    };
                    theirs.errno.store(errno, Ordering::Relaxed);
                    theirs.pending.fetch_sub(1, Ordering::Release);
                }
            })?;
        Ok(FsyncThread { jobs, shared })
    }

    fn pending(&self) -> usize {
        self.shared.pending.load(Ordering::Acquire)
    }

    /// Queues an fsync of `file` (Redis's aof_background_fsync).
    fn submit(&self, file: &File) {
        let Ok(dup) = file.try_clone() else {
            return;
        };
        self.shared.pending.fetch_add(1, Ordering::Release);
        if self.jobs.send(dup).is_err() {
            self.shared.pending.fetch_sub(1, Ordering::Release);
        }
    }
}

impl Aof {
    /// Bytes held by the buffer of commands not yet written (left out of the memory that
    /// `maxmemory` limits, as in Redis: evicting keys would only grow it with their DELs).
    pub fn buffer_allocated(&self) -> u64 {
        self.buf.capacity() as u64
    }
}

/// EIO, for an fsync error the OS gave no number for.
fn libc_eio() -> i32 {
    5
}

/// The AOF's state (Redis's aof_* fields of `server`). Owned by `Server`; the incr file is
/// open while the AOF is on, and closed when it is turned off.
#[derive(Debug, Default)]
pub struct Aof {
    pub status: AofStatus,
    /// Commands fed since the last flush (Redis's aof_buf).
    buf: Vec<u8>,
    /// Database of the last command written; `None` after opening a file, so the next
    /// command starts with a SELECT.
    selected_db: Option<usize>,
    manifest: Manifest,
    /// The incr file commands are appended to.
    file: Option<File>,
    /// Bytes of the AOF: base and incr files (aof_current_size); and of the base at the
    /// last rewrite or load (aof_base_size), which auto-rewrite compares against.
    current_size: u64,
    base_size: u64,
    /// Bytes of the current incr file, where a failed write is truncated back to.
    incr_size: u64,
    /// `current_size` when the last fsync was started, and when (unix ms).
    fsync_offset: u64,
    last_fsync_ms: i64,
    /// When `everysec` started postponing a write behind a running fsync (0: not).
    flush_postponed_start: i64,
    delayed_fsync: u64,
    /// Why the last write failed, as strerror words; `None` when it worked.
    last_write_error: Option<String>,
    fsync: Option<FsyncThread>,
    /// A rewrite was asked for while another child ran; the cron starts it later.
    pub rewrite_scheduled: bool,
    /// Copy-on-write bytes of the last rewrite child (aof_last_cow_size).
    last_cow_size: u64,
    /// Duration of the last rewrite in seconds (aof_last_rewrite_time_sec); `None`: none yet.
    last_rewrite_time_sec: Option<i64>,
    /// The last rewrite failed (aof_last_bgrewrite_status:err) until one succeeds.
    last_bgrewrite_failed: bool,
    rewrites: u64,
    rewrites_consecutive_failures: u64,
}

/// The AOF directory (relative to `dir`, which is the working directory).
fn aof_dir(srv: &Server) -> PathBuf {
    PathBuf::from(&srv.config.appenddirname)
}

/// Path of a file of the AOF directory.
fn aof_path(srv: &Server, name: &str) -> PathBuf {
    aof_dir(srv).join(name)
}

fn manifest_name(srv: &Server) -> String {
    format!("{}.manifest", srv.config.appendfilename)
}

/// Appends one propagated command to the AOF buffer (Redis's feedAppendOnlyFile), preceded
/// by a SELECT when it runs in another database than the last command written. `db` is
/// `None` for commands that run wherever the stream is (EXEC).
pub fn feed_append_only_file(srv: &mut Server, db: Option<usize>, argv: &[Bytes]) {
    // While the AOF is being turned on, only what follows the fork of the first base's
    // child is kept: what came before is in that base (Redis feeds only with the AOF on,
    // or waiting for the rewrite with its child running).
    let waiting = srv.aof.status == AofStatus::WaitRewrite && !rewrite_in_progress(srv);
    let aof = &mut srv.aof;
    if aof.status == AofStatus::Off || waiting {
        return;
    }
    if let Some(db) = db {
        if aof.selected_db != Some(db) {
            let select = [Bytes::from_static(b"SELECT"), Bytes::from(db.to_string())];
            cat_command(&mut aof.buf, &select);
            aof.selected_db = Some(db);
        }
    }
    cat_command(&mut aof.buf, argv);
}

/// Writes all of `buf` to `file`, retrying short writes and EINTR (Redis's aofWrite).
/// Returns how much was written before an error, with the error.
fn write_all_counted(file: &mut File, buf: &[u8]) -> (usize, Option<io::Error>) {
    let mut written = 0;
    while written < buf.len() {
        match file.write(buf.get(written..).unwrap_or_default()) {
            Ok(0) => return (written, Some(io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (written, Some(e)),
        }
    }
    (written, None)
}

/// Writes the AOF buffer to the incr file and fsyncs as `appendfsync` says (Redis's
/// flushAppendOnlyFile). `force` writes even while an everysec fsync is still running
/// (shutdown, rewrite start). Called before replies are written each turn, from the cron
/// while a write is postponed or failing, and before a rewrite starts.
pub fn flush_append_only_file(srv: &mut Server, force: bool) {
    let everysec = srv.config.appendfsync == "everysec";
    let now = now_ms();
    if srv.aof.buf.is_empty() {
        // Nothing to write, but an everysec fsync may be due for what was written before
        // (a write postponed by a busy fsync, then written by force).
        if everysec
            && srv.aof.fsync_offset != srv.aof.current_size
            && now - srv.aof.last_fsync_ms >= 1000
            && srv.aof.fsync.as_ref().map_or(0, FsyncThread::pending) == 0
        {
            background_fsync(srv, now);
        }
        return;
    }
    if srv.aof.file.is_none() {
        return;
    }
    let sync_in_progress = everysec && srv.aof.fsync.as_ref().is_some_and(|t| t.pending() > 0);
    if everysec && !force && sync_in_progress {
        // The disk is busy with the last second's fsync: a write now could block on it.
        // Wait up to two seconds, then write anyway (Redis's aof_flush_postponed_start).
        if srv.aof.flush_postponed_start == 0 {
            srv.aof.flush_postponed_start = now;
            return;
        }
        if now - srv.aof.flush_postponed_start < MAX_FLUSH_POSTPONE_MS {
            return;
        }
        srv.aof.delayed_fsync += 1;
        log::warn!("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
    }
    let aof = &mut srv.aof;
    let Some(file) = aof.file.as_mut() else {
        return;
    };
    let (written, error) = write_all_counted(file, &aof.buf);
    aof.flush_postponed_start = 0;
    if let Some(e) = error {
        let always = srv.config.appendfsync == "always";
        handle_write_error(srv, written, e, always);
        return;
    }
    let aof = &mut srv.aof;
    aof.current_size += written as u64;
    aof.incr_size += written as u64;
    if aof.last_write_error.take().is_some() {
        log::warn!("AOF write error looks solved, Redis can write again.");
    }
    if aof.buf.capacity() > AOF_BUF_KEEP {
        aof.buf = Vec::new();
    } else {
        aof.buf.clear();
    }
    fsync_after_write(srv, now);
}

/// A failed or short write (Redis's flushAppendOnlyFile error path): the partial write is
/// truncated away so the file ends on a whole command; with `always` nothing can be
/// promised any more and the server exits; otherwise writes are refused (MISCONF) until a
/// later flush, from the cron, succeeds.
fn handle_write_error(srv: &mut Server, written: usize, e: io::Error, always: bool) {
    let aof = &mut srv.aof;
    if written == 0 {
        log::warn!("Error writing to the AOF file: {}", strerror(&e));
    } else {
        log::warn!(
            "Short write while writing to the AOF file: (nwritten={written}, expected={})",
            aof.buf.len()
        );
    }
    let mut kept = 0;
    if written > 0 {
        let truncated = aof.file.as_ref().map(|f| f.set_len(aof.incr_size));
        match truncated {
            Some(Ok(())) => {}
            Some(Err(te)) => {
                log::warn!("Could not remove short write from the append-only file. Redis may refuse to load the AOF the next time it starts. ftruncate: {}", strerror(&te));
                kept = written;
            }
            None => {}
        }
    }
    if always {
        log::warn!(
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
        );
        std::process::exit(1);
    }
    if kept > 0 {
        // The part that stayed in the file is part of the AOF now.
        aof.current_size += kept as u64;
        aof.incr_size += kept as u64;
        aof.buf.drain(..kept.min(aof.buf.len()));
    }
    aof.last_write_error = Some(strerror(&e));
}

/// The fsync half of a flush: now with `always`, handed to the fsync thread once a second
/// with `everysec`. No fsync while a rewrite child runs when `no-appendfsync-on-rewrite`.
fn fsync_after_write(srv: &mut Server, now: i64) {
    if srv.config.no_appendfsync_on_rewrite && has_active_child_process(srv) {
        return;
    }
    match srv.config.appendfsync.as_str() {
        "always" => {
            if let Some(file) = &srv.aof.file {
                if let Err(e) = file.sync_data() {
                    log::warn!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...", strerror(&e));
                    std::process::exit(1);
                }
            }
            srv.aof.fsync_offset = srv.aof.current_size;
            srv.aof.last_fsync_ms = now;
        }
        "everysec"
            if now - srv.aof.last_fsync_ms >= 1000
                && srv.aof.fsync.as_ref().map_or(0, FsyncThread::pending) == 0 =>
        {
            background_fsync(srv, now);
        }
        _ => {}
    }
}

/// Queues an fsync of the incr file on the fsync thread, starting the thread the first time.
fn background_fsync(srv: &mut Server, now: i64) {
    let aof = &mut srv.aof;
    if aof.fsync.is_none() {
        match FsyncThread::spawn() {
            Ok(thread) => aof.fsync = Some(thread),
            Err(e) => {
                log::warn!("Can't create the AOF fsync thread: {e}");
                return;
            }
        }
    }
    if let (Some(thread), Some(file)) = (&aof.fsync, &aof.file) {
        thread.submit(file);
        aof.fsync_offset = aof.current_size;
        aof.last_fsync_ms = now;
    }
}

/// The event loop's hook before replies are written (Redis's beforeSleep calling
/// flushAppendOnlyFile(0) before handleClientsWithPendingWrites).
pub fn before_sleep(srv: &mut Server) {
    if srv.aof.status != AofStatus::Off {
        flush_append_only_file(srv, false);
    }
}

/// Before a reply leaves outside `before_sleep` (a client became writable mid-turn),
/// `always` must still have its writes on disk first.
pub fn flush_before_reply(srv: &mut Server) {
    if srv.aof.status != AofStatus::Off
        && !srv.aof.buf.is_empty()
        && srv.config.appendfsync == "always"
    {
        flush_append_only_file(srv, true);
    }
}

/// The AOF's part of the cron (Redis's serverCron): retry a postponed or failed write,
/// start a scheduled rewrite, trigger the automatic rewrite on growth.
pub fn aof_cron(srv: &mut Server) {
    if srv.aof.status == AofStatus::Off {
        return;
    }
    if srv.aof.flush_postponed_start != 0 || srv.aof.last_write_error.is_some() {
        flush_append_only_file(srv, false);
    }
    if has_active_child_process(srv) {
        return;
    }
    if srv.aof.rewrite_scheduled {
        if let Err(e) = rewrite_append_only_file_background(srv) {
            log::warn!("{e}");
        }
        return;
    }
    let percentage = srv.config.auto_aof_rewrite_percentage;
    if srv.aof.status == AofStatus::On
        && percentage > 0
        && srv.aof.current_size > srv.config.auto_aof_rewrite_min_size
    {
        let base = srv.aof.base_size.max(1);
        let growth = (srv.aof.current_size * 100 / base) as i64 - 100;
        if growth >= percentage {
            log::info!("Starting automatic rewriting of AOF on {growth}% growth");
            if let Err(e) = rewrite_append_only_file_background(srv) {
                log::warn!("{e}");
            }
        }
    }
}

/// Writes are refused while the last AOF write or background fsync failed: the error text
/// for the client (Redis's "-MISCONF Errors writing to the AOF file: ..."), or `None`.
pub fn writes_denied_error(srv: &Server) -> Option<String> {
    if srv.aof.status == AofStatus::Off {
        return None;
    }
    if let Some(reason) = &srv.aof.last_write_error {
        return Some(format!("MISCONF Errors writing to the AOF file: {reason}"));
    }
    let errno = srv
        .aof
        .fsync
        .as_ref()
        .map_or(0, |t| t.shared.errno.load(Ordering::Relaxed));
    if errno != 0 {
        let reason = strerror(&io::Error::from_raw_os_error(errno));
        return Some(format!("MISCONF Errors writing to the AOF file: {reason}"));
    }
    None
}

/// Flushes and fsyncs what is buffered, whatever the policy (shutdown; Redis's
/// flushAppendOnlyFile(1) + redis_fsync in prepareForShutdown).
pub fn flush_and_sync_on_shutdown(srv: &mut Server) {
    if srv.aof.status == AofStatus::Off {
        return;
    }
    flush_append_only_file(srv, true);
    if let Some(file) = &srv.aof.file {
        let _ = file.sync_data();
    }
}

// ---------------------------------------------------------------------------------------------
// Files and the manifest
// ---------------------------------------------------------------------------------------------

/// The next base file's name (Redis's getNewBaseFileNameAndMarkPreAsHistory, naming part).
fn new_base_info(srv: &mut Server) -> AofInfo {
    let m = &mut srv.aof.manifest;
    m.curr_base_seq += 1;
    let ext = if srv.config.aof_use_rdb_preamble {
        "rdb"
    } else {
        "aof"
    };
    AofInfo {
        name: format!(
            "{}.{}.base.{ext}",
            srv.config.appendfilename, m.curr_base_seq
        ),
        seq: m.curr_base_seq,
        kind: FileType::Base,
    }
}

/// The next incr file's name.
fn new_incr_info(srv: &mut Server) -> AofInfo {
    let m = &mut srv.aof.manifest;
    m.curr_incr_seq += 1;
    AofInfo {
        name: format!("{}.{}.incr.aof", srv.config.appendfilename, m.curr_incr_seq),
        seq: m.curr_incr_seq,
        kind: FileType::Incr,
    }
}

/// Writes `manifest` to the AOF directory atomically (Redis's persistAofManifest): a temp
/// file, fsynced, renamed over the manifest, then the directory fsynced so the rename itself
/// survives a crash.
fn persist_manifest(srv: &Server, manifest: &Manifest) -> io::Result<()> {
    let name = manifest_name(srv);
    let tmp = aof_path(srv, &format!("temp-{name}"));
    let mut file = File::create(&tmp)?;
    file.write_all(manifest.to_text().as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, aof_path(srv, &name))?;
    fsync_dir(&aof_dir(srv))
}

/// fsyncs a directory, so the names created or renamed in it are on disk.
fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Opens (creating) an incr file for appending.
fn open_for_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Reads the manifest from the AOF directory; an empty one when there is none (Redis's
/// aofLoadManifestFromDisk).
fn load_manifest_from_disk(srv: &Server) -> Result<Manifest, String> {
    let path = aof_path(srv, &manifest_name(srv));
    match std::fs::read(&path) {
        Ok(text) => Manifest::parse(&text).map_err(|e| format!("{e} ({})", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(format!(
            "Unable to open the AOF manifest file {}: {}",
            path.display(),
            strerror(&e)
        )),
    }
}

/// Deletes the history files and drops them from the manifest (Redis's aofDelHistoryFiles).
fn delete_history_files(srv: &mut Server) {
    if srv.aof.manifest.history.is_empty() {
        return;
    }
    let history = std::mem::take(&mut srv.aof.manifest.history);
    let manifest = srv.aof.manifest.clone();
    if let Err(e) = persist_manifest(srv, &manifest) {
        log::warn!("Can't persist the AOF manifest: {}", strerror(&e));
        srv.aof.manifest.history = history;
        return;
    }
    for info in history {
        log::info!("Removing the history file {} in the background", info.name);
        let _ = std::fs::remove_file(aof_path(srv, &info.name));
    }
}

// ---------------------------------------------------------------------------------------------
// Start-up: loading and opening
// ---------------------------------------------------------------------------------------------

/// What loading one file found.
#[derive(Debug, PartialEq, Eq)]
enum LoadOutcome {
    Ok,
    /// The last command was cut short and dropped; the file was truncated to `valid_up_to`.
    Truncated,
}

/// Loads the AOF at start-up (Redis's loadDataFromDisk with appendonly yes, then
/// aofOpenIfNeededOnServerStart): the files the manifest names, in order; then makes sure a
/// base and an incr file exist and opens the incr file for appending. An error is the reason
/// the server must not start.
pub fn load_and_open_on_server_start(srv: &mut Server) -> Result<(), String> {
    srv.aof.status = AofStatus::On;
    srv.propagation.wanted = true;
    srv.aof.manifest = load_manifest_from_disk(srv)?;
    let start = Instant::now();
    let manifest = srv.aof.manifest.clone();
    let files: Vec<&AofInfo> = manifest.base.iter().chain(&manifest.incrs).collect();
    if !files.is_empty() {
        srv.loading = true;
        let result = load_append_only_files(srv, &files);
        srv.loading = false;
        result?;
        // The replayed commands were nobody's requests: Redis's loader runs them outside
        // call(), so they show in no counter and no slow log.
        srv.stats.reset(now_ms());
        srv.slowlog = Default::default();
        log::info!(
            "DB loaded from append only file: {:.3} seconds",
            start.elapsed().as_secs_f64()
        );
        let dir = aof_dir(srv);
        let size = |info: &AofInfo| std::fs::metadata(dir.join(&info.name)).map_or(0, |m| m.len());
        srv.aof.base_size = manifest.base.as_ref().map_or(0, size);
        srv.aof.current_size = files.iter().map(|info| size(info)).sum();
    }
    open_on_server_start(srv)
}

/// Loads every file in order (Redis's loadAppendOnlyFiles); only the last may be truncated.
fn load_append_only_files(srv: &mut Server, files: &[&AofInfo]) -> Result<(), String> {
    let last = files.len().saturating_sub(1);
    for (i, info) in files.iter().enumerate() {
        let path = aof_path(srv, &info.name);
        let kind = if info.kind == FileType::Base {
            "base"
        } else {
            "incr"
        };
        let outcome = load_single_append_only_file(srv, &path, i == last)?;
        if outcome == LoadOutcome::Truncated && i != last {
            return Err(format!(
                "Fatal error: the truncated file is not the last file ({})",
                info.name
            ));
        }
        log::info!("DB loaded from {kind} file {}", info.name);
    }
    Ok(())
}

/// Loads one AOF file (Redis's loadSingleAppendOnlyFile): an RDB image if it starts with
/// `REDIS`, else RESP commands run by a fake client.
fn load_single_append_only_file(
    srv: &mut Server,
    path: &Path,
    may_truncate: bool,
) -> Result<LoadOutcome, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let data = std::fs::read(path).map_err(|e| {
        format!(
            "Fatal error: can't open the append log file {name} for reading: {}",
            strerror(&e)
        )
    })?;
    if data.is_empty() {
        return Ok(LoadOutcome::Ok);
    }
    // An RDB preamble (a base written with aof-use-rdb-preamble yes) is loaded as RDB;
    // any commands after it are replayed like an incr file's.
    let mut start = 0;
    if data.starts_with(b"REDIS") {
        log::info!("Reading RDB base file on AOF loading...");
        start = crate::persist::rdb::load_aof_preamble(&data, srv)
            .map_err(|e| format!("Bad file format reading the append only file {name}: {e}"))?;
        log::info!("Reading the remaining AOF tail...");
    }
    let mut fake = Client::new(0, usize::MAX, None, ([0, 0, 0, 0], 0).into());
    fake.authenticated = true;
    // A blocking command in an AOF (never written by Redis or rredis) must not park.
    fake.deny_blocking = true;
    match replay_commands(srv, &mut fake, &data, start) {
        Ok(()) => Ok(LoadOutcome::Ok),
        Err(Replay::Truncated { valid_up_to }) => {
            truncated_tail(srv, path, &name, valid_up_to, may_truncate)
        }
        Err(Replay::Bad { offset, reason }) => Err(format!(
            "Bad file format reading the append only file {name} at offset {offset} ({reason}): make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
        )),
        Err(Replay::UnknownCommand { offset, name: cmd }) => Err(format!(
            "Unknown command '{cmd}' reading the append only file {name} at offset {offset}"
        )),
    }
}

/// A file whose last command is incomplete (Redis's `uxeof` path).
fn truncated_tail(
    srv: &Server,
    path: &Path,
    name: &str,
    valid_up_to: usize,
    may_truncate: bool,
) -> Result<LoadOutcome, String> {
    let advice = format!("Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.");
    if !srv.config.aof_load_truncated || !may_truncate {
        return Err(advice);
    }
    log::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
    log::warn!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!");
    let truncated = OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(valid_up_to as u64));
    if let Err(e) = truncated {
        log::warn!("Error truncating the AOF file {name}: {}", strerror(&e));
        return Err(advice);
    }
    log::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
    Ok(LoadOutcome::Truncated)
}

/// Why replaying a file stopped.
#[derive(Debug, PartialEq, Eq)]
enum Replay {
    /// The data ends inside a command (or inside a MULTI without its EXEC); everything
    /// before `valid_up_to` was applied and is whole.
    Truncated {
        valid_up_to: usize,
    },
    /// Not RESP where a command should start.
    Bad {
        offset: usize,
        reason: &'static str,
    },
    UnknownCommand {
        offset: usize,
        name: String,
    },
}

/// Reads one command at `pos`: its arguments and the offset after it. `Ok(None)` at the
/// end of the data.
fn read_command(data: &[u8], pos: usize) -> Result<Option<(Vec<Bytes>, usize)>, Replay> {
    let truncated = Replay::Truncated { valid_up_to: pos };
    let Some(rest) = data.get(pos..).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if rest.first() != Some(&b'*') {
        return Err(Replay::Bad {
            offset: pos,
            reason: "expected '*'",
        });
    }
    let (argc, mut at) = match read_number_line(data, pos + 1) {
        Some(Ok(v)) => v,
        Some(Err(())) => {
            return Err(Replay::Bad {
                offset: pos,
                reason: "bad argument count",
            })
        }
        None => return Err(truncated),
    };
    if argc < 1 {
        return Err(Replay::Bad {
            offset: pos,
            reason: "bad argument count",
        });
    }
    let mut argv = Vec::with_capacity(argc.min(1024) as usize);
    for _ in 0..argc {
        match data.get(at) {
            None => return Err(truncated),
            Some(b'$') => {}
            Some(_) => {
                return Err(Replay::Bad {
                    offset: at,
                    reason: "expected '$'",
                })
            }
        }
        let (len, body) = match read_number_line(data, at + 1) {
            Some(Ok((len, body))) if len >= 0 => (len as usize, body),
            Some(_) => {
                return Err(Replay::Bad {
                    offset: at,
                    reason: "bad bulk length",
                })
            }
            None => return Err(truncated),
        };
        let end = body.saturating_add(len);
        let (Some(arg), Some(crlf)) = (data.get(body..end), data.get(end..end + 2)) else {
            return Err(truncated);
        };
        if crlf != b"\r\n" {
            return Err(Replay::Bad {
                offset: end,
                reason: "expected CRLF after a bulk",
            });
        }
        argv.push(Bytes::copy_from_slice(arg));
        at = end + 2;
    }
    Ok(Some((argv, at)))
}

/// Parses `<number>\r\n` at `pos`: the number and the offset after the line; `None` if
/// the data ends first, `Some(Err)` if it is not a number.
fn read_number_line(data: &[u8], pos: usize) -> Option<Result<(i64, usize), ()>> {
    let rest = data.get(pos..)?;
    let nl = rest.iter().position(|&b| b == b'\n')?;
    let line = rest.get(..nl)?;
    let Some(digits) = line.strip_suffix(b"\r") else {
        return Some(Err(()));
    };
    Some(parse_i64(digits).map(|n| (n, pos + nl + 1)).ok_or(()))
}

/// Runs every command of `data` from offset `start` as the fake client `c`. A MULTI left
/// open at the end counts as a truncation back to before that MULTI (Redis reverts an
/// incomplete transaction).
fn replay_commands(
    srv: &mut Server,
    c: &mut Client,
    data: &[u8],
    start: usize,
) -> Result<(), Replay> {
    let mut pos = start;
    let mut valid_before_multi = start;
    loop {
        // An annotation line (`#TS:...` with aof-timestamp-enabled) is skipped, as Redis does.
        if data.get(pos) == Some(&b'#') {
            let rest = data.get(pos..).unwrap_or_default();
            match rest.iter().position(|&b| b == b'\n') {
                Some(nl) => {
                    pos += nl + 1;
                    continue;
                }
                None => return Err(Replay::Truncated { valid_up_to: pos }),
            }
        }
        let Some((argv, next)) = read_command(data, pos)? else {
            break;
        };
        if srv.commands.resolve(&argv).is_err() {
            return Err(Replay::UnknownCommand {
                offset: pos,
                name: String::from_utf8_lossy(argv.first().map_or(&[][..], |a| a)).into(),
            });
        }
        if argv
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(b"multi"))
        {
            valid_before_multi = pos;
        }
        c.argv.0 = argv;
        process_command(srv, c);
        // Replies go nowhere.
        let pending = c.reply.pending_len();
        c.reply.consume(pending);
        pos = next;
    }
    if c.multi.is_some() {
        log::warn!("Revert incomplete MULTI/EXEC transaction in AOF file");
        c.multi = None;
        return Err(Replay::Truncated {
            valid_up_to: valid_before_multi,
        });
    }
    Ok(())
}

/// After loading: makes sure the directory has a base and an incr file, as Redis 7.0 does
/// on start ("Creating AOF base file ... on server start"), and opens the incr file.
fn open_on_server_start(srv: &mut Server) -> Result<(), String> {
    let dir = aof_dir(srv);
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir).map_err(|e| {
            format!(
                "Can't open or create append-only dir {}: {}",
                dir.display(),
                strerror(&e)
            )
        })?;
    }
    let mut manifest = srv.aof.manifest.clone();
    let mut changed = false;
    if manifest.base.is_none() && manifest.incrs.is_empty() {
        let base = new_base_info(srv);
        write_base_file(srv, &aof_path(srv, &base.name))
            .map_err(|e| format!("Can't create the AOF base file: {}", strerror(&e)))?;
        log::info!("Creating AOF base file {} on server start", base.name);
        manifest.curr_base_seq = base.seq;
        manifest.base = Some(base);
        changed = true;
    }
    if manifest.incrs.is_empty() {
        let incr = new_incr_info(srv);
        log::info!("Creating AOF incr file {} on server start", incr.name);
        manifest.curr_incr_seq = incr.seq;
        manifest.incrs.push(incr);
        changed = true;
    }
    let Some(incr) = manifest.incrs.last().cloned() else {
        return Err("No AOF incr file to open".into());
    };
    let path = aof_path(srv, &incr.name);
    let file = open_for_append(&path).map_err(|e| {
        format!(
            "Can't open the append-only file {}: {}",
            incr.name,
            strerror(&e)
        )
    })?;
    srv.aof.incr_size = file.metadata().map_or(0, |m| m.len());
    srv.aof.file = Some(file);
    if changed {
        persist_manifest(srv, &manifest)
            .map_err(|e| format!("Can't persist the AOF manifest: {}", strerror(&e)))?;
    }
    srv.aof.manifest = manifest;
    srv.aof.selected_db = None;
    srv.aof.fsync_offset = srv.aof.current_size;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rewrite
// ---------------------------------------------------------------------------------------------

/// Writes a base file for the current dataset at `path`, fsynced: an RDB image with
/// `aof-use-rdb-preamble yes`, else commands (Redis's rewriteAppendOnlyFile).
fn write_base_file(srv: &Server, path: &Path) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    if srv.config.aof_use_rdb_preamble {
        crate::persist::rdb::save_aof_preamble(&mut out, srv)?;
    } else {
        rewrite_append_only_file_rio(&mut out, srv)?;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// Writes commands that rebuild every database (Redis's rewriteAppendOnlyFileRio): a
/// SELECT per non-empty database, one SET / RPUSH / SADD / ZADD / HMSET per key (collections
/// in commands of at most [`AOF_REWRITE_ITEMS_PER_CMD`] elements), and PEXPIREAT for keys
/// with a TTL.
fn rewrite_append_only_file_rio(w: &mut dyn Write, srv: &Server) -> io::Result<()> {
    use crate::types::Value;
    let mut buf = Vec::new();
    let key_save_delay = crate::persist::rdb::key_save_delay(srv);
    for (index, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        cat_command(
            &mut buf,
            &[
                Bytes::from_static(b"SELECT"),
                Bytes::from(index.to_string()),
            ],
        );
        for (key, obj) in db.dict.iter() {
            let key = Bytes::copy_from_slice(key);
            let items: Vec<Vec<Bytes>> = match &obj.value {
                Value::Str(s) => {
                    let mut scratch = Vec::new();
                    let v = Bytes::copy_from_slice(s.as_bytes(&mut scratch));
                    vec![vec![v]]
                }
                Value::List(list) => chunks(list.iter().map(|e| vec![entry_bytes(e)])),
                Value::Set(set) => chunks(set.iter().map(|m| vec![Bytes::from(m.to_vec())])),
                Value::ZSet(zset) => chunks(zset.iter().map(|(member, score)| {
                    let mut text = Vec::new();
                    crate::util::format_double(score, &mut text);
                    vec![Bytes::from(text), Bytes::copy_from_slice(member)]
                })),
                Value::Hash(hash) => chunks(
                    hash.iter()
                        .map(|(f, v)| vec![Bytes::copy_from_slice(&f), Bytes::copy_from_slice(&v)]),
                ),
            };
            let name: &'static [u8] = match &obj.value {
                Value::Str(_) => b"SET",
                Value::List(_) => b"RPUSH",
                Value::Set(_) => b"SADD",
                Value::ZSet(_) => b"ZADD",
                Value::Hash(_) => b"HMSET",
            };
            for batch in items {
                let mut argv = vec![Bytes::from_static(name), key.clone()];
                argv.extend(batch);
                cat_command(&mut buf, &argv);
            }
            if let Some(when) = db.get_expire(&key) {
                let argv = [
                    Bytes::from_static(b"PEXPIREAT"),
                    key.clone(),
                    Bytes::from(when.to_string()),
                ];
                cat_command(&mut buf, &argv);
            }
            if buf.len() > 64 * 1024 {
                w.write_all(&buf)?;
                buf.clear();
            }
            if let Some(delay) = key_save_delay {
                std::thread::sleep(delay);
            }
        }
    }
    w.write_all(&buf)
}

/// Groups a collection's elements (each one or two arguments) into commands' worth.
fn chunks(items: impl Iterator<Item = Vec<Bytes>>) -> Vec<Vec<Bytes>> {
    let mut out: Vec<Vec<Bytes>> = Vec::new();
    let mut current = Vec::new();
    let mut count = 0;
    for item in items {
        current.extend(item);
        count += 1;
        if count == AOF_REWRITE_ITEMS_PER_CMD {
            out.push(std::mem::take(&mut current));
            count = 0;
        }
    }
    if count > 0 {
        out.push(current);
    }
    out
}

/// A list element's bytes.
fn entry_bytes(e: crate::types::list::Entry<'_>) -> Bytes {
    match e {
        crate::types::list::Entry::Int(n) => Bytes::from(n.to_string()),
        crate::types::list::Entry::Str(s) => Bytes::copy_from_slice(s),
    }
}

/// Name of the temporary file the rewrite child `pid` writes the new base to, in `dir`
/// (Redis's temp-rewriteaof-bg-<pid>.aof).
fn temp_rewrite_path(pid: u32) -> PathBuf {
    PathBuf::from(format!("temp-rewriteaof-bg-{pid}.aof"))
}

/// Removes what the rewrite child `pid` was writing (Redis's aofRemoveTempFile): the
/// rewrite failed or was killed.
pub fn aof_remove_temp_file(pid: libc::pid_t) {
    let _ = std::fs::remove_file(temp_rewrite_path(pid as u32));
}

/// True while a child rewrites the AOF.
fn rewrite_in_progress(srv: &Server) -> bool {
    srv.child.is_some_and(|c| c.kind == ChildKind::Aof)
}

/// Starts a rewrite (Redis's rewriteAppendOnlyFileBackground): the AOF buffer is flushed and
/// a new incr file takes the writes from now on, then a child is forked that writes the new
/// base from the dataset as it is at the fork into a temporary file, fsyncs it and exits;
/// [`background_rewrite_done_handler`] installs it. The caller checks that no child runs.
pub fn rewrite_append_only_file_background(srv: &mut Server) -> Result<(), String> {
    if has_active_child_process(srv) {
        return Err("Background append only file rewriting already in progress".into());
    }
    srv.aof.rewrite_scheduled = false;
    flush_append_only_file(srv, true);
    open_new_incr_for_append(srv).map_err(|e| {
        format!(
            "Can't open new incr AOF file for the rewrite: {}",
            strerror(&e)
        )
    })?;
    match redis_fork(srv, ChildKind::Aof) {
        Ok(Forked::Child) => run_child(|| {
            let tmp = temp_rewrite_path(std::process::id());
            match write_base_file(srv, &tmp) {
                Ok(()) => {
                    log::info!(
                        "Successfully created the temporary AOF base file {}",
                        tmp.display()
                    );
                    send_child_cow_info("AOF rewrite");
                    CHILD_OK
                }
                Err(e) => {
                    log::warn!("Error rewriting the append only file: {}", strerror(&e));
                    CHILD_FAILED
                }
            }
        }),
        Ok(Forked::Parent(pid)) => {
            log::info!("Background append only file rewriting started by pid {pid}");
            Ok(())
        }
        Err(e) => {
            srv.aof.last_bgrewrite_failed = true;
            Err(format!(
                "Can't rewrite append only file in background: fork: {}",
                strerror(&e)
            ))
        }
    }
}

/// Switches appending to a new incr file (Redis's openNewIncrAofForAppend). With the AOF on,
/// the manifest names it at once (so a crash during the rewrite loses nothing: old base, old
/// incr, new incr); while the AOF is being turned on, it is named only when the first base
/// is complete; with the AOF off (BGREWRITEAOF anyway) there is nothing to append to.
fn open_new_incr_for_append(srv: &mut Server) -> io::Result<()> {
    let dir = aof_dir(srv);
    std::fs::create_dir_all(&dir)?;
    if srv.aof.status == AofStatus::Off {
        return Ok(());
    }
    let saved = srv.aof.manifest.clone();
    let incr = new_incr_info(srv);
    let file = match open_for_append(&aof_path(srv, &incr.name)) {
        Ok(file) => file,
        Err(e) => {
            srv.aof.manifest = saved;
            return Err(e);
        }
    };
    let mut manifest = srv.aof.manifest.clone();
    manifest.incrs.push(incr);
    if srv.aof.status == AofStatus::On {
        if let Err(e) = persist_manifest(srv, &manifest) {
            srv.aof.manifest = saved;
            return Err(e);
        }
    }
    srv.aof.manifest = manifest;
    srv.aof.file = Some(file);
    srv.aof.incr_size = 0;
    srv.aof.selected_db = None;
    Ok(())
}

/// Takes in the outcome of a rewrite child that `check_children_done` reaped (Redis's
/// backgroundRewriteDoneHandler): on success the temporary base becomes the new base, the
/// old base and every incr but the current one become history, the manifest is replaced
/// and the history deleted. A child killed by SIGUSR1 was stopped on purpose and is not an
/// error. A failed rewrite that was to turn the AOF on is tried again from the cron.
pub fn background_rewrite_done_handler(
    srv: &mut Server,
    child: ActiveChild,
    exitcode: i32,
    bysignal: i32,
    cow_bytes: u64,
) {
    srv.aof.last_rewrite_time_sec = Some(child.start.elapsed().as_secs() as i64);
    let tmp = temp_rewrite_path(child.pid as u32);
    let result = if bysignal == 0 && exitcode == 0 {
        log::info!("Background AOF rewrite terminated with success");
        install_new_base(srv, &tmp)
    } else if bysignal == 0 {
        Err("Background AOF rewrite terminated with error".to_string())
    } else {
        Err(format!(
            "Background AOF rewrite terminated by signal {bysignal}"
        ))
    };
    match result {
        Ok(()) => {
            srv.aof.last_cow_size = cow_bytes;
            srv.aof.last_bgrewrite_failed = false;
            srv.aof.rewrites += 1;
            srv.aof.rewrites_consecutive_failures = 0;
            if srv.aof.status == AofStatus::WaitRewrite {
                srv.aof.status = AofStatus::On;
            }
            delete_history_files(srv);
            log::info!("Background AOF rewrite finished successfully");
        }
        Err(e) => {
            log::warn!("{e}");
            aof_remove_temp_file(child.pid);
            if bysignal != libc::SIGUSR1 {
                srv.aof.last_bgrewrite_failed = true;
                srv.aof.rewrites_consecutive_failures += 1;
            }
            if srv.aof.status == AofStatus::WaitRewrite {
                // The incr file opened for this attempt is in no manifest: drop it with
                // what it holds (the next attempt's base will hold those writes), and try
                // again (Redis schedules a new rewrite).
                discard_unpersisted_incr(srv);
                srv.aof.rewrite_scheduled = true;
            }
        }
    }
}

/// While the AOF is being turned on: forgets the incr file a failed rewrite opened.
fn discard_unpersisted_incr(srv: &mut Server) {
    srv.aof.file = None;
    srv.aof.buf.clear();
    if let Some(incr) = srv.aof.manifest.incrs.pop() {
        let _ = std::fs::remove_file(aof_path(srv, &incr.name));
    }
}

/// Moves the rewritten base into the directory and switches the manifest to it.
fn install_new_base(srv: &mut Server, tmp: &Path) -> Result<(), String> {
    let saved = srv.aof.manifest.clone();
    let base = new_base_info(srv);
    let new_path = aof_path(srv, &base.name);
    std::fs::rename(tmp, &new_path).map_err(|e| {
        srv.aof.manifest = saved.clone();
        format!(
            "Error trying to rename the temporary AOF base file {} into {}: {}",
            tmp.display(),
            base.name,
            strerror(&e)
        )
    })?;
    let mut manifest = srv.aof.manifest.clone();
    if let Some(mut old) = manifest.base.take() {
        old.kind = FileType::History;
        manifest.history.push(old);
    }
    // The incr file being appended to stays; with the AOF off there is none.
    let current = if srv.aof.file.is_some() {
        manifest.incrs.pop()
    } else {
        None
    };
    for mut old in manifest.incrs.drain(..) {
        old.kind = FileType::History;
        manifest.history.push(old);
    }
    manifest.incrs.extend(current);
    manifest.base = Some(base);
    if let Err(e) = persist_manifest(srv, &manifest) {
        let _ = std::fs::remove_file(&new_path);
        srv.aof.manifest = saved;
        return Err(format!("Can't persist the AOF manifest: {}", strerror(&e)));
    }
    let _ = fsync_dir(&aof_dir(srv));
    srv.aof.manifest = manifest;
    srv.aof.base_size = std::fs::metadata(&new_path).map_or(0, |m| m.len());
    srv.aof.current_size = srv.aof.base_size + srv.aof.incr_size;
    srv.aof.fsync_offset = srv.aof.current_size;
    log::info!(
        "Successfully renamed the temporary AOF base file {} into {}",
        tmp.display(),
        new_path.display()
    );
    Ok(())
}

/// Turns the AOF on at run time (CONFIG SET appendonly yes; Redis's startAppendOnly): the
/// first base is written by a rewrite, and the AOF is on once it completes; writes from
/// now on are collected meanwhile. While a BGSAVE child runs the rewrite is scheduled; a
/// rewrite already running (BGREWRITEAOF with the AOF off) is killed and started again,
/// since its base would not be followed by the writes collected from now on.
pub fn start_append_only(srv: &mut Server) -> Result<(), String> {
    if srv.aof.status != AofStatus::Off {
        return Ok(());
    }
    srv.aof.manifest = load_manifest_from_disk(srv)?;
    srv.aof.status = AofStatus::WaitRewrite;
    srv.propagation.wanted = true;
    if rewrite_in_progress(srv) {
        kill_append_only_child(srv);
    }
    if has_active_child_process(srv) {
        srv.aof.rewrite_scheduled = true;
        log::warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        return Ok(());
    }
    if let Err(e) = rewrite_append_only_file_background(srv) {
        log::warn!("{e}");
        log::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
        stop_append_only(srv);
        return Err(e);
    }
    Ok(())
}

/// Kills a running rewrite child and removes its temporary file (Redis's
/// killAppendOnlyChild).
fn kill_append_only_child(srv: &mut Server) {
    if rewrite_in_progress(srv) {
        log::info!("Killing running AOF rewrite child");
        kill_child(srv);
    }
}

/// Turns the AOF off (CONFIG SET appendonly no; Redis's stopAppendOnly): what is buffered
/// is written and fsynced, the file closed, a running rewrite killed.
pub fn stop_append_only(srv: &mut Server) {
    if srv.aof.status == AofStatus::Off {
        return;
    }
    flush_and_sync_on_shutdown(srv);
    if srv.aof.status == AofStatus::WaitRewrite {
        discard_unpersisted_incr(srv);
    }
    kill_append_only_child(srv);
    srv.aof.file = None;
    srv.aof.buf.clear();
    srv.aof.status = AofStatus::Off;
    srv.aof.rewrite_scheduled = false;
    srv.propagation.wanted = false;
}

/// BGREWRITEAOF (Redis's bgrewriteaofCommand): refused while a rewrite runs, scheduled while
/// a BGSAVE child runs, else started.
pub fn bgrewriteaof_command(srv: &mut Server, c: &mut Client) {
    if rewrite_in_progress(srv) {
        return c
            .reply
            .error("ERR Background append only file rewriting already in progress");
    }
    if has_active_child_process(srv) {
        srv.aof.rewrite_scheduled = true;
        return c
            .reply
            .status("Background append only file rewriting scheduled");
    }
    if srv.aof.status == AofStatus::Off {
        // Redis rewrites even with the AOF off: the directory then holds only a base.
        srv.aof.manifest = match load_manifest_from_disk(srv) {
            Ok(m) => m,
            Err(e) => {
                log::warn!("{e}");
                return c.reply.error(REWRITE_FAILED);
            }
        };
    }
    match rewrite_append_only_file_background(srv) {
        Ok(()) => c
            .reply
            .status("Background append only file rewriting started"),
        Err(e) => {
            log::warn!("{e}");
            c.reply.error(REWRITE_FAILED);
        }
    }
}

/// BGREWRITEAOF's reply when the rewrite could not start.
const REWRITE_FAILED: &str =
    "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.";

/// The AOF fields of INFO persistence, in Redis's order: `head` after the RDB fields,
/// `tail` (only while the AOF is on) after the module fork fields.
pub fn info_fields(srv: &Server, out: &mut String, tail: bool) {
    use std::fmt::Write as _;
    let aof = &srv.aof;
    let mut field = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(out, "{name}:{value}\r\n");
    };
    if !tail {
        let enabled = i32::from(aof.status != AofStatus::Off);
        field("aof_enabled", &enabled);
        field(
            "aof_rewrite_in_progress",
            &i32::from(rewrite_in_progress(srv)),
        );
        field("aof_rewrite_scheduled", &i32::from(aof.rewrite_scheduled));
        field(
            "aof_last_rewrite_time_sec",
            &aof.last_rewrite_time_sec.unwrap_or(-1),
        );
        let current = srv
            .child
            .filter(|c| c.kind == ChildKind::Aof)
            .map_or(-1, |c| c.start.elapsed().as_secs() as i64);
        field("aof_current_rewrite_time_sec", &current);
        let status = if aof.last_bgrewrite_failed {
            "err"
        } else {
            "ok"
        };
        field("aof_last_bgrewrite_status", &status);
        field("aof_rewrites", &aof.rewrites);
        field(
            "aof_rewrites_consecutive_failures",
            &aof.rewrites_consecutive_failures,
        );
        let write = if writes_denied_error(srv).is_some() {
            "err"
        } else {
            "ok"
        };
        field("aof_last_write_status", &write);
        field("aof_last_cow_size", &aof.last_cow_size);
        return;
    }
    if aof.status == AofStatus::Off {
        return;
    }
    field("aof_current_size", &aof.current_size);
    field("aof_base_size", &aof.base_size);
    field("aof_pending_rewrite", &i32::from(aof.rewrite_scheduled));
    field("aof_buffer_length", &aof.buf.len());
    let pending = aof.fsync.as_ref().map_or(0, FsyncThread::pending);
    field("aof_pending_bio_fsync", &pending);
    field("aof_delayed_fsync", &aof.delayed_fsync);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trip() {
        let text = b"file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.to_text().as_bytes(), text);
        assert_eq!(m.curr_incr_seq, 1);
        assert!(Manifest::parse(b"file a seq 1 type b\nfile b seq 2 type b\n").is_err());
        assert!(Manifest::parse(b"file a seq 1\n").is_err());
        let quoted = Manifest::parse(b"# comment\nfile \"a b\" seq 3 type i\n").unwrap();
        assert_eq!(quoted.incrs[0].name, "a b");
    }

    #[test]
    fn commands_parse_and_truncation_is_found() {
        let mut data = Vec::new();
        cat_command(
            &mut data,
            &[Bytes::from_static(b"SET"), Bytes::from_static(b"k")],
        );
        let (argv, next) = read_command(&data, 0).unwrap().unwrap();
        assert_eq!(argv.len(), 2);
        assert_eq!(next, data.len());
        assert_eq!(read_command(&data, next).unwrap(), None);
        for cut in 1..data.len() {
            assert_eq!(
                read_command(&data[..cut], 0).unwrap_err(),
                Replay::Truncated { valid_up_to: 0 },
                "cut at {cut}"
            );
        }
        assert!(matches!(
            read_command(b"+OK\r\n", 0),
            Err(Replay::Bad { offset: 0, .. })
        ));
    }
}
