//! Users, their permissions and authentication (Redis's acl.c).
//!
//! [`Acl`] is the server's user table, owned by `Server::acl`. Each [`User`] has a name, an
//! on/off switch, passwords kept only as SHA-256 digests (or `nopass`), and one or more
//! [`Selector`]s: the root one its plain rules set, plus any `(...)` selectors. A selector
//! says which commands may run (a bitmap over command ids, see `CommandTable::id`, plus
//! allowed first arguments for `+select|0`-style rules), which keys may be read or written
//! (patterns with R/W flags) and which pub/sub channels may be used. A command is allowed
//! if any one selector allows all of it ([`check_command`]).
//!
//! A client names its user (`Client::user`) and is `authenticated` or not. A new connection
//! is the `default` user, authenticated exactly when that user is on and needs no password.
//! `requirepass` is the default user's password: setting it replaces the user's passwords,
//! clearing it makes the user `nopass` (Redis's ACLUpdateDefaultUserPassword).
//!
//! Rules are parsed by [`Selector::set`] / [`User::set`] (Redis's ACLSetSelector /
//! ACLSetUser) and printed back by [`User::describe`] (ACLDescribeUser) in Redis's minimal
//! form: the command part is rebuilt from the bitmap, category by category, exactly as Redis
//! does it, so ACL LIST reads the same as Redis's for the same rules.
//!
//! Denied commands and failed AUTHs are recorded in [`Acl::log`] (ACL LOG).

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::Bytes;

use crate::client::Client;
use crate::commands::introspection::{command_keys, key_flags};
use crate::commands::{acl as cat, all_commands, flags, Command, CommandTable};
use crate::sha256::sha256;
use crate::util::string_match;

/// The user every connection starts as. Names are compared byte for byte: `DEFAULT` is
/// another user, as in Redis.
pub const DEFAULT_USER: &[u8] = b"default";

/// How long a repeated denial is folded into an earlier ACL LOG entry instead of getting
/// its own, in ms (Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA).
const LOG_GROUPING_MAX_TIME_DELTA_MS: i64 = 60_000;

/// How many of the newest ACL LOG entries a denial may be folded into (Redis bounds the
/// search at 10 so logging stays cheap).
const LOG_GROUPING_SCAN: usize = 10;

/// Why a command (or AUTH) was refused. The order is Redis's: when no selector allows a
/// command, the highest reason among them is reported (ACLCheckAllUserCommandPerm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    Command,
    Key,
    Auth,
    Channel,
}

impl Denied {
    /// The `reason` field of an ACL LOG entry.
    pub fn log_reason(self) -> &'static str {
        match self {
            Denied::Command => "command",
            Denied::Key => "key",
            Denied::Auth => "auth",
            Denied::Channel => "channel",
        }
    }
}

/// A refusal with the argument it is about (the key or channel; 0 for the command).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denial {
    pub reason: Denied,
    pub arg_pos: usize,
}

/// Read permission of a key pattern (ACL_READ_PERMISSION).
const PERM_READ: u8 = 1;
/// Write permission of a key pattern (ACL_WRITE_PERMISSION).
const PERM_WRITE: u8 = 2;
const PERM_ALL: u8 = PERM_READ | PERM_WRITE;

/// A key pattern and what it allows: `~p` both, `%R~p` reads, `%W~p` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyPattern {
    pattern: Bytes,
    perms: u8,
}

/// One set of permissions (Redis's aclSelector). Owned by its [`User`]; a copy is worked on
/// while ACL SETUSER applies rules, and replaces the user's only if every rule was valid.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    /// One bit per command id (`CommandTable::id`): the command may run.
    allowed: Vec<u64>,
    /// Commands added to the server later would be allowed too: set only by `+@all` /
    /// `allcommands`, cleared by `-@all` / `nocommands` (Redis's reserved last bit). It
    /// decides whether the rules are printed from `+@all` or from `-@all`.
    future: bool,
    /// Allowed first arguments of commands whose bit is off (`+select|0`), by command id.
    first_args: HashMap<usize, Vec<Bytes>>,
    /// Every key is allowed (`~*`, `allkeys`); `keys` is then empty.
    allkeys: bool,
    keys: Vec<KeyPattern>,
    /// Every channel is allowed (`&*`, `allchannels`); `channels` is then empty.
    allchannels: bool,
    channels: Vec<Bytes>,
}

/// Why a rule was refused; [`SetError::text`] is Redis's wording (ACLSetUserStringError).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetError {
    UnknownName,
    Syntax,
    KeyAfterAllKeys,
    ChannelAfterAllChannels,
    NoSuchPassword,
    BadHash,
    FirstArgOfSubcommand,
}

impl SetError {
    pub fn text(self) -> &'static str {
        match self {
            SetError::UnknownName => "Unknown command or category name in ACL",
            SetError::Syntax => "Syntax error",
            SetError::KeyAfterAllKeys => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of \
                 patterns"
            }
            SetError::ChannelAfterAllChannels => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list \
                 of channels"
            }
            SetError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            SetError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            SetError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// The category named `name` (without the `@`), in any letter case.
pub fn category_by_name(name: &[u8]) -> Option<u64> {
    cat::NAMES
        .iter()
        .position(|n| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|i| 1 << i)
}

impl Selector {
    /// A selector that allows nothing: no commands, keys or channels; `allchannels` when
    /// `acl-pubsub-default` is `allchannels`.
    fn new(allchannels: bool) -> Selector {
        Selector {
            allchannels,
            ..Selector::default()
        }
    }

    /// True if this selector allows every command of `table` on every key and channel.
    fn unrestricted(&self, table: &CommandTable) -> bool {
        self.allkeys && self.allchannels && (0..table.row_count()).all(|id| self.bit(id))
    }

    fn bit(&self, id: usize) -> bool {
        self.allowed
            .get(id / 64)
            .is_some_and(|word| word & (1 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        let word = id / 64;
        if self.allowed.len() <= word {
            self.allowed.resize(word + 1, 0);
        }
        if let Some(w) = self.allowed.get_mut(word) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
            }
        }
    }

