//! The packed entry encoding shared by every small collection (Redis's listpack.c), and
//! [`Listpack`], the one-buffer sequence of entries that small hashes are stored in.
//!
//! Redis keeps small collections (quicklist nodes, hashes of up to 512 short fields, small
//! sorted sets) as *listpacks*: one flat allocation holding the elements back to back, each
//! with a byte or two of framing and integers stored as numbers. A collection of a few dozen
//! short elements then costs one allocation instead of two per element, which is what makes
//! millions of small keys affordable. rredis uses the same entry encoding everywhere; this
//! module owns it, so the list nodes (`types/list.rs`) and the hash listpacks
//! (`types/hash.rs`) cannot drift apart.
//!
//! # Entry encoding
//!
//! An element whose text is an integer in Redis's strict form (what `parse_i64` accepts:
//! no sign but `-`, no leading zero, no `-0`) is stored as that integer, as listpacks do, and
//! given back as the same text; anything else (`"007"`, `"-0"`, `"+1"`, binary) is stored as
//! bytes. An entry is a *head*, an optional payload, and a *trailer*:
//!
//! | first byte  | entry                                         | head + payload | trailer |
//! |-------------|-----------------------------------------------|----------------|---------|
//! | `0x00-0x7f` | the integer 0..=127 itself                    | 1              | 0       |
//! | `0x80-0xbf` | string of `tag & 0x3f` bytes                  | len + 1        | 1       |
//! | `0xc0-0xcf` | 12-bit length (tag + 1 byte), string          | len + 2        | 2       |
//! | `0xd0-0xd3` | i16 / i24 / i32 / i64, little endian          | 3 / 4 / 5 / 9  | 1       |
//! | `0xd4`      | u64 length, string                            | len + 9        | 9       |
//!
//! The trailer is the head mirrored (for an integer, the tag alone), so its last byte is
//! always the tag, which gives the entry's size read backwards. How an entry is framed is a
//! [`Framing`]: quicklist nodes are walked from both ends (pops at the tail, LPOS with a
//! negative RANK) and write the trailer; a [`Listpack`] is only ever walked forwards (hash
//! lookups, HGETALL, HSCAN, HRANDFIELD all start at the front) and leaves it out. Redis
//! writes a trailer (its `backlen`) into every listpack; leaving it out saves a byte per
//! short entry, 20 bytes of a 10-field hash, which is what brings such a hash into the
//! 128-byte jemalloc size class where Redis's takes 160 (see docs/benchmarks.md).
//!
//! Buffers only ever hold entries written by [`Encoded::write`], so decoding trusts them: the
//! indexing below can only fail on a bug here, never on client data.

use std::fmt;
use std::ops::Deref;

use crate::util::parse_i64;

// Entry tags.
const TAG_STR6: u8 = 0x80;
const TAG_STR12: u8 = 0xc0;
const TAG_INT16: u8 = 0xd0;
const TAG_INT24: u8 = 0xd1;
const TAG_INT32: u8 = 0xd2;
const TAG_INT64: u8 = 0xd3;
const TAG_STR64: u8 = 0xd4;

/// Longest head: a tag and an 8-byte integer or length.
const MAX_HEAD: usize = 9;

/// Longest decimal text of an i64 (`-9223372036854775808`), in bytes.
const MAX_INT_TEXT: usize = 20;

/// How entries are framed in a buffer (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Head, payload and mirrored trailer: the buffer can be walked both ways.
    Both,
    /// Head and payload only: the buffer can only be walked forwards.
    Forward,
}

