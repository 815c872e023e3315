//! The command table (Redis's server.c `redisCommandTable`) and the lookup that dispatch uses.
//!
//! A command is data: a [`Command`] row names it, gives its arity, flags, key positions, ACL
//! categories and handler. Each family of commands keeps its rows beside its handlers in its
//! own module (`strings.rs` like Redis's t_string.c, `keyspace.rs` like db.c, ...), and
//! [`TABLES`] lists those modules. COMMAND, arity checks, and later ACL and MULTI all read these
//! rows; nothing keeps a second list of commands.
//!
//! Adding a command is one handler plus one row in its module's table.

use std::collections::HashMap;

use crate::client::Client;
use crate::server::Server;

pub mod connection;
pub mod expire;
pub mod introspection;
pub mod keyspace;
pub mod server_cmds;
pub mod strings;

/// A command handler. It reads `c.argv` (arity already checked) and writes its reply into
/// `c.reply`; `srv` gives the keyspace, the settings and every *other* client (the running
/// client is taken out of `srv.clients` while its handler runs).
pub type Handler = fn(&mut Server, &mut Client);

/// Command flags, in the order COMMAND INFO prints them (Redis's CMD_* bits).
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 4;
    pub const PUBSUB: u32 = 1 << 5;
    pub const NOSCRIPT: u32 = 1 << 6;
    pub const BLOCKING: u32 = 1 << 7;
    pub const LOADING: u32 = 1 << 8;
    pub const STALE: u32 = 1 << 9;
    pub const SKIP_MONITOR: u32 = 1 << 10;
    pub const SKIP_SLOWLOG: u32 = 1 << 11;
    pub const FAST: u32 = 1 << 13;
    pub const NO_AUTH: u32 = 1 << 14;
    pub const MAY_REPLICATE: u32 = 1 << 15;
    pub const SENTINEL: u32 = 1 << 16;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 18;
    pub const NO_ASYNC_LOADING: u32 = 1 << 23;
    pub const NO_MULTI: u32 = 1 << 24;
    pub const MOVABLE_KEYS: u32 = 1 << 25;
    pub const ALLOW_BUSY: u32 = 1 << 26;

    /// Flag names as COMMAND INFO prints them, in print order.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (SENTINEL, "sentinel"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories, in the order COMMAND INFO prints them. A row lists only the categories
/// that do not follow from its flags; [`Command::acl_categories`] adds the implied ones.
pub mod acl {
    pub const KEYSPACE: u64 = 1 << 0;
    pub const READ: u64 = 1 << 1;
    pub const WRITE: u64 = 1 << 2;
    pub const SET: u64 = 1 << 3;
    pub const SORTEDSET: u64 = 1 << 4;
    pub const LIST: u64 = 1 << 5;
    pub const HASH: u64 = 1 << 6;
    pub const STRING: u64 = 1 << 7;
    pub const BITMAP: u64 = 1 << 8;
    pub const HYPERLOGLOG: u64 = 1 << 9;
    pub const GEO: u64 = 1 << 10;
    pub const STREAM: u64 = 1 << 11;
    pub const PUBSUB: u64 = 1 << 12;
    pub const ADMIN: u64 = 1 << 13;
    pub const FAST: u64 = 1 << 14;
    pub const SLOW: u64 = 1 << 15;
    pub const BLOCKING: u64 = 1 << 16;
    pub const DANGEROUS: u64 = 1 << 17;
    pub const CONNECTION: u64 = 1 << 18;
    pub const TRANSACTION: u64 = 1 << 19;
    pub const SCRIPTING: u64 = 1 << 20;

    /// Category names, in print order.
    pub const NAMES: &[&str] = &[
        "keyspace",
        "read",
        "write",
        "set",
        "sortedset",
        "list",
        "hash",
        "string",
        "bitmap",
        "hyperloglog",
        "geo",
        "stream",
        "pubsub",
        "admin",
        "fast",
        "slow",
        "blocking",
        "dangerous",
        "connection",
        "transaction",
        "scripting",
    ];
}

/// One row of the command table.
pub struct Command {
    /// Lower-case name; a subcommand is named `container|sub` (`client|list`), as COMMAND
    /// INFO prints it.
    pub name: &'static str,
    /// Redis's arity: `n` means exactly n arguments including the name; `-n` at least n.
    pub arity: i32,
    /// [`flags`] bits.
    pub flags: u32,
    /// Position of the first key argument (0: no keys).
    pub first_key: i32,
    /// Position of the last key (-1: the last argument, -2: the one before it, ...).
    pub last_key: i32,
    /// Distance between key arguments (MSET's keys are every second argument).
    pub key_step: i32,
    /// [`acl`] categories not implied by the flags (the command's data type, @keyspace,
    /// @dangerous, @connection...).
    pub acl: u64,
    pub handler: Handler,
    /// The subcommand rows of a container command (CLIENT, CONFIG, OBJECT...); empty
    /// otherwise. A container's own handler runs only when no subcommand matches (it replies
    /// with the "unknown subcommand" error).
    pub subcommands: &'static [Command],
}

