//! Server settings: the typed [`Config`] and the table of directives that fills it.
//!
//! One table ([`CONFIGS`]) describes every setting rredis has: its redis.conf name, its type and
//! range, and how to read and write its field. The config-file loader, the command-line options
//! (`--port 6380` is the directive `port 6380`, as with redis-server) and CONFIG GET all read
//! that table, so a setting is added in exactly one place (Redis's config.c `standardConfig`
//! table plays the same role).
//!
//! CONFIG SET goes through the same table ([`config_set`]): a row says whether the setting may
//! change while the server runs and what must happen at run time when it does ([`Apply`]).
//! Settings whose users read `Config` on every use (`timeout` by the cron, `maxclients` by
//! accept, `proto-max-bulk-len` by the parser) need nothing more than the new value.

use std::fmt::Write as _;

use crate::event_loop::change_listeners;
use crate::resp::parser::split_args;
use crate::server::{adjust_open_files_limit, Server};
use crate::util::{decimal_digits, parse_i64};

pub mod rewrite;

/// Every setting of the running server. Built once at start-up from the defaults, the config
/// file and the command line; owned by the `Server` afterwards.
#[derive(Debug, Clone)]
pub struct Config {
    /// Addresses to listen on. A leading `-` marks an address whose bind failure is ignored
    /// (Redis's `-::1` convention, so hosts without IPv6 still start).
    pub bind: Vec<String>,
    /// TCP port; 0 means "do not listen on TCP".
    pub port: i64,
    /// Refuse non-loopback clients while no password is set.
    pub protected_mode: bool,
    /// Length of the kernel's accept queue.
    pub tcp_backlog: i64,
    /// Number of logical databases (SELECT 0..databases-1). Fixed after start.
    pub databases: i64,
    /// Timer ticks per second (`server_cron` frequency). The setting accepts 0..=i32::MAX, as
    /// Redis's does, but is a hint: [`Config::clamp_hz`] brings it into
    /// [`CONFIG_MIN_HZ`]..=[`CONFIG_MAX_HZ`] before the server runs and after every CONFIG
    /// SET, so a running server always sees a value in that range.
    pub hz: i64,
    /// One of `debug`, `verbose`, `notice`, `warning`.
    pub loglevel: String,
    /// Log file path; empty means standard output.
    pub logfile: String,
    /// Highest number of simultaneous clients.
    pub maxclients: i64,
    /// Close a client idle for this many seconds; 0 disables.
    pub timeout: i64,
    /// SO_KEEPALIVE interval in seconds for client sockets; 0 disables.
    pub tcp_keepalive: i64,
    /// Largest bulk argument a client may send, in bytes.
    pub proto_max_bulk_len: u64,
    /// Largest query buffer one client may accumulate, in bytes.
    pub client_query_buffer_limit: u64,
    /// Most members a set keeps in the `intset` encoding (see `types/set.rs`).
    pub set_max_intset_entries: i64,
    /// Memory limit in bytes (0: none); above it keys are evicted (see `crate::evict`).
    pub maxmemory: u64,
    /// Which keys go when `maxmemory` is reached (one of `crate::evict::POLICY_NAMES`).
    pub maxmemory_policy: String,
    /// Keys sampled per database for each eviction (LRU, LFU, TTL policies).
    pub maxmemory_samples: i64,
    /// How long one round of eviction may run before the loop serves clients again
    /// (0..100; 10 is 500 µs, 100 no limit).
    pub maxmemory_eviction_tenacity: i64,
    /// How many accesses it takes to raise an LFU counter (higher: slower growth).
    pub lfu_log_factor: i64,
    /// Minutes after which an idle key's LFU counter is decremented (0: never).
    pub lfu_decay_time: i64,
    /// The default user's password; empty means none (every connection is authenticated
    /// from the start). See [`crate::acl`].
    pub requirepass: String,
    /// The ACL file ACL LOAD / ACL SAVE use and users are loaded from at start-up; empty
    /// for none (then `user` lines of the config file define users). See [`crate::acl`].
    pub aclfile: String,
    /// Whether new users may use every pub/sub channel (`allchannels`) or none
    /// (`resetchannels`, Redis 7.0's default).
    pub acl_pubsub_default: String,
    /// Most entries ACL LOG keeps.
    pub acllog_max_len: i64,
    /// The `user` lines of the config file, each as its arguments (name, then rules), in
    /// order; turned into users at start-up (Redis's ACLAppendUserForLoading).
    pub users: Vec<Vec<String>>,
    /// Most fields a hash keeps in the compact `listpack` encoding (see `types/hash.rs`).
    pub hash_max_listpack_entries: i64,
    /// Longest field or value, in bytes, a `listpack` hash may hold.
    pub hash_max_listpack_value: u64,
    /// Node size limit of lists (see `types/list.rs`): negative -1..-5 for 4..64 KB per node,
    /// positive for a number of entries per node. Read by every list write, so a change
    /// applies to nodes as they next fill.
    pub list_max_listpack_size: i64,
    /// How many nodes at each end of a list stay uncompressed. Accepted and stored only:
    /// rredis does not compress list nodes (see `types/list.rs`).
    pub list_compress_depth: i64,
    /// Most members a sorted set keeps in the compact `listpack` encoding (see
    /// `types/zset.rs`).
    pub zset_max_listpack_entries: i64,
    /// Longest member, in bytes, a `listpack` sorted set may hold.
    pub zset_max_listpack_value: u64,
    /// Output buffer limits per client class (`client-output-buffer-limit`), indexed by
    /// [`ObufClass`]. Read each time a reply is added to a subscriber and after each command
    /// (`client::check_client_output_buffer_limits`), so a change applies at once.
    pub client_obuf_limits: [ClientBufferLimit; 3],
    /// `notify-keyspace-events` as `crate::notify` flags; 0 (the default) publishes nothing.
    pub notify_keyspace_events: u32,
    /// The working directory as last set by `dir`. The setting itself is the process's
    /// current directory (Redis chdirs to it, and RDB and AOF files are named relative to it),
    /// so CONFIG GET reads the directory back from the system rather than from this field.
    pub dir: String,
    /// File name (not a path) of the RDB snapshot inside `dir`.
    pub dbfilename: String,
    /// Compress string values longer than 20 bytes with LZF in RDB files.
    pub rdbcompression: bool,
    /// End RDB files with a CRC64 of their contents (zero when off, which loaders skip).
    pub rdbchecksum: bool,
    /// Log every write to the append-only file (see `crate::persist::aof`). CONFIG SET turns
    /// it on by a rewrite and off by closing the file ([`Apply::AppendOnly`]).
    pub appendonly: bool,
    /// When the AOF is fsynced: `always` (before replying), `everysec`, `no`.
    pub appendfsync: String,
    /// Prefix of the AOF's file names, and its directory inside `dir`; fixed at start-up.
    pub appendfilename: String,
    pub appenddirname: String,
    /// Rewrites write the base as an RDB image (else as commands).
    pub aof_use_rdb_preamble: bool,
    /// Load an AOF whose last command is cut short, dropping that command.
    pub aof_load_truncated: bool,
    /// Rewrite automatically when the AOF grew by this percentage over its base (0: never),
    /// once it is at least `auto_aof_rewrite_min_size` bytes.
    pub auto_aof_rewrite_percentage: i64,
    pub auto_aof_rewrite_min_size: u64,
    /// Skip fsyncs while a rewrite runs.
    pub no_appendfsync_on_rewrite: bool,
    /// Accepted and stored: a rewrite fsyncs its base once, at the end.
    pub aof_rewrite_incremental_fsync: bool,
    /// Accepted and stored; only `no` is implemented (no timestamp annotations are written).
    pub aof_timestamp_enabled: bool,
    /// Commands that execute for at least this many µs go to the slow log; negative
    /// disables it, 0 logs every command.
    pub slowlog_log_slower_than: i64,
    /// Most entries the slow log keeps.
    pub slowlog_max_len: i64,
    /// Events at least this many ms long are recorded by the latency monitor; 0 disables it.
    pub latency_monitor_threshold: i64,
    /// Keep a latency histogram per command (INFO latencystats).
    pub latency_tracking: bool,
    /// The percentiles INFO latencystats reports, each in 0..=100.
    pub latency_tracking_info_percentiles: Vec<f64>,
    /// Who may run DEBUG: `no`, `yes`, or `local` (loopback connections only).
    pub enable_debug_command: String,
    /// Save points (`save <seconds> <changes> ...`): the cron starts a BGSAVE when one is met
    /// (see `crate::persist::bgsave::rdb_save_points_cron`). Empty disables snapshotting,
    /// also the one SHUTDOWN takes by default.
    pub save_params: Vec<SaveParam>,
    /// Whether a `save` line of the configuration text has replaced the default save points
    /// yet: the first one does, later ones add to it (Redis's `save_loaded`), so a file's
    /// `save 900 1` / `save 300 10` lines mean both points. Not a setting itself.
    pub save_params_loaded: bool,
    /// Refuse writes with MISCONF while the last background save failed (and save points are
    /// configured), so a client learns that its data is not reaching the disk.
    pub stop_writes_on_bgsave_error: bool,
    /// Microseconds a save waits after each key (Redis's hidden test setting, which its own
    /// test suite uses to keep a BGSAVE child running); 0, the default, waits not at all.
    pub rdb_key_save_delay: i64,
}

