//! The hash type (Redis's t_hash.c storage side): a map of fields to values, in one of two
//! encodings, which OBJECT ENCODING reports and clients can observe through reply order.
//!
//! - `listpack`: while the hash has at most [`HASH_MAX_LISTPACK_ENTRIES`] fields and every
//!   field and value is at most [`HASH_MAX_LISTPACK_VALUE`] bytes. As in Redis, the hash is
//!   one flat [`Listpack`] buffer of entries, field and value alternating, searched
//!   linearly; integers are stored as numbers (see `types/listpack.rs`). A 10-field hash
//!   is then one allocation instead of twenty. Iteration (HGETALL, HKEYS, HSCAN) is in
//!   insertion order, and overwriting a field keeps its place.
//! - `hashtable`: anything larger, stored in a [`Dict`]. Iteration order is the table's.
//!
//! Conversion is one-way, as in Redis: a hash that became a `hashtable` stays one even when
//! fields are later deleted down to a handful.
//!
//! A `Hash` is 24 bytes (the listpack inline, the table boxed), so `Value` holds it without
//! a box of its own: a small hash costs its key, its keyspace entry and one buffer.
//!
//! Invariant kept by the commands, not by this type: a hash stored in the keyspace is never
//! empty (the command that removes the last field deletes the key).

use std::fmt;

use crate::dict::Dict;
use crate::types::listpack::{Entry, EntryText, Listpack};

/// Most fields a `listpack` hash may hold: hash-max-listpack-entries' built-in default.
/// That is 512, not the 128 the sample redis.conf sets: redis-server started without a
/// config file (as clients meet it in our tests) answers `CONFIG GET
/// hash-max-listpack-entries` with 512 and keeps a 512-field hash a listpack.
pub const HASH_MAX_LISTPACK_ENTRIES: usize = 512;

/// Longest field or value, in bytes, a `listpack` hash may hold (hash-max-listpack-value's
/// default).
pub const HASH_MAX_LISTPACK_VALUE: usize = 64;

/// The two listpack limits in force (the hash-max-listpack-* settings), read from the
/// server's config by each writing command.
#[derive(Debug, Clone, Copy)]
pub struct ListpackLimits {
    /// Most fields a `listpack` hash may hold.
    pub max_entries: usize,
    /// Longest field or value, in bytes.
    pub max_value: usize,
}

impl ListpackLimits {
    /// Redis's built-in defaults.
    pub const DEFAULT: ListpackLimits = ListpackLimits {
        max_entries: HASH_MAX_LISTPACK_ENTRIES,
        max_value: HASH_MAX_LISTPACK_VALUE,
    };

    /// The limits a server's settings give (negative values cannot be stored: CONFIG SET
    /// checks the range).
    pub fn from_config(config: &crate::config::Config) -> ListpackLimits {
        ListpackLimits {
            max_entries: usize::try_from(config.hash_max_listpack_entries).unwrap_or(0),
            max_value: usize::try_from(config.hash_max_listpack_value).unwrap_or(0),
        }
    }
}

/// A field or a value as stored in a `hashtable`: an owned copy of the client's bytes, inline
/// when short (see [`crate::key`]: a lookup compares the field without another cache miss,
/// and a small pair costs one allocation, the entry, instead of three).
pub type Bytes = crate::key::Key;

/// A field or a value as a hash gives it back: dereferences to the bytes (formatted on the
/// stack when a listpack stored an integer).
pub type FieldText<'a> = EntryText<'a>;

/// A hash value in one of its two encodings.
pub enum Hash {
    /// Small form: field and value entries alternating, in insertion order; fields are
    /// unique.
    Listpack(Listpack),
    /// Large form. Boxed: a `Dict` header inline would make every `Value` as large.
    Table(Box<Dict<Bytes, Bytes>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Clone for Hash {
    /// A deep copy (COPY). `Dict` is not `Clone`, so the table form is rebuilt entry by entry.
    fn clone(&self) -> Self {
        match self {
            Hash::Listpack(lp) => Hash::Listpack(lp.clone()),
            Hash::Table(d) => {
                let mut copy = Dict::new();
                for (f, v) in d.iter() {
                    copy.insert(f.clone(), v.clone());
                }
                Hash::Table(Box::new(copy))
            }
        }
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({}, {} fields)", self.encoding(), self.len())
    }
}

/// The `(field, value)` pairs of a listpack, in order.
fn listpack_pairs(lp: &Listpack) -> impl Iterator<Item = (FieldText<'_>, FieldText<'_>)> {
    let mut entries = lp.iter();
    std::iter::from_fn(move || Some((entries.next()?.text(), entries.next()?.text())))
}

impl Hash {
    /// A new, empty hash in the small encoding (Redis's createHashObject).
    pub fn new() -> Hash {
        Hash::Listpack(Listpack::new())
    }

    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Number of fields (HLEN).
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
            Hash::Table(d) => d.len(),
        }
    }

