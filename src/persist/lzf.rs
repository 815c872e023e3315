//! LZF, the compression RDB files use for long strings (Redis bundles liblzf: lzf_c.c,
//! lzf_d.c). The format is a sequence of runs, each introduced by a control byte `c`:
//! - `c < 32`: a literal run, the next `c + 1` bytes are copied as they are;
//! - otherwise a back reference: length `c >> 5` (7 means "7 plus the next byte"), then
//!   the low byte of the distance; the reference copies `len + 2` bytes starting
//!   `((c & 0x1f) << 8 | low) + 1` bytes back in the output (copies may overlap).
//!
//! [`compress`] follows liblzf's compressor step by step (its hash, its match rules, its
//! output-space checks), so that a DUMP of a long string is byte-identical to Redis's.
//! [`decompress`] trusts nothing: every run is checked against both buffers.

/// log2 of the hash table's slots (liblzf's HLOG).
const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
/// Longest literal run (liblzf's MAX_LIT).
const MAX_LIT: usize = 1 << 5;
/// Farthest back reference, in bytes (MAX_OFF).
const MAX_OFF: usize = 1 << 13;
/// Longest back reference, in bytes minus 2 (MAX_REF).
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// liblzf's IDX for its VERY_FAST setting (what Redis builds).
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

thread_local! {
    /// The compressor's hash table (256 KB), kept between calls and handed back all zero:
    /// allocating and zeroing it per string would dominate saving many short strings.
    static HTAB: std::cell::RefCell<Vec<u32>> = std::cell::RefCell::new(vec![0; HSIZE]);
}

/// Compresses `input` into at most `out_len` bytes; `None` when it does not fit (or the
/// input is empty), as lzf_compress returns 0.
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if input.is_empty() || out_len == 0 {
        return None;
    }
    HTAB.with(|htab| {
        let mut htab = htab.borrow_mut();
        let out = compress_with(input, out_len, &mut htab);
        // Zero the slots this input used: every slot written holds the hash of some
        // three-byte window of the input.
        for w in input.windows(3) {
            let h = ((w[0] as u32) << 16) | ((w[1] as u32) << 8) | w[2] as u32;
            htab[idx(h)] = 0;
        }
        out
    })
}