impl Command {
    /// A table row. `keys` is (first, last, step) as in COMMAND INFO; [`NO_KEYS`] for none.
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        keys: (i32, i32, i32),
        acl: u64,
        handler: Handler,
    ) -> Command {
        Command {
            name,
            arity,
            flags,
            first_key: keys.0,
            last_key: keys.1,
            key_step: keys.2,
            acl,
            handler,
            subcommands: &[],
        }
    }

    /// The same row as a container of `subcommands`.
    pub const fn with_subcommands(self, subcommands: &'static [Command]) -> Command {
        Command {
            subcommands,
            ..self
        }
    }

    /// The ACL categories COMMAND INFO shows: the row's own plus those its flags imply.
    pub fn acl_categories(&self) -> u64 {
        let mut cats = self.acl;
        if self.flags & flags::WRITE != 0 {
            cats |= acl::WRITE;
        }
        if self.flags & flags::READONLY != 0 && cats & acl::SCRIPTING == 0 {
            cats |= acl::READ;
        }
        if self.flags & flags::ADMIN != 0 {
            cats |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.flags & flags::PUBSUB != 0 {
            cats |= acl::PUBSUB;
        }
        if self.flags & flags::FAST != 0 {
            cats |= acl::FAST;
        }
        if self.flags & flags::BLOCKING != 0 {
            cats |= acl::BLOCKING;
        }
        if self.flags & flags::FAST == 0 {
            cats |= acl::SLOW;
        }
        cats
    }

    /// The subcommand part of the name (`list` for `client|list`).
    pub fn short_name(&self) -> &'static str {
        self.name.rsplit('|').next().unwrap_or(self.name)
    }

    /// True if `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }
}

/// Every module's rows. COMMAND COUNT, COMMAND LIST and the lookup map are built from this.
pub static TABLES: &[&[Command]] = &[
    connection::COMMANDS,
    strings::COMMANDS,
    keyspace::COMMANDS,
    expire::COMMANDS,
    server_cmds::COMMANDS,
    introspection::COMMANDS,
];

/// Iterates over every top-level command row.
pub fn all_commands() -> impl Iterator<Item = &'static Command> {
    TABLES.iter().flat_map(|table| table.iter())
}

/// Longest command name, in bytes; longer names cannot match and are not lower-cased.
const MAX_NAME_LEN: usize = 32;

/// The name → row map, built once at start-up so dispatch is one hash lookup with no
/// allocation.
pub struct CommandTable {
    by_name: HashMap<&'static [u8], &'static Command>,
}

/// Why a command could not be resolved.
pub enum LookupError {
    /// `argv[0]` names no command.
    Unknown,
    /// The container exists but `argv[1]` names none of its subcommands.
    UnknownSubcommand(&'static Command),
}

impl Default for CommandTable {
    fn default() -> Self {
        CommandTable {
            by_name: all_commands()
                .map(|cmd| (cmd.name.as_bytes(), cmd))
                .collect(),
        }
    }
}

impl CommandTable {
    /// Finds a top-level command by name, in any letter case.
    pub fn get(&self, name: &[u8]) -> Option<&'static Command> {
        let mut lower = [0u8; MAX_NAME_LEN];
        let lower = lower.get_mut(..name.len())?;
        for (dst, src) in lower.iter_mut().zip(name) {
            *dst = src.to_ascii_lowercase();
        }
        self.by_name.get(&lower[..]).copied()
    }

    /// Resolves `argv` to the row that will run: the subcommand row for a container command
    /// given a subcommand, otherwise the top-level row (Redis's lookupCommand).
    pub fn resolve(&self, argv: &[bytes::Bytes]) -> Result<&'static Command, LookupError> {
        let name = argv.first().ok_or(LookupError::Unknown)?;
        let cmd = self.get(name).ok_or(LookupError::Unknown)?;
        if cmd.subcommands.is_empty() {
            return Ok(cmd);
        }
        let Some(sub) = argv.get(1) else {
            return Ok(cmd);
        };
        cmd.subcommands
            .iter()
            .find(|s| s.short_name().as_bytes().eq_ignore_ascii_case(sub))
            .ok_or(LookupError::UnknownSubcommand(cmd))
    }
}

/// The `keys` of a row for a command that takes no keys.
pub const NO_KEYS: (i32, i32, i32) = (0, 0, 0);

/// The reply of a container command called with a subcommand it does not have.
pub fn unknown_subcommand(c: &mut Client, container: &str) {
    let sub = c
        .argv
        .get(1)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default();
    let sub: String = sub.chars().take(128).collect();
    c.reply.error(&format!(
        "ERR unknown subcommand '{sub}'. Try {} HELP.",
        container.to_ascii_uppercase()
    ));
}