/// One element as a listpack yields it: integers are stored as numbers, so a reply writes
/// them with `bulk_i64` and no text is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> Entry<'a> {
    /// The entry an element's bytes are stored as: an integer if they are one in Redis's
    /// strict text form, else the bytes.
    pub fn parse(bytes: &'a [u8]) -> Entry<'a> {
        match parse_i64(bytes) {
            Some(n) => Entry::Int(n),
            None => Entry::Str(bytes),
        }
    }

    /// The element's bytes (an integer as its decimal text).
    pub fn to_vec(self) -> Vec<u8> {
        self.text().to_vec()
    }

    /// The element's bytes without a heap allocation: borrowed for a string, formatted on
    /// the stack for an integer.
    pub fn text(self) -> EntryText<'a> {
        match self {
            Entry::Str(s) => EntryText(Text::Str(s)),
            Entry::Int(n) => {
                let mut buf = [0u8; MAX_INT_TEXT];
                let mut len = 0;
                // Digits are produced least significant first, then reversed; the magnitude
                // as u64 covers i64::MIN.
                let mut m = n.unsigned_abs();
                loop {
                    buf[len] = b'0' + (m % 10) as u8;
                    len += 1;
                    m /= 10;
                    if m == 0 {
                        break;
                    }
                }
                if n < 0 {
                    buf[len] = b'-';
                    len += 1;
                }
                buf[..len].reverse();
                EntryText(Text::Int {
                    buf,
                    len: len as u8,
                })
            }
        }
    }

    /// True if this entry is the element `needle` (Redis's lpCompare). Because integers
    /// are stored whenever the text is an integer, comparing the parsed forms is comparing
    /// the texts.
    pub fn matches(self, needle: Entry<'_>) -> bool {
        match (self, needle) {
            (Entry::Int(a), Entry::Int(b)) => a == b,
            (Entry::Str(a), Entry::Str(b)) => a == b,
            _ => false,
        }
    }
}

/// An entry's bytes, as [`Entry::text`] gives them: dereferences to `[u8]`. Small enough to
/// pass by value (24 bytes); equality and hashing are the bytes'.
#[derive(Clone, Copy)]
pub struct EntryText<'a>(Text<'a>);

/// [`EntryText`]'s two forms, private so that `len` always fits `buf`.
#[derive(Clone, Copy)]
enum Text<'a> {
    Str(&'a [u8]),
    Int { buf: [u8; MAX_INT_TEXT], len: u8 },
}

impl<'a> From<&'a [u8]> for EntryText<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        EntryText(Text::Str(bytes))
    }
}

impl Deref for EntryText<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            Text::Str(s) => s,
            Text::Int { buf, len } => buf.get(..*len as usize).unwrap_or_default(),
        }
    }
}

impl AsRef<[u8]> for EntryText<'_> {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl PartialEq for EntryText<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for EntryText<'_> {}

impl std::hash::Hash for EntryText<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl fmt::Debug for EntryText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

/// An entry ready to be written: its head (the whole entry for an integer), the string
/// payload (empty for an integer), and how many head bytes the trailer mirrors.
pub struct Encoded<'a> {
    head: [u8; MAX_HEAD],
    head_len: usize,
    payload: &'a [u8],
    trailer_len: usize,
}