/// One save point: snapshot when at least `changes` writes happened and more than `seconds`
/// seconds passed since the last successful save (Redis's saveparam).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveParam {
    pub seconds: i64,
    pub changes: i64,
}

/// Redis's default save points: after an hour if anything changed, after 5 minutes if 100
/// keys changed, after a minute if 10000 did.
pub const SAVE_PARAMS_DEFAULT: [SaveParam; 3] = [
    SaveParam {
        seconds: 3600,
        changes: 1,
    },
    SaveParam {
        seconds: 300,
        changes: 100,
    },
    SaveParam {
        seconds: 60,
        changes: 10000,
    },
];

/// The client classes `client-output-buffer-limit` distinguishes, in the order CONFIG GET
/// prints them (Redis's CLIENT_TYPE_NORMAL, _SLAVE, _PUBSUB; masters use the normal limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObufClass {
    Normal = 0,
    Replica = 1,
    PubSub = 2,
}

impl ObufClass {
    /// Class names as CONFIG GET prints them.
    const NAMES: [&'static str; 3] = ["normal", "slave", "pubsub"];

    /// A class named in a `client-output-buffer-limit` value, any case (`replica` is
    /// `slave`'s new name; `master` is not a class of its own here).
    fn from_name(name: &str) -> Option<ObufClass> {
        match name.to_ascii_lowercase().as_str() {
            "normal" => Some(ObufClass::Normal),
            "slave" | "replica" => Some(ObufClass::Replica),
            "pubsub" => Some(ObufClass::PubSub),
            _ => None,
        }
    }
}

/// One class's output buffer limit (Redis's clientBufferLimitsConfig): a client whose
/// pending output reaches `hard_limit_bytes`, or stays at or over `soft_limit_bytes` for
/// more than `soft_limit_seconds`, is disconnected. Zero bytes means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientBufferLimit {
    pub hard_limit_bytes: u64,
    pub soft_limit_bytes: u64,
    pub soft_limit_seconds: i64,
}

/// Redis's defaults: `normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60`.
pub const CLIENT_OBUF_LIMITS_DEFAULT: [ClientBufferLimit; 3] = [
    ClientBufferLimit {
        hard_limit_bytes: 0,
        soft_limit_bytes: 0,
        soft_limit_seconds: 0,
    },
    ClientBufferLimit {
        hard_limit_bytes: 256 * 1024 * 1024,
        soft_limit_bytes: 64 * 1024 * 1024,
        soft_limit_seconds: 60,
    },
    ClientBufferLimit {
        hard_limit_bytes: 32 * 1024 * 1024,
        soft_limit_bytes: 8 * 1024 * 1024,
        soft_limit_seconds: 60,
    },
];

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            port: 6379,
            protected_mode: true,
            tcp_backlog: 511,
            databases: 16,
            hz: 10,
            loglevel: "notice".into(),
            logfile: String::new(),
            maxclients: 10000,
            timeout: 0,
            tcp_keepalive: 300,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            set_max_intset_entries: 512,
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            requirepass: String::new(),
            aclfile: String::new(),
            acl_pubsub_default: "resetchannels".into(),
            acllog_max_len: 128,
            users: Vec::new(),
            hash_max_listpack_entries: crate::types::hash::HASH_MAX_LISTPACK_ENTRIES as i64,
            hash_max_listpack_value: crate::types::hash::HASH_MAX_LISTPACK_VALUE as u64,
            list_max_listpack_size: crate::types::list::LIST_MAX_LISTPACK_SIZE,
            list_compress_depth: 0,
            zset_max_listpack_entries: crate::types::zset::ZSET_MAX_LISTPACK_ENTRIES as i64,
            zset_max_listpack_value: crate::types::zset::ZSET_MAX_LISTPACK_VALUE as u64,
            client_obuf_limits: CLIENT_OBUF_LIMITS_DEFAULT,
            notify_keyspace_events: 0,
            dir: "./".into(),
            dbfilename: "dump.rdb".into(),
            rdbcompression: true,
            rdbchecksum: true,
            appendonly: false,
            appendfsync: "everysec".into(),
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            aof_use_rdb_preamble: true,
            aof_load_truncated: true,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            no_appendfsync_on_rewrite: false,
            aof_rewrite_incremental_fsync: true,
            aof_timestamp_enabled: false,
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            enable_debug_command: "no".into(),
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            save_params: SAVE_PARAMS_DEFAULT.to_vec(),
            save_params_loaded: false,
            stop_writes_on_bgsave_error: true,
            rdb_key_save_delay: 0,
        }
    }
}

