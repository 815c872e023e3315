//! The reply side of RESP: a client's output buffer and the typed methods that fill it.
//!
//! Handlers never write protocol bytes themselves; they say *what* they reply (a bulk string,
//! an integer, a map of n pairs, a null) and [`Reply`] encodes it for the client's protocol
//! version. RESP2 and RESP3 differ only here: a map is `*2n` in RESP2 and `%n` in RESP3, a null
//! is `$-1` or `_`, and so on (networking.c's `addReply*` family).
//!
//! Bytes are appended to one contiguous `Vec`, and the event loop writes them from `sent`
//! onwards. Appending is the hot path of every command, so headers are written with a small
//! integer formatter instead of `format!`.

use crate::util::{format_double, i64_len, write_i64};

/// Bytes of reply buffer a client keeps once everything is written, the size of the static
/// reply buffer of a Redis client: small replies reuse it without allocating, a larger
/// burst's memory goes back as soon as it is sent. Output buffer limits ignore this much
/// pending output, as Redis's ignore the static buffer.
pub const PROTO_REPLY_CHUNK_BYTES: usize = 16 * 1024;

/// A client's pending output. Owned by its `Client`; dies with it.
#[derive(Debug)]
pub struct Reply {
    /// Encoded replies; `buf[sent..]` has not reached the socket yet.
    buf: Vec<u8>,
    /// Invariant: `sent <= buf.len()`. When everything is sent both are reset to zero, so an
    /// idle client holds no stale bytes.
    sent: usize,
    /// Protocol version negotiated by HELLO: 2 (the default) or 3.
    pub resp: u8,
    /// The codes (`ERR`, `WRONGTYPE`...) of the error replies appended since the server last
    /// collected them for INFO errorstats ([`Reply::take_error_codes`]).
    error_codes: Vec<Box<[u8]>>,
}

impl Default for Reply {
    fn default() -> Self {
        Reply {
            buf: Vec::new(),
            sent: 0,
            resp: 2,
            error_codes: Vec::new(),
        }
    }
}

/// A place in the buffer reserved by [`Reply::deferred_len`] for a length not known yet.
#[must_use]
pub struct Deferred(usize);

impl Reply {
    /// Bytes waiting to be written.
    pub fn pending(&self) -> &[u8] {
        self.buf.get(self.sent..).unwrap_or_default()
    }

    /// Number of bytes waiting to be written.
    pub fn pending_len(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// Records that `n` pending bytes reached the socket. A drained buffer that grew past
    /// [`PROTO_REPLY_CHUNK_BYTES`] is freed at once, as Redis frees its reply blocks once written:
    /// memory a burst of replies took must not stay counted in `used_memory`, where under
    /// `maxmemory` it would be paid for with evicted keys.
    pub fn consume(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.buf.len());
        if self.sent == self.buf.len() {
            if self.buf.capacity() > PROTO_REPLY_CHUNK_BYTES {
                self.buf = Vec::new();
            } else {
                self.buf.clear();
            }
            self.sent = 0;
        }
    }

    /// Heap bytes held (for CLIENT LIST's omem and the memory INFO attributes to clients).
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Appends raw, already encoded protocol.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn header(&mut self, prefix: u8, n: i64) {
        self.buf.push(prefix);
        write_i64(&mut self.buf, n);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.raw(b"+OK\r\n");
    }

    /// A status reply (`+text`). `text` must not contain CR or LF.
    pub fn status(&mut self, text: &str) {
        self.buf.push(b'+');
        self.raw(text.as_bytes());
        self.raw(b"\r\n");
    }

    /// An error reply. `msg` starts with the error code (`ERR syntax error`,
    /// `WRONGTYPE Operation ...`). CR and LF would break the framing, so, like Redis, they are
    /// replaced by spaces.
    pub fn error(&mut self, msg: &str) {
        self.error_bytes(msg.as_bytes());
    }