    /// Allows or denies `cmd` and, for a container, every subcommand; forgets its allowed
    /// first arguments (Redis's ACLChangeSelectorPerm).
    fn change_perm(&mut self, table: &CommandTable, cmd: &'static Command, on: bool) {
        let id = table.id(cmd);
        self.set_bit(id, on);
        self.first_args.remove(&id);
        for sub in cmd.subcommands {
            self.set_bit(table.id(sub), on);
        }
    }

    /// `+@cat` / `-@cat`: every command (and subcommand) in the category (Redis's
    /// ACLSetSelectorCommandBitsForCategory).
    fn set_category(&mut self, table: &CommandTable, category: u64, on: bool) {
        for cmd in all_commands() {
            if cmd.acl_categories() & category != 0 {
                self.change_perm(table, cmd, on);
            }
            for sub in cmd.subcommands {
                if sub.acl_categories() & category != 0 {
                    self.change_perm(table, sub, on);
                }
            }
        }
    }

    fn set_all_commands(&mut self, table: &CommandTable, on: bool) {
        self.allowed = if on {
            vec![u64::MAX; table.row_count().div_ceil(64)]
        } else {
            Vec::new()
        };
        self.future = on;
        self.first_args.clear();
    }

    /// Applies one selector rule (Redis's ACLSetSelector).
    pub fn set(&mut self, table: &CommandTable, op: &[u8]) -> Result<(), SetError> {
        let lower = op.to_ascii_lowercase();
        match &lower[..] {
            b"allkeys" | b"~*" => {
                self.allkeys = true;
                self.keys.clear();
                return Ok(());
            }
            b"resetkeys" => {
                self.allkeys = false;
                self.keys.clear();
                return Ok(());
            }
            b"allchannels" | b"&*" => {
                self.allchannels = true;
                self.channels.clear();
                return Ok(());
            }
            b"resetchannels" => {
                self.allchannels = false;
                self.channels.clear();
                return Ok(());
            }
            b"allcommands" | b"+@all" => {
                self.set_all_commands(table, true);
                return Ok(());
            }
            b"nocommands" | b"-@all" => {
                self.set_all_commands(table, false);
                return Ok(());
            }
            _ => {}
        }
        match op {
            [b'~' | b'%', ..] => self.add_key_pattern(op),
            [b'&', channel @ ..] => {
                if self.allchannels {
                    return Err(SetError::ChannelAfterAllChannels);
                }
                if !self.channels.iter().any(|c| c[..] == *channel) {
                    self.channels.push(Bytes::copy_from_slice(channel));
                }
                Ok(())
            }
            [sign @ (b'+' | b'-'), b'@', name @ ..] => {
                let category = category_by_name(name).ok_or(SetError::UnknownName)?;
                self.set_category(table, category, *sign == b'+');
                Ok(())
            }
            [b'+', name @ ..] => self.allow_command(table, name),
            [b'-', name @ ..] => {
                let cmd = table.get_by_full_name(name).ok_or(SetError::UnknownName)?;
                self.change_perm(table, cmd, false);
                Ok(())
            }
            _ => Err(SetError::Syntax),
        }
    }