fn compress_with(input: &[u8], out_len: usize, htab: &mut [u32]) -> Option<Vec<u8>> {
    let in_len = input.len();
    // Positions are stored as offsets; 0 doubles as "empty", which is why liblzf's
    // `ref > in_data` test never matches the first byte either.
    let mut out = vec![0u8; out_len];
    let get = |i: usize| input.get(i).copied().unwrap_or(0);
    let mut ip = 0usize;
    let mut op = 1usize; // start a literal run: its control byte is at op - lit - 1
    let mut lit = 0usize;
    let mut hval: u32 = ((get(0) as u32) << 8) | get(1) as u32;
    while ip + 2 < in_len {
        hval = (hval << 8) | get(ip + 2) as u32;
        let slot = idx(hval);
        let rf = htab[slot] as usize;
        htab[slot] = ip as u32;
        let off = ip.wrapping_sub(rf).wrapping_sub(1);
        if off < MAX_OFF && rf > 0 && input[rf..rf + 3] == input[ip..ip + 3] {
            let mut len = 2usize;
            let maxlen = (in_len - ip - len).min(MAX_REF);
            // liblzf's two-step check of the room for a reference and a new run.
            if op + 3 + 1 >= out_len && op - usize::from(lit == 0) + 3 + 1 >= out_len {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            op -= usize::from(lit == 0);
            loop {
                len += 1;
                if !(len < maxlen && input[rf + len] == input[ip + len]) {
                    break;
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1;
            ip += len + 1;
            if ip + 2 >= in_len {
                break;
            }
            // VERY_FAST: hash the two positions before the new one as well.
            ip -= 2;
            hval = ((get(ip) as u32) << 8) | get(ip + 1) as u32;
            hval = (hval << 8) | get(ip + 2) as u32;
            htab[idx(hval)] = ip as u32;
            ip += 1;
            hval = (hval << 8) | get(ip + 2) as u32;
            htab[idx(hval)] = ip as u32;
            ip += 1;
        } else {
            if op >= out_len {
                return None;
            }
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < in_len {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= usize::from(lit == 0);
    out.truncate(op);
    Some(out)
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes. Any run reaching
/// outside either buffer, and any size other than `out_len`, is an error (never a panic).
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, &'static str> {
    // The most a stream can expand: a 3-byte reference yields 264 bytes. A longer announced
    // size is refused before anything is allocated for it.
    const MAX_EXPANSION: usize = 88;
    if out_len > input.len().saturating_mul(MAX_EXPANSION) {
        return Err("LZF length larger than its data can expand to");
    }
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while let Some(&ctrl) = input.get(ip) {
        ip += 1;
        let ctrl = ctrl as usize;
        if ctrl < 32 {
            let run = input
                .get(ip..ip + ctrl + 1)
                .ok_or("LZF literal run past the end of the input")?;
            if out.len() + run.len() > out_len {
                return Err("LZF output longer than announced");
            }
            out.extend_from_slice(run);
            ip += ctrl + 1;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input
                    .get(ip)
                    .ok_or("LZF reference past the end of the input")?
                    as usize;
                ip += 1;
            }
            let low = *input
                .get(ip)
                .ok_or("LZF reference past the end of the input")? as usize;
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            len += 2;
            if back > out.len() {
                return Err("LZF reference before the start of the output");
            }
            if out.len() + len > out_len {
                return Err("LZF output longer than announced");
            }
            let start = out.len() - back;
            // Byte by byte: a reference may overlap what it is producing (runs).
            for i in start..start + len {
                let b = out[i];
                out.push(b);
            }
        }
    }
    if out.len() != out_len {
        return Err("LZF output shorter than announced");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) {
        let Some(c) = compress(data, data.len().saturating_sub(4).max(1)) else {
            return;
        };
        assert!(c.len() < data.len());
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
    }

    #[test]
    fn round_trips() {
        round_trip(&[b'a'; 1000]);
        round_trip(b"hello hello hello hello hello hello hello");
        let mixed: Vec<u8> = (0..20000u32).map(|i| ((i * i) % 251) as u8 / 8).collect();
        round_trip(&mixed);
        let long_runs: Vec<u8> = (0..5000u32).map(|i| (i / 300) as u8).collect();
        round_trip(&long_runs);
    }

    /// Incompressible input does not fit a smaller buffer.
    #[test]
    fn incompressible_is_refused() {
        let data: Vec<u8> = (0..=255u8).collect();
        assert!(compress(&data, data.len() - 4).is_none());
        assert!(compress(&[], 10).is_none());
    }

    /// What Redis 7.0 wrote for `SET k aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`
    /// (50 bytes): the payload after the `c3 <clen> <len>` header.
    #[test]
    fn matches_liblzf_output() {
        let data = [b'a'; 50];
        assert_eq!(compress(&data, 46).unwrap(), b"\x01aa\xe0\x25\x00\x01aa");
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert!(decompress(b"\x05ab", 6).is_err()); // literal past the end
        assert!(decompress(b"\x20\x00", 3).is_err()); // reference before the output
        assert!(decompress(b"\x00a\xe0", 10).is_err()); // truncated reference
        assert!(decompress(b"\x00a", 2).is_err()); // shorter than announced
        assert!(decompress(b"\x01ab", 1).is_err()); // longer than announced
        assert!(decompress(b"\x00a", 1 << 60).is_err()); // absurd size, refused up front
        assert_eq!(decompress(b"\x00a\x20\x00", 4).unwrap(), b"aaaa");
        // Every prefix and every single-byte change of a valid stream: never a panic.
        let good = compress(&[b'x'; 300], 296).unwrap();
        for cut in 0..good.len() {
            let _ = decompress(&good[..cut], 300);
        }
        for i in 0..good.len() {
            for v in [0u8, 0x1f, 0x20, 0xe0, 0xff] {
                let mut bad = good.clone();
                bad[i] = v;
                let _ = decompress(&bad, 300);
            }
        }
    }
}
