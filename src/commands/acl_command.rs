//! The ACL command and its subcommands (Redis's aclCommand in acl.c): SETUSER, GETUSER,
//! DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOG, DRYRUN, LOAD, SAVE. The users and the
//! rules themselves live in [`crate::acl`]; these handlers parse arguments and shape replies.

use std::io::Read;

use bytes::Bytes;

use crate::acl::{
    bad_user_name, category_by_name, kill_pubsub_clients_if_needed, kill_user_clients,
    load_from_file, save_to_file, set_user_rules, Denied, DEFAULT_USER,
};
use crate::client::Client;
use crate::commands::{acl, all_commands, container_command, flags::*, Command, NO_KEYS};
use crate::server::Server;
use crate::util::parse_i64;

pub static COMMANDS: &[Command] =
    &[Command::new("acl", -2, 0, NO_KEYS, 0, container_command).with_subcommands(ACL_SUBCOMMANDS)];

/// Flags most ACL subcommands share.
const ACL_ADMIN: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const ACL_OPEN: u32 = NOSCRIPT | LOADING | STALE;

static ACL_SUBCOMMANDS: &[Command] = &[
    Command::new("acl|cat", -2, ACL_OPEN, NO_KEYS, 0, acl_cat_command),
    Command::new(
        "acl|deluser",
        -3,
        ACL_ADMIN,
        NO_KEYS,
        0,
        acl_deluser_command,
    ),
    Command::new("acl|dryrun", -4, ACL_ADMIN, NO_KEYS, 0, acl_dryrun_command),
    Command::new("acl|genpass", -2, ACL_OPEN, NO_KEYS, 0, acl_genpass_command),
    Command::new("acl|getuser", 3, ACL_ADMIN, NO_KEYS, 0, acl_getuser_command),
    Command::new("acl|help", 2, LOADING | STALE, NO_KEYS, 0, acl_help_command),
    Command::new("acl|list", 2, ACL_ADMIN, NO_KEYS, 0, acl_list_command),
    Command::new("acl|load", 2, ACL_ADMIN, NO_KEYS, 0, acl_load_command),
    Command::new("acl|log", -2, ACL_ADMIN, NO_KEYS, 0, acl_log_command),
    Command::new("acl|save", 2, ACL_ADMIN, NO_KEYS, 0, acl_save_command),
    Command::new(
        "acl|setuser",
        -3,
        ACL_ADMIN,
        NO_KEYS,
        0,
        acl_setuser_command,
    ),
    Command::new("acl|users", 2, ACL_ADMIN, NO_KEYS, 0, acl_users_command),
    Command::new("acl|whoami", 2, ACL_OPEN, NO_KEYS, 0, acl_whoami_command),
];

/// The reply of ACL LOAD / SAVE without an `aclfile`.
const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You \
    may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE \
    (assuming you have a Redis configuration file set) in order to store users in the Redis \
    configuration.";

/// Most bits ACL GENPASS gives (Redis: 4096).
const GENPASS_MAX_BITS: i64 = 4096;

/// Bits ACL GENPASS gives without an argument.
const GENPASS_DEFAULT_BITS: i64 = 256;

/// ACL SETUSER username [rule ...]: creates or changes a user; every rule applies or none.
/// The user's connected clients see the new permissions from their next command.
fn acl_setuser_command(srv: &mut Server, c: &mut Client) {
    // The name and the rules (passwords among them) stay out of MONITOR and the slow log.
    for j in 2..c.argv.len() {
        c.redact_argument(j);
    }
    let name = c.argv.arg_bytes(2);
    if bad_user_name(&name) {
        return c
            .reply
            .error("ERR Usernames can't contain spaces or null characters");
    }
    let rules = c.argv.get(3..).unwrap_or_default();
    let allchannels = srv.config.acl_pubsub_default == "allchannels";
    match set_user_rules(
        &srv.commands,
        &name,
        srv.acl.user(&name),
        rules,
        allchannels,
    ) {
        Ok(user) => {
            if let Some(original) = srv.acl.users.insert(name, user.clone()) {
                kill_pubsub_clients_if_needed(srv, c, &user, &original);
            }
            c.reply.ok();
        }
        Err(e) => c.reply.error(&format!("ERR {e}")),
    }
}

