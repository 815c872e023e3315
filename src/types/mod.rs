//! The values a key can hold. Each Redis type lives in its own module, as Redis keeps each in
//! its own `t_*.c`; this file only names them and says which encoding each is using.

pub mod hash;
pub mod list;
pub mod listpack;
pub mod set;
pub mod string;
pub mod zset;

use crate::dict::Prefetch;

pub use hash::Hash;
pub use list::List;
pub use set::RSet;
pub use string::RString;
pub use zset::ZSet;

/// A key's value. Owned by its database's dictionary; dies when the key is deleted,
/// overwritten or expired.
#[derive(Debug, Clone)]
pub enum Value {
    Str(RString),
    // Collections are boxed: an enum is as large as its largest variant, and an inline `Dict`
    // would make every string key pay for a hash table's header (178 instead of 112 bytes
    // per small string key, measured). A `Hash` is the exception: it is 24 bytes (its
    // listpack inline, its table boxed), no larger than a string, so a small hash saves the
    // box's allocation.
    Hash(Hash),
    Set(Box<RSet>),
    List(Box<List>),
    // Inline too, for the same reason as `Hash`: 24 bytes, the listpack inline, the
    // skiplist boxed.
    ZSet(ZSet),
}

impl Value {
    /// The name TYPE replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::List(_) => "list",
            Value::ZSet(_) => "zset",
        }
    }

    /// The string this value holds, or `None` for another type (WRONGTYPE for string
    /// commands).
    pub fn as_str(&self) -> Option<&RString> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string this value holds, mutably (APPEND, SETRANGE, INCR edit it in place).
    pub fn as_str_mut(&mut self) -> Option<&mut RString> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The hash this value holds, or `None` for another type (WRONGTYPE for hash commands).
    pub fn as_hash(&self) -> Option<&Hash> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// The hash this value holds, mutably.
    pub fn as_hash_mut(&mut self) -> Option<&mut Hash> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// The set this value holds, or `None` for another type (WRONGTYPE for set commands).
    pub fn as_set(&self) -> Option<&RSet> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The set this value holds, mutably (SADD, SREM, SPOP edit it in place).
    pub fn as_set_mut(&mut self) -> Option<&mut RSet> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The list this value holds, or `None` for another type (WRONGTYPE for list commands).
    pub fn as_list(&self) -> Option<&List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The sorted set this value holds, or `None` for another type (WRONGTYPE for sorted
    /// set commands).
    pub fn as_zset(&self) -> Option<&ZSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// The list this value holds, mutably (pushes, pops and edits happen in place).
    pub fn as_list_mut(&mut self) -> Option<&mut List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The sorted set this value holds, mutably.
    pub fn as_zset_mut(&mut self) -> Option<&mut ZSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// The hash table of a set's members or a hash's fields, for the batch prefetch of
    /// pipelined requests; `None` for any other value, where there is nothing worth
    /// prefetching (a small encoding is one buffer).
    pub fn member_table(&self) -> Option<&dyn Prefetch> {
        match self {
            Value::Set(set) => match &**set {
                RSet::Hashtable(d) => Some(d),
                RSet::Intset(_) => None,
            },
            Value::Hash(Hash::Table(d)) => Some(&**d),
            _ => None,
        }
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }
}

/// A stored value plus the access metadata Redis keeps in every object header.
#[derive(Debug, Clone)]
pub struct Obj {
    pub value: Value,
    /// Last access, in seconds of the server's LRU clock (OBJECT IDLETIME); under an LFU
    /// maxmemory policy, the minute of the last access and a logarithmic access counter
    /// (OBJECT FREQ; see `crate::evict`). Updated on every lookup that is not a pure
    /// existence check.
    pub lru: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key pays for one `Obj`: a variant that grows the enum grows the whole keyspace
    /// (an inline `Dict` once took small string keys from 112 to 178 bytes each).
    #[test]
    fn object_header_stays_small() {
        assert!(
            std::mem::size_of::<Obj>() <= 40,
            "{}",
            std::mem::size_of::<Obj>()
        );
    }
}