    /// `~pattern` or `%R~` / `%W~` / `%RW~pattern`.
    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), SetError> {
        if self.allkeys {
            return Err(SetError::KeyAfterAllKeys);
        }
        let (perms, pattern) = if op.first() == Some(&b'%') {
            let mut perms = 0;
            let mut offset = 1;
            while let Some(&b) = op.get(offset) {
                offset += 1;
                match b.to_ascii_uppercase() {
                    b'R' if perms & PERM_READ == 0 => perms |= PERM_READ,
                    b'W' if perms & PERM_WRITE == 0 => perms |= PERM_WRITE,
                    b'~' => break,
                    _ => return Err(SetError::Syntax),
                }
            }
            if perms == 0 {
                return Err(SetError::Syntax);
            }
            (perms, op.get(offset..).unwrap_or_default())
        } else {
            (PERM_ALL, op.get(1..).unwrap_or_default())
        };
        match self.keys.iter_mut().find(|k| k.pattern[..] == *pattern) {
            Some(existing) => existing.perms |= perms,
            None => self.keys.push(KeyPattern {
                pattern: Bytes::copy_from_slice(pattern),
                perms,
            }),
        }
        Ok(())
    }

    /// `+cmd`, `+container|sub`, or `+cmd|firstarg` for a command without subcommands.
    fn allow_command(&mut self, table: &CommandTable, name: &[u8]) -> Result<(), SetError> {
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let cmd = table.get_by_full_name(name).ok_or(SetError::UnknownName)?;
            self.change_perm(table, cmd, true);
            return Ok(());
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let cmd = table.get_by_full_name(base).ok_or(SetError::UnknownName)?;
        if cmd.name.contains('|') {
            return Err(SetError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(SetError::Syntax);
        }
        if !cmd.subcommands.is_empty() {
            let sub = cmd.subcommand(sub).ok_or(SetError::UnknownName)?;
            self.change_perm(table, sub, true);
            return Ok(());
        }
        log::warn!(
            "Deprecation warning: Allowing a first arg of an otherwise blocked command is a \
             misuse of ACL and may get disabled in the future (offender: +{})",
            String::from_utf8_lossy(name)
        );
        let args = self.first_args.entry(table.id(cmd)).or_default();
        if !args.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
            args.push(Bytes::copy_from_slice(sub));
        }
        Ok(())
    }

    /// Whether this selector allows `cmd` with `argv` (Redis's ACLSelectorCheckCmd).
    fn check_command(
        &self,
        table: &CommandTable,
        cmd: &'static Command,
        argv: &[Bytes],
    ) -> Result<(), Denial> {
        let denied = |reason, arg_pos| Err(Denial { reason, arg_pos });
        if cmd.flags & flags::NO_AUTH == 0 {
            let id = table.id(cmd);
            if !self.bit(id) {
                // A subcommand's first argument is the one after the subcommand.
                let at = if cmd.name.contains('|') { 2 } else { 1 };
                let first_arg_allowed = argv.get(at).is_some_and(|arg| {
                    self.first_args
                        .get(&id)
                        .is_some_and(|args| args.iter().any(|a| a.eq_ignore_ascii_case(arg)))
                });
                if !first_arg_allowed {
                    return denied(Denied::Command, 0);
                }
            }
        }
        if !self.allkeys {
            for key in command_keys(cmd, argv) {
                let Some(name) = argv.get(key.pos) else {
                    continue;
                };
                if !self.key_allowed(name, key.flags) {
                    return denied(Denied::Key, key.pos);
                }
            }
        }
        if !self.allchannels {
            for (pos, is_pattern) in command_channels(cmd, argv) {
                let Some(channel) = argv.get(pos) else {
                    continue;
                };
                if !self.channel_allowed(channel, is_pattern) {
                    return denied(Denied::Channel, pos);
                }
            }
        }
        Ok(())
    }

    /// A key is allowed if a pattern with every permission the access needs matches it:
    /// reading the value needs R, changing it W (Redis's ACLSelectorCheckKey).
    fn key_allowed(&self, key: &[u8], spec_flags: u16) -> bool {
        if self.allkeys {
            return true;
        }
        let mut needed = 0;
        if spec_flags & key_flags::ACCESS != 0 {
            needed |= PERM_READ;
        }
        if spec_flags & (key_flags::INSERT | key_flags::DELETE | key_flags::UPDATE) != 0 {
            needed |= PERM_WRITE;
        }
        self.keys
            .iter()
            .any(|p| p.perms & needed == needed && string_match(&p.pattern, key, false))
    }

    /// A channel is allowed if a pattern matches it; a pattern subscription (PSUBSCRIBE) only
    /// if the very same pattern is listed (Redis's ACLCheckChannelAgainstList).
    fn channel_allowed(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.allchannels
            || self.channels.iter().any(|p| {
                if is_pattern {
                    p[..] == *channel
                } else {
                    string_match(p, channel, false)
                }
            })
    }

    /// How many top-level commands of `category` are allowed and how many not (Redis's
    /// ACLCountCategoryBitsForSelector).
    fn count_category(&self, table: &CommandTable, category: u64) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for cmd in all_commands().filter(|c| c.acl_categories() & category != 0) {
            if self.bit(table.id(cmd)) {
                on += 1;
            } else {
                off += 1;
            }
        }
        (on, off)
    }

    /// The command rules as Redis prints them (ACLDescribeSelectorCommandRules): `+@all` or
    /// `-@all`, then the categories that best approximate the bitmap, chosen one at a time
    /// (the one with fewest exceptions, then most commands in common), then the single
    /// commands and first arguments still different. Redis walks its commands in hash order,
    /// so when several single commands differ, their order differs between servers.
    pub fn describe_commands(&self, table: &CommandTable) -> String {
        let mut rules = String::new();
        let additive = !self.future;
        let mut fake = Selector::default();
        if additive {
            rules.push_str("-@all ");
        } else {
            rules.push_str("+@all ");
            fake.set_all_commands(table, true);
        }
        // Categories already used are turned the other way in `temp`, so they stop
        // counting as matches.
        let mut temp = self.clone();
        loop {
            let mut best = None;
            let (mut min_diff, mut max_same) = (usize::MAX, 0);
            for (i, _) in cat::NAMES.iter().enumerate() {
                let (on, off) = temp.count_category(table, 1 << i);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                    best = Some(i);
                    min_diff = diff;
                    max_same = same;
                }
            }
            let Some(i) = best else { break };
            let name = cat::NAMES.get(i).copied().unwrap_or_default();
            fake.set_category(table, 1 << i, additive);
            temp.set_category(table, 1 << i, !additive);
            rules.push_str(if additive { "+@" } else { "-@" });
            rules.push_str(name);
            rules.push(' ');
        }
        for cmd in all_commands() {
            let id = table.id(cmd);
            let (user_bit, fake_bit) = (self.bit(id), fake.bit(id));
            if user_bit != fake_bit {
                rules.push(if user_bit { '+' } else { '-' });
                rules.push_str(cmd.name);
                rules.push(' ');
                fake.change_perm(table, cmd, user_bit);
            }
            if !user_bit {
                for arg in self.first_args.get(&id).into_iter().flatten() {
                    rules.push('+');
                    rules.push_str(cmd.name);
                    rules.push('|');
                    rules.push_str(&String::from_utf8_lossy(arg));
                    rules.push(' ');
                }
            }
            for sub in cmd.subcommands {
                let id = table.id(sub);
                let user_bit = self.bit(id);
                if user_bit != fake.bit(id) {
                    rules.push(if user_bit { '+' } else { '-' });
                    rules.push_str(sub.name);
                    rules.push(' ');
                }
            }
        }
        rules.pop();
        rules
    }

    /// The key patterns as GETUSER's `keys` prints them (`~*`, or `~a %R~b %W~c`).
    pub fn describe_keys(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        let patterns: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let prefix = match k.perms {
                    PERM_ALL => "~",
                    PERM_READ => "%R~",
                    _ => "%W~",
                };
                format!("{prefix}{}", String::from_utf8_lossy(&k.pattern))
            })
            .collect();
        patterns.join(" ")
    }

    /// The channel patterns as GETUSER's `channels` prints them.
    pub fn describe_channels(&self) -> String {
        if self.allchannels {
            return "&*".into();
        }
        let patterns: Vec<String> = self
            .channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect();
        patterns.join(" ")
    }

    /// The selector as one rule string (ACLDescribeSelector): keys, channels, commands.
    fn describe(&self, table: &CommandTable) -> String {
        let mut out = String::new();
        let keys = self.describe_keys();
        if !keys.is_empty() {
            out.push_str(&keys);
            out.push(' ');
        }
        if !self.allchannels {
            out.push_str("resetchannels ");
        }
        let channels = self.describe_channels();
        if !channels.is_empty() {
            out.push_str(&channels);
            out.push(' ');
        }
        out.push_str(&self.describe_commands(table));
        out
    }
}

/// The channels a command names, with whether each is a pattern: the first argument of
/// PUBLISH / SPUBLISH, every argument of SUBSCRIBE, SSUBSCRIBE and PSUBSCRIBE (Redis's
/// getChannelsFromCommand; unsubscribing needs no permission).
fn command_channels(cmd: &Command, argv: &[Bytes]) -> Vec<(usize, bool)> {
    match cmd.name {
        "publish" | "spublish" => vec![(1, false)],
        "subscribe" | "ssubscribe" => (1..argv.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..argv.len()).map(|i| (i, true)).collect(),
        _ => Vec::new(),
    }
}

