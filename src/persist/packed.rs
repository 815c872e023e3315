//! Redis's in-memory blob encodings, as they travel inside RDB files and DUMP payloads:
//! listpacks (Redis 7.0's small hashes, sorted sets and list nodes), and the older
//! ziplists, intsets and zipmaps that files written by earlier versions still hold.
//!
//! rredis's own buffers (`types/listpack.rs`) use a different, tighter entry framing, so a
//! value is re-encoded on the way out ([`ListpackWriter`]) and decoded entry by entry on the
//! way in ([`listpack_entries`], [`ziplist_entries`], ...). Entries are handed out as
//! `types::listpack::Entry`, the same integer-or-bytes element every rredis collection
//! takes. The readers trust nothing: every length is checked against the blob, so a
//! corrupt file is an error, never a panic.
//!
//! # Listpack layout (listpack.c)
//!
//! `total bytes: u32 LE | count: u16 LE (65535 = unknown) | entries | 0xff`. An entry is an
//! encoding byte (and its data), then a *backlen*: the size of encoding plus data in 1..=5
//! bytes of 7 bits, readable from its last byte backwards.
//!
//! | first byte   | entry                             |
//! |--------------|-----------------------------------|
//! | `0xxxxxxx`   | integer 0..=127                   |
//! | `10xxxxxx`   | string of up to 63 bytes          |
//! | `110xxxxx`   | 13-bit signed integer (+1 byte)   |
//! | `1110xxxx`   | string of up to 4095 bytes (+1)   |
//! | `11110000`   | string, u32 LE length             |
//! | `0xf1..0xf4` | i16 / i24 / i32 / i64, LE         |

use crate::types::listpack::Entry;

/// Listpack header: total bytes (u32) and element count (u16).
const LP_HDR_SIZE: usize = 6;
/// The count field's "too many to count" value.
const LP_HDR_NUMELE_UNKNOWN: usize = u16::MAX as usize;
const LP_EOF: u8 = 0xff;

/// Builds one listpack blob in Redis's exact byte layout (what lpAppend produces), so Redis
/// loads it as it is and a DUMP matches Redis's byte for byte.
pub struct ListpackWriter {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackWriter {
    fn default() -> Self {
        ListpackWriter::new()
    }
}

impl ListpackWriter {
    pub fn new() -> ListpackWriter {
        ListpackWriter {
            buf: vec![0; LP_HDR_SIZE],
            count: 0,
        }
    }

    /// Entries appended so far.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The blob's size if it were finished now (lpBytes: header, entries, terminator).
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// Appends one element (lpAppend): an integer entry if it is one, else a string entry.
    pub fn push(&mut self, entry: Entry<'_>) {
        let start = self.buf.len();
        match entry {
            Entry::Int(v) => self.push_int(v),
            Entry::Str(s) => {
                // lpAppend stores integer-looking text as an integer.
                if let Entry::Int(v) = Entry::parse(s) {
                    self.push_int(v);
                } else {
                    self.push_str(s);
                }
            }
        }
        let len = self.buf.len() - start;
        self.push_backlen(len);
        self.count += 1;
    }