/// ACL GETUSER username: the user's flags, passwords (as digests), command rules, keys,
/// channels and selectors, as a map; null for an unknown user.
fn acl_getuser_command(srv: &mut Server, c: &mut Client) {
    let Some(user) = srv.acl.user(c.argv.arg(2)) else {
        return c.reply.null();
    };
    let table = &srv.commands;
    let r = &mut c.reply;
    r.map_len(6);
    r.bulk(b"flags");
    let flags = user.flag_names();
    r.set_len(flags.len());
    for flag in flags {
        r.bulk(flag.as_bytes());
    }
    r.bulk(b"passwords");
    let passwords = user.password_hexes();
    r.array_len(passwords.len());
    for password in passwords {
        r.bulk(password.as_bytes());
    }
    let root = user.root();
    r.bulk(b"commands");
    r.bulk(root.describe_commands(table).as_bytes());
    r.bulk(b"keys");
    r.bulk(root.describe_keys().as_bytes());
    r.bulk(b"channels");
    r.bulk(root.describe_channels().as_bytes());
    r.bulk(b"selectors");
    r.array_len(user.selectors().len());
    for selector in user.selectors() {
        r.map_len(3);
        r.bulk(b"commands");
        r.bulk(selector.describe_commands(table).as_bytes());
        r.bulk(b"keys");
        r.bulk(selector.describe_keys().as_bytes());
        r.bulk(b"channels");
        r.bulk(selector.describe_channels().as_bytes());
    }
}

/// ACL DELUSER username [username ...]: deletes users and disconnects their clients;
/// replies how many existed. The default user cannot go.
fn acl_deluser_command(srv: &mut Server, c: &mut Client) {
    let names = c.argv.get(2..).unwrap_or_default().to_vec();
    if names.iter().any(|n| n[..] == *DEFAULT_USER) {
        return c.reply.error("ERR The 'default' user cannot be removed");
    }
    let mut deleted = 0;
    for name in names {
        if srv.acl.users.remove(&name).is_some() {
            deleted += 1;
            kill_user_clients(srv, &name);
            if c.user == name {
                c.close_after_reply = true;
            }
        }
    }
    c.reply.int(deleted);
}

/// ACL LIST: every user as an ACL file line, sorted by name.
fn acl_list_command(srv: &mut Server, c: &mut Client) {
    c.reply.array_len(srv.acl.users.len());
    for user in srv.acl.users.values() {
        let line = format!(
            "user {} {}",
            String::from_utf8_lossy(&user.name),
            user.describe(&srv.commands)
        );
        c.reply.bulk(line.as_bytes());
    }
}

/// ACL USERS: every user name, sorted.
fn acl_users_command(srv: &mut Server, c: &mut Client) {
    c.reply.array_len(srv.acl.users.len());
    for name in srv.acl.users.keys() {
        c.reply.bulk(name);
    }
}

/// ACL WHOAMI: the connection's user.
fn acl_whoami_command(_srv: &mut Server, c: &mut Client) {
    let user = c.user.clone();
    c.reply.bulk(&user);
}

/// ACL CAT [category]: the category names, or the commands (and subcommands) in one.
fn acl_cat_command(_srv: &mut Server, c: &mut Client) {
    let Some(name) = c.argv.get(2).cloned() else {
        c.reply.array_len(acl::NAMES.len());
        for name in acl::NAMES {
            c.reply.bulk(name.as_bytes());
        }
        return;
    };
    if c.argv.len() > 3 {
        return crate::commands::subcommand_syntax_error(c);
    }
    let Some(category) = category_by_name(&name) else {
        let name = String::from_utf8_lossy(crate::server::c_string_prefix(&name, 128));
        return c.reply.error(&format!("ERR Unknown category '{name}'"));
    };
    let names: Vec<&str> = all_commands()
        .flat_map(|cmd| std::iter::once(cmd).chain(cmd.subcommands))
        .filter(|cmd| cmd.acl_categories() & category != 0)
        .map(|cmd| cmd.name)
        .collect();
    c.reply.array_len(names.len());
    for name in names {
        c.reply.bulk(name.as_bytes());
    }
}

/// ACL GENPASS [bits]: a random password of `bits` bits (256 by default) in hex, from the
/// system's random source.
fn acl_genpass_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 3 {
        return crate::commands::subcommand_syntax_error(c);
    }
    let bits = match c.argv.get(2) {
        None => Some(GENPASS_DEFAULT_BITS),
        Some(arg) => parse_i64(arg),
    };
    let Some(bits) = bits.filter(|b| (1..=GENPASS_MAX_BITS).contains(b)) else {
        return c.reply.error(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to 4096",
        );
    };
    let chars = (bits as usize).div_ceil(4);
    let mut random = vec![0u8; chars.div_ceil(2)];
    // /dev/urandom is the secure source; the server's generator is only a fallback for a
    // system without it.
    let from_system = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut random))
        .is_ok();
    if !from_system {
        for byte in &mut random {
            *byte = srv.rng.below(256) as u8;
        }
    }
    let mut hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(chars);
    c.reply.bulk(hex.as_bytes());
}