/// One user (Redis's `user`). Owned by [`Acl::users`]; dies with ACL DELUSER or ACL LOAD,
/// which also disconnect its clients.
#[derive(Debug, Clone)]
pub struct User {
    pub name: Bytes,
    pub enabled: bool,
    /// Any password is accepted; `passwords` is then empty.
    pub nopass: bool,
    /// Redis's sanitize-payload / skip-sanitize-payload flags: only stored and printed
    /// (rredis has no RESTORE payloads to sanitize).
    sanitize_payload: bool,
    skip_sanitize_payload: bool,
    /// SHA-256 digests of the accepted passwords, in the order they were added.
    passwords: Vec<[u8; 32]>,
    /// The rules outside parentheses, then each `(...)` selector.
    root: Selector,
    selectors: Vec<Selector>,
    /// The root selector allows every command on every key and channel (the default user's
    /// `+@all ~* &*`): the permission check, which runs before every command, then has
    /// nothing to look up. Recomputed by [`User::set`] after each rule.
    unrestricted: bool,
}

/// Lower-case hex of a digest, as ACL LIST prints it.
fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A `#<hash>` / `!<hash>` argument: exactly 64 lower-case hex digits.
fn parse_hash(text: &[u8]) -> Result<[u8; 32], SetError> {
    if text.len() != 64 {
        return Err(SetError::BadHash);
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(SetError::BadHash),
        };
        let (hi, lo) = match pair {
            [hi, lo] => (digit(*hi)?, digit(*lo)?),
            _ => return Err(SetError::BadHash),
        };
        *byte = hi << 4 | lo;
    }
    Ok(out)
}

impl User {
    /// A new user as ACL SETUSER creates it: off, no passwords, nothing allowed (Redis's
    /// ACLCreateUser).
    pub fn new(name: &[u8], allchannels: bool) -> User {
        User {
            name: Bytes::copy_from_slice(name),
            enabled: false,
            nopass: false,
            sanitize_payload: false,
            skip_sanitize_payload: false,
            passwords: Vec::new(),
            root: Selector::new(allchannels),
            selectors: Vec::new(),
            unrestricted: false,
        }
    }

    /// Applies one rule (Redis's ACLSetUser). `op` may be a whole `(...)` selector.
    /// `allchannels` is `acl-pubsub-default == allchannels`, for `reset` and new selectors.
    pub fn set(
        &mut self,
        table: &CommandTable,
        op: &[u8],
        allchannels: bool,
    ) -> Result<(), SetError> {
        let result = self.set_rule(table, op, allchannels);
        self.unrestricted = self.root.unrestricted(table);
        result
    }

    /// The body of [`User::set`].
    fn set_rule(
        &mut self,
        table: &CommandTable,
        op: &[u8],
        allchannels: bool,
    ) -> Result<(), SetError> {
        let lower = op.to_ascii_lowercase();
        match &lower[..] {
            // An empty rule (two blanks in an ACL file line) does nothing.
            b"" => {}
            b"on" => self.enabled = true,
            b"off" => self.enabled = false,
            b"skip-sanitize-payload" => {
                self.skip_sanitize_payload = true;
                self.sanitize_payload = false;
            }
            b"sanitize-payload" => {
                self.sanitize_payload = true;
                self.skip_sanitize_payload = false;
            }
            b"nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            b"resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            b"clearselectors" => self.selectors.clear(),
            b"reset" => {
                for rule in [
                    &b"resetpass"[..],
                    b"resetkeys",
                    b"resetchannels",
                    b"off",
                    b"-@all",
                    b"clearselectors",
                    b"sanitize-payload",
                ] {
                    self.set(table, rule, allchannels)?;
                }
                if allchannels {
                    self.set(table, b"allchannels", allchannels)?;
                }
            }
            _ => match op {
                [b'>', password @ ..] => {
                    let digest = sha256(password);
                    if !self.passwords.contains(&digest) {
                        self.passwords.push(digest);
                    }
                    self.nopass = false;
                }
                [b'#', hash @ ..] => {
                    let digest = parse_hash(hash)?;
                    if !self.passwords.contains(&digest) {
                        self.passwords.push(digest);
                    }
                    self.nopass = false;
                }
                [b'<', password @ ..] => self.remove_password(&sha256(password))?,
                [b'!', hash @ ..] => self.remove_password(&parse_hash(hash)?)?,
                [b'(', inner @ .., b')'] => {
                    let mut selector = Selector::new(allchannels);
                    for rule in inner.split(|&b| b == b' ').filter(|r| !r.is_empty()) {
                        selector.set(table, rule)?;
                    }
                    self.selectors.push(selector);
                }
                _ => self.root.set(table, op)?,
            },
        }
        Ok(())
    }

    fn remove_password(&mut self, digest: &[u8; 32]) -> Result<(), SetError> {
        let before = self.passwords.len();
        self.passwords.retain(|p| p != digest);
        if self.passwords.len() == before {
            return Err(SetError::NoSuchPassword);
        }
        Ok(())
    }

