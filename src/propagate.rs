//! Command propagation (Redis's alsoPropagate / propagatePendingCommands in server.c): what
//! a write leaves behind for the append-only file (and, later, replicas) is not always the
//! command the client sent. A relative TTL becomes an absolute deadline, a random pop names
//! the members it took, a blocking pop becomes its non-blocking form, a key found expired
//! becomes a DEL. This module collects those commands per *execution unit* and hands them to
//! the consumers once the unit is done.
//!
//! The life of one unit (a client's command, an EXEC with its queued commands, a blocked
//! client being served, one key deleted by the active expiry cycle):
//! 1. [`begin`] notes `Server::dirty` and resets how the running command propagates
//!    ([`CommandPropagation::AsIs`]);
//! 2. the handler runs. It may leave a different argv for itself
//!    ([`rewrite_command_vector`], Redis's rewriteClientCommandVector), ask that it not be
//!    propagated at all ([`prevent_command_propagation`]), and add commands of its own
//!    ([`also_propagate`]); deletions of expired keys found on the way add their DEL here,
//!    so they come before the command that found them;
//! 3. [`end`]: if the command changed the dataset (`dirty` grew) its argv, or the rewritten
//!    one, is added after whatever it added itself;
//! 4. at the outermost level the collected commands are written out
//!    ([`propagate_pending_commands`]): a unit that left more than one command is wrapped in
//!    MULTI ... EXEC, so replaying it stays atomic, exactly as Redis 7.0 does.
//!
//! The only consumer today is the AOF ([`crate::persist::aof::feed_append_only_file`]);
//! replication adds its own beside it in [`propagate_now`]. While nobody consumes
//! ([`Propagation::wanted`] false: AOF off) nothing is collected, so a server without
//! persistence pays one test per command.

use bytes::Bytes;

use crate::server::Server;

/// One command to propagate (Redis's redisOp): the database it runs in and its arguments.
#[derive(Debug, Clone)]
pub struct Op {
    pub db: usize,
    pub argv: Vec<Bytes>,
}

/// How the command running now is propagated, as its handler decided.
#[derive(Debug, Default)]
pub enum CommandPropagation {
    /// As the client sent it (when it changed something).
    #[default]
    AsIs,
    /// As this argv instead (Redis's rewriteClientCommandVector).
    Rewritten(Vec<Bytes>),
    /// Not at all; what it did is described by the ops it added (Redis's
    /// preventCommandPropagation, e.g. SPOP with a count sending SREMs).
    Prevented,
}

/// The propagation state of the server. Owned by `Server`; ops live from the moment a
/// command adds them until its execution unit ends.
#[derive(Debug, Default)]
pub struct Propagation {
    /// The current unit's commands, in order (Redis's server.also_propagate).
    pub pending: Vec<Op>,
    /// How the innermost running command propagates itself.
    pub command: CommandPropagation,
    /// The running command is propagated even if it changed nothing (Redis's
    /// forceCommandPropagation: FLUSHDB of an empty database).
    pub forced: bool,
    /// Depth of nested units (EXEC runs its queued commands through `call`); the commands
    /// are written out only when the outermost one ends (Redis's execution_nesting).
    pub nesting: u32,
    /// Somebody consumes propagated commands (the AOF is on or being turned on). Kept up to
    /// date by `crate::persist::aof` whenever its state changes.
    pub wanted: bool,
}

/// What [`begin`] saved, for [`end`].
pub struct Unit {
    dirty: u64,
    outer: CommandPropagation,
    outer_forced: bool,
}

/// Starts an execution unit (see the module documentation).
pub fn begin(srv: &mut Server) -> Unit {
    srv.propagation.nesting += 1;
    Unit {
        dirty: srv.dirty,
        outer: std::mem::take(&mut srv.propagation.command),
        outer_forced: std::mem::take(&mut srv.propagation.forced),
    }
}