impl<'a> Encoded<'a> {
    pub fn new(entry: Entry<'a>) -> Encoded<'a> {
        let mut head = [0u8; MAX_HEAD];
        let (head_len, payload, trailer_len) = match entry {
            Entry::Int(n) => {
                let (tag, width) = match n {
                    0..=127 => {
                        head[0] = n as u8;
                        return Encoded {
                            head,
                            head_len: 1,
                            payload: &[],
                            trailer_len: 0,
                        };
                    }
                    -0x8000..=0x7fff => (TAG_INT16, 2),
                    -0x80_0000..=0x7f_ffff => (TAG_INT24, 3),
                    -0x8000_0000..=0x7fff_ffff => (TAG_INT32, 4),
                    _ => (TAG_INT64, 8),
                };
                head[0] = tag;
                head[1..1 + width].copy_from_slice(&n.to_le_bytes()[..width]);
                // An integer's trailer is its tag alone: the tag gives the width.
                (width + 1, &[][..], 1)
            }
            Entry::Str(s) => {
                let len = s.len();
                let head_len = if len < 64 {
                    head[0] = TAG_STR6 | len as u8;
                    1
                } else if len < 4096 {
                    head[0] = TAG_STR12 | (len >> 8) as u8;
                    head[1] = len as u8;
                    2
                } else {
                    head[0] = TAG_STR64;
                    head[1..9].copy_from_slice(&(len as u64).to_le_bytes());
                    9
                };
                (head_len, s, head_len)
            }
        };
        Encoded {
            head,
            head_len,
            payload,
            trailer_len,
        }
    }

    /// Encoded size in bytes.
    pub fn len(&self, framing: Framing) -> usize {
        let front = self.head_len + self.payload.len();
        match framing {
            Framing::Both => front + self.trailer_len,
            Framing::Forward => front,
        }
    }

    /// Writes the entry into `dst`, which is exactly [`Encoded::len`] bytes.
    pub fn write(&self, dst: &mut [u8], framing: Framing) {
        let (head, rest) = dst.split_at_mut(self.head_len);
        head.copy_from_slice(&self.head[..self.head_len]);
        let (body, trailer) = rest.split_at_mut(self.payload.len());
        body.copy_from_slice(self.payload);
        if framing == Framing::Both {
            let mirrored = self.head[..self.trailer_len].iter().rev();
            for (d, s) in trailer.iter_mut().zip(mirrored) {
                *d = *s;
            }
        }
    }
}

/// Reads a little-endian signed integer of `bytes.len()` bytes.
fn read_int(bytes: &[u8]) -> i64 {
    let mut le = [0u8; 8];
    le[..bytes.len()].copy_from_slice(bytes);
    let shift = 64 - 8 * bytes.len() as u32;
    (i64::from_le_bytes(le) << shift) >> shift
}

/// Reads a little-endian u64 length.
fn read_len64(bytes: &[u8]) -> usize {
    let mut le = [0u8; 8];
    le.copy_from_slice(bytes);
    u64::from_le_bytes(le) as usize
}

/// Decodes the entry starting at `buf[0]`: the entry and its encoded size under `framing`.
/// `buf` must start at an entry written by [`Encoded::write`] with the same framing.
pub fn decode(buf: &[u8], framing: Framing) -> (Entry<'_>, usize) {
    let tag = buf[0];
    let (entry, front, trailer) = match tag {
        0x00..=0x7f => (Entry::Int(tag as i64), 1, 0),
        0x80..=0xbf => {
            let len = (tag & 0x3f) as usize;
            (Entry::Str(&buf[1..1 + len]), len + 1, 1)
        }
        0xc0..=0xcf => {
            let len = (((tag & 0x0f) as usize) << 8) | buf[1] as usize;
            (Entry::Str(&buf[2..2 + len]), len + 2, 2)
        }
        TAG_INT16 => (Entry::Int(read_int(&buf[1..3])), 3, 1),
        TAG_INT24 => (Entry::Int(read_int(&buf[1..4])), 4, 1),
        TAG_INT32 => (Entry::Int(read_int(&buf[1..5])), 5, 1),
        TAG_INT64 => (Entry::Int(read_int(&buf[1..9])), 9, 1),
        _ => {
            let len = read_len64(&buf[1..9]);
            (Entry::Str(&buf[9..9 + len]), len + 9, 9)
        }
    };
    match framing {
        Framing::Both => (entry, front + trailer),
        Framing::Forward => (entry, front),
    }
}

/// The size of the [`Framing::Both`] entry that ends at `buf[end]` (exclusive), read from its
/// trailer.
pub fn size_before(buf: &[u8], end: usize) -> usize {
    let tag = buf[end - 1];
    match tag {
        0x00..=0x7f => 1,
        0x80..=0xbf => (tag & 0x3f) as usize + 2,
        0xc0..=0xcf => ((((tag & 0x0f) as usize) << 8) | buf[end - 2] as usize) + 4,
        TAG_INT16 => 4,
        TAG_INT24 => 5,
        TAG_INT32 => 6,
        TAG_INT64 => 10,
        // The trailer is the head mirrored: the length's bytes come most significant first.
        _ => {
            let mut be = [0u8; 8];
            be.copy_from_slice(&buf[end - 9..end - 1]);
            u64::from_be_bytes(be) as usize + 18
        }
    }
}

/// The size jemalloc really allocates for a request of `n` bytes (its size classes: 8, then
/// multiples of 16 up to 128, then four classes per doubling, 25% apart).
pub fn size_class(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    // 2^k < n <= 2^(k+1): classes are multiples of 2^(k-2), and at least of the 16-byte
    // quantum.
    let k = usize::BITS - 1 - (n - 1).leading_zeros();
    let step = (1usize << k.saturating_sub(2)).max(16);
    n.div_ceil(step).saturating_mul(step)
}

/// A sequence of entries in one exactly sized heap buffer ([`Framing::Forward`]), as Redis's
/// listpack is one `zmalloc`ed block: no capacity is kept, so every insertion or removal
/// reallocates (jemalloc resizes in place while the size class does not change), and a
/// small collection costs its bytes rounded up to one size class. Offsets handed out by the
/// methods are byte positions of entry starts; they stay valid until the next write.
///
/// 24 bytes (a boxed slice and a count), so a container can hold it inline. A `Box<[u8]>`
/// rather than a kept-tight `Vec<u8>`: the `Vec`'s capacity word would make every small hash
/// and sorted set 8 bytes larger inline for nothing, since the buffer is never over-allocated.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Box<[u8]>,
    /// Number of entries (Redis keeps it in the listpack header).
    count: usize,
}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Listpack({} entries, {} bytes)",
            self.count,
            self.buf.len()
        )
    }
}