    /// The user's flags as ACL GETUSER lists them.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut names = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            names.push("nopass");
        }
        if self.skip_sanitize_payload {
            names.push("skip-sanitize-payload");
        }
        if self.sanitize_payload {
            names.push("sanitize-payload");
        }
        names
    }

    /// The password digests in hex, as ACL GETUSER lists them.
    pub fn password_hexes(&self) -> Vec<String> {
        self.passwords.iter().map(hex).collect()
    }

    pub fn root(&self) -> &Selector {
        &self.root
    }

    pub fn selectors(&self) -> &[Selector] {
        &self.selectors
    }

    /// The rules that recreate this user, as ACL LIST and the ACL file print them after
    /// `user <name> ` (Redis's ACLDescribeUser).
    pub fn describe(&self, table: &CommandTable) -> String {
        let mut out = String::new();
        for flag in self.flag_names() {
            out.push_str(flag);
            out.push(' ');
        }
        for password in &self.passwords {
            out.push('#');
            out.push_str(&hex(password));
            out.push(' ');
        }
        out.push_str(&self.root.describe(table));
        for selector in &self.selectors {
            out.push_str(" (");
            out.push_str(&selector.describe(table));
            out.push(')');
        }
        out
    }

    /// True if `password` is accepted: the user is on, and `nopass` or the password's
    /// digest is one of the stored ones, compared without early exit (Redis's
    /// ACLCheckUserCredentials with time_independent_strcmp).
    fn check_credentials(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let digest = sha256(password);
        self.passwords
            .iter()
            .fold(false, |found, p| found | time_independent_eq(p, &digest))
    }

    /// Whether this user may run `cmd` with `argv`: allowed if any selector allows it, else
    /// the most relevant refusal (Redis's ACLCheckAllUserCommandPerm: the highest reason,
    /// and for equal reasons the latest argument).
    pub fn check_command(
        &self,
        table: &CommandTable,
        cmd: &'static Command,
        argv: &[Bytes],
    ) -> Result<(), Denial> {
        let mut relevant = Denial {
            reason: Denied::Command,
            arg_pos: 0,
        };
        for selector in std::iter::once(&self.root).chain(&self.selectors) {
            match selector.check_command(table, cmd, argv) {
                Ok(()) => return Ok(()),
                Err(d) => {
                    if d.reason > relevant.reason
                        || (d.reason == relevant.reason && d.arg_pos > relevant.arg_pos)
                    {
                        relevant = d;
                    }
                }
            }
        }
        Err(relevant)
    }
}

/// One ACL LOG entry (Redis's ACLLogEntry). Kept newest first in [`Acl::log`].
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// How many denials this entry stands for (similar ones are folded together).
    pub count: u64,
    pub reason: Denied,
    /// `toplevel` or `multi`.
    pub context: &'static str,
    /// The command's full name, the key or channel, or the AUTH / HELLO as typed.
    pub object: Bytes,
    pub username: Bytes,
    /// When the latest folded denial happened, unix ms.
    pub ctime_ms: i64,
    /// The CLIENT LIST line of the client, as of the latest denial.
    pub client_info: String,
}

/// The user table and the ACL log. Owned by the server for its whole life.
#[derive(Debug)]
pub struct Acl {
    /// Users by name; a `BTreeMap` so ACL LIST and ACL USERS come sorted as Redis's radix
    /// tree gives them. Invariant: `default` is always present.
    pub users: BTreeMap<Bytes, User>,
    /// Newest first; at most `acllog-max-len` entries.
    pub log: VecDeque<LogEntry>,
}

impl Acl {
    /// The table at start-up: the `default` user with every permission, `nopass` unless
    /// `requirepass` is set (Redis's ACLInit + createDefaultUser).
    pub fn new(table: &CommandTable, requirepass: &str) -> Acl {
        let mut default = User::new(DEFAULT_USER, false);
        for rule in [&b"+@all"[..], b"~*", b"&*", b"on", b"nopass"] {
            let _ = default.set(table, rule, false);
        }
        let mut acl = Acl {
            users: BTreeMap::new(),
            log: VecDeque::new(),
        };
        acl.users.insert(default.name.clone(), default);
        acl.update_default_user_password(table, requirepass);
        acl
    }

    /// `requirepass` changed: it becomes the default user's only password, or the user
    /// becomes `nopass` when it is empty (Redis's ACLUpdateDefaultUserPassword).
    pub fn update_default_user_password(&mut self, table: &CommandTable, password: &str) {
        if let Some(default) = self.users.get_mut(DEFAULT_USER) {
            let _ = default.set(table, b"resetpass", false);
            let rule = if password.is_empty() {
                b"nopass".to_vec()
            } else {
                [b">", password.as_bytes()].concat()
            };
            let _ = default.set(table, &rule, false);
        }
    }

    pub fn user(&self, name: &[u8]) -> Option<&User> {
        self.users.get(name)
    }

    /// True while the default user needs no password (its `nopass` flag, on or off).
    pub fn default_user_nopass(&self) -> bool {
        self.user(DEFAULT_USER).is_some_and(|u| u.nopass)
    }

    /// True while new connections are authenticated without AUTH: the default user is on
    /// and needs no password.
    fn default_user_open(&self) -> bool {
        self.user(DEFAULT_USER)
            .is_some_and(|u| u.nopass && u.enabled)
    }

    /// Records a denial (Redis's addACLLogEntry): folded into a recent entry (among the
    /// newest [`LOG_GROUPING_SCAN`]) with the same reason, context, object and user, which
    /// becomes the newest, else added as the newest; the oldest entries go beyond `max_len`.
    pub fn add_log_entry(&mut self, entry: LogEntry, max_len: usize) {
        let similar = self.log.iter().take(LOG_GROUPING_SCAN).position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && e.object == entry.object
                && e.username == entry.username
                && entry.ctime_ms - e.ctime_ms < LOG_GROUPING_MAX_TIME_DELTA_MS
        });
        let entry = match similar.and_then(|i| self.log.remove(i)) {
            Some(old) => LogEntry {
                count: old.count + 1,
                ..entry
            },
            None => entry,
        };
        self.log.push_front(entry);
        self.log.truncate(max_len);
    }
}

/// Parses the rules of a `user` line (config file, ACL file) or of ACL SETUSER: arguments
/// from `(` to the one ending in `)` form one selector (Redis's ACLMergeSelectorArguments).
/// The error is Redis's, naming where the open selector started.
fn merge_selector_args(args: &[Bytes]) -> Result<Vec<Bytes>, String> {
    let mut merged = Vec::new();
    // The selector being merged, and the argument that opened it (for the error).
    let mut open: Option<(Vec<u8>, &Bytes)> = None;
    for arg in args {
        match &mut open {
            Some((selector, _)) => {
                selector.push(b' ');
                selector.extend_from_slice(arg);
                if arg.ends_with(b")") {
                    merged.push(Bytes::from(std::mem::take(selector)));
                    open = None;
                }
            }
            None if arg.starts_with(b"(") && !arg.ends_with(b")") => {
                open = Some((arg.to_vec(), arg));
            }
            None => merged.push(arg.clone()),
        }
    }
    if let Some((_, start)) = open {
        return Err(format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(start)
        ));
    }
    Ok(merged)
}

