//! The keyspace's key type: the name of a key, owned by its entry in a database's dict (and,
//! when it has a TTL, by its entry in `expires`), dying with the key. The same type, with an
//! `Rc` for long names, holds sorted set members (see `crate::types::zset`).
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
/// `H` holds long names: a `Box` for the keyspace, an `Rc` where two indexes share one copy
/// (a sorted set's dict and skiplist).
#[derive(Clone)]
pub enum Key<H = Box<[u8]>> {
    /// Invariant: `len <= INLINE_CAPACITY`; the name is `bytes[..len]`, the rest zeros.
    Inline {
        len: u8,
        bytes: [u8; INLINE_CAPACITY],
    },
    /// Names longer than [`INLINE_CAPACITY`] (shorter ones are always inline, so two equal
    /// names are stored the same way).
    Heap(H),
}

impl<H: Deref<Target = [u8]> + for<'a> From<&'a [u8]>> Key<H> {
    /// A key holding a copy of `name`.
    pub fn new(name: &[u8]) -> Key<H> {
        let mut bytes = [0u8; INLINE_CAPACITY];
        match bytes.get_mut(..name.len()) {
            Some(prefix) => {
                prefix.copy_from_slice(name);
                Key::Inline {
                    len: name.len() as u8,
                    bytes,
                }
            }
            None => Key::Heap(H::from(name)),
        }
    }
}

impl<H: Deref<Target = [u8]>> Key<H> {
    /// The name.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(bytes),
            Key::Heap(name) => name,
        }
    }
}

impl<H: Deref<Target = [u8]>> Deref for Key<H> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<H: Deref<Target = [u8]>> AsRef<[u8]> for Key<H> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<H: Deref<Target = [u8]>> Borrow<[u8]> for Key<H> {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl From<&[u8]> for Key {
    fn from(name: &[u8]) -> Key {
        Key::new(name)
    }
}

impl<H: Deref<Target = [u8]>> PartialEq for Key<H> {
    fn eq(&self, other: &Key<H>) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<H: Deref<Target = [u8]>> Eq for Key<H> {}

impl<H: Deref<Target = [u8]>> PartialOrd for Key<H> {
    fn partial_cmp(&self, other: &Key<H>) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<H: Deref<Target = [u8]>> Ord for Key<H> {
    fn cmp(&self, other: &Key<H>) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

/// Hashes exactly as the `[u8]` it holds, as `Borrow<[u8]>` requires.
impl<H: Deref<Target = [u8]>> Hash for Key<H> {
    fn hash<S: Hasher>(&self, state: &mut S) {
        self.as_bytes().hash(state);
    }
}

impl<H: Deref<Target = [u8]>> fmt::Debug for Key<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({:?})", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;
    use std::rc::Rc;

    /// The keyspace's keys and the sorted sets' members.
    type Boxed = Key;
    type Shared = Key<Rc<[u8]>>;

    #[test]
    fn key_is_32_bytes() {
        assert_eq!(std::mem::size_of::<Boxed>(), 32);
        assert_eq!(std::mem::size_of::<Shared>(), 32);
    }

    fn check_storage<H: Deref<Target = [u8]> + for<'a> From<&'a [u8]>>() {
        for len in [0, 1, 16, INLINE_CAPACITY, INLINE_CAPACITY + 1, 1000] {
            let name: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let key = Key::<H>::new(&name);
            assert_eq!(key.as_bytes(), &name[..], "length {len}");
            assert_eq!(
                matches!(key, Key::Inline { .. }),
                len <= INLINE_CAPACITY,
                "length {len}"
            );
        }
    }

    #[test]
    fn names_up_to_the_capacity_are_inline_and_longer_ones_on_the_heap() {
        check_storage::<Box<[u8]>>();
        check_storage::<Rc<[u8]>>();
    }

    #[test]
    fn hashes_and_compares_as_its_bytes() {
        let state = foldhash::fast::RandomState::default();
        for name in [&b""[..], b"k", b"key:000000012345", &[7u8; 31], &[0u8; 30]] {
            let key = Boxed::new(name);
            assert_eq!(state.hash_one(&key), state.hash_one(name));
            assert_eq!(key, Key::from(&name.to_vec()[..]));
            let member = Shared::new(name);
            assert_eq!(state.hash_one(&member), state.hash_one(name));
            assert_eq!(member.clone().as_bytes(), name);
        }
        // A name that is a prefix of another, or differs only in trailing zero bytes, is a
        // different key (the inline padding is zeros too).
        assert_ne!(Boxed::new(b"ab"), Boxed::new(b"ab\0"));
        assert!(Boxed::new(b"ab") < Boxed::new(b"ab\0"));
        assert!(Boxed::new(&[1u8; 31]) > Boxed::new(&[1u8; 30]));
        assert!(Shared::new(&[1u8; 31]) > Shared::new(&[1u8; 30]));
    }
}