/// Ends an execution unit started by [`begin`]: adds the command's own argv (`argv`, or what
/// the handler rewrote it to) if it changed the dataset and `own` allows it (EXEC does not
/// propagate itself: its queued commands did), then writes everything out if this was the
/// outermost unit.
pub fn end(srv: &mut Server, unit: Unit, db: usize, argv: &[Bytes], own: bool) {
    srv.propagation.nesting = srv.propagation.nesting.saturating_sub(1);
    let how = std::mem::replace(&mut srv.propagation.command, unit.outer);
    let forced = std::mem::replace(&mut srv.propagation.forced, unit.outer_forced);
    // Only growth counts: SAVE lowers `dirty` and changes no data.
    if own && (srv.dirty > unit.dirty || forced) && srv.propagation.wanted {
        match how {
            CommandPropagation::AsIs => also_propagate(srv, db, argv.to_vec()),
            CommandPropagation::Rewritten(argv) => also_propagate(srv, db, argv),
            CommandPropagation::Prevented => {}
        }
    }
    if srv.propagation.nesting == 0 {
        propagate_pending_commands(srv);
    }
}

/// Propagates the running command as `argv` instead of what the client sent.
pub fn rewrite_command_vector(srv: &mut Server, argv: Vec<Bytes>) {
    if srv.propagation.wanted {
        srv.propagation.command = CommandPropagation::Rewritten(argv);
    }
}

/// [`rewrite_command_vector`] from string slices (the usual case: a fixed command name and
/// a few arguments).
pub fn rewrite_command(srv: &mut Server, argv: &[&[u8]]) {
    if srv.propagation.wanted {
        let argv = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        srv.propagation.command = CommandPropagation::Rewritten(argv);
    }
}

/// The running command is propagated even if `dirty` did not grow.
pub fn force_command_propagation(srv: &mut Server) {
    srv.propagation.forced = true;
}

/// The running command is not propagated itself (it added what describes it).
pub fn prevent_command_propagation(srv: &mut Server) {
    srv.propagation.command = CommandPropagation::Prevented;
}

/// Adds a command to the current unit (Redis's alsoPropagate). Outside any unit (the active
/// expiry cycle) the caller ends its own one-op unit with [`propagate_pending_commands`].
pub fn also_propagate(srv: &mut Server, db: usize, argv: Vec<Bytes>) {
    if srv.propagation.wanted {
        srv.propagation.pending.push(Op { db, argv });
    }
}

/// Propagates the deletion of an expired key as `DEL key` (Redis's propagateDeletion; rredis
/// frees values synchronously, so never UNLINK).
pub fn propagate_deletion(srv: &mut Server, db: usize, key: &[u8]) {
    if srv.propagation.wanted {
        let argv = vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)];
        also_propagate(srv, db, argv);
    }
}

/// Writes out the commands of the unit that just ended, wrapped in MULTI/EXEC when there is
/// more than one (the MULTI goes to the first command's database, so a SELECT comes before
/// it; the EXEC to whatever database is selected then).
pub fn propagate_pending_commands(srv: &mut Server) {
    if srv.propagation.pending.is_empty() {
        return;
    }
    let ops = std::mem::take(&mut srv.propagation.pending);
    let transaction = ops.len() > 1;
    if transaction {
        let db = ops.first().map_or(0, |op| op.db);
        propagate_now(srv, Some(db), &[Bytes::from_static(b"MULTI")]);
    }
    for op in &ops {
        propagate_now(srv, Some(op.db), &op.argv);
    }
    if transaction {
        propagate_now(srv, None, &[Bytes::from_static(b"EXEC")]);
    }
}

/// Hands one command to every consumer (Redis's propagateNow). `db` is where it runs;
/// `None` runs it wherever the consumer's stream is (EXEC). Nothing is propagated while the
/// server loads its data: those commands come from the AOF itself.
fn propagate_now(srv: &mut Server, db: Option<usize>, argv: &[Bytes]) {
    if srv.loading {
        return;
    }
    crate::persist::aof::feed_append_only_file(srv, db, argv);
}
