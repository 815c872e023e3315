//! The set type (Redis's t_set.c object side): an unordered collection of distinct byte
//! strings, in one of Redis 7.0's two encodings.
//!
//! - `intset`: while every member is an integer in Redis's strict text form (what
//!   [`parse_i64`] accepts: no `+`, no leading zeros, no `-0`) and there are at most
//!   `set-max-intset-entries` (default [`SET_MAX_INTSET_ENTRIES`]) members, the set is a sorted `Vec<i64>`. Membership is a binary
//!   search, and iteration is in ascending order, which clients can see: SMEMBERS of an intset
//!   on Redis lists the numbers sorted, and so does rredis.
//! - `hashtable`: otherwise, a [`Dict`] of members. Its iteration order is the table's, which
//!   differs from Redis's (tests compare such replies sorted).
//!
//! Conversion is one-way, as in Redis: once a set is a hashtable it stays one, even if the
//! strings are removed again. Only building a *new* set (SINTERSTORE, SPOP's rebuild...)
//! starts over from an intset.

use crate::dict::Dict;
use crate::key::Key;
use crate::util::{parse_i64, Rng};

/// Redis's `set-max-intset-entries` default: an intset holding more members is converted.
/// The limit in force is the server's setting, which every adding method takes as
/// `max_intset` (a CONFIG SET only affects sets as they next grow, as in Redis).
pub const SET_MAX_INTSET_ENTRIES: usize = 512;

/// A set value. Invariant: an `Intset` is sorted ascending with no duplicates and held at
/// most `set-max-intset-entries` numbers when it last grew.
pub enum RSet {
    Intset(Vec<i64>),
    /// Members inline when short (see [`crate::key`]).
    Hashtable(Dict<Key, ()>),
}

/// One member as a set yields it: intsets hold numbers, hashtables bytes. Replies write an
/// `Int` with `bulk_i64`, so no text is made for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetMember<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl SetMember<'_> {
    /// The member's bytes (an integer as its decimal text).
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            SetMember::Int(n) => n.to_string().into_bytes(),
            SetMember::Str(s) => s.to_vec(),
        }
    }
}

impl Clone for RSet {
    fn clone(&self) -> Self {
        match self {
            RSet::Intset(v) => RSet::Intset(v.clone()),
            RSet::Hashtable(d) => {
                let mut copy = Dict::new();
                for key in d.keys() {
                    copy.insert(key.clone(), ());
                }
                RSet::Hashtable(copy)
            }
        }
    }
}

impl std::fmt::Debug for RSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RSet::{}({} members)", self.encoding(), self.len())
    }
}

impl Default for RSet {
    fn default() -> Self {
        RSet::new_intset()
    }
}

impl RSet {
    /// An empty intset (Redis's createIntsetObject), the start of every computed set.
    pub fn new_intset() -> RSet {
        RSet::Intset(Vec::new())
    }

    /// An empty set in the encoding its first member calls for (Redis's setTypeCreate): an
    /// intset if `first` is an integer, else a hashtable.
    pub fn create_for(first: &[u8]) -> RSet {
        if parse_i64(first).is_some() {
            RSet::new_intset()
        } else {
            RSet::Hashtable(Dict::new())
        }
    }

    /// Number of members (SCARD).
    pub fn len(&self) -> usize {
        match self {
            RSet::Intset(v) => v.len(),
            RSet::Hashtable(d) => d.len(),
        }
    }