/// Applies `rules` to a copy of `user` (or a new user named `name`) and returns it, or the
/// error naming the rule that failed: a user is changed by all its rules or not at all
/// (Redis's ACLStringSetUser).
pub fn set_user_rules(
    table: &CommandTable,
    name: &[u8],
    user: Option<&User>,
    rules: &[Bytes],
    allchannels: bool,
) -> Result<User, String> {
    let rules = merge_selector_args(rules)?;
    let mut user = user
        .cloned()
        .unwrap_or_else(|| User::new(name, allchannels));
    for rule in &rules {
        user.set(table, rule, allchannels).map_err(|e| {
            format!(
                "Error in ACL SETUSER modifier '{}': {}",
                String::from_utf8_lossy(rule),
                e.text()
            )
        })?;
    }
    Ok(user)
}

/// True if a user name cannot be used: it has a space or a NUL byte (Redis's
/// ACLStringHasSpaces, which also refuses control whitespace).
pub fn bad_user_name(name: &[u8]) -> bool {
    name.iter()
        .any(|&b| b == 0 || b.is_ascii_whitespace() || b == 0x0b)
}

/// Gives `c` the default user and its authentication state, as a new connection gets it
/// (Redis's clientSetDefaultAuth): authenticated exactly when no password is needed.
pub fn client_set_default_auth(acl: &Acl, c: &mut Client) {
    c.user = Bytes::from_static(DEFAULT_USER);
    c.authenticated = acl.default_user_open();
}

/// True if `c` may run only `no_auth` commands until it authenticates (Redis's
/// authRequired).
pub fn auth_required(acl: &Acl, c: &Client) -> bool {
    !acl.default_user_open() && !c.authenticated
}

/// Checks `username` / `password` and, if they match, makes `c` that user, authenticated
/// (Redis's ACLAuthenticateUser). A failure is logged (reason `auth`); the caller replies.
pub fn authenticate_user(
    srv: &mut crate::server::Server,
    c: &mut Client,
    username: &[u8],
    password: &[u8],
) -> bool {
    let valid = srv
        .acl
        .user(username)
        .is_some_and(|u| u.check_credentials(password));
    if valid {
        c.user = Bytes::copy_from_slice(username);
        c.authenticated = true;
    } else {
        // The object is the command as typed: AUTH, or HELLO for its AUTH option.
        let object = c.argv.first().cloned().unwrap_or_default();
        let entry = log_entry(
            srv,
            c,
            Denied::Auth,
            object,
            Bytes::copy_from_slice(username),
        );
        let max_len = srv.config.acllog_max_len as usize;
        srv.acl.add_log_entry(entry, max_len);
    }
    valid
}

/// A log entry for a denial of `c` now.
fn log_entry(
    srv: &crate::server::Server,
    c: &Client,
    reason: Denied,
    object: Bytes,
    username: Bytes,
) -> LogEntry {
    LogEntry {
        count: 1,
        reason,
        context: if c.multi.is_some() {
            "multi"
        } else {
            "toplevel"
        },
        object,
        username,
        ctime_ms: srv.now_ms,
        client_info: crate::commands::server_cmds::cat_client_info_string(srv, c, srv.now_ms),
    }
}

/// Checks that `c`'s user may run `cmd` with `c.argv` (Redis's ACLCheckAllPerm). A denial
/// is logged and returned; the caller words the reply.
pub fn check_all_perm(
    srv: &mut crate::server::Server,
    c: &Client,
    cmd: &'static Command,
) -> Result<(), Denied> {
    let Some(user) = srv.acl.user(&c.user) else {
        // The user was deleted; its clients are being closed.
        return Err(Denied::Command);
    };
    if user.unrestricted {
        return Ok(());
    }
    let Err(denial) = user.check_command(&srv.commands, cmd, &c.argv) else {
        return Ok(());
    };
    let object = match denial.reason {
        Denied::Command => Bytes::from_static(cmd.name.as_bytes()),
        _ => c.argv.get(denial.arg_pos).cloned().unwrap_or_default(),
    };
    let entry = log_entry(srv, c, denial.reason, object, c.user.clone());
    let max_len = srv.config.acllog_max_len as usize;
    srv.acl.add_log_entry(entry, max_len);
    Err(denial.reason)
}

/// True if `c`'s user may run its current command and read any key at all (Redis's
/// ACLUserCheckCmdWithUnrestrictedKeyAccess for read access): one selector allows the
/// command and has `allkeys` or a readable `*` pattern. SORT's BY and GET patterns name keys
/// the key specs cannot show, so they need this.
pub fn client_has_unrestricted_read_access(srv: &crate::server::Server, c: &Client) -> bool {
    let (Some(user), Some(cmd)) = (
        srv.acl.user(&c.user),
        srv.commands.get_by_full_name(c.cmd.as_bytes()),
    ) else {
        return false;
    };
    std::iter::once(&user.root).chain(&user.selectors).any(|s| {
        s.check_command(&srv.commands, cmd, &c.argv).is_ok()
            && (s.allkeys
                || s.keys
                    .iter()
                    .any(|k| k.perms & PERM_READ != 0 && k.pattern[..] == *b"*"))
    })
}

/// The NOPERM error for a command refused at the top level (processCommand's words).
pub fn noperm_error(reason: Denied, cmd: &Command) -> String {
    match reason {
        Denied::Key => {
            "NOPERM this user has no permissions to access one of the keys used as arguments".into()
        }
        Denied::Channel => {
            "NOPERM this user has no permissions to access one of the channels used as arguments"
                .into()
        }
        Denied::Command | Denied::Auth => format!(
            "NOPERM this user has no permissions to run the '{}' command",
            cmd.name
        ),
    }
}

