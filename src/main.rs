//! The `rredis` binary: `rredis [/path/to/redis.conf] [--port 6380] [--bind ADDR] [--<directive> value ...]`,
//! as redis-server takes them. Every config directive is also a `--` option; later settings
//! override earlier ones, and the command line overrides the file.

use std::process::ExitCode;

use rredis::config::{Config, CONFIGS};
use rredis::server::Server;
use rredis::{event_loop, logging};

/// jemalloc instead of glibc malloc, as Redis does: freeing a million small values (mass
/// expiry, FLUSHALL) leaves glibc with huge free lists that it consolidates, for hundreds of
/// milliseconds, on the next large allocation — a stall of the whole loop. See Cargo.toml.
/// Wrapped in the counting allocator, so `used_memory` and `maxmemory` see every byte.
#[global_allocator]
static GLOBAL: rredis::zmalloc::Zmalloc = rredis::zmalloc::Zmalloc;

/// jemalloc's options, read at its first allocation (the C string its `malloc_conf` symbol
/// points to; the crate prefixes the symbol). `background_thread:true` gives jemalloc its own
/// thread that returns freed pages to the kernel after its ~10 s decay, as Redis does by
/// default (`jemalloc-bg-thread yes`). Without it jemalloc purges only while allocating, so
/// an idle server kept the memory of a burst it had freed (scripts/soak: 100 MB of RSS left
/// after FLUSHALL, 32 MB after subscriber floods alone; with it, back to the baseline).
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
static malloc_conf: Option<&'static u8> = Some(&b"background_thread:true\0"[0]);

fn usage(opts: &getopts::Options) -> String {
    opts.usage(
        "Usage: rredis [/path/to/redis.conf] [options]\n\
         \x20      rredis -v or --version\n\
         \x20      rredis -h or --help\n\n\
         Examples:\n\
         \x20      rredis (run with the default configuration)\n\
         \x20      rredis /etc/redis/6379.conf\n\
         \x20      rredis --port 7777 --bind 127.0.0.1 --loglevel verbose",
    )
}

/// Builds the configuration from the command line; `Err` carries the text to print and exit.
fn parse_args(args: &[String]) -> Result<(Config, Option<String>), String> {
    let mut opts = getopts::Options::new();
    opts.optflag("h", "help", "print this help");
    opts.optflag("v", "version", "print the version");
    for spec in CONFIGS {
        opts.optmulti("", spec.name, "config directive (see redis.conf)", "VALUE");
    }
    opts.optmulti("", "user", "an ACL user: --user <name> <rules...>", "RULES");
    let matches = opts
        .parse(join_user_rules(args))
        .map_err(|e| format!("{e}\n\n{}", usage(&opts)))?;
    if matches.opt_present("h") {
        return Err(usage(&opts));
    }
    if matches.opt_present("v") {
        return Err(format!(
            "rredis v={} (Redis 7.0.15 compatible)",
            env!("CARGO_PKG_VERSION")
        ));
    }
    let mut config = Config::default();
    let config_file = match matches.free.as_slice() {
        [] => None,
        [path] => {
            // Before the file is applied: its `dir` changes the working directory.
            let absolute = absolute_path(path);
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("Fatal error, can't open config file '{path}': {e}"))?;
            config.load_text(&text)?;
            Some(absolute)
        }
        [_, extra, ..] => return Err(format!("Unexpected argument '{extra}'\n\n{}", usage(&opts))),
    };
    // Options in command-line order, each as one directive line, exactly as a file would
    // give it (so `--bind "127.0.0.1 ::1"` and `--save ""` mean what they mean in redis.conf).
    let mut lines: Vec<(usize, String)> = Vec::new();
    for spec in CONFIGS {
        for (position, value) in matches.opt_strs_pos(spec.name) {
            lines.push((position, format!("{} {}\n", spec.name, quote(&value))));
        }
    }
    // A user's rules stay separate words, as on a `user` line.
    for (position, value) in matches.opt_strs_pos("user") {
        lines.push((position, format!("user {value}\n")));
    }
    lines.sort_by_key(|(position, _)| *position);
    let text: String = lines.into_iter().map(|(_, line)| line).collect();
    config.load_text(&text)?;
    Ok((config, config_file))
}