    /// True when the set has no member (the key must then be deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self {
            RSet::Intset(_) => "intset",
            RSet::Hashtable(_) => "hashtable",
        }
    }

    /// True if `member` is in the set (Redis's setTypeIsMember). A member that is not an
    /// integer's canonical text cannot be in an intset.
    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            RSet::Intset(v) => parse_i64(member).is_some_and(|n| v.binary_search(&n).is_ok()),
            RSet::Hashtable(d) => d.contains_key(member),
        }
    }

    /// True if `member` (as a set yields it) is in the set, without making text for an
    /// integer when both sides are intsets.
    pub fn contains_member(&self, member: SetMember<'_>) -> bool {
        match (self, member) {
            (RSet::Intset(v), SetMember::Int(n)) => v.binary_search(&n).is_ok(),
            (_, SetMember::Str(s)) => self.contains(s),
            (RSet::Hashtable(d), SetMember::Int(n)) => d.contains_key(n.to_string().as_bytes()),
        }
    }

    /// Adds `member`; true if it was not there (Redis's setTypeAdd). Converts an intset to a
    /// hashtable when the member is not an integer or the intset grows past `max_intset`
    /// members.
    pub fn add(&mut self, member: &[u8], max_intset: usize) -> bool {
        if let RSet::Intset(v) = self {
            if let Some(n) = parse_i64(member) {
                let Err(at) = v.binary_search(&n) else {
                    return false;
                };
                v.insert(at, n);
                if v.len() > max_intset {
                    self.convert_to_hashtable();
                }
                return true;
            }
            self.convert_to_hashtable();
        }
        match self {
            RSet::Hashtable(d) => {
                if d.contains_key(member) {
                    false
                } else {
                    d.insert(member.into(), ());
                    true
                }
            }
            // Converted above.
            RSet::Intset(_) => false,
        }
    }

    /// [`RSet::add`] for a member as another set yields it.
    pub fn add_member(&mut self, member: SetMember<'_>, max_intset: usize) -> bool {
        match (&mut *self, member) {
            (RSet::Intset(v), SetMember::Int(n)) => {
                let Err(at) = v.binary_search(&n) else {
                    return false;
                };
                v.insert(at, n);
                if v.len() > max_intset {
                    self.convert_to_hashtable();
                }
                true
            }
            (_, SetMember::Str(s)) => self.add(s, max_intset),
            (RSet::Hashtable(_), SetMember::Int(n)) => {
                self.add(n.to_string().as_bytes(), max_intset)
            }
        }
    }

    /// Removes `member`; true if it was there (Redis's setTypeRemove). A hashtable shrinks
    /// its table when it has become mostly empty, as Redis's does after a removal.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            RSet::Intset(v) => {
                let Some(n) = parse_i64(member) else {
                    return false;
                };
                match v.binary_search(&n) {
                    Ok(at) => {
                        v.remove(at);
                        true
                    }
                    Err(_) => false,
                }
            }
            RSet::Hashtable(d) => {
                let removed = d.remove(member).is_some();
                if removed {
                    d.shrink_if_needed();
                }
                removed
            }
        }
    }

    /// [`RSet::remove`] for a member as another set yields it.
    pub fn remove_member(&mut self, member: SetMember<'_>) -> bool {
        match (&mut *self, member) {
            (RSet::Intset(v), SetMember::Int(n)) => match v.binary_search(&n) {
                Ok(at) => {
                    v.remove(at);
                    true
                }
                Err(_) => false,
            },
            (_, SetMember::Str(s)) => self.remove(s),
            (RSet::Hashtable(_), SetMember::Int(n)) => self.remove(n.to_string().as_bytes()),
        }
    }

    /// Every member: ascending for an intset, table order for a hashtable.
    pub fn iter(&self) -> impl Iterator<Item = SetMember<'_>> {
        let (ints, strs) = match self {
            RSet::Intset(v) => (Some(v.iter().map(|&n| SetMember::Int(n))), None),
            RSet::Hashtable(d) => (None, Some(d.keys().map(|k| SetMember::Str(&k[..])))),
        };
        ints.into_iter().flatten().chain(strs.into_iter().flatten())
    }

    /// A uniformly random member of an intset, or a member of a random hashtable bucket
    /// (Redis's setTypeRandomElement); `None` only for an empty set.
    pub fn random(&self, rng: &mut Rng) -> Option<SetMember<'_>> {
        match self {
            RSet::Intset(v) => v
                .get(rng.below(v.len() as u64) as usize)
                .map(|&n| SetMember::Int(n)),
            RSet::Hashtable(d) => d
                .random_entry(&mut || rng.next_u64())
                .map(|(k, _)| SetMember::Str(&k[..])),
        }
    }

    /// Removes and returns a random member (SPOP); `None` for an empty set.
    pub fn pop_random(&mut self, rng: &mut Rng) -> Option<Vec<u8>> {
        let member = self.random(rng)?.to_vec();
        self.remove(&member);
        Some(member)
    }

    /// Turns an intset into a hashtable holding the same members (Redis's setTypeConvert).
    fn convert_to_hashtable(&mut self) {
        if let RSet::Intset(v) = self {
            let mut d = Dict::new();
            for n in v.iter() {
                d.insert(Key::new(n.to_string().as_bytes()), ());
            }
            *self = RSet::Hashtable(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = SET_MAX_INTSET_ENTRIES;

    #[test]
    fn intset_until_a_string_or_too_many() {
        let mut s = RSet::create_for(b"3");
        assert!(s.add(b"3", MAX));
        assert!(s.add(b"-1", MAX));
        assert!(!s.add(b"3", MAX));
        assert_eq!(s.encoding(), "intset");
        let members: Vec<_> = s.iter().collect();
        assert_eq!(members, [SetMember::Int(-1), SetMember::Int(3)]);
        // "07" is not an integer's canonical text: it is a string member.
        assert!(!s.contains(b"07"));
        assert!(s.add(b"07", MAX));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"3") && s.contains(b"07"));
        assert!(s.remove(b"07"));
        assert_eq!(s.encoding(), "hashtable");

        let mut big = RSet::new_intset();
        for n in 0..SET_MAX_INTSET_ENTRIES as i64 {
            big.add_member(SetMember::Int(n), MAX);
        }
        assert_eq!(big.encoding(), "intset");
        big.add(b"100000", MAX);
        assert_eq!(big.encoding(), "hashtable");
        assert_eq!(big.len(), SET_MAX_INTSET_ENTRIES + 1);
    }

    #[test]
    fn random_and_pop() {
        let mut rng = Rng::new(7);
        let mut s = RSet::create_for(b"a");
        for m in [&b"a"[..], b"b", b"c"] {
            s.add(m, MAX);
        }
        let mut popped = Vec::new();
        while let Some(m) = s.pop_random(&mut rng) {
            popped.push(m);
        }
        popped.sort();
        assert_eq!(popped, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert!(s.random(&mut rng).is_none());
    }
}