/// Parses the lines of an ACL file (Redis's ACLLoadFromFile): `user <name> <rules...>` per
/// line, split at single spaces. The error lists every bad line as Redis does.
fn parse_acl_file(
    table: &CommandTable,
    path: &str,
    text: &str,
    allchannels: bool,
) -> Result<BTreeMap<Bytes, User>, String> {
    let mut users = BTreeMap::new();
    let mut errors = String::new();
    for (number, line) in text.lines().enumerate() {
        let linenum = number + 1;
        let line = line.trim_matches([' ', '\t', '\r', '\n']);
        if line.is_empty() {
            continue;
        }
        let argv: Vec<&str> = line.split(' ').collect();
        let (Some(&"user"), Some(name)) = (argv.first(), argv.get(1)) else {
            errors.push_str(&format!(
                "{path}:{linenum} should start with user keyword followed by the username. "
            ));
            continue;
        };
        if bad_user_name(name.as_bytes()) {
            errors.push_str(&format!(
                "'{path}:{linenum}: username '{name}' contains invalid characters. "
            ));
            continue;
        }
        if users.contains_key(name.as_bytes()) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{name}' found on line {linenum}. "
            ));
            continue;
        }
        let rules: Vec<Bytes> = argv
            .iter()
            .skip(2)
            .map(|r| Bytes::copy_from_slice(r.trim_matches(['\t', '\r', '\n']).as_bytes()))
            .collect();
        let Ok(rules) = merge_selector_args(&rules) else {
            errors.push_str(&format!(
                "{path}:{linenum}: Unmatched parenthesis in selector definition."
            ));
            continue;
        };
        let mut user = User::new(name.as_bytes(), allchannels);
        let mut syntax_error = false;
        for rule in &rules {
            match user.set(table, rule, allchannels) {
                Ok(()) => {}
                // Unknown names are safe to quote; other rules may hold passwords.
                Err(e @ SetError::UnknownName) => errors.push_str(&format!(
                    "{path}:{linenum}: Error in applying operation '{}': {}. ",
                    String::from_utf8_lossy(rule),
                    e.text()
                )),
                Err(e) if !syntax_error => {
                    errors.push_str(&format!("{path}:{linenum}: {}. ", e.text()));
                    syntax_error = true;
                }
                Err(_) => {}
            }
        }
        users.insert(user.name.clone(), user);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        Err(errors)
    }
}

/// Replaces every user with those of the ACL file `path` (Redis's ACLLoadFromFile). Nothing
/// changes if the file has an error. The default user keeps being the default user (a fresh
/// one with every permission if the file does not define it); the clients of every other
/// user are disconnected, since their users are replaced.
pub fn load_from_file(srv: &mut crate::server::Server, path: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "Error loading ACLs, opening file '{path}': {}",
            crate::util::strerror(&e)
        )
    })?;
    let allchannels = srv.config.acl_pubsub_default == "allchannels";
    let mut users = parse_acl_file(&srv.commands, path, &text, allchannels).map_err(|e| {
        e + "WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed"
    })?;
    if !users.contains_key(DEFAULT_USER) {
        let fresh = Acl::new(&srv.commands, "");
        users.extend(fresh.users);
    }
    let old: Vec<Bytes> = std::mem::replace(&mut srv.acl.users, users)
        .into_keys()
        .filter(|name| name[..] != *DEFAULT_USER)
        .collect();
    for name in old {
        kill_user_clients(srv, &name);
    }
    Ok(())
}

/// Writes every user as an ACL file line to `path`, through a temporary file renamed over
/// it so a crash never leaves half a file (Redis's ACLSaveToFile).
pub fn save_to_file(srv: &crate::server::Server, path: &str) -> std::io::Result<()> {
    let mut text = String::new();
    for user in srv.acl.users.values() {
        text.push_str("user ");
        text.push_str(&String::from_utf8_lossy(&user.name));
        text.push(' ');
        text.push_str(&user.describe(&srv.commands));
        text.push('\n');
    }
    let tmp = format!("{path}.tmp-{}", std::process::id());
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Creates the users of the config file's `user` lines, or loads the ACL file, at start-up
/// (Redis's ACLLoadUsersAtStartup). The error is the text to print before exiting.
pub fn load_users_at_startup(srv: &mut crate::server::Server) -> Result<(), String> {
    if !srv.config.aclfile.is_empty() && !srv.config.users.is_empty() {
        return Err(
            "Configuring Redis with users defined in redis.conf and at the same setting \
                    an ACL file path is invalid. This setup is very likely to lead to \
                    configuration errors and security holes, please define either an ACL file \
                    or declare users directly in your redis.conf, but not both."
                .into(),
        );
    }
    let allchannels = srv.config.acl_pubsub_default == "allchannels";
    let lines = std::mem::take(&mut srv.config.users);
    let mut seen = Vec::new();
    for line in &lines {
        let Some((name, rules)) = line.split_first() else {
            continue;
        };
        let fail = |why: &str| format!("Error in user declaration '{name}': {why}");
        if bad_user_name(name.as_bytes()) {
            return Err(fail("Usernames can't contain spaces or null characters"));
        }
        if seen.contains(name) {
            return Err(fail(
                "Duplicate user found. A user can only be defined once in config files",
            ));
        }
        seen.push(name.clone());
        let rules: Vec<Bytes> = rules
            .iter()
            .map(|r| Bytes::copy_from_slice(r.as_bytes()))
            .collect();
        let rules = merge_selector_args(&rules).map_err(|e| fail(&e))?;
        // The only user that exists already is the default one; a line for it starts from
        // `reset`, as in Redis (ACLLoadConfiguredUsers), so it gets reset's
        // `sanitize-payload` too.
        let mut user = match srv.acl.user(name.as_bytes()) {
            Some(existing) => {
                let mut user = existing.clone();
                user.set(&srv.commands, b"reset", allchannels)
                    .map_err(|e| fail(e.text()))?;
                user
            }
            None => User::new(name.as_bytes(), allchannels),
        };
        for rule in &rules {
            user.set(&srv.commands, rule, allchannels).map_err(|e| {
                format!(
                    "Error loading ACL rule '{}' for the user named '{name}': {}\n\
                     Critical error while loading ACLs. Exiting.",
                    String::from_utf8_lossy(rule),
                    e.text()
                )
            })?;
        }
        srv.acl.users.insert(user.name.clone(), user);
    }
    srv.config.users = lines;
    if !srv.config.aclfile.is_empty() {
        let path = srv.config.aclfile.clone();
        load_from_file(srv, &path)
            .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
    }
    Ok(())
}

/// Disconnects every client authenticated as `name` (Redis's ACLFreeUserAndKillClients):
/// they fall back to the default user, unauthenticated, and are closed. The running client
/// (not in the slab) is closed after its reply by the caller.
pub fn kill_user_clients(srv: &mut crate::server::Server, name: &[u8]) {
    let tokens: Vec<usize> = srv
        .clients
        .iter()
        .filter_map(|(token, slot)| slot.as_ref().filter(|c| c.user[..] == *name).map(|_| token))
        .collect();
    for token in tokens {
        if let Some(mut c) = crate::client::take_client(srv, token) {
            c.user = Bytes::from_static(DEFAULT_USER);
            c.authenticated = false;
            crate::client::close_client_async(srv, &mut c);
            crate::client::put_client(srv, c);
        }
    }
}

/// After ACL SETUSER changed `original` into `new`, disconnects the user's subscribers
/// whose subscriptions the new channel rules no longer allow (Redis's
/// ACLKillPubsubClientsIfNeeded). As in Redis, the channel patterns of every selector form
/// one list, and nothing is checked when a new selector allows every channel or when the
/// original allowed only patterns all still in the new list. The running client (not in the
/// slab) is closed after its reply.
pub fn kill_pubsub_clients_if_needed(
    srv: &mut crate::server::Server,
    current: &mut Client,
    new: &User,
    original: &User,
) {
    let selectors = |u: &User| -> Vec<Selector> {
        std::iter::once(&u.root)
            .chain(&u.selectors)
            .cloned()
            .collect()
    };
    let new_selectors = selectors(new);
    if new_selectors.iter().any(|s| s.allchannels) {
        return;
    }
    let upcoming = Selector {
        channels: new_selectors.into_iter().flat_map(|s| s.channels).collect(),
        ..Selector::default()
    };
    let original = selectors(original);
    let kept = !original.iter().any(|s| s.allchannels)
        && original
            .iter()
            .flat_map(|s| &s.channels)
            .all(|c| upcoming.channels.contains(c));
    if kept {
        return;
    }
    let violates = |c: &Client| {
        c.user == new.name
            && c.pubsub
                .subscriptions()
                .any(|(channel, is_pattern)| !upcoming.channel_allowed(channel, is_pattern))
    };
    if violates(current) {
        current.close_after_reply = true;
    }
    let victims: Vec<usize> = srv
        .clients
        .iter()
        .filter_map(|(token, slot)| slot.as_deref().filter(|c| violates(c)).map(|_| token))
        .collect();
    for token in victims {
        if let Some(mut c) = crate::client::take_client(srv, token) {
            crate::client::close_client_async(srv, &mut c);
            crate::client::put_client(srv, c);
        }
    }
}

/// The error of a queued command EXEC finds no longer allowed (Redis's execCommand).
pub fn exec_noperm_error(reason: Denied) -> String {
    let why = match reason {
        Denied::Command => "no permission to execute the command or subcommand",
        Denied::Key => "no permission to touch the specified keys",
        Denied::Channel => "no permission to access one of the channels used as arguments",
        Denied::Auth => "no permission",
    };
    format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the \
         EXEC call. This command is no longer allowed for the following reason: {why}"
    )
}