/// ACL LOG [count | RESET]: the newest `count` (default 10) denials, or clears the log.
fn acl_log_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 3 {
        return crate::commands::subcommand_syntax_error(c);
    }
    let mut count = 10;
    if let Some(arg) = c.argv.get(2) {
        if arg.eq_ignore_ascii_case(b"reset") {
            srv.acl.log.clear();
            return c.reply.ok();
        }
        match parse_i64(arg) {
            Some(n) => count = n.max(0) as usize,
            None => return c.reply.error(crate::commands::errors::NOT_INTEGER),
        }
    }
    let now = crate::util::now_ms();
    let entries: Vec<_> = srv.acl.log.iter().take(count).collect();
    c.reply.array_len(entries.len());
    for e in entries {
        let r = &mut c.reply;
        r.map_len(7);
        r.bulk(b"count");
        r.int(e.count as i64);
        r.bulk(b"reason");
        r.bulk(e.reason.log_reason().as_bytes());
        r.bulk(b"context");
        r.bulk(e.context.as_bytes());
        r.bulk(b"object");
        r.bulk(&e.object);
        r.bulk(b"username");
        r.bulk(&e.username);
        r.bulk(b"age-seconds");
        r.double((now - e.ctime_ms) as f64 / 1000.0);
        r.bulk(b"client-info");
        r.bulk(e.client_info.as_bytes());
    }
}

/// ACL DRYRUN username command [arg ...]: whether the user could run the command, without
/// running it: `+OK`, or a bulk string saying what is denied.
fn acl_dryrun_command(srv: &mut Server, c: &mut Client) {
    let name = c.argv.arg(2);
    let Some(user) = srv.acl.user(name) else {
        let name = String::from_utf8_lossy(name);
        return c.reply.error(&format!("ERR User '{name}' not found"));
    };
    let argv: Vec<Bytes> = c.argv.get(3..).unwrap_or_default().to_vec();
    let cmd = match srv.commands.resolve(&argv) {
        Ok(cmd) => cmd,
        Err(_) => {
            let name = String::from_utf8_lossy(c.argv.arg(3));
            return c.reply.error(&format!("ERR Command '{name}' not found"));
        }
    };
    if !cmd.arity_ok(argv.len()) {
        return c.reply.error(&format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.name
        ));
    }
    match user.check_command(&srv.commands, cmd, &argv) {
        Ok(()) => c.reply.ok(),
        Err(denial) => {
            let arg = argv
                .get(denial.arg_pos)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .unwrap_or_default();
            let text = match denial.reason {
                Denied::Key => format!("This user has no permissions to access the '{arg}' key"),
                Denied::Channel => {
                    format!("This user has no permissions to access the '{arg}' channel")
                }
                Denied::Command | Denied::Auth => format!(
                    "This user has no permissions to run the '{}' command",
                    cmd.name
                ),
            };
            c.reply.bulk(text.as_bytes());
        }
    }
}

/// ACL LOAD: replaces every user with the ACL file's (see [`load_from_file`]).
fn acl_load_command(srv: &mut Server, c: &mut Client) {
    if srv.config.aclfile.is_empty() {
        return c.reply.error(NO_ACL_FILE);
    }
    let path = srv.config.aclfile.clone();
    match load_from_file(srv, &path) {
        Ok(()) => {
            // The caller's own user was replaced too, unless it is the default user.
            if c.user[..] != *DEFAULT_USER {
                c.close_after_reply = true;
            }
            c.reply.ok();
        }
        Err(e) => c.reply.error(&format!("ERR {e}")),
    }
}

/// ACL SAVE: writes every user to the ACL file.
fn acl_save_command(srv: &mut Server, c: &mut Client) {
    if srv.config.aclfile.is_empty() {
        return c.reply.error(NO_ACL_FILE);
    }
    let path = srv.config.aclfile.clone();
    match save_to_file(srv, &path) {
        Ok(()) => c.reply.ok(),
        Err(e) => {
            log::warn!("Failed saving ACL file '{path}': {e}");
            c.reply.error(
                "ERR There was an error trying to save the ACLs. Please check the server logs \
                 for more information",
            );
        }
    }
}

fn acl_help_command(_srv: &mut Server, c: &mut Client) {
    c.reply.help(
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
}
