//! The string type (Redis's t_string.c storage side, object.c's encodings).
//!
//! Redis stores a string in one of three encodings and OBJECT ENCODING reports which; clients
//! and tests do look, so rredis keeps the same rules:
//! - `int`: the text is a canonical 64-bit integer of at most 20 characters (`123`, not
//!   `0123` or `+1`), stored as the number itself;
//! - `embstr`: any other value of at most 44 bytes, when created whole (SET, INCRBYFLOAT);
//! - `raw`: longer values, and any value modified in place (APPEND, SETRANGE), because Redis
//!   turns an embstr into a raw string the moment it is modified; SETRANGE on a missing key
//!   also creates a `raw` string, even `SETRANGE k 0 5`.
//!
//! INCR and friends always leave an `int`; INCRBYFLOAT leaves text (`embstr` or `raw`), even
//! when the result is a whole number.

use crate::key::Key;
use crate::util::{i64_len, parse_i64, write_i64};

/// Largest value stored as `embstr` (OBJ_ENCODING_EMBSTR_SIZE_LIMIT), in bytes: what fits
/// with Redis's object header in one 64-byte allocation.
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// Longest text that can be an integer encoding ("-9223372036854775808" is 20 bytes).
const MAX_INT_TEXT_LEN: usize = 20;

/// A string value in one of Redis's three encodings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RString {
    Int(i64),
    /// Created whole and at most [`EMBSTR_SIZE_LIMIT`] bytes. Held as a [`Key`], so a value of
    /// up to 30 bytes sits inside the object (Redis's embstr idea: one allocation, and GET
    /// finds the bytes in the dict entry it has just read). The enum stays 32 bytes: its
    /// other variants fit beside the key's tag, which tells all of them apart.
    Embstr(Key),
    /// Longer, or modified in place since creation.
    Raw(Vec<u8>),
}

impl RString {
    /// Stores `bytes` with the encoding Redis would pick for a freshly set value
    /// (`tryObjectEncoding`).
    pub fn from_bytes(bytes: &[u8]) -> RString {
        if bytes.len() <= MAX_INT_TEXT_LEN {
            if let Some(n) = parse_i64(bytes) {
                return RString::Int(n);
            }
        }
        RString::create(bytes)
    }

    /// Stores `bytes` as text, never as `int` (Redis's createStringObject): INCRBYFLOAT's
    /// result `"6"` is an `embstr`, not an `int`.
    pub fn create(bytes: &[u8]) -> RString {
        if bytes.len() <= EMBSTR_SIZE_LIMIT {
            RString::Embstr(Key::new(bytes))
        } else {
            RString::Raw(bytes.to_vec())
        }
    }

    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self {
            RString::Int(_) => "int",
            RString::Embstr(_) => "embstr",
            RString::Raw(_) => "raw",
        }
    }

    /// Length of the text form (STRLEN).
    pub fn len(&self) -> usize {
        match self {
            RString::Int(n) => i64_len(*n),
            RString::Embstr(b) => b.len(),
            RString::Raw(v) => v.len(),
        }
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text, borrowed when stored as text, formatted into `scratch` when an integer.
    pub fn as_bytes<'a>(&'a self, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        match self {
            RString::Int(n) => {
                scratch.clear();
                write_i64(scratch, *n);
                scratch
            }
            RString::Embstr(b) => b,
            RString::Raw(v) => v,
        }
    }

    /// The text as an owned vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut scratch = Vec::new();
        self.as_bytes(&mut scratch).to_vec()
    }

    /// The value as an integer, when its text is one (INCR and friends).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            RString::Int(n) => Some(*n),
            RString::Embstr(b) => parse_i64(b),
            RString::Raw(v) => parse_i64(v),
        }
    }

    /// Runs `modify` on the value's bytes as a `raw` string (APPEND, SETRANGE): Redis turns
    /// any string it modifies in place into `raw`, whatever its length.
    pub fn modify_raw<R>(&mut self, modify: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut bytes = match std::mem::replace(self, RString::Raw(Vec::new())) {
            RString::Raw(v) => v,
            other => other.to_vec(),
        };
        let result = modify(&mut bytes);
        *self = RString::Raw(bytes);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis_rules() {
        assert_eq!(RString::from_bytes(b"123").encoding(), "int");
        assert_eq!(
            RString::from_bytes(b"-9223372036854775808").encoding(),
            "int"
        );
        assert_eq!(RString::from_bytes(b"0123").encoding(), "embstr");
        assert_eq!(RString::from_bytes(b"+1").encoding(), "embstr");
        assert_eq!(RString::from_bytes(b"").encoding(), "embstr");
        assert_eq!(RString::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(RString::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut s = RString::from_bytes(b"12");
        s.modify_raw(|v| v.extend_from_slice(b"3"));
        assert_eq!(s, RString::Raw(b"123".to_vec()));
        assert_eq!(s.len(), 3);
        assert_eq!(RString::Int(-42).len(), 3);
        assert_eq!(RString::create(b"6").encoding(), "embstr");
        assert_eq!(RString::create(&[b'1'; 45]).encoding(), "raw");
        // Modifying in place makes even an empty change `raw` (APPEND k "").
        let mut s = RString::from_bytes(b"abc");
        s.modify_raw(|_| ());
        assert_eq!(s.encoding(), "raw");
    }
}