impl Listpack {
    pub fn new() -> Listpack {
        Listpack::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Size of the buffer in bytes.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// The entries, first to last.
    pub fn iter(&self) -> Iter<'_> {
        Iter { buf: &self.buf }
    }

    /// The entry at byte offset `off` and the offset of the entry after it; `None` at the end.
    pub fn get(&self, off: usize) -> Option<(Entry<'_>, usize)> {
        let rest = self.buf.get(off..).filter(|r| !r.is_empty())?;
        let (entry, size) = decode(rest, Framing::Forward);
        Some((entry, off + size))
    }

    /// The byte offset of the entry at position `index`, walking from the front.
    pub fn seek(&self, index: usize) -> Option<usize> {
        if index >= self.count {
            return None;
        }
        let mut off = 0;
        for _ in 0..index {
            off += decode(&self.buf[off..], Framing::Forward).1;
        }
        Some(off)
    }

    /// The offsets of the entries at positions 0, `step`, `2 * step`, ... (`step` 2: the
    /// fields of a hash), for callers that reach many entries by position: one walk, then
    /// each entry without one.
    pub fn offsets(&self, step: usize) -> Vec<usize> {
        let mut offsets = Vec::with_capacity(self.count.div_ceil(step.max(1)));
        let mut off = 0;
        let mut i = 0;
        while off < self.buf.len() {
            if i % step.max(1) == 0 {
                offsets.push(off);
            }
            off += decode(&self.buf[off..], Framing::Forward).1;
            i += 1;
        }
        offsets
    }

    /// The offset of the first entry equal to `needle` among the entries at positions 0,
    /// `skip + 1`, `2 * (skip + 1)`, ... (Redis's lpFind: `skip` 1 looks at hash fields and
    /// steps over their values).
    pub fn find(&self, needle: Entry<'_>, skip: usize) -> Option<usize> {
        let mut off = 0;
        while off < self.buf.len() {
            let (entry, size) = decode(&self.buf[off..], Framing::Forward);
            if entry.matches(needle) {
                return Some(off);
            }
            off += size;
            for _ in 0..skip {
                if off >= self.buf.len() {
                    return None;
                }
                off += decode(&self.buf[off..], Framing::Forward).1;
            }
        }
        None
    }