/// Lowest and highest timer frequency the server runs at (Redis's CONFIG_MIN_HZ and
/// CONFIG_MAX_HZ).
pub const CONFIG_MIN_HZ: i64 = 1;
pub const CONFIG_MAX_HZ: i64 = 500;

/// Most addresses `bind` may list (Redis's CONFIG_BINDADDR_MAX).
pub const CONFIG_BINDADDR_MAX: usize = 16;

/// Typed access to one field of [`Config`].
pub struct Field<T: 'static> {
    get: fn(&Config) -> &T,
    get_mut: fn(&mut Config) -> &mut T,
}

macro_rules! field {
    ($name:ident) => {
        Field {
            get: |c| &c.$name,
            get_mut: |c| &mut c.$name,
        }
    };
}

/// The type of a setting, which decides how its text is parsed and printed.
pub enum Kind {
    Bool(Field<bool>),
    /// An integer (plain decimal, as Redis's string2ll reads it) with its inclusive range.
    Int(Field<i64>, i64, i64),
    /// A byte count that accepts Redis's unit suffixes (`1gb`, `512mb`, `64k`), with its
    /// inclusive range.
    Memory(Field<u64>, u64, u64),
    Str(Field<String>),
    /// One word out of a fixed list.
    Enum(Field<String>, &'static [&'static str]),
    /// A list of at most [`CONFIG_BINDADDR_MAX`] addresses (bind).
    Addresses(Field<Vec<String>>),
    /// `client-output-buffer-limit`: groups of `<class> <hard> <soft> <soft seconds>`, each
    /// replacing that class's limits, the others kept.
    ObufLimits(Field<[ClientBufferLimit; 3]>),
    /// `notify-keyspace-events`: class letters stored as `crate::notify` flags, printed in
    /// Redis's normal form (`KEA` reads back as `AKE`).
    KeyspaceEvents(Field<u32>),
    /// `dir`: setting it changes the process's working directory at once (so a directory
    /// that does not exist is refused where it is named), and reading it asks the system.
    Dir(Field<String>),
    /// A bare file name, refused with the given text when it contains a `/`.
    FileName(Field<String>, &'static str),
    /// `save`: pairs of `<seconds> <changes>`; no words (or one empty word) for none.
    SaveParams(Field<Vec<SaveParam>>),
    /// Space-separated percentiles in 0..=100 (`latency-tracking-info-percentiles`),
    /// printed as C's `%f` trimmed of trailing zeros.
    Percentiles(Field<Vec<f64>>),
}

/// What must happen at run time after CONFIG SET stores a new value (Redis's `apply`
/// functions). Each action runs at most once per CONFIG SET and only after every value is
/// stored, so it sees all of them: `CONFIG SET port P bind A` binds A on P, and the second
/// rebind finds nothing left to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// Storing the value is enough.
    Nothing,
    /// Bring `hz` into range ([`Config::clamp_hz`]).
    Hz,
    /// Give the logger its new level.
    LogLevel,
    /// Listen on the new port ([`change_listeners`]).
    Port,
    /// Listen on the new addresses ([`change_listeners`]).
    Bind,
    /// Make the new password the default user's only one ([`crate::acl`]).
    RequirePass,
    /// Start or stop the AOF (`crate::persist::aof`).
    AppendOnly,
    /// Evict down to the new limit ([`crate::evict::apply_maxmemory`]).
    Maxmemory,
    /// Switch eviction to the new policy ([`crate::evict::apply_policy`]).
    MaxmemoryPolicy,
    /// Make sure the process may open enough files for the new `maxclients`
    /// ([`crate::server::adjust_open_files_limit`]).
    MaxClients,
}

impl Apply {
    /// Carries out the change on the running server. The error is the reason CONFIG SET
    /// reports, in Redis's words.
    pub fn run(self, srv: &mut Server) -> Result<(), String> {
        match self {
            Apply::Nothing => Ok(()),
            Apply::Hz => {
                srv.config.clamp_hz();
                Ok(())
            }
            Apply::LogLevel => {
                crate::logging::set_level(&srv.config.loglevel);
                Ok(())
            }
            Apply::RequirePass => {
                let table = &srv.commands;
                srv.acl
                    .update_default_user_password(table, &srv.config.requirepass);
                Ok(())
            }
            Apply::AppendOnly => {
                if !srv.config.appendonly {
                    crate::persist::aof::stop_append_only(srv);
                    Ok(())
                } else {
                    crate::persist::aof::start_append_only(srv).map_err(|e| {
                        log::warn!("{e}");
                        "Unable to turn on AOF. Check server logs.".to_string()
                    })
                }
            }
            Apply::Maxmemory => {
                crate::evict::apply_maxmemory(srv);
                Ok(())
            }
            Apply::MaxmemoryPolicy => {
                crate::evict::apply_policy(srv);
                Ok(())
            }
            Apply::Port | Apply::Bind => change_listeners(srv).map_err(|e| {
                log::warn!("Warning: {e}");
                if self == Apply::Port {
                    "Unable to listen on this port. Check server logs.".to_string()
                } else {
                    "Failed to bind to specified addresses.".to_string()
                }
            }),
            Apply::MaxClients => {
                // Redis's updateMaxclients: a limit the descriptors cannot cover is refused
                // (and the old value restored by the caller), naming what would fit.
                let wanted = srv.config.maxclients;
                adjust_open_files_limit(&mut srv.config)?;
                if srv.config.maxclients != wanted {
                    return Err(format!(
                        "The operating system is not able to handle the specified number of \
                         clients, try with {}",
                        srv.config.maxclients
                    ));
                }
                Ok(())
            }
        }
    }
}

