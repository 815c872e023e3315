//! Server settings: the typed [`Config`] and the table of directives that fills it.
//!
//! One table ([`CONFIGS`]) describes every setting rredis has: its redis.conf name, its type and
//! range, and how to read and write its field. The config-file loader, the command-line options
//! (`--port 6380` is the directive `port 6380`, as with redis-server) and CONFIG GET all read
//! that table, so a setting is added in exactly one place (Redis's config.c `standardConfig`
//! table plays the same role).

use std::fmt::Write as _;

use crate::resp::parser::split_args;

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
    /// Timer ticks per second (`server_cron` frequency): 1..=500.
    pub hz: i64,
    /// One of `debug`, `verbose`, `notice`, `warning`, `nothing`.
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
    /// Memory limit in bytes reported by INFO (eviction arrives with the maxmemory work).
    pub maxmemory: u64,
    /// What to do when `maxmemory` is reached. rredis evicts nothing yet, so the only value
    /// it accepts is the one that describes that, `noeviction`; the eviction work adds the
    /// others.
    pub maxmemory_policy: String,
}

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
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
        }
    }
}

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
    /// An integer with its inclusive range.
    Int(Field<i64>, i64, i64),
    /// A byte count that accepts Redis's unit suffixes (`1gb`, `512mb`, `64k`).
    Memory(Field<u64>),
    Str(Field<String>),
    /// One word out of a fixed list.
    Enum(Field<String>, &'static [&'static str]),
    /// A list of words (bind).
    List(Field<Vec<String>>),
}

/// One row of the settings table.
pub struct ConfigSpec {
    /// The directive, lower case, as in redis.conf.
    pub name: &'static str,
    pub kind: Kind,
}

/// Every setting rredis understands.
pub static CONFIGS: &[ConfigSpec] = &[
    ConfigSpec {
        name: "bind",
        kind: Kind::List(field!(bind)),
    },
    ConfigSpec {
        name: "port",
        kind: Kind::Int(field!(port), 0, 65535),
    },
    ConfigSpec {
        name: "protected-mode",
        kind: Kind::Bool(field!(protected_mode)),
    },
    ConfigSpec {
        name: "tcp-backlog",
        kind: Kind::Int(field!(tcp_backlog), 0, i32::MAX as i64),
    },
    ConfigSpec {
        name: "databases",
        kind: Kind::Int(field!(databases), 1, i32::MAX as i64),
    },
    ConfigSpec {
        name: "hz",
        kind: Kind::Int(field!(hz), 1, 500),
    },
    ConfigSpec {
        name: "loglevel",
        kind: Kind::Enum(
            field!(loglevel),
            &["debug", "verbose", "notice", "warning", "nothing"],
        ),
    },
    ConfigSpec {
        name: "logfile",
        kind: Kind::Str(field!(logfile)),
    },
    ConfigSpec {
        name: "maxclients",
        kind: Kind::Int(field!(maxclients), 1, i32::MAX as i64),
    },
    ConfigSpec {
        name: "timeout",
        kind: Kind::Int(field!(timeout), 0, i32::MAX as i64),
    },
    ConfigSpec {
        name: "tcp-keepalive",
        kind: Kind::Int(field!(tcp_keepalive), 0, i32::MAX as i64),
    },
    ConfigSpec {
        name: "proto-max-bulk-len",
        kind: Kind::Memory(field!(proto_max_bulk_len)),
    },
    ConfigSpec {
        name: "client-query-buffer-limit",
        kind: Kind::Memory(field!(client_query_buffer_limit)),
    },
    ConfigSpec {
        name: "maxmemory",
        kind: Kind::Memory(field!(maxmemory)),
    },
    ConfigSpec {
        name: "maxmemory-policy",
        kind: Kind::Enum(field!(maxmemory_policy), &["noeviction"]),
    },
];

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
            Kind::Memory(f) => (f.get)(config).to_string(),
            Kind::Str(f) | Kind::Enum(f, _) => (f.get)(config).clone(),
            Kind::List(f) => (f.get)(config).join(" "),
        }
    }

    /// Parses `args` (the words after the directive) into `config`. The error is Redis's
    /// wording for the config file loader.
    pub fn set(&self, config: &mut Config, args: &[String]) -> Result<(), String> {
        if let Kind::List(f) = &self.kind {
            if args.is_empty() {
                return Err("wrong number of arguments".into());
            }
            *(f.get_mut)(config) = args.to_vec();
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
                let n: i64 = parse_memory(arg)
                    .and_then(|n| i64::try_from(n).ok())
                    .or_else(|| arg.parse().ok())
                    .ok_or("argument couldn't be parsed into an integer")?;
                if n < *min || n > *max {
                    return Err(format!(
                        "argument must be between {min} and {max} inclusive"
                    ));
                }
                *(f.get_mut)(config) = n;
            }
            Kind::Memory(f) => {
                *(f.get_mut)(config) =
                    parse_memory(arg).ok_or("argument must be a memory value")?;
            }
            Kind::Str(f) => *(f.get_mut)(config) = arg.clone(),
            Kind::Enum(f, choices) => {
                let lower = arg.to_ascii_lowercase();
                if !choices.contains(&lower.as_str()) {
                    return Err("argument(s) must be one of the following: ".to_string()
                        + &choices.join(", "));
                }
                *(f.get_mut)(config) = lower;
            }
            Kind::List(_) => {}
        }
        Ok(())
    }
}

/// Parses a byte count with Redis's suffixes (memtoull): `k`=1000, `kb`=1024, `m`, `mb`, `g`,
/// `gb`, case-insensitive. Plain digits are bytes.
pub fn parse_memory(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let units: [(&str, u64); 6] = [
        ("kb", 1024),
        ("mb", 1024 * 1024),
        ("gb", 1024 * 1024 * 1024),
        ("k", 1000),
        ("m", 1000 * 1000),
        ("g", 1000 * 1000 * 1000),
    ];
    let (digits, mul) = units
        .iter()
        .find_map(|(suffix, mul)| lower.strip_suffix(suffix).map(|d| (d, *mul)))
        .unwrap_or((lower.as_str(), 1));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

impl Config {
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
            let spec = lookup_config(name)
                .ok_or_else(|| fail("Bad directive or wrong number of arguments"))?;
            spec.set(self, args).map_err(|why| fail(&why))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let err = Config::default().load_text("hz 0").unwrap_err();
        assert!(
            err.contains("argument must be between 1 and 500 inclusive"),
            "{err}"
        );
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("2k"), Some(2000));
        assert_eq!(parse_memory("12"), Some(12));
        assert_eq!(parse_memory("mb"), None);
        assert_eq!(parse_memory("-1"), None);
    }
}
