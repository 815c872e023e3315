//! The keyspace's key type: the name of a key, owned by its entry in a database's dict (and,
//! when it has a TTL, by its entry in `expires`), dying with the key.
//!
//! Why not simply `Box<[u8]>`: a lookup then reads three places in memory (the bucket, the
//! entry, and the key's bytes in their own allocation), and at a million keys each of them is
//! a cache miss: in a profile of GET the byte comparison of the key was a fifth of the time,
//! nearly all of it waiting for the key's bytes. Real key names are short (`user:1000`,
//! `session:8f3a...`), so a name of up to [`INLINE_CAPACITY`] bytes is stored inside the key
//! value itself, which the dict stores inside its entry: finding the entry brings the name
//! along in the same cache line, and the name costs no allocation of its own. Longer names
//! go to the heap, as before.
//!
//! Size: 32 bytes, chosen with the entry in view: a keyspace entry (key, 40-byte object,
//! chain link) is then 80 bytes, one jemalloc size class, where a boxed name made a 64-byte
//! entry plus a 16-byte (or larger) allocation: the same memory for names of up to 16
//! bytes, less for longer ones, and one allocation per key instead of two.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Longest name stored inline: 32 bytes less the length byte and the variant tag.
pub const INLINE_CAPACITY: usize = 30;

/// A key's name. Behaves as the `[u8]` it holds: hashes, compares and orders as those bytes
/// (so a dict of keys can be searched with a plain `&[u8]`), whichever way it is stored.
#[derive(Clone)]
pub enum Key {
    /// Invariant: `len <= INLINE_CAPACITY`; the name is `bytes[..len]`, the rest zeros.
    Inline {
        len: u8,
        bytes: [u8; INLINE_CAPACITY],
    },
    /// Names longer than [`INLINE_CAPACITY`] (shorter ones are always inline, so two equal
    /// names are stored the same way).
    Heap(Box<[u8]>),
}

impl Key {
    /// A key holding a copy of `name`.
    pub fn new(name: &[u8]) -> Key {
        let mut bytes = [0u8; INLINE_CAPACITY];
        match bytes.get_mut(..name.len()) {
            Some(prefix) => {
                prefix.copy_from_slice(name);
                Key::Inline {
                    len: name.len() as u8,
                    bytes,
                }
            }
            None => Key::Heap(name.into()),
        }
    }

    /// The name.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(bytes),
            Key::Heap(name) => name,
        }
    }
}

impl Deref for Key {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Key {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl From<&[u8]> for Key {
    fn from(name: &[u8]) -> Key {
        Key::new(name)
    }
}

impl From<&Vec<u8>> for Key {
    fn from(name: &Vec<u8>) -> Key {
        Key::new(name)
    }
}

impl From<Vec<u8>> for Key {
    fn from(name: Vec<u8>) -> Key {
        Key::new(&name)
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

/// Hashes exactly as the `[u8]` it holds, as `Borrow<[u8]>` requires.
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({:?})", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn key_is_32_bytes() {
        assert_eq!(std::mem::size_of::<Key>(), 32);
    }

    #[test]
    fn names_up_to_the_capacity_are_inline_and_longer_ones_on_the_heap() {
        for len in [0, 1, 16, INLINE_CAPACITY, INLINE_CAPACITY + 1, 1000] {
            let name: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let key = Key::new(&name);
            assert_eq!(key.as_bytes(), &name[..], "length {len}");
            assert_eq!(
                matches!(key, Key::Inline { .. }),
                len <= INLINE_CAPACITY,
                "length {len}"
            );
        }
    }

    #[test]
    fn hashes_and_compares_as_its_bytes() {
        let state = foldhash::fast::RandomState::default();
        for name in [&b""[..], b"k", b"key:000000012345", &[7u8; 31], &[0u8; 30]] {
            let key = Key::new(name);
            assert_eq!(state.hash_one(&key), state.hash_one(name));
            assert_eq!(key, Key::from(name.to_vec()));
        }
        // A name that is a prefix of another, or differs only in trailing zero bytes, is a
        // different key (the inline padding is zeros too).
        assert_ne!(Key::new(b"ab"), Key::new(b"ab\0"));
        assert!(Key::new(b"ab") < Key::new(b"ab\0"));
        assert!(Key::new(&[1u8; 31]) > Key::new(&[1u8; 30]));
    }
}