    /// True when the hash has no field.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `field`, if present (Redis's hashTypeGetValue).
    pub fn get(&self, field: &[u8]) -> Option<FieldText<'_>> {
        match self {
            Hash::Listpack(lp) => {
                let off = lp.find(Entry::parse(field), 1)?;
                let (_, value_off) = lp.get(off)?;
                lp.get(value_off).map(|(value, _)| value.text())
            }
            Hash::Table(d) => d.get(field).map(|v| FieldText::from(&v[..])),
        }
    }

    /// True if `field` is present (HEXISTS).
    pub fn contains(&self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => lp.find(Entry::parse(field), 1).is_some(),
            Hash::Table(d) => d.get(field).is_some(),
        }
    }

    /// Converts a `listpack` hash to a `hashtable` (Redis's hashTypeConvert); a no-op on a
    /// `hashtable`.
    pub fn convert_to_table(&mut self) {
        if let Hash::Listpack(lp) = self {
            let mut d = Dict::new();
            for (f, v) in listpack_pairs(lp) {
                d.insert(Bytes::from(&*f), Bytes::from(&*v));
            }
            *self = Hash::Table(Box::new(d));
        }
    }

    /// Converts to a `hashtable` if any of `args` is too long for a `listpack` (Redis's
    /// hashTypeTryConversion). Commands call it with every field and value they are about to
    /// write, *before* writing, so a too-long argument converts even a field that then
    /// turns out to be a no-op.
    pub fn try_conversion<'a>(
        &mut self,
        limits: ListpackLimits,
        args: impl IntoIterator<Item = &'a [u8]>,
    ) {
        if matches!(self, Hash::Listpack(_)) && args.into_iter().any(|a| a.len() > limits.max_value)
        {
            self.convert_to_table();
        }
    }

    /// Sets `field` to `value`; true if the field is new, false if an existing value was
    /// replaced in place (Redis's hashTypeSet). A too-long field or value converts first (the
    /// HINCRBY* path, whose arguments [`Hash::try_conversion`] never saw), and going past
    /// `limits.max_entries` fields converts afterwards.
    pub fn set(&mut self, limits: ListpackLimits, field: &[u8], value: &[u8]) -> bool {
        self.try_conversion(limits, [field, value]);
        match self {
            Hash::Listpack(lp) => {
                let f = Entry::parse(field);
                let v = Entry::parse(value);
                if let Some(off) = lp.find(f, 1) {
                    if let Some((_, value_off)) = lp.get(off) {
                        lp.replace(value_off, v);
                    }
                    return false;
                }
                lp.append(&[f, v]);
                if lp.len() / 2 > limits.max_entries {
                    self.convert_to_table();
                }
                true
            }
            Hash::Table(d) => d.insert(field.into(), value.into()).is_none(),
        }
    }

    /// Removes `field`; true if it was present (Redis's hashTypeDelete). The encoding never
    /// changes back.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => match lp.find(Entry::parse(field), 1) {
                Some(off) => {
                    // The field and its value; the others keep their order.
                    lp.delete(off, 2);
                    true
                }
                None => false,
            },
            Hash::Table(d) => {
                let removed = d.remove(field).is_some();
                if removed {
                    d.shrink_if_needed();
                }
                removed
            }
        }
    }

    /// Every `(field, value)` pair: insertion order for a `listpack`, table order otherwise.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (FieldText<'_>, FieldText<'_>)> + '_> {
        match self {
            Hash::Listpack(lp) => Box::new(listpack_pairs(lp)),
            Hash::Table(d) => Box::new(d.iter().map(table_pair)),
        }
    }

    /// One uniformly chosen pair (a `hashtable` samples as Redis's dictGetFairRandomKey
    /// would, via [`Dict::random_entry`]); `None` for an empty hash. `rand` supplies random
    /// 64-bit words.
    pub fn random_pair(
        &self,
        rand: &mut impl FnMut() -> u64,
    ) -> Option<(FieldText<'_>, FieldText<'_>)> {
        match self {
            Hash::Listpack(lp) => {
                let fields = lp.len() / 2;
                if fields == 0 {
                    return None;
                }
                let i = (rand() % fields as u64) as usize;
                listpack_pair_at(lp, lp.seek(2 * i)?)
            }
            Hash::Table(d) => d.random_entry(rand).map(table_pair),
        }
    }

    /// A sampler for many [`Hash::random_pair`] draws (HRANDFIELD with a negative count).
    pub fn sampler(&self) -> PairSampler<'_> {
        PairSampler {
            hash: self,
            offsets: match self {
                Hash::Listpack(lp) => lp.offsets(2),
                Hash::Table(_) => Vec::new(),
            },
        }
    }
}

/// A `hashtable` entry as a hash gives it.
fn table_pair<'a>((field, value): (&'a Bytes, &'a Bytes)) -> (FieldText<'a>, FieldText<'a>) {
    (FieldText::from(&field[..]), FieldText::from(&value[..]))
}