/// One row of the settings table.
pub struct ConfigSpec {
    /// The directive, lower case, as in redis.conf.
    pub name: &'static str,
    pub kind: Kind,
    /// CONFIG SET may change it (Redis's MODIFIABLE_CONFIG; the others are IMMUTABLE_CONFIG:
    /// they shape structures built once at start-up, like the number of databases).
    pub mutable: bool,
    /// What a change needs at run time.
    pub apply: Apply,
    /// Redis's PROTECTED_CONFIG: settable in the config file and on the command line but
    /// refused by CONFIG SET, because a client that can change where files are written can
    /// write files anywhere (Redis allows it only with `enable-protected-configs`, which
    /// rredis does not have).
    pub protected: bool,
    /// Redis's SENSITIVE_CONFIG: a secret, so CONFIG SET's value for it is redacted from the
    /// slow log and from MONITOR.
    pub sensitive: bool,
    /// Redis's HIDDEN_CONFIG: a testing knob CONFIG GET shows only when asked by its exact
    /// name, never for a pattern.
    pub hidden: bool,
    /// Redis's ALIAS_CONFIG: this row is an old name of the setting named here (the same
    /// field). Both names read and write it, but CONFIG REWRITE writes only the new name,
    /// turning an old-name line of the file into a new-name one.
    pub alias_of: Option<&'static str>,
    /// Redis's EMPTY_STRING_IS_NULL: an empty value means "not set", and CONFIG REWRITE
    /// writes no line for an unset setting (it removes the file's lines for it), so that the
    /// next start leaves it unset too.
    pub empty_is_null: bool,
}

impl ConfigSpec {
    /// A setting CONFIG SET may change, with nothing to do beyond storing it.
    const fn mutable(name: &'static str, kind: Kind) -> ConfigSpec {
        ConfigSpec {
            name,
            kind,
            mutable: true,
            apply: Apply::Nothing,
            protected: false,
            sensitive: false,
            hidden: false,
            alias_of: None,
            empty_is_null: false,
        }
    }

    /// A setting fixed at start-up.
    const fn immutable(name: &'static str, kind: Kind) -> ConfigSpec {
        ConfigSpec {
            mutable: false,
            ..ConfigSpec::mutable(name, kind)
        }
    }

    /// The same row with a run-time action.
    const fn with_apply(self, apply: Apply) -> ConfigSpec {
        ConfigSpec { apply, ..self }
    }

    /// The same row, kept out of logs (see [`ConfigSpec::sensitive`]).
    const fn sensitive(self) -> ConfigSpec {
        ConfigSpec {
            sensitive: true,
            ..self
        }
    }

    /// The same row, left out of CONFIG GET's pattern matches (see [`ConfigSpec::hidden`]).
    const fn hidden(self) -> ConfigSpec {
        ConfigSpec {
            hidden: true,
            ..self
        }
    }

    /// The same row as an old name of `new_name` (see [`ConfigSpec::alias_of`]).
    const fn alias_of(self, new_name: &'static str) -> ConfigSpec {
        ConfigSpec {
            alias_of: Some(new_name),
            ..self
        }
    }

    /// The same row, unset when empty (see [`ConfigSpec::empty_is_null`]).
    const fn empty_is_null(self) -> ConfigSpec {
        ConfigSpec {
            empty_is_null: true,
            ..self
        }
    }

    /// The same row, refused by CONFIG SET (see [`ConfigSpec::protected`]).
    const fn protected(self) -> ConfigSpec {
        ConfigSpec {
            protected: true,
            ..self
        }
    }
}