    fn push_int(&mut self, v: i64) {
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = if v < 0 { (1 << 13) + v } else { v } as u16;
            self.buf.push(0xc0 | (u >> 8) as u8);
            self.buf.push(u as u8);
        } else if i16::try_from(v).is_ok() {
            self.buf.push(0xf1);
            self.buf.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            self.buf.push(0xf2);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if i32::try_from(v).is_ok() {
            self.buf.push(0xf3);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            self.buf.push(0xf4);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn push_str(&mut self, s: &[u8]) {
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf.push(0xe0 | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else {
            self.buf.push(0xf0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
    }

    /// lpEncodeBacklen: the first byte holds the highest 7 bits, every later byte has its
    /// top bit set, so a reader starting at the last byte knows when to stop.
    fn push_backlen(&mut self, l: usize) {
        let mut groups = [0u8; 5];
        let mut n = 0;
        let mut rest = l;
        loop {
            groups[n] = (rest & 127) as u8;
            n += 1;
            rest >>= 7;
            if rest == 0 {
                break;
            }
        }
        for i in (0..n).rev() {
            let more = if i == n - 1 { 0 } else { 128 };
            self.buf.push(groups[i] | more);
        }
    }

    /// The finished blob.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(LP_EOF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let count = self.count.min(LP_HDR_NUMELE_UNKNOWN) as u16;
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// Reads `n` bytes at `*pos` of `blob`, advancing `*pos`.
fn take<'a>(blob: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], &'static str> {
    let end = pos.checked_add(n).ok_or("length overflow")?;
    let s = blob
        .get(*pos..end)
        .ok_or("entry past the end of the blob")?;
    *pos = end;
    Ok(s)
}

fn le_int(bytes: &[u8]) -> i64 {
    let mut v: i64 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        v |= (b as i64) << (8 * i);
    }
    // Sign-extend from the width read.
    let shift = 64 - 8 * bytes.len() as u32;
    if shift == 0 || shift >= 64 {
        v
    } else {
        (v << shift) >> shift
    }
}

/// Every entry of a listpack blob, checked the way Redis's deep lpValidateIntegrity does:
/// the header's size, each entry's bounds and backlen, the terminator, and the count.
pub fn listpack_entries(blob: &[u8]) -> Result<Vec<Entry<'_>>, &'static str> {
    let header = blob
        .get(..LP_HDR_SIZE)
        .ok_or("listpack shorter than its header")?;
    let total = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let count = u16::from_le_bytes([header[4], header[5]]) as usize;
    if total != blob.len() {
        return Err("listpack size does not match its header");
    }
    let mut pos = LP_HDR_SIZE;
    let mut entries = Vec::new();
    loop {
        let tag = *blob.get(pos).ok_or("listpack without terminator")?;
        if tag == LP_EOF {
            pos += 1;
            break;
        }
        let start = pos;
        pos += 1;
        let entry = match tag {
            0x00..=0x7f => Entry::Int(tag as i64),
            0x80..=0xbf => Entry::Str(take(blob, &mut pos, (tag & 0x3f) as usize)?),
            0xc0..=0xdf => {
                let low = take(blob, &mut pos, 1)?[0];
                let u = (((tag & 0x1f) as i64) << 8) | low as i64;
                Entry::Int(if u >= 1 << 12 { u - (1 << 13) } else { u })
            }
            0xe0..=0xef => {
                let low = take(blob, &mut pos, 1)?[0] as usize;
                let len = (((tag & 0x0f) as usize) << 8) | low;
                Entry::Str(take(blob, &mut pos, len)?)
            }
            0xf0 => {
                let len = take(blob, &mut pos, 4)?;
                let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                Entry::Str(take(blob, &mut pos, len)?)
            }
            0xf1 => Entry::Int(le_int(take(blob, &mut pos, 2)?)),
            0xf2 => Entry::Int(le_int(take(blob, &mut pos, 3)?)),
            0xf3 => Entry::Int(le_int(take(blob, &mut pos, 4)?)),
            0xf4 => Entry::Int(le_int(take(blob, &mut pos, 8)?)),
            _ => return Err("invalid listpack entry encoding"),
        };
        let encoded_len = pos - start;
        // The backlen must be exactly what lpEncodeBacklen writes for this entry.
        let mut expect = ListpackWriter {
            buf: Vec::new(),
            count: 0,
        };
        expect.push_backlen(encoded_len);
        if take(blob, &mut pos, expect.buf.len())? != expect.buf.as_slice() {
            return Err("listpack entry with a wrong back-length");
        }
        entries.push(entry);
    }
    if pos != blob.len() {
        return Err("bytes after the listpack terminator");
    }
    if count != LP_HDR_NUMELE_UNKNOWN && count != entries.len() {
        return Err("listpack count does not match its entries");
    }
    Ok(entries)
}

/// Every entry of a ziplist blob (Redis before 7.0): `zlbytes u32 | zltail u32 | zllen u16
/// | entries | 0xff`, each entry `prevlen | encoding | data`, checked as
/// ziplistValidateIntegrity does (bounds, prevlen chain, tail offset, count).
pub fn ziplist_entries(blob: &[u8]) -> Result<Vec<Entry<'_>>, &'static str> {
    const ZL_HDR: usize = 10;
    let header = blob
        .get(..ZL_HDR)
        .ok_or("ziplist shorter than its header")?;
    let total = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let tail = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
    let count = u16::from_le_bytes([header[8], header[9]]) as usize;
    if total != blob.len() {
        return Err("ziplist size does not match its header");
    }
    let mut pos = ZL_HDR;
    let mut prev_len = 0usize;
    let mut last_start = ZL_HDR;
    let mut entries = Vec::new();
    loop {
        let first = *blob.get(pos).ok_or("ziplist without terminator")?;
        if first == 0xff {
            pos += 1;
            break;
        }
        let start = pos;
        let prevlen = if first < 254 {
            pos += 1;
            first as usize
        } else {
            pos += 1;
            let b = take(blob, &mut pos, 4)?;
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
        };
        if prevlen != prev_len {
            return Err("ziplist entry with a wrong prevlen");
        }
        let enc = take(blob, &mut pos, 1)?[0];
        let entry = match enc >> 6 {
            0 => Entry::Str(take(blob, &mut pos, (enc & 0x3f) as usize)?),
            1 => {
                let low = take(blob, &mut pos, 1)?[0] as usize;
                Entry::Str(take(blob, &mut pos, (((enc & 0x3f) as usize) << 8) | low)?)
            }
            2 => {
                if enc != 0x80 {
                    return Err("invalid ziplist string encoding");
                }
                let b = take(blob, &mut pos, 4)?;
                let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                Entry::Str(take(blob, &mut pos, len)?)
            }
            _ => match enc {
                0xc0 => Entry::Int(le_int(take(blob, &mut pos, 2)?)),
                0xd0 => Entry::Int(le_int(take(blob, &mut pos, 4)?)),
                0xe0 => Entry::Int(le_int(take(blob, &mut pos, 8)?)),
                0xf0 => Entry::Int(le_int(take(blob, &mut pos, 3)?)),
                0xfe => Entry::Int(le_int(take(blob, &mut pos, 1)?)),
                0xf1..=0xfd => Entry::Int((enc & 0x0f) as i64 - 1),
                _ => return Err("invalid ziplist entry encoding"),
            },
        };
        prev_len = pos - start;
        last_start = start;
        entries.push(entry);
    }
    if pos != blob.len() {
        return Err("bytes after the ziplist terminator");
    }
    if tail != last_start {
        return Err("ziplist tail offset is wrong");
    }
    if count != u16::MAX as usize && count != entries.len() {
        return Err("ziplist count does not match its entries");
    }
    Ok(entries)
}

/// The intset blob of a set (intset.c): `encoding u32 LE (2, 4 or 8) | length u32 LE |
/// values`, the values in the smallest width that holds them all, ascending.
pub fn intset_blob(values: &[i64]) -> Vec<u8> {
    let width: usize = if values.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if values.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut blob = Vec::with_capacity(8 + width * values.len());
    blob.extend_from_slice(&(width as u32).to_le_bytes());
    blob.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        blob.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    blob
}

/// The values of an intset blob, checked as intsetValidateIntegrity does: a known width,
/// the exact size, and values strictly ascending (so no duplicates).
pub fn intset_values(blob: &[u8]) -> Result<Vec<i64>, &'static str> {
    let header = blob.get(..8).ok_or("intset shorter than its header")?;
    let width = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err("invalid intset encoding");
    }
    if Some(blob.len() - 8) != len.checked_mul(width) {
        return Err("intset size does not match its length");
    }
    let values: Vec<i64> = blob[8..].chunks_exact(width).map(le_int).collect();
    if values.windows(2).any(|w| w[0] >= w[1]) {
        return Err("intset values not strictly ascending");
    }
    Ok(values)
}

/// A field and its value, borrowed from a blob.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// The field-value pairs of a zipmap blob (Redis 2.4 hashes): `zmlen u8 | (len key len
/// free value+free)* | 0xff`, lengths one byte below 254 or 254 + u32 LE.
pub fn zipmap_pairs(blob: &[u8]) -> Result<Vec<Pair<'_>>, &'static str> {
    fn zm_len(blob: &[u8], pos: &mut usize) -> Result<Option<usize>, &'static str> {
        let first = take(blob, pos, 1)?[0];
        match first {
            0xff => Ok(None),
            254 => {
                let b = take(blob, pos, 4)?;
                Ok(Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize))
            }
            253 => Err("invalid zipmap length"),
            n => Ok(Some(n as usize)),
        }
    }
    let mut pos = 1; // zmlen: a count hint only
    take(blob, &mut 0, 1)?;
    let mut pairs = Vec::new();
    while let Some(klen) = zm_len(blob, &mut pos)? {
        let key = take(blob, &mut pos, klen)?;
        let vlen = zm_len(blob, &mut pos)?.ok_or("zipmap key without a value")?;
        let free = take(blob, &mut pos, 1)?[0] as usize;
        let value = take(blob, &mut pos, vlen)?;
        take(blob, &mut pos, free)?;
        pairs.push((key, value));
    }
    if pos != blob.len() {
        return Err("bytes after the zipmap terminator");
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Redis 7.0 DUMPs for `RPUSH l a 1 -5000 123456 "hello world"` (the node's
    /// listpack).
    #[test]
    fn listpack_matches_redis() {
        let mut w = ListpackWriter::new();
        for e in ["a", "1", "-5000", "123456", "hello world"] {
            w.push(Entry::Str(e.as_bytes()));
        }
        let redis: &[u8] = b"\"\x00\x00\x00\x05\x00\x81a\x02\x01\x01\xf1x\xec\x03\xf2@\xe2\x01\x04\x8bhello world\x0c\xff";
        assert_eq!(w.finish(), redis);
        let entries = listpack_entries(redis).unwrap();
        assert_eq!(
            entries,
            vec![
                Entry::Str(b"a"),
                Entry::Int(1),
                Entry::Int(-5000),
                Entry::Int(123456),
                Entry::Str(b"hello world")
            ]
        );
    }

    #[test]
    fn listpack_round_trips_every_encoding() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 200];
        let values: Vec<Entry<'_>> = vec![
            Entry::Int(0),
            Entry::Int(127),
            Entry::Int(128),
            Entry::Int(-1),
            Entry::Int(-4096),
            Entry::Int(4095),
            Entry::Int(-4097),
            Entry::Int(32767),
            Entry::Int(-32769),
            Entry::Int(8388607),
            Entry::Int(-8388609),
            Entry::Int(i32::MIN as i64),
            Entry::Int(i64::MAX),
            Entry::Int(i64::MIN),
            Entry::Str(b""),
            Entry::Str(&mid),
            Entry::Str(&long),
        ];
        let mut w = ListpackWriter::new();
        for &v in &values {
            w.push(v);
        }
        let blob = w.finish();
        assert_eq!(listpack_entries(&blob).unwrap(), values);
        // Every truncation and every byte change is an error or a valid listpack.
        for cut in 0..blob.len() {
            assert!(listpack_entries(&blob[..cut]).is_err());
        }
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x41;
            let _ = listpack_entries(&bad);
        }
    }