/// Compares two byte strings in a time that depends on their lengths but not on where they
/// first differ, so a client timing AUTH replies cannot guess a password byte by byte.
fn time_independent_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_every_byte_matches() {
        assert!(time_independent_eq(b"secret", b"secret"));
        assert!(time_independent_eq(b"", b""));
        assert!(!time_independent_eq(b"secret", b"secreT"));
        assert!(!time_independent_eq(b"secret", b"secret1"));
        assert!(!time_independent_eq(b"", b"x"));
    }

    fn user(rules: &[&str]) -> Result<User, String> {
        let table = CommandTable::default();
        let rules: Vec<Bytes> = rules
            .iter()
            .map(|r| Bytes::copy_from_slice(r.as_bytes()))
            .collect();
        set_user_rules(&table, b"u", None, &rules, false)
    }

    #[test]
    fn describes_rules_in_redis_minimal_form() {
        let table = CommandTable::default();
        let u = user(&["on", "nopass", "~*", "&*", "+@all"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.describe(&table), "on nopass ~* &* +@all");
        let u = user(&["-@all", "+@read", "+@write"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.describe(&table), "off resetchannels -@all +@write +@read");
        let u = user(&["+@all", "-@dangerous"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.describe(&table), "off resetchannels +@all -@dangerous");
        let u =
            user(&["%R~r*", "%W~w*", "%RW~b*", "~k*", "%R~k*"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            u.describe(&table),
            "off %R~r* %W~w* ~b* ~k* resetchannels -@all"
        );
    }

    #[test]
    fn log_folds_recent_similar_denials() {
        let table = CommandTable::default();
        let mut acl = Acl::new(&table, "");
        let entry = |object: &str| LogEntry {
            count: 1,
            reason: Denied::Key,
            context: "toplevel",
            object: Bytes::copy_from_slice(object.as_bytes()),
            username: Bytes::from_static(b"u"),
            ctime_ms: 1000,
            client_info: String::new(),
        };
        for i in 0..12 {
            acl.add_log_entry(entry(&i.to_string()), 128);
        }
        // Among the newest ten: folded, and moved to the front.
        acl.add_log_entry(entry("5"), 128);
        assert_eq!(acl.log.len(), 12);
        assert_eq!((&acl.log[0].object[..], acl.log[0].count), (&b"5"[..], 2));
        // Older than the newest ten: a new entry.
        acl.add_log_entry(entry("0"), 128);
        assert_eq!(acl.log.len(), 13);
        assert_eq!(acl.log[0].count, 1);
        acl.add_log_entry(entry("x"), 2);
        assert_eq!(acl.log.len(), 2);
    }

    #[test]
    fn rule_errors_name_the_rule() {
        assert_eq!(
            user(&["+nosuch"]).err().as_deref(),
            Some(
                "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"
            )
        );
        assert_eq!(
            user(&["%~x"]).err().as_deref(),
            Some("Error in ACL SETUSER modifier '%~x': Syntax error")
        );
        assert!(user(&["~*", "~x"]).is_err());
        assert!(user(&["(~x", "+get"]).is_err());
        assert!(user(&["#abc"]).is_err());
    }
}