/// Every setting rredis understands, with Redis 7.0's ranges and mutability.
pub static CONFIGS: &[ConfigSpec] = &[
    ConfigSpec::mutable("bind", Kind::Addresses(field!(bind))).with_apply(Apply::Bind),
    ConfigSpec::mutable("port", Kind::Int(field!(port), 0, 65535)).with_apply(Apply::Port),
    ConfigSpec::mutable("protected-mode", Kind::Bool(field!(protected_mode))),
    ConfigSpec::immutable("tcp-backlog", Kind::Int(field!(tcp_backlog), 0, INT_MAX)),
    ConfigSpec::immutable("databases", Kind::Int(field!(databases), 1, INT_MAX)),
    ConfigSpec::mutable("hz", Kind::Int(field!(hz), 0, INT_MAX)).with_apply(Apply::Hz),
    ConfigSpec::mutable(
        "loglevel",
        Kind::Enum(field!(loglevel), &["debug", "verbose", "notice", "warning"]),
    )
    .with_apply(Apply::LogLevel),
    ConfigSpec::immutable("logfile", Kind::Str(field!(logfile))),
    ConfigSpec::mutable(
        "maxclients",
        Kind::Int(field!(maxclients), 1, u32::MAX as i64),
    )
    .with_apply(Apply::MaxClients),
    ConfigSpec::mutable("timeout", Kind::Int(field!(timeout), 0, INT_MAX)),
    ConfigSpec::mutable(
        "tcp-keepalive",
        Kind::Int(field!(tcp_keepalive), 0, INT_MAX),
    ),
    ConfigSpec::mutable(
        "proto-max-bulk-len",
        Kind::Memory(field!(proto_max_bulk_len), 1024 * 1024, LONG_MAX),
    ),
    ConfigSpec::mutable(
        "client-query-buffer-limit",
        Kind::Memory(field!(client_query_buffer_limit), 1024 * 1024, LONG_MAX),
    ),
    ConfigSpec::mutable(
        "set-max-intset-entries",
        Kind::Int(field!(set_max_intset_entries), 0, i64::MAX),
    ),
    ConfigSpec::mutable("maxmemory", Kind::Memory(field!(maxmemory), 0, u64::MAX))
        .with_apply(Apply::Maxmemory),
    ConfigSpec::mutable(
        "maxmemory-policy",
        Kind::Enum(field!(maxmemory_policy), crate::evict::POLICY_NAMES),
    )
    .with_apply(Apply::MaxmemoryPolicy),
    ConfigSpec::mutable(
        "maxmemory-samples",
        Kind::Int(field!(maxmemory_samples), 1, INT_MAX),
    ),
    ConfigSpec::mutable(
        "maxmemory-eviction-tenacity",
        Kind::Int(field!(maxmemory_eviction_tenacity), 0, 100),
    ),
    ConfigSpec::mutable(
        "lfu-log-factor",
        Kind::Int(field!(lfu_log_factor), 0, INT_MAX),
    ),
    ConfigSpec::mutable(
        "lfu-decay-time",
        Kind::Int(field!(lfu_decay_time), 0, INT_MAX),
    ),
    ConfigSpec::mutable("requirepass", Kind::Str(field!(requirepass)))
        .sensitive()
        .empty_is_null()
        .with_apply(Apply::RequirePass),
    ConfigSpec::immutable("aclfile", Kind::Str(field!(aclfile))),
    ConfigSpec::mutable(
        "acl-pubsub-default",
        Kind::Enum(
            field!(acl_pubsub_default),
            &["allchannels", "resetchannels"],
        ),
    ),
    ConfigSpec::mutable(
        "acllog-max-len",
        Kind::Int(field!(acllog_max_len), 0, LONG_MAX as i64),
    ),
    ConfigSpec::mutable(
        "hash-max-listpack-entries",
        Kind::Int(field!(hash_max_listpack_entries), 0, LONG_MAX as i64),
    ),
    ConfigSpec::mutable(
        "hash-max-listpack-value",
        Kind::Memory(field!(hash_max_listpack_value), 0, LONG_MAX),
    ),
    // Redis 7.0's aliases from before listpacks replaced ziplists: the same fields under
    // their old names, which CONFIG GET lists too.
    ConfigSpec::mutable(
        "hash-max-ziplist-entries",
        Kind::Int(field!(hash_max_listpack_entries), 0, LONG_MAX as i64),
    )
    .alias_of("hash-max-listpack-entries"),
    ConfigSpec::mutable(
        "hash-max-ziplist-value",
        Kind::Memory(field!(hash_max_listpack_value), 0, LONG_MAX),
    )
    .alias_of("hash-max-listpack-value"),
    ConfigSpec::mutable(
        "list-max-listpack-size",
        Kind::Int(field!(list_max_listpack_size), INT_MIN, INT_MAX),
    ),
    // The pre-listpack alias, as for the hash settings.
    ConfigSpec::mutable(
        "list-max-ziplist-size",
        Kind::Int(field!(list_max_listpack_size), INT_MIN, INT_MAX),
    )
    .alias_of("list-max-listpack-size"),
    ConfigSpec::mutable(
        "list-compress-depth",
        Kind::Int(field!(list_compress_depth), 0, INT_MAX),
    ),
    ConfigSpec::mutable(
        "zset-max-listpack-entries",
        Kind::Int(field!(zset_max_listpack_entries), 0, LONG_MAX as i64),
    ),
    ConfigSpec::mutable(
        "zset-max-listpack-value",
        Kind::Memory(field!(zset_max_listpack_value), 0, LONG_MAX),
    ),
    ConfigSpec::mutable(
        "zset-max-ziplist-entries",
        Kind::Int(field!(zset_max_listpack_entries), 0, LONG_MAX as i64),
    )
    .alias_of("zset-max-listpack-entries"),
    ConfigSpec::mutable(
        "zset-max-ziplist-value",
        Kind::Memory(field!(zset_max_listpack_value), 0, LONG_MAX),
    )
    .alias_of("zset-max-listpack-value"),
    ConfigSpec::mutable(
        "client-output-buffer-limit",
        Kind::ObufLimits(field!(client_obuf_limits)),
    ),
    ConfigSpec::mutable(
        "notify-keyspace-events",
        Kind::KeyspaceEvents(field!(notify_keyspace_events)),
    ),
    ConfigSpec::mutable("dir", Kind::Dir(field!(dir))).protected(),
    ConfigSpec::mutable(
        "dbfilename",
        Kind::FileName(
            field!(dbfilename),
            "dbfilename can't be a path, just a filename",
        ),
    )
    .protected(),
    ConfigSpec::mutable("rdbcompression", Kind::Bool(field!(rdbcompression))),
    // Immutable in Redis 7.0 (CONFIG SET refuses it), unlike rdbcompression.
    ConfigSpec::immutable("rdbchecksum", Kind::Bool(field!(rdbchecksum))),
    ConfigSpec::mutable("appendonly", Kind::Bool(field!(appendonly))).with_apply(Apply::AppendOnly),
    ConfigSpec::mutable(
        "appendfsync",
        Kind::Enum(field!(appendfsync), &["everysec", "always", "no"]),
    ),
    ConfigSpec::immutable(
        "appendfilename",
        Kind::FileName(
            field!(appendfilename),
            "appendfilename can't be a path, just a filename",
        ),
    ),
    ConfigSpec::immutable(
        "appenddirname",
        Kind::FileName(
            field!(appenddirname),
            "appenddirname can't be a path, just a dirname",
        ),
    ),
    ConfigSpec::mutable(
        "aof-use-rdb-preamble",
        Kind::Bool(field!(aof_use_rdb_preamble)),
    ),
    ConfigSpec::mutable("aof-load-truncated", Kind::Bool(field!(aof_load_truncated))),
    ConfigSpec::mutable(
        "auto-aof-rewrite-percentage",
        Kind::Int(field!(auto_aof_rewrite_percentage), 0, INT_MAX),
    ),
    ConfigSpec::mutable(
        "auto-aof-rewrite-min-size",
        Kind::Memory(field!(auto_aof_rewrite_min_size), 0, LONG_MAX),
    ),
    ConfigSpec::mutable(
        "no-appendfsync-on-rewrite",
        Kind::Bool(field!(no_appendfsync_on_rewrite)),
    ),
    ConfigSpec::mutable(
        "aof-rewrite-incremental-fsync",
        Kind::Bool(field!(aof_rewrite_incremental_fsync)),
    ),
    ConfigSpec::mutable(
        "aof-timestamp-enabled",
        Kind::Bool(field!(aof_timestamp_enabled)),
    ),
    ConfigSpec::mutable(
        "slowlog-log-slower-than",
        Kind::Int(field!(slowlog_log_slower_than), -1, i64::MAX),
    ),
    ConfigSpec::mutable(
        "slowlog-max-len",
        Kind::Int(field!(slowlog_max_len), 0, LONG_MAX as i64),
    ),
    ConfigSpec::mutable("latency-tracking", Kind::Bool(field!(latency_tracking))),
    ConfigSpec::mutable(
        "latency-tracking-info-percentiles",
        Kind::Percentiles(field!(latency_tracking_info_percentiles)),
    ),
    ConfigSpec::immutable(
        "enable-debug-command",
        Kind::Enum(field!(enable_debug_command), &["no", "yes", "local"]),
    ),
    ConfigSpec::mutable(
        "latency-monitor-threshold",
        Kind::Int(field!(latency_monitor_threshold), 0, i64::MAX),
    ),
    ConfigSpec::mutable("save", Kind::SaveParams(field!(save_params))),
    ConfigSpec::mutable(
        "stop-writes-on-bgsave-error",
        Kind::Bool(field!(stop_writes_on_bgsave_error)),
    ),
    ConfigSpec::mutable(
        "rdb-key-save-delay",
        Kind::Int(field!(rdb_key_save_delay), INT_MIN, INT_MAX),
    )
    .hidden(),
];

/// C's INT_MIN, INT_MAX and LONG_MAX (64-bit), the bounds of Redis's int and long long
/// settings.
const INT_MIN: i64 = i32::MIN as i64;
const INT_MAX: i64 = i32::MAX as i64;
const LONG_MAX: u64 = i64::MAX as u64;

/// Looks a directive up by name, ignoring case.
pub fn lookup_config(name: &str) -> Option<&'static ConfigSpec> {
    CONFIGS
        .iter()
        .find(|spec| spec.name.eq_ignore_ascii_case(name))
}