    /// Appends `entries` at the end, in one reallocation.
    pub fn append(&mut self, entries: &[Entry<'_>]) {
        self.insert(self.buf.len(), entries);
    }

    /// Inserts `entries` before the entry at offset `off` (at the end when `off` is the
    /// buffer's length), in one reallocation.
    pub fn insert(&mut self, off: usize, entries: &[Entry<'_>]) {
        let off = off.min(self.buf.len());
        self.splice_entries(off, off, 0, entries);
    }

    /// Replaces the entry at offset `off` with `entry` (an entry boundary; a no-op at the end).
    pub fn replace(&mut self, off: usize, entry: Entry<'_>) {
        if let Some((_, next)) = self.get(off) {
            self.splice_entries(off, next, 1, &[entry]);
        }
    }

    /// Removes `n` entries starting at offset `off` (fewer if the listpack ends first).
    pub fn delete(&mut self, off: usize, n: usize) {
        let mut end = off;
        let mut removed = 0;
        while removed < n {
            let Some((_, next)) = self.get(end) else {
                break;
            };
            end = next;
            removed += 1;
        }
        self.splice_entries(off, end, removed, &[]);
    }

    /// Replaces the `removed` entries in `buf[from..to]` with `entries`, reallocating the
    /// buffer to its new exact size.
    fn splice_entries(&mut self, from: usize, to: usize, removed: usize, entries: &[Entry<'_>]) {
        let encoded: Vec<Encoded<'_>> = entries.iter().map(|&e| Encoded::new(e)).collect();
        let new_len: usize = encoded.iter().map(|e| e.len(Framing::Forward)).sum();
        let old_total = self.buf.len();
        let new_total = old_total - (to - from) + new_len;
        let mut v = std::mem::take(&mut self.buf).into_vec();
        if new_total > old_total {
            // Exactly what is needed: `into_boxed_slice` below then has nothing to trim.
            v.reserve_exact(new_total - old_total);
            v.resize(new_total, 0);
            v.copy_within(to..old_total, from + new_len);
        } else {
            v.copy_within(to..old_total, from + new_len);
            v.truncate(new_total);
        }
        let mut at = from;
        for enc in &encoded {
            let len = enc.len(Framing::Forward);
            enc.write(&mut v[at..at + len], Framing::Forward);
            at += len;
        }
        self.buf = v.into_boxed_slice();
        self.count = self.count - removed + entries.len();
    }
}

/// A [`Listpack`]'s entries, first to last.
pub struct Iter<'a> {
    buf: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.buf.is_empty() {
            return None;
        }
        let (entry, size) = decode(self.buf, Framing::Forward);
        self.buf = &self.buf[size..];
        Some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Rng;

    /// Texts covering every entry kind and each boundary between kinds.
    fn samples() -> Vec<Vec<u8>> {
        vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"-1".to_vec(),
            b"-32768".to_vec(),
            b"32767".to_vec(),
            b"32768".to_vec(),
            b"-32769".to_vec(),
            b"-8388608".to_vec(),
            b"8388607".to_vec(),
            b"8388608".to_vec(),
            b"2147483647".to_vec(),
            b"-2147483648".to_vec(),
            b"-2147483649".to_vec(),
            i64::MIN.to_string().into_bytes(),
            i64::MAX.to_string().into_bytes(),
            b"9223372036854775808".to_vec(),
            b"-0".to_vec(),
            b"+1".to_vec(),
            b"007".to_vec(),
            b" 1".to_vec(),
            b"".to_vec(),
            vec![0, 0xff, b'\r', b'\n', 0x80],
            vec![b'a'; 63],
            vec![b'b'; 64],
            vec![b'c'; 4095],
            vec![b'd'; 4096],
            vec![b'e'; 70000],
        ]
    }

    #[test]
    fn entries_round_trip_in_both_framings() {
        for s in samples() {
            let entry = Entry::parse(&s);
            let enc = Encoded::new(entry);
            for framing in [Framing::Both, Framing::Forward] {
                let mut buf = vec![0u8; enc.len(framing)];
                enc.write(&mut buf, framing);
                let (back, size) = decode(&buf, framing);
                assert_eq!(size, buf.len());
                assert_eq!(back.to_vec(), s);
                assert_eq!(&*back.text(), &s[..]);
                if framing == Framing::Both {
                    assert_eq!(size_before(&buf, buf.len()), buf.len());
                } else {
                    assert_eq!(enc.len(Framing::Both) - buf.len(), enc.trailer_len);
                }
            }
        }
        // Non-canonical integer text stays text.
        for s in [&b"007"[..], b"-0", b"+1", b" 1"] {
            assert_eq!(Entry::parse(s), Entry::Str(s));
        }
        let size = |s: &[u8], f| Encoded::new(Entry::parse(s)).len(f);
        assert_eq!(size(b"5", Framing::Both), 1);
        assert_eq!(size(b"5", Framing::Forward), 1);
        assert_eq!(size(b"abcdefghij", Framing::Both), 12);
        assert_eq!(size(b"abcdefghij", Framing::Forward), 11);
        assert_eq!(size(b"100000", Framing::Forward), 4);
        assert_eq!(size(&[b'x'; 64], Framing::Forward), 66);
        assert_eq!(size(&[b'x'; 4096], Framing::Forward), 4105);
    }

    #[test]
    fn listpack_holds_every_kind() {
        let samples = samples();
        let mut lp = Listpack::new();
        for s in &samples {
            lp.append(&[Entry::parse(s)]);
        }
        assert_eq!(lp.len(), samples.len());
        let back: Vec<Vec<u8>> = lp.iter().map(Entry::to_vec).collect();
        assert_eq!(back, samples);
        // Exactly sized: the buffer is the entries and nothing else.
        let bytes: usize = samples
            .iter()
            .map(|s| Encoded::new(Entry::parse(s)).len(Framing::Forward))
            .sum();
        assert_eq!(lp.bytes(), bytes);
        for (i, s) in samples.iter().enumerate() {
            let off = lp.find(Entry::parse(s), 0);
            assert_eq!(off, lp.seek(i), "{i}");
        }
    }

    #[test]
    fn find_steps_over_values() {
        let mut lp = Listpack::new();
        let pairs = [("a", "b"), ("b", "a"), ("1", "2"), ("2", "1")];
        for (f, v) in pairs {
            lp.append(&[Entry::parse(f.as_bytes()), Entry::parse(v.as_bytes())]);
        }
        assert_eq!(lp.find(Entry::parse(b"b"), 1), lp.seek(2));
        assert_eq!(lp.find(Entry::parse(b"2"), 1), lp.seek(6));
        assert_eq!(lp.find(Entry::parse(b"c"), 1), None);
        assert_eq!(lp.find(Entry::parse(b"b"), 0), lp.seek(1));
        let fields: Vec<Option<usize>> = lp.offsets(2).into_iter().map(Some).collect();
        assert_eq!(fields, [lp.seek(0), lp.seek(2), lp.seek(4), lp.seek(6)]);
        assert_eq!(lp.offsets(1).len(), 8);
    }

    /// Random appends, replacements and deletions against a `Vec` model.
    #[test]
    fn random_operations_match_model() {
        let mut rng = Rng::new(0x6c69_7374_7061_636b);
        let random_elem = |rng: &mut Rng| -> Vec<u8> {
            match rng.below(7) {
                0 => (rng.below(300) as i64 - 100).to_string().into_bytes(),
                1 => (rng.next_u64() as i64).to_string().into_bytes(),
                2 => ((rng.below(1 << 20) as i64) - (1 << 19))
                    .to_string()
                    .into_bytes(),
                3 => vec![b'x'; rng.below(5000) as usize],
                4 => format!("0{}", rng.below(10)).into_bytes(),
                5 => Vec::new(),
                _ => format!("e{}", rng.below(20)).into_bytes(),
            }
        };
        for _ in 0..20 {
            let mut lp = Listpack::new();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for _ in 0..300 {
                match rng.below(7) {
                    0 | 1 => {
                        let n = 1 + rng.below(3) as usize;
                        let elems: Vec<Vec<u8>> = (0..n).map(|_| random_elem(&mut rng)).collect();
                        let entries: Vec<Entry<'_>> =
                            elems.iter().map(|e| Entry::parse(e)).collect();
                        lp.append(&entries);
                        model.extend(elems);
                    }
                    2 | 3 if !model.is_empty() => {
                        let i = rng.below(model.len() as u64) as usize;
                        let elem = random_elem(&mut rng);
                        let off = lp.seek(i).unwrap();
                        lp.replace(off, Entry::parse(&elem));
                        model[i] = elem;
                    }
                    5 if !model.is_empty() => {
                        let i = rng.below(model.len() as u64 + 1) as usize;
                        let elem = random_elem(&mut rng);
                        let off = lp.seek(i).unwrap_or(lp.bytes());
                        lp.insert(off, &[Entry::parse(&elem)]);
                        model.insert(i, elem);
                    }
                    4 if !model.is_empty() => {
                        let i = rng.below(model.len() as u64) as usize;
                        let n = 1 + rng.below(3) as usize;
                        let off = lp.seek(i).unwrap();
                        lp.delete(off, n);
                        model.drain(i..(i + n).min(model.len()));
                    }
                    _ => {
                        let needle = random_elem(&mut rng);
                        let want = model.iter().position(|e| *e == needle);
                        let got = lp.find(Entry::parse(&needle), 0);
                        assert_eq!(got, want.and_then(|i| lp.seek(i)));
                    }
                }
                assert_eq!(lp.len(), model.len());
                let got: Vec<Vec<u8>> = lp.iter().map(Entry::to_vec).collect();
                assert_eq!(got, model);
            }
        }
    }

    #[test]
    fn size_classes_are_jemallocs() {
        let classes: Vec<usize> = [
            1, 8, 9, 16, 17, 32, 33, 48, 49, 70, 77, 81, 128, 129, 4097, 8192,
        ]
        .iter()
        .map(|&n| size_class(n))
        .collect();
        assert_eq!(
            classes,
            [8, 8, 16, 16, 32, 32, 48, 48, 64, 80, 80, 96, 128, 160, 5120, 8192]
        );
    }

    #[test]
    fn listpack_is_small() {
        assert_eq!(std::mem::size_of::<Listpack>(), 24);
        assert_eq!(std::mem::size_of::<EntryText<'_>>(), 24);
    }
}