    #[test]
    fn intsets() {
        for values in [vec![1, 2, 3], vec![-40000, 5], vec![i64::MIN, 0, i64::MAX]] {
            let blob = intset_blob(&values);
            assert_eq!(intset_values(&blob).unwrap(), values);
        }
        assert_eq!(
            intset_blob(&[1, 2]),
            b"\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x02\x00"
        );
        assert!(intset_values(&intset_blob(&[2, 1])).is_err());
        assert!(intset_values(&intset_blob(&[1, 1])).is_err());
        assert!(intset_values(b"\x03\x00\x00\x00\x00\x00\x00\x00").is_err());
        assert!(intset_values(b"\x02\x00\x00\x00\xff\xff\xff\x7f").is_err());
    }

    /// A ziplist Redis 6 wrote for `RPUSH l a 1 -5000 hello` (hand-assembled from the
    /// format: prevlen, encoding, data).
    #[test]
    fn ziplist() {
        let mut zl = vec![0u8; 10];
        let entries: [&[u8]; 4] = [
            b"\x00\x01a",
            b"\x03\xf2",
            b"\x02\xc0\x78\xec",
            b"\x04\x05hello",
        ];
        let mut last = 0;
        for e in entries {
            last = zl.len();
            zl.extend_from_slice(e);
        }
        zl.push(0xff);
        let total = zl.len() as u32;
        zl[0..4].copy_from_slice(&total.to_le_bytes());
        zl[4..8].copy_from_slice(&(last as u32).to_le_bytes());
        zl[8..10].copy_from_slice(&4u16.to_le_bytes());
        assert_eq!(
            ziplist_entries(&zl).unwrap(),
            vec![
                Entry::Str(b"a"),
                Entry::Int(1),
                Entry::Int(-5000),
                Entry::Str(b"hello")
            ]
        );
        for cut in 0..zl.len() {
            assert!(ziplist_entries(&zl[..cut]).is_err());
        }
    }

    #[test]
    fn zipmap() {
        let zm = b"\x02\x03foo\x03\x01bar!\x01a\x02\x00xy\xff";
        assert_eq!(
            zipmap_pairs(zm).unwrap(),
            vec![(&b"foo"[..], &b"bar"[..]), (&b"a"[..], &b"xy"[..])]
        );
        for cut in 0..zm.len() {
            assert!(zipmap_pairs(&zm[..cut]).is_err());
        }
    }
}