impl ConfigSpec {
    /// The value as CONFIG GET prints it.
    pub fn get(&self, config: &Config) -> String {
        match &self.kind {
            Kind::Bool(f) => if *(f.get)(config) { "yes" } else { "no" }.to_string(),
            Kind::Int(f, _, _) => (f.get)(config).to_string(),
            Kind::Memory(f, _, _) => (f.get)(config).to_string(),
            Kind::Str(f) | Kind::Enum(f, _) | Kind::FileName(f, _) => (f.get)(config).clone(),
            Kind::Percentiles(f) => (f.get)(config)
                .iter()
                .map(|&p| format_percentile(p))
                .collect::<Vec<_>>()
                .join(" "),
            Kind::Dir(f) => match std::env::current_dir() {
                Ok(path) => path.display().to_string(),
                Err(_) => (f.get)(config).clone(),
            },
            Kind::Addresses(f) => (f.get)(config).join(" "),
            Kind::SaveParams(f) => (f.get)(config)
                .iter()
                .map(|p| format!("{} {}", p.seconds, p.changes))
                .collect::<Vec<_>>()
                .join(" "),
            Kind::KeyspaceEvents(f) => {
                crate::notify::keyspace_events_flags_to_string(*(f.get)(config))
            }
            Kind::ObufLimits(f) => {
                let mut out = String::new();
                for (name, limit) in ObufClass::NAMES.iter().zip((f.get)(config)) {
                    let _ = write!(
                        out,
                        "{}{name} {} {} {}",
                        if out.is_empty() { "" } else { " " },
                        limit.hard_limit_bytes,
                        limit.soft_limit_bytes,
                        limit.soft_limit_seconds
                    );
                }
                out
            }
        }
    }

    /// Parses `args` (the words after the directive) into `config`. The error is Redis's
    /// wording, which the config-file loader and CONFIG SET both report.
    pub fn set(&self, config: &mut Config, args: &[String]) -> Result<(), String> {
        if let Kind::Addresses(f) = &self.kind {
            if args.len() > CONFIG_BINDADDR_MAX {
                return Err("Too many bind addresses specified.".into());
            }
            *(f.get_mut)(config) = args.to_vec();
            return Ok(());
        }
        if let Kind::Percentiles(f) = &self.kind {
            let mut values = Vec::with_capacity(args.len());
            for arg in args {
                let p: f64 = arg
                    .parse()
                    .map_err(|_| "Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&p) {
                    return Err("latency-tracking-info-percentiles parameters should sit \
                                between [0.0,100.0]"
                        .into());
                }
                values.push(p);
            }
            *(f.get_mut)(config) = values;
            return Ok(());
        }
        if let Kind::ObufLimits(f) = &self.kind {
            let limits = parse_obuf_limits(*(f.get)(config), args)?;
            *(f.get_mut)(config) = limits;
            return Ok(());
        }
        if let Kind::SaveParams(f) = &self.kind {
            *(f.get_mut)(config) = parse_save_params(args)?;
            return Ok(());
        }
        let [arg] = args else {
            return Err("wrong number of arguments".into());
        };
        match &self.kind {
            Kind::Bool(f) => {
                *(f.get_mut)(config) = match arg.to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err("argument must be 'yes' or 'no'".into()),
                }
            }
            Kind::Int(f, min, max) => {
                let n = parse_i64(arg.as_bytes())
                    .ok_or("argument couldn't be parsed into an integer")?;
                *(f.get_mut)(config) = check_range(n, *min, *max)?;
            }
            Kind::Memory(f, min, max) => {
                let n = parse_memory(arg).ok_or("argument must be a memory value")?;
                *(f.get_mut)(config) = check_range(n, *min, *max)?;
            }
            Kind::Str(f) => *(f.get_mut)(config) = arg.clone(),
            Kind::FileName(f, refusal) => {
                if arg.contains('/') {
                    return Err(refusal.to_string());
                }
                *(f.get_mut)(config) = arg.clone();
            }
            Kind::Dir(f) => {
                std::env::set_current_dir(arg).map_err(|e| crate::util::strerror(&e))?;
                *(f.get_mut)(config) = arg.clone();
            }
            Kind::Enum(f, choices) => {
                let lower = arg.to_ascii_lowercase();
                if !choices.contains(&lower.as_str()) {
                    return Err("argument(s) must be one of the following: ".to_string()
                        + &choices.join(", "));
                }
                *(f.get_mut)(config) = lower;
            }
            Kind::KeyspaceEvents(f) => {
                *(f.get_mut)(config) = crate::notify::keyspace_events_string_to_flags(arg)
                    .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
            }
            Kind::Addresses(_)
            | Kind::ObufLimits(_)
            | Kind::SaveParams(_)
            | Kind::Percentiles(_) => {}
        }
        Ok(())
    }

    /// The words CONFIG SET's one `value` stands for: itself, except for a list setting,
    /// whose addresses it separates by single spaces (`"a b"`; an empty value is no address,
    /// and two spaces make an empty address, which then fails to bind, as in Redis).
    fn config_set_words(&self, value: &str) -> Vec<String> {
        match self.kind {
            Kind::Addresses(_) | Kind::SaveParams(_) if value.is_empty() => Vec::new(),
            Kind::Addresses(_) | Kind::SaveParams(_) => {
                value.split(' ').map(str::to_string).collect()
            }
            Kind::Percentiles(_) => value.split_whitespace().map(str::to_string).collect(),
            Kind::ObufLimits(_) => split_args(value.as_bytes())
                .unwrap_or_default()
                .iter()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect(),
            _ => vec![value.to_string()],
        }
    }
}