    /// An error reply whose text may hold arbitrary bytes (it quotes client input, as the
    /// unknown-command and protocol errors do); sanitised like [`Reply::error`].
    pub fn error_bytes(&mut self, msg: &[u8]) {
        self.error_codes.push(error_code(msg).into());
        self.buf.push(b'-');
        self.buf.extend(
            msg.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.raw(b"\r\n");
    }

    /// How many error replies were appended since the codes were last taken.
    pub fn pending_errors(&self) -> usize {
        self.error_codes.len()
    }

    /// The codes of the error replies appended since the last call, oldest first.
    pub fn take_error_codes(&mut self) -> Vec<Box<[u8]>> {
        std::mem::take(&mut self.error_codes)
    }

    /// An integer reply.
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    /// A binary-safe bulk string.
    pub fn bulk(&mut self, bytes: &[u8]) {
        self.header(b'$', bytes.len() as i64);
        self.raw(bytes);
        self.raw(b"\r\n");
    }

    /// An integer sent as a bulk string (GET of an `int`-encoded value).
    pub fn bulk_i64(&mut self, n: i64) {
        self.header(b'$', i64_len(n) as i64);
        write_i64(&mut self.buf, n);
        self.raw(b"\r\n");
    }

    /// A double as Redis writes it: `,` in RESP3, a bulk string in RESP2 (`%.17g` rules).
    pub fn double(&mut self, v: f64) {
        let mut text = Vec::with_capacity(24);
        format_double(v, &mut text);
        if self.resp >= 3 {
            self.buf.push(b',');
            self.raw(&text);
            self.raw(b"\r\n");
        } else {
            self.bulk(&text);
        }
    }

    /// The null reply: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        self.raw(if self.resp >= 3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// The null array (`*-1`), which RESP2 uses for "no result" from array commands.
    pub fn null_array(&mut self) {
        self.raw(if self.resp >= 3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    /// The header of an array of `n` elements.
    pub fn array_len(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// The header of an out-of-band push of `n` elements (`>n`; an array in RESP2): pub/sub
    /// messages and subscription confirmations.
    pub fn push_len(&mut self, n: usize) {
        self.header(if self.resp >= 3 { b'>' } else { b'*' }, n as i64);
    }

    /// The header of a map of `n` key/value pairs (`%n`; a flat array of 2n in RESP2).
    pub fn map_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// The header of a set of `n` elements (`~n`; an array in RESP2).
    pub fn set_len(&mut self, n: usize) {
        self.header(if self.resp >= 3 { b'~' } else { b'*' }, n as i64);
    }

    /// A boolean (`#t`/`#f`; the integers 1/0 in RESP2).
    pub fn bool(&mut self, v: bool) {
        if self.resp >= 3 {
            self.raw(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }

    /// Free text for a person (INFO, CLIENT LIST): a verbatim string `=len\r\ntxt:...` in
    /// RESP3, a bulk string in RESP2.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp >= 3 {
            self.header(b'=', text.len() as i64 + 4);
            self.raw(b"txt:");
            self.raw(text);
            self.raw(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// Reserves room for an aggregate header whose length is known only after its elements
    /// are written (KEYS, SCAN): call [`Reply::set_array_len`] with the count afterwards.
    pub fn deferred_len(&mut self) -> Deferred {
        Deferred(self.buf.len())
    }

    /// Fills in a header reserved by [`Reply::deferred_len`]: inserts `*n` at that place.
    pub fn set_array_len(&mut self, at: Deferred, n: usize) {
        let mut header = Vec::with_capacity(12);
        header.push(b'*');
        write_i64(&mut header, n as i64);
        header.extend_from_slice(b"\r\n");
        self.buf.splice(at.0..at.0, header);
    }

    /// Discards everything written after `at`: used when a reply has to be replaced by an
    /// error part-way.
    pub fn truncate(&mut self, at: Deferred) {
        self.buf.truncate(at.0);
    }

    /// The standard help reply of container commands (`CLIENT HELP`, `OBJECT HELP`): a
    /// first line naming the command, then `lines`, then the `HELP` line, as status replies.
    pub fn help(&mut self, command: &str, lines: &[&str]) {
        self.array_len(lines.len() + 3);
        self.status(&format!(
            "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
        ));
        for line in lines {
            self.status(line);
        }
        self.status("HELP");
        self.status("    Prints this help.");
    }
}

/// The code INFO errorstats files an error under: its first word when a space ends it
/// within the first 32 bytes, else `ERR` (Redis's afterErrorReply).
fn error_code(msg: &[u8]) -> &[u8] {
    let head = msg.get(..msg.len().min(31)).unwrap_or(msg);
    match head.iter().position(|&b| b == b' ') {
        Some(end) => head.get(..end).unwrap_or(b"ERR"),
        None => b"ERR",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_encodings() {
        let mut r = Reply::default();
        r.bulk(b"hi");
        r.int(-12);
        r.null();
        r.map_len(2);
        r.bool(true);
        assert_eq!(r.pending(), b"$2\r\nhi\r\n:-12\r\n$-1\r\n*4\r\n:1\r\n");
        let mut r = Reply {
            resp: 3,
            ..Reply::default()
        };
        r.null();
        r.map_len(2);
        r.bool(true);
        r.double(1.5);
        assert_eq!(r.pending(), b"_\r\n%2\r\n#t\r\n,1.5\r\n");
    }

    #[test]
    fn sets_verbatim_and_null_arrays_per_protocol() {
        let mut r = Reply::default();
        r.set_len(2);
        r.null_array();
        r.verbatim(b"a:1");
        r.bool(false);
        r.double(f64::INFINITY);
        assert_eq!(
            r.pending(),
            b"*2\r\n*-1\r\n$3\r\na:1\r\n:0\r\n$3\r\ninf\r\n"
        );
        let mut r = Reply {
            resp: 3,
            ..Reply::default()
        };
        r.set_len(2);
        r.null_array();
        r.verbatim(b"a:1");
        r.bool(false);
        r.double(f64::NEG_INFINITY);
        assert_eq!(r.pending(), b"~2\r\n_\r\n=7\r\ntxt:a:1\r\n#f\r\n,-inf\r\n");
    }

    #[test]
    fn deferred_length_and_consumption() {
        let mut r = Reply::default();
        r.ok();
        let at = r.deferred_len();
        r.bulk(b"a");
        r.bulk(b"b");
        r.set_array_len(at, 2);
        assert_eq!(r.pending(), b"+OK\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
        r.consume(5);
        assert_eq!(r.pending_len(), 18);
        r.consume(18);
        assert_eq!(r.pending_len(), 0);
        assert_eq!(r.pending(), b"");
        // A small buffer is kept for the next replies; a burst's is given back once sent.
        assert!(r.capacity() > 0);
        r.bulk(&vec![b'x'; 2 * PROTO_REPLY_CHUNK_BYTES]);
        r.consume(PROTO_REPLY_CHUNK_BYTES);
        assert!(r.capacity() > PROTO_REPLY_CHUNK_BYTES);
        r.consume(r.pending_len());
        assert_eq!(r.capacity(), 0);
    }

    #[test]
    fn errors_cannot_break_framing() {
        let mut r = Reply::default();
        r.error("ERR bad\r\nthing");
        assert_eq!(r.pending(), b"-ERR bad  thing\r\n");
    }

    #[test]
    fn error_codes_as_errorstats_files_them() {
        let mut r = Reply::default();
        r.error("WRONGTYPE Operation against a key");
        r.error("ERR");
        r.error("NOSPACEINTHEFIRSTTHIRTYTWOBYTESOFTHIS message");
        r.error("EXECABORT Transaction discarded");
        let codes: Vec<&[u8]> = vec![b"WRONGTYPE", b"ERR", b"ERR", b"EXECABORT"];
        assert_eq!(
            r.take_error_codes(),
            codes.into_iter().map(Box::from).collect::<Vec<Box<[u8]>>>()
        );
        assert!(r.take_error_codes().is_empty());
    }
}
