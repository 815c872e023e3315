//! Users and authentication (the part of Redis's acl.c that rredis has so far).
//!
//! rredis has one user, `default`, as a Redis without ACL rules does. Its password is the
//! `requirepass` setting: while that is empty the user is "nopass", every connection starts
//! authenticated and any password is accepted for it (AUTH default anything); once it is set,
//! a new connection must authenticate (AUTH, or HELLO's AUTH option) before it may run any
//! command but the `no_auth` ones (AUTH, HELLO, QUIT, RESET), which is checked in
//! `process_command`.
//!
//! Authentication belongs to the connection, not to the password: a connection that was
//! authenticated stays so when `requirepass` changes, and one that never was is let through
//! again if the password is removed (both as in Redis).

use crate::client::Client;
use crate::config::Config;

/// The only user's name. Names are compared byte for byte: `DEFAULT` is another (unknown)
/// user, as in Redis.
pub const DEFAULT_USER: &[u8] = b"default";

/// True while the default user needs no password (Redis's `USER_FLAG_NOPASS`).
pub fn default_user_nopass(config: &Config) -> bool {
    config.requirepass.is_empty()
}

/// Gives `c` the default user's authentication state, as a new connection gets it (Redis's
/// clientSetDefaultAuth): authenticated exactly when no password is needed.
pub fn client_set_default_auth(config: &Config, c: &mut Client) {
    c.authenticated = default_user_nopass(config);
}

/// True if `c` may run only `no_auth` commands until it authenticates.
pub fn auth_required(config: &Config, c: &Client) -> bool {
    !default_user_nopass(config) && !c.authenticated
}

/// Checks `username` / `password` and, if they match, authenticates `c` (Redis's
/// ACLAuthenticateUser). False for an unknown user or a wrong password; the caller replies.
pub fn authenticate_user(
    config: &Config,
    c: &mut Client,
    username: &[u8],
    password: &[u8],
) -> bool {
    let valid = username == DEFAULT_USER
        && (default_user_nopass(config)
            || time_independent_eq(password, config.requirepass.as_bytes()));
    if valid {
        c.authenticated = true;
    }
    valid
}

/// Compares two byte strings in a time that depends on their lengths but not on where they
/// first differ, so a client timing AUTH replies cannot guess a password byte by byte. (Redis
/// compares SHA-256 digests for the same reason, which also hides the length.)
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
}