/// A percentile as Redis prints it: `%f` without trailing zeros (`99.9`, `50`).
pub fn format_percentile(p: f64) -> String {
    let text = format!("{p:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `current` with the classes `args` names replaced (Redis's
/// setConfigClientOutputBufferLimitOption). Every group is checked before any is applied,
/// so a bad group rejects the whole value; the errors are Redis's words.
fn parse_obuf_limits(
    current: [ClientBufferLimit; 3],
    args: &[String],
) -> Result<[ClientBufferLimit; 3], String> {
    if args.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits = current;
    for group in args.chunks_exact(4) {
        let [class, hard, soft, seconds] = group else {
            continue;
        };
        let class = ObufClass::from_name(class)
            .ok_or("Invalid client class specified in buffer limit configuration.")?;
        let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let limit = ClientBufferLimit {
            hard_limit_bytes: parse_memory(hard).ok_or_else(bad)?,
            soft_limit_bytes: parse_memory(soft).ok_or_else(bad)?,
            soft_limit_seconds: parse_i64(seconds.as_bytes())
                .filter(|&s| s >= 0)
                .ok_or_else(bad)?,
        };
        if let Some(slot) = limits.get_mut(class as usize) {
            *slot = limit;
        }
    }
    Ok(limits)
}

/// The save points `args` lists (Redis's setConfigSaveOption): pairs of seconds (at least 1)
/// and changes (at least 0), read as C's strtoll reads them (leading blanks and a sign
/// allowed, nothing after the digits). No words, or the single empty word of `save ""`,
/// means none. Every word is checked before anything is kept.
fn parse_save_params(args: &[String]) -> Result<Vec<SaveParam>, String> {
    let args = match args {
        [only] if only.is_empty() => &[],
        args => args,
    };
    let invalid = || "Invalid save parameters".to_string();
    if args.len() % 2 != 0 {
        return Err(invalid());
    }
    let number = |word: &String, min: i64| {
        word.trim_start()
            .parse::<i64>()
            .ok()
            .filter(|&n| n >= min)
            .ok_or_else(invalid)
    };
    args.chunks_exact(2)
        .map(|pair| match pair {
            [seconds, changes] => Ok(SaveParam {
                seconds: number(seconds, 1)?,
                changes: number(changes, 0)?,
            }),
            _ => Err(invalid()),
        })
        .collect()
}

/// `n` if it lies in `min..=max`, else Redis's complaint.
fn check_range<T: PartialOrd + std::fmt::Display>(n: T, min: T, max: T) -> Result<T, String> {
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

/// Parses a byte count as Redis 7.0's memtoull does: decimal digits, then an optional unit,
/// any case: `b` = 1, `k` = 1000, `kb` = 1024, `m`, `mb`, `g`, `gb`. Anything else (a sign,
/// a blank, another suffix) is not a memory value.
///
/// Two quirks are Redis's and kept, since CONFIG GET shows their results: no digits at all
/// (`""`, `"mb"`) reads as 0, and an overflow is not an error: the number saturates at
/// `u64::MAX` (strtoull) and the unit then multiplies with wrap-around.
pub fn parse_memory(text: &str) -> Option<u64> {
    let digits_end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis copies the digits into a 128-byte buffer first and refuses longer numbers.
    if digits.len() >= 128 {
        return None;
    }
    // The digits are all digits, so `None` means overflow: strtoull's saturation.
    let value = decimal_digits(digits.as_bytes()).unwrap_or(u64::MAX);
    Some(value.wrapping_mul(multiplier))
}

/// Why CONFIG SET refused, as Redis words it.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigSetError {
    /// A parameter no setting has.
    Unknown(String),
    /// A setting that cannot take the value (or cannot change, or was named twice); `name` is
    /// the parameter the message blames.
    Failed { name: String, why: String },
}

impl ConfigSetError {
    /// The error reply's text.
    pub fn message(&self) -> String {
        match self {
            ConfigSetError::Unknown(name) => {
                format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'")
            }
            ConfigSetError::Failed { name, why } => {
                format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")
            }
        }
    }
}

/// Stores CONFIG SET's `(parameter, value)` pairs in `config`, all or none (Redis's
/// configSetCommand, first half). Checks every parameter before storing anything, and
/// reports the first problem: an unknown, immutable or repeated parameter, named as the
/// client spelled it. Then stores the values in order; the first that does not parse is
/// reported under the setting's own name, and the caller restores its copy of the old
/// `Config` (this function may leave `config` half-changed).
///
/// Returns the run-time actions the new values need, each once, in order of first mention,
/// with the setting that asked for it; the caller runs them ([`Apply::run`]).
pub fn config_set(
    config: &mut Config,
    pairs: &[(&str, &str)],
) -> Result<Vec<(Apply, &'static str)>, ConfigSetError> {
    let mut specs: Vec<&'static ConfigSpec> = Vec::with_capacity(pairs.len());
    for &(name, _) in pairs {
        let spec = lookup_config(name).ok_or_else(|| ConfigSetError::Unknown(name.into()))?;
        let refusal = if !spec.mutable {
            Some("can't set immutable config")
        } else if spec.protected {
            Some("can't set protected config")
        } else if specs.iter().any(|seen| std::ptr::eq(*seen, spec)) {
            Some("duplicate parameter")
        } else {
            None
        };
        if let Some(why) = refusal {
            return Err(ConfigSetError::Failed {
                name: name.into(),
                why: why.into(),
            });
        }
        specs.push(spec);
    }
    let mut applies: Vec<(Apply, &'static str)> = Vec::new();
    for (spec, &(_, value)) in specs.iter().zip(pairs) {
        spec.set(config, &spec.config_set_words(value))
            .map_err(|why| ConfigSetError::Failed {
                name: spec.name.to_string(),
                why,
            })?;
        if spec.apply != Apply::Nothing && !applies.iter().any(|(a, _)| *a == spec.apply) {
            applies.push((spec.apply, spec.name));
        }
    }
    Ok(applies)
}

impl Config {
    /// Brings `hz` into [`CONFIG_MIN_HZ`]..=[`CONFIG_MAX_HZ`]: Redis takes the setting as a
    /// hint and caps it rather than refusing it, so `hz 0` runs at 1 and CONFIG GET says 1.
    pub fn clamp_hz(&mut self) {
        self.hz = self.hz.clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
    }

    /// Applies the text of a redis.conf file. The error is the report Redis prints for a bad
    /// file, naming the line.
    pub fn load_text(&mut self, text: &str) -> Result<(), String> {
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fail = |why: &str| {
                let mut report = String::new();
                let _ = write!(
                    report,
                    "\n*** FATAL CONFIG FILE ERROR (rredis {}) ***\n\
                     Reading the configuration file, at line {}\n>>> '{}'\n{}",
                    env!("CARGO_PKG_VERSION"),
                    number + 1,
                    trimmed,
                    why
                );
                report
            };
            let words = split_args(trimmed.as_bytes())
                .ok_or_else(|| fail("Unbalanced quotes in configuration line"))?;
            let words: Vec<String> = words
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect();
            let Some((name, args)) = words.split_first() else {
                continue;
            };
            // A user is checked and created once every line is read (see `crate::acl`).
            if name.eq_ignore_ascii_case("user") && !args.is_empty() {
                self.users.push(args.to_vec());
                continue;
            }
            let spec = lookup_config(name)
                .ok_or_else(|| fail("Bad directive or wrong number of arguments"))?;
            // The first `save` line replaces the default points, the next ones add theirs
            // (an empty `save ""` clears what the lines before it gave).
            let kept = match spec.kind {
                Kind::SaveParams(_) if self.save_params_loaded && args != [""] => {
                    self.save_params.clone()
                }
                _ => Vec::new(),
            };
            spec.set(self, args).map_err(|why| fail(&why))?;
            if let Kind::SaveParams(_) = spec.kind {
                self.save_params_loaded = true;
                self.save_params.splice(0..0, kept);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_output_buffer_limit_groups() {
        let mut c = Config::default();
        let spec = lookup_config("client-output-buffer-limit").unwrap();
        assert_eq!(
            spec.get(&c),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        // A config-file line sets one class and keeps the others.
        c.load_text("client-output-buffer-limit pubsub 1mb 2k 5\n")
            .unwrap();
        assert_eq!(
            spec.get(&c),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2000 5"
        );
        let words = |v: &str| spec.config_set_words(v);
        assert_eq!(
            spec.set(&mut c, &words("pubsub 1 2")).unwrap_err(),
            "Wrong number of arguments in buffer limit configuration."
        );
        // One bad group rejects the whole value.
        assert_eq!(
            spec.set(&mut c, &words("replica 1 1 1 master 2 2 2"))
                .unwrap_err(),
            "Invalid client class specified in buffer limit configuration."
        );
        assert_eq!(
            spec.set(&mut c, &words("pubsub 1 1 -1")).unwrap_err(),
            "Error in hard, soft or soft_seconds setting in buffer limit configuration."
        );
        assert_eq!(
            c.client_obuf_limits[ObufClass::Replica as usize].hard_limit_bytes,
            268435456
        );
        spec.set(&mut c, &words("")).unwrap();
        spec.set(&mut c, &words("REPLICA 1gb 1MB 0 Normal 1 2 3"))
            .unwrap();
        assert_eq!(
            spec.get(&c),
            "normal 1 2 3 slave 1073741824 1048576 0 pubsub 1048576 2000 5"
        );
    }

    #[test]
    fn config_file_sets_fields_and_reports_bad_lines() {
        let mut c = Config::default();
        c.load_text("# comment\nport 7777\nbind 0.0.0.0 ::1\nPROTECTED-MODE no\nmaxmemory 1mb\n")
            .unwrap();
        assert_eq!(c.port, 7777);
        assert_eq!(c.bind, vec!["0.0.0.0", "::1"]);
        assert!(!c.protected_mode);
        assert_eq!(c.maxmemory, 1024 * 1024);
        let err = Config::default()
            .load_text("port 1\nfrobnicate 3\n")
            .unwrap_err();
        assert!(
            err.contains("at line 2") && err.contains(">>> 'frobnicate 3'"),
            "{err}"
        );
        let err = Config::default().load_text("hz -1").unwrap_err();
        assert!(
            err.contains("argument must be between 0 and 2147483647 inclusive"),
            "{err}"
        );
        let err = Config::default().load_text("timeout 1k").unwrap_err();
        assert!(err.contains("couldn't be parsed into an integer"), "{err}");
    }

    #[test]
    fn save_lines_accumulate_in_config_text_and_replace_in_config_set() {
        let spec = lookup_config("save").unwrap();
        let mut c = Config::default();
        assert_eq!(spec.get(&c), "3600 1 300 100 60 10000");
        c.load_text("save 900 1\nsave 300 10\n").unwrap();
        // The command line is more configuration text: it adds to the file's points.
        c.load_text("save 60 5\n").unwrap();
        assert_eq!(spec.get(&c), "900 1 300 10 60 5");
        c.load_text("save \"\"\nsave 30 3\n").unwrap();
        assert_eq!(spec.get(&c), "30 3");
        assert_eq!(set(&mut c, &[("save", "10 1 20 2")]).unwrap(), vec![]);
        assert_eq!(spec.get(&c), "10 1 20 2");
        for bad in ["100 10 20", "0 10", "1 -1", "1x 1", "a b"] {
            assert_eq!(
                set(&mut c, &[("save", bad)]).unwrap_err(),
                "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save \
                 parameters",
                "{bad}"
            );
        }
        assert_eq!(spec.get(&c), "10 1 20 2");
        set(&mut c, &[("save", "")]).unwrap();
        assert!(c.save_params.is_empty());
        let mut c = Config::default();
        c.load_text("save \"\"\n").unwrap();
        assert_eq!(spec.get(&c), "");
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("1GB"), Some(1 << 30));
        assert_eq!(parse_memory("2k"), Some(2000));
        assert_eq!(parse_memory("12"), Some(12));
        assert_eq!(parse_memory("3b"), Some(3));
        assert_eq!(parse_memory("-1"), None);
        assert_eq!(parse_memory("+1"), None);
        assert_eq!(parse_memory(" 1"), None);
        assert_eq!(parse_memory("1x"), None);
        // Redis's quirks: no digits is 0, overflow saturates then wraps.
        assert_eq!(parse_memory("mb"), Some(0));
        assert_eq!(parse_memory(""), Some(0));
        assert_eq!(parse_memory("99999999999999999999"), Some(u64::MAX));
        assert_eq!(
            parse_memory("99999999999gb"),
            Some(15_140_462_030_378_500_096)
        );
    }

    fn set(config: &mut Config, pairs: &[(&str, &str)]) -> Result<Vec<Apply>, String> {
        config_set(config, pairs)
            .map(|applies| applies.into_iter().map(|(a, _)| a).collect())
            .map_err(|e| e.message())
    }

    #[test]
    fn config_set_checks_every_name_first() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, &[("hz", "abc"), ("foo", "1")]).unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            set(&mut c, &[("Databases", "5"), ("foo", "1")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'Databases') - can't set \
             immutable config"
        );
        assert_eq!(
            set(&mut c, &[("hz", "5"), ("HZ", "6")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter"
        );
        assert_eq!(c.hz, 10, "nothing is stored when a name is refused");
        // A bad value is blamed on the setting's own name.
        assert_eq!(
            set(&mut c, &[("HZ", "x")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be \
             parsed into an integer"
        );
    }

    #[test]
    fn config_set_returns_each_action_once() {
        let mut c = Config::default();
        let applies = set(
            &mut c,
            &[
                ("bind", "127.0.0.1"),
                ("timeout", "5"),
                ("port", "7000"),
                ("hz", "0"),
            ],
        )
        .unwrap();
        assert_eq!(applies, vec![Apply::Bind, Apply::Port, Apply::Hz]);
        assert_eq!((c.port, c.timeout, c.hz), (7000, 5, 0));
        c.clamp_hz();
        assert_eq!(c.hz, 1);
        assert_eq!(set(&mut c, &[("bind", "")]).unwrap(), vec![Apply::Bind]);
        assert!(c.bind.is_empty());
        let many = vec!["a"; 17].join(" ");
        assert!(set(&mut c, &[("bind", &many)])
            .unwrap_err()
            .ends_with("Too many bind addresses specified."));
    }
}