/// `path` made absolute as Redis's getAbsolutePath does: a relative path is appended to the
/// working directory, each leading `../` removing the directory's last component; nothing
/// else is normalised and symbolic links are not followed (`./a.conf` in `/etc` is
/// `/etc/./a.conf`).
fn absolute_path(path: &str) -> String {
    let path = path.trim_matches([' ', '\r', '\n', '\t']);
    if path.starts_with('/') {
        return path.to_string();
    }
    let Ok(cwd) = std::env::current_dir() else {
        return path.to_string();
    };
    let mut base = cwd.display().to_string();
    let mut rest = path;
    while let Some(after) = rest.strip_prefix("../") {
        rest = after;
        if let Some(cut) = base.trim_end_matches('/').rfind('/') {
            base.truncate(cut.max(1));
        }
    }
    if !base.ends_with('/') {
        base.push('/');
    }
    base + rest
}

/// `--user alice on >pw ~*` as redis-server reads it: the words after `--user` up to the next
/// `--` option form its one value.
fn join_user_rules(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rules: Option<Vec<&str>> = None;
    for arg in args {
        if let Some(words) = &mut rules {
            if !arg.starts_with("--") {
                words.push(arg);
                continue;
            }
            out.push(words.join(" "));
            rules = None;
        }
        if arg == "--user" {
            rules = Some(Vec::new());
        }
        out.push(arg.clone());
    }
    if let Some(words) = rules {
        out.push(words.join(" "));
    }
    out
}

/// Quotes an option value so the directive parser sees it as written: a value containing
/// blanks stays split into words (`--bind "a b"`), an empty value stays one empty word.
fn quote(value: &str) -> String {
    if value.is_empty() {
        "\"\"".to_string()
    } else {
        value.to_string()
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (config, config_file) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(text) => {
            eprintln!("{text}");
            let help = args
                .iter()
                .any(|a| ["-h", "--help", "-v", "--version"].contains(&a.as_str()));
            return if help {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    if let Err(e) = logging::init(&config.loglevel, &config.logfile) {
        eprintln!("Can't open the log file: {e}");
        return ExitCode::FAILURE;
    }
    log::info!("oO0OoO0OoO0Oo rredis is starting oO0OoO0OoO0Oo");
    log::info!(
        "rredis version={}, pid={}, just started",
        env!("CARGO_PKG_VERSION"),
        std::process::id()
    );
    let mut config = config;
    // Before anything opens a descriptor that counts against the limit (Redis's initServer
    // runs it first too).
    if let Err(e) = rredis::server::adjust_open_files_limit(&mut config) {
        log::warn!("{e}");
        return ExitCode::FAILURE;
    }
    let mut srv = Server::new(config, config_file);
    if let Err(e) = rredis::acl::load_users_at_startup(&mut srv) {
        log::warn!("{e}");
        return ExitCode::FAILURE;
    }
    if let Err(e) = event_loop::listen(&mut srv) {
        log::warn!(
            "Failed listening on port {} (TCP), aborting: {e}",
            srv.config.port
        );
        return ExitCode::FAILURE;
    }
    log::info!("Server initialized");
    // As Redis's loadDataFromDisk: with appendonly yes the AOF is the dataset (it wins over
    // dump.rdb); otherwise the dump. Either one that cannot be read in full stops the start,
    // rather than serving (and later saving over) a partial dataset.
    let loaded = if srv.config.appendonly {
        rredis::persist::aof::load_and_open_on_server_start(&mut srv)
    } else {
        rredis::persist::rdb::load_data_from_disk(&mut srv).map_err(|e| e.to_string())
    };
    if let Err(e) = loaded {
        log::warn!("Fatal error loading the DB: {e}. Exiting.");
        return ExitCode::FAILURE;
    }
    let code = match event_loop::run(&mut srv) {
        Ok(()) => {
            log::warn!("rredis is now ready to exit, bye bye...");
            ExitCode::SUCCESS
        }
        Err(e) => {
            log::warn!("Event loop failed: {e}");
            ExitCode::FAILURE
        }
    };
    // The dataset is not freed on the way out: the OS takes the memory back at once, where
    // dropping millions of keys one by one would hold up the exit for seconds after the
    // shutdown was acknowledged (Redis does not free it either). Files were flushed and
    // synced by the shutdown itself.
    std::mem::forget(srv);
    code
}