/// The pair whose field entry starts at `off` in a listpack hash.
fn listpack_pair_at(lp: &Listpack, off: usize) -> Option<(FieldText<'_>, FieldText<'_>)> {
    let (field, value_off) = lp.get(off)?;
    let (value, _) = lp.get(value_off)?;
    Some((field.text(), value.text()))
}

/// Draws uniformly chosen pairs of one hash, as often as asked. A listpack's field offsets
/// are gathered once, so a draw decodes one pair instead of walking the buffer to it:
/// `HRANDFIELD key -1000000` on a 500-field hash takes 2.3 s with walks, 0.08 s like this.
pub struct PairSampler<'a> {
    hash: &'a Hash,
    /// The offsets of a listpack's field entries; empty for a `hashtable`.
    offsets: Vec<usize>,
}

impl<'a> PairSampler<'a> {
    /// One pair, as [`Hash::random_pair`] draws it; `None` for an empty hash.
    pub fn pick(&self, rand: &mut impl FnMut() -> u64) -> Option<(FieldText<'a>, FieldText<'a>)> {
        match self.hash {
            Hash::Listpack(lp) => {
                if self.offsets.is_empty() {
                    return None;
                }
                let i = (rand() % self.offsets.len() as u64) as usize;
                listpack_pair_at(lp, *self.offsets.get(i)?)
            }
            Hash::Table(_) => self.hash.random_pair(rand),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: ListpackLimits = ListpackLimits::DEFAULT;

    #[test]
    fn listpack_keeps_insertion_order_and_converts_one_way() {
        let mut h = Hash::new();
        assert!(h.set(L, b"b", b"1"));
        assert!(h.set(L, b"a", b"2"));
        assert!(!h.set(L, b"b", b"3"));
        let order: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        assert_eq!(
            order,
            vec![
                (b"b".to_vec(), b"3".to_vec()),
                (b"a".to_vec(), b"2".to_vec())
            ]
        );
        assert_eq!(h.encoding(), "listpack");
        h.set(L, &[b'x'; 65], b"v");
        assert_eq!(h.encoding(), "hashtable");
        assert!(h.delete(&[b'x'; 65]));
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"b").as_deref(), Some(&b"3"[..]));
    }

    #[test]
    fn too_many_entries_convert() {
        let mut h = Hash::new();
        for i in 0..HASH_MAX_LISTPACK_ENTRIES {
            h.set(L, i.to_string().as_bytes(), b"v");
        }
        assert_eq!(h.encoding(), "listpack");
        h.set(L, b"one more", b"v");
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), HASH_MAX_LISTPACK_ENTRIES + 1);
    }

    /// A small hash is one `Value`-sized enum and one buffer (see the module doc).
    #[test]
    fn hash_fits_inline_in_a_value() {
        assert_eq!(std::mem::size_of::<Hash>(), 24);
    }

    /// Random HSET/HDEL on a listpack hash against a model keeping insertion order, with
    /// fields and values that are integers, almost-integers ("007", "-0") and bytes.
    #[test]
    fn random_operations_match_ordered_model() {
        let mut rng = crate::util::Rng::new(7);
        let word = |rng: &mut crate::util::Rng| -> Vec<u8> {
            match rng.below(5) {
                0 => rng.below(200).to_string().into_bytes(),
                1 => format!("0{}", rng.below(3)).into_bytes(),
                2 => b"-0".to_vec(),
                3 => {
                    let edges = [i64::MIN, i64::MAX, -1, 128, -32769, 8388608, 1 << 31];
                    edges[rng.below(edges.len() as u64) as usize]
                        .to_string()
                        .into_bytes()
                }
                _ => format!("f{}", rng.below(30)).into_bytes(),
            }
        };
        let mut h = Hash::new();
        let mut model: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for _ in 0..5000 {
            let field = word(&mut rng);
            if rng.below(3) == 0 {
                let had = model.iter().position(|(f, _)| *f == field);
                assert_eq!(h.delete(&field), had.is_some());
                if let Some(i) = had {
                    model.remove(i);
                }
            } else {
                let value = word(&mut rng);
                let had = model.iter().position(|(f, _)| *f == field);
                assert_eq!(h.set(L, &field, &value), had.is_none());
                match had {
                    Some(i) => model[i].1 = value,
                    None => model.push((field.clone(), value)),
                }
            }
            assert_eq!(h.encoding(), "listpack");
            assert_eq!(h.len(), model.len());
            let want = model.iter().find(|(f, _)| *f == field).map(|(_, v)| &v[..]);
            assert_eq!(h.get(&field).as_deref(), want);
            assert_eq!(h.contains(&field), want.is_some());
        }
        let got: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        assert_eq!(got, model);
        h.convert_to_table();
        let mut got: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        got.sort();
        model.sort();
        assert_eq!(got, model);
    }
}
