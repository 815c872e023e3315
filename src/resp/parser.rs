//! The request parser: turns a client's query buffer into argument vectors.
//!
//! Redis accepts two request forms (networking.c's `processMultibulkBuffer` and
//! `processInlineBuffer`): the multibulk form every client library sends
//! (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and the inline form a person types into telnet
//! (`GET k\r\n`). The first byte of each request chooses the form.
//!
//! The parser is *incremental*: bytes arrive in arbitrary pieces, so a request may be split at
//! any byte. [`RequestParser`] remembers how far into a multibulk request it got (how many
//! arguments are still due, and the length of the bulk it is waiting for), so a 500 MB value that
//! arrives in 16 KB reads is scanned once, not once per read. Each finished argument is split off
//! the front of the buffer as a [`Bytes`] that shares the buffer's memory: no copy per argument.
//!
//! Incomplete input is [`Parsed::NeedMore`], never an error; a malformed request is
//! [`ProtocolError`], whose text is exactly what Redis replies before it closes the connection.

use bytes::{Buf, Bytes, BytesMut};

use crate::util::parse_i64;

/// Longest inline request, and longest `*<count>` / `$<len>` header line, Redis accepts before
/// it gives up waiting for the newline (PROTO_INLINE_MAX_SIZE, in bytes).
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;

/// Largest argument count of one multibulk request (Redis checks `ll > INT_MAX`).
const MAX_MULTIBULK_LEN: i64 = i32::MAX as i64;

/// Bulk arguments at least this long (PROTO_MBULK_BIG_ARG, bytes) make the parser reserve room
/// for the argument up front, so the buffer does not regrow (and copy) step by step.
const PROTO_MBULK_BIG_ARG: usize = 32 * 1024;

/// The most the parser reserves on the strength of a `$<len>` header alone, in bytes. Redis
/// reserves the whole announced length, so one header of `$536870912` costs 512 MB before a
/// single byte of it arrives; a client could hold that much per connection for free. Beyond
/// this cap the buffer grows only as the bytes really come.
const MAX_UPFRONT_RESERVE: usize = 1024 * 1024;

/// A protocol violation. The text is Redis's own, without the leading `-ERR `; it is bytes
/// because it may quote a raw byte of the client's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub Vec<u8>);

/// What one call of [`RequestParser::parse`] achieved.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole request is now in `argv` (possibly empty: `*0\r\n` or a blank inline line, which
    /// Redis silently skips).
    Command,
    /// The buffer ends inside a request; the bytes consumed so far are remembered.
    NeedMore,
}

/// The state of a partly read multibulk request. Lives in the client, for as long as the client.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Arguments still to read in the current multibulk request; 0 when between requests.
    /// Invariant: non-zero only while `argv` holds the arguments read so far.
    multibulk_remaining: usize,
    /// Length of the bulk argument whose `$<len>` header was consumed but whose payload has not
    /// fully arrived yet; `None` when the next thing to read is a `$` header.
    bulk_len: Option<usize>,
    /// The client has not authenticated yet: its requests are capped at
    /// [`UNAUTHENTICATED_MULTIBULK_MAX`] arguments of [`UNAUTHENTICATED_BULK_MAX`] bytes, so a
    /// stranger cannot make the server buffer large requests (set by the client before each
    /// parse).
    pub unauthenticated: bool,
}

/// Most arguments a request of an unauthenticated client may announce (Redis: 10).
const UNAUTHENTICATED_MULTIBULK_MAX: i64 = 10;

/// Longest argument, in bytes, an unauthenticated client may announce (Redis: 16384).
const UNAUTHENTICATED_BULK_MAX: usize = 16384;

impl RequestParser {
    /// Parses at most one request from the front of `buf` into `argv` (cleared when a new
    /// request starts). Consumed bytes are removed from `buf`.
    ///
    /// `max_bulk_len` is `proto-max-bulk-len`: a longer `$<len>` is a protocol error.
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        argv: &mut Vec<Bytes>,
        max_bulk_len: usize,
    ) -> Result<Parsed, ProtocolError> {
        if self.multibulk_remaining == 0 {
            argv.clear();
            match buf.first() {
                None => return Ok(Parsed::NeedMore),
                Some(b'*') => {}
                Some(_) => return parse_inline(buf, argv),
            }
            let Some(cr) = line_end(buf, "too big mbulk count string")? else {
                return Ok(Parsed::NeedMore);
            };
            let count = buf.get(1..cr).and_then(parse_i64);
            buf.advance(cr + 2);
            let count = match count {
                Some(n) if n <= MAX_MULTIBULK_LEN => n,
                _ => return Err(protocol_error("invalid multibulk length")),
            };
            if count > UNAUTHENTICATED_MULTIBULK_MAX && self.unauthenticated {
                return Err(protocol_error("unauthenticated multibulk length"));
            }
            if count <= 0 {
                return Ok(Parsed::Command);
            }
            // Bounded by the client's own input: never reserve more than what 1024 arguments
            // need up front, so `*2147483647` costs nothing until the arguments really arrive.
            argv.reserve((count as usize).min(1024));
            self.multibulk_remaining = count as usize;
        }
        while self.multibulk_remaining > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    // Like Redis, wait for the whole header line before looking at its first
                    // byte: 64 KB without a line end is "too big bulk count string" whatever
                    // it starts with, and a partial line is no error yet.
                    let Some(cr) = line_end(buf, "too big bulk count string")? else {
                        return Ok(Parsed::NeedMore);
                    };
                    // An empty line means the header started with the '\r' itself.
                    let first = buf.first().copied().unwrap_or(b'\r');
                    if first != b'$' {
                        let mut text = b"Protocol error: expected '$', got '".to_vec();
                        text.extend_from_slice(&[first, b'\'']);
                        return Err(ProtocolError(text));
                    }
                    let len = buf.get(1..cr).and_then(parse_i64);
                    buf.advance(cr + 2);
                    let len = match len {
                        Some(n) if n >= 0 && n as u64 <= max_bulk_len as u64 => n as usize,
                        _ => return Err(protocol_error("invalid bulk length")),
                    };
                    if len > UNAUTHENTICATED_BULK_MAX && self.unauthenticated {
                        return Err(protocol_error("unauthenticated bulk length"));
                    }
                    if len >= PROTO_MBULK_BIG_ARG {
                        buf.reserve((len + 2).min(MAX_UPFRONT_RESERVE));
                    }
                    self.bulk_len = Some(len);
                    len
                }
            };
            if buf.len() < len + 2 {
                return Ok(Parsed::NeedMore);
            }
            // Like Redis, the two bytes after the payload are dropped unchecked.
            argv.push(buf.split_to(len).freeze());
            buf.advance(2);
            self.bulk_len = None;
            self.multibulk_remaining -= 1;
        }
        Ok(Parsed::Command)
    }
}

impl RequestParser {
    /// True between requests: nothing of a request has been consumed yet.
    pub fn at_request_boundary(&self) -> bool {
        self.multibulk_remaining == 0
    }
}

/// Calls `f` with the second and third arguments (the key of most commands, and the member
/// or field of a set or hash command; empty when absent or over [`PEEK_MAX_KEY_LEN`] bytes)
/// of each complete multibulk request at the front of `buf`, for at most `max` requests and
/// while `f` returns true, consuming nothing: a look ahead for the batch prefetch of
/// pipelined keys (`client::prefetch_pipelined_keys`). Stops at the first request that is
/// not a complete, well-formed multibulk one of 2 to [`PEEK_MAX_ARGS`] arguments, or whose
/// second argument is over [`PEEK_MAX_KEY_LEN`] bytes: the real parse deals with all of
/// those, and a look ahead that gives up early costs nothing but a missed hint.
pub fn peek_key_args<'a>(buf: &'a [u8], max: usize, mut f: impl FnMut(&'a [u8], &'a [u8]) -> bool) {
    let mut pos = 0;
    for _ in 0..max {
        let Some((count, after)) = peek_header(buf, pos, b'*') else {
            return;
        };
        if !(2..=PEEK_MAX_ARGS).contains(&count) {
            return;
        }
        pos = after;
        let mut args: [&[u8]; 3] = [&[]; 3];
        for i in 0..count {
            let Some((len, start)) = peek_header(buf, pos, b'$') else {
                return;
            };
            let Some(arg) = buf.get(start..start + len) else {
                return;
            };
            if let Some(slot) = args.get_mut(i) {
                *slot = if len > PEEK_MAX_KEY_LEN { &[] } else { arg };
            }
            pos = start + len + 2;
        }
        // Until the last argument's line end has come the request is not complete.
        if pos > buf.len() || args[1].is_empty() || !f(args[1], args[2]) {
            return;
        }
    }
}

/// Most arguments a request may have for [`peek_key_args`] to look past it: a long
/// request is not the small, latency-bound kind the prefetch is for.
const PEEK_MAX_ARGS: usize = 64;

/// Longest second argument [`peek_key_args`] hands on, in bytes: hashing a long script
/// or value as if it were a key would cost more than any prefetch saves.
const PEEK_MAX_KEY_LEN: usize = 256;

/// The number in the header line `<marker><number>\r\n` at `buf[pos..]`, and where the line
/// ends; `None` when the line is incomplete, lacks the marker or holds no valid count.
fn peek_header(buf: &[u8], pos: usize, marker: u8) -> Option<(usize, usize)> {
    let rest = buf.get(pos..)?;
    if rest.first() != Some(&marker) {
        return None;
    }
    let cr = line_end(rest, "").ok()??;
    let n = usize::try_from(parse_i64(rest.get(1..cr)?)?).ok()?;
    Some((n, pos + cr + 2))
}

fn protocol_error(what: &str) -> ProtocolError {
    ProtocolError(format!("Protocol error: {what}").into_bytes())
}

/// Where the `\r` of the `\r\n`-terminated header line at the front of `buf` is; the caller
/// reads the line in place and then advances past its terminator (no `Bytes` handle is made
/// for a line that is only parsed). `None` when the line is not complete yet; an error when
/// no `\r` has come in more than any valid header's length. As in Redis, a `\r` that has
/// come (its `\n` not yet) means waiting, however long the line before it.
fn line_end(buf: &[u8], too_big: &str) -> Result<Option<usize>, ProtocolError> {
    match strchr(b'\r', buf) {
        Some(cr) if cr + 1 < buf.len() => Ok(Some(cr)),
        None if buf.len() > PROTO_INLINE_MAX_SIZE => Err(protocol_error(too_big)),
        _ => Ok(None),
    }
}

/// Where the first `needle` is, searched the way Redis searches its query buffer for a line
/// end: with C's `strchr`, which stops at a NUL byte. So a header line or inline request
/// holding a NUL before its line end is never complete: Redis (and rredis) wait for more
/// input until the 64 KB limit turns it into a protocol error. Bulk payloads, read by length,
/// may hold any byte.
fn strchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    let at = haystack.iter().position(|&b| b == needle || b == 0)?;
    (haystack.get(at) == Some(&needle)).then_some(at)
}

/// Parses one inline request (`SET k "hello world"\n`). The line ends at `\n`; a `\r` before
/// it is dropped. Arguments are split as redis.conf lines are: see [`split_args`].
fn parse_inline(buf: &mut BytesMut, argv: &mut Vec<Bytes>) -> Result<Parsed, ProtocolError> {
    let Some(nl) = strchr(b'\n', buf) else {
        if buf.len() > PROTO_INLINE_MAX_SIZE {
            return Err(protocol_error("too big inline request"));
        }
        return Ok(Parsed::NeedMore);
    };
    let line = buf.split_to(nl + 1);
    let line = line.strip_suffix(b"\n").unwrap_or(&line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match split_args(line) {
        Some(args) => {
            argv.extend(args.into_iter().map(Bytes::from));
            Ok(Parsed::Command)
        }
        None => Err(protocol_error("unbalanced quotes in request")),
    }
}

/// Splits a line into arguments the way Redis splits inline requests and redis.conf lines
/// (`sdssplitargs`): blanks separate arguments; `"..."` allows the escapes `\n \r \t \b \a \\ \"`
/// and `\xHH`; `'...'` allows only `\'`. A closing quote must be followed by a blank or the end
/// of the line. `None` means unbalanced quotes. A NUL byte ends the line, as the end of the C
/// string does in sdssplitargs (CONFIG SET client-output-buffer-limit passes client bytes here).
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    // sdssplitargs reads a C string: a NUL ends the line (an open quote is then unbalanced).
    // The request parser never passes one (see [`strchr`]); a config line may.
    let line = line.split(|&b| b == 0).next().unwrap_or_default();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while line.get(i).is_some_and(|&b| is_space(b)) {
            i += 1;
        }
        if i >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            let c = line.get(i).copied();
            if in_double {
                match c {
                    None => return None,
                    Some(b'\\')
                        if line.get(i + 1) == Some(&b'x') && hex_pair(line, i + 2).is_some() =>
                    {
                        current.extend(hex_pair(line, i + 2));
                        i += 3;
                    }
                    Some(b'\\') if i + 1 < line.len() => {
                        i += 1;
                        current.push(match line.get(i).copied().unwrap_or_default() {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        // The closing quote must end the argument.
                        if line.get(i + 1).is_some_and(|&b| !is_space(b)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else if in_single {
                match c {
                    None => return None,
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        current.push(b'\'');
                    }
                    Some(b'\'') => {
                        if line.get(i + 1).is_some_and(|&b| !is_space(b)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else {
                match c {
                    None => break,
                    Some(b' ' | b'\n' | b'\r' | b'\t') => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(other) => current.push(other),
                }
            }
            i += 1;
        }
        args.push(current);
    }
}

/// The byte spelled by the two hex digits at `line[at..at + 2]`, if they are hex digits.
fn hex_pair(line: &[u8], at: usize) -> Option<u8> {
    let digit = |i: usize| line.get(i).and_then(|&c| (c as char).to_digit(16));
    Some((digit(at)? * 16 + digit(at + 1)?) as u8)
}

/// C's `isspace`, which sdssplitargs uses (it includes vertical tab, unlike
/// `u8::is_ascii_whitespace`).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The look ahead of the key prefetch: at every split point of a pipeline it hands on
    /// the keys of the requests whose key has arrived, in order, and nothing else.
    #[test]
    fn peek_key_args_at_every_split_point() {
        let pipeline = b"*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$1\r\nv\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$2\r\nk3\r\n";
        let all: Vec<(&[u8], &[u8])> = vec![(b"k1", b""), (b"k2", b"v")];
        for cut in 0..=pipeline.len() {
            let mut seen = Vec::new();
            peek_key_args(&pipeline[..cut], 16, |k, v| {
                seen.push((k, v));
                true
            });
            // A one-argument request (PING) ends the look ahead: k3 is never reached.
            assert!(seen.len() <= all.len(), "cut {cut}");
            assert_eq!(seen[..], all[..seen.len()], "cut {cut}");
        }
        let mut seen = Vec::new();
        peek_key_args(pipeline, 16, |k, v| {
            seen.push((k, v));
            true
        });
        assert_eq!(seen, all);
        let mut seen = 0;
        peek_key_args(pipeline, 1, |_, _| {
            seen += 1;
            true
        });
        assert_eq!(seen, 1, "at most `max` requests");
        let mut seen = 0;
        peek_key_args(pipeline, 16, |_, _| {
            seen += 1;
            false
        });
        assert_eq!(seen, 1, "no further once `f` says stop");
        // Client bytes, mangled: never a panic.
        let mut rng = crate::util::Rng::new(7);
        for _ in 0..20_000 {
            let mut input = pipeline.to_vec();
            for _ in 0..1 + rng.next_u64() % 4 {
                let at = rng.next_u64() as usize % input.len();
                input[at] = b"*$\r\n0123456789-k"[rng.next_u64() as usize % 16];
            }
            peek_key_args(&input, 16, |k, v| k.len() + v.len() <= input.len());
        }
    }

    #[test]
    fn peek_key_args_gives_up_on_what_it_does_not_expect() {
        for input in [
            &b"GET k\r\n"[..],
            b"*2\r\n$3\r\nGET\r\n$-1\r\n",
            b"*2\r\n$3\r\nGET\r\n$99999999999999999999\r\n",
            b"*2\r\n$18446744073709551615\r\nk\r\n",
            b"*-5\r\n",
            b"*2\r\n:3\r\nGET\r\n",
            b"*65\r\n$3\r\nDEL\r\n$1\r\nk\r\n",
        ] {
            let mut seen = 0;
            peek_key_args(input, 16, |_, _| {
                seen += 1;
                true
            });
            assert_eq!(seen, 0, "{:?}", String::from_utf8_lossy(input));
        }
        let mut long_key = b"*2\r\n$3\r\nGET\r\n$300\r\n".to_vec();
        long_key.extend_from_slice(&[b'k'; 300]);
        long_key.extend_from_slice(b"\r\n");
        let mut seen = 0;
        peek_key_args(&long_key, 16, |_, _| {
            seen += 1;
            true
        });
        assert_eq!(seen, 0, "keys over PEEK_MAX_KEY_LEN are not hashed");
    }

    const MAX: usize = 512 * 1024 * 1024;

    /// Feeds `input` in two pieces split at `split` and collects every request parsed.
    fn parse_split(input: &[u8], split: usize) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut parser = RequestParser::default();
        let mut buf = BytesMut::new();
        let mut argv = Vec::new();
        let mut out = Vec::new();
        for piece in [&input[..split], &input[split..]] {
            buf.extend_from_slice(piece);
            while parser.parse(&mut buf, &mut argv, MAX)? == Parsed::Command {
                out.push(argv.iter().map(|a| a.to_vec()).collect());
            }
        }
        Ok(out)
    }

    fn args(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn every_split_point_of_a_pipeline_gives_the_same_commands() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhe\r\no\r\nPING\r\n*1\r\n$4\r\nPING\r\n\
                      SET k \"a b\\x41\" 'c\\'d'\n*0\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n";
        let expected = vec![
            args(&["SET", "k", "he\r\no"]),
            args(&["PING"]),
            args(&["PING"]),
            args(&["SET", "k", "a bA", "c'd"]),
            vec![],
            args(&["GET", ""]),
        ];
        for split in 0..=input.len() {
            assert_eq!(
                parse_split(input, split).unwrap(),
                expected,
                "split at {split}"
            );
        }
    }

    #[test]
    fn byte_at_a_time_feeding_works() {
        let input = b"*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n";
        let mut parser = RequestParser::default();
        let mut buf = BytesMut::new();
        let mut argv = Vec::new();
        let mut done = 0;
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            if parser.parse(&mut buf, &mut argv, MAX).unwrap() == Parsed::Command {
                done += 1;
                assert_eq!(argv, vec![&b"ECHO"[..], &b"0123456789"[..]]);
            }
        }
        assert_eq!(done, 1);
        assert!(buf.is_empty());
    }

    #[test]
    fn malformed_inputs_give_redis_errors_at_every_split() {
        let cases: &[(&[u8], &str)] = &[
            (b"*x\r\n", "Protocol error: invalid multibulk length"),
            (
                b"*3000000000\r\n",
                "Protocol error: invalid multibulk length",
            ),
            (b"*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'"),
            (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
            (b"*1\r\n$abc\r\n", "Protocol error: invalid bulk length"),
            (
                b"*1\r\n$600000000\r\n",
                "Protocol error: invalid bulk length",
            ),
            (
                b"SET k \"abc\n",
                "Protocol error: unbalanced quotes in request",
            ),
            (
                b"SET k 'a'b\n",
                "Protocol error: unbalanced quotes in request",
            ),
        ];
        for (input, err) in cases {
            for split in 0..=input.len() {
                let got = parse_split(input, split);
                assert_eq!(
                    got,
                    Err(ProtocolError(err.as_bytes().to_vec())),
                    "{input:?} at {split}"
                );
            }
        }
    }

    #[test]
    fn over_long_headers_and_inline_lines_are_rejected() {
        let mut parser = RequestParser::default();
        let mut argv = Vec::new();
        let long = vec![b'a'; PROTO_INLINE_MAX_SIZE + 1];
        let mut buf = BytesMut::from(&long[..]);
        assert_eq!(
            parser.parse(&mut buf, &mut argv, MAX),
            Err(ProtocolError(
                "Protocol error: too big inline request".into()
            ))
        );
        let mut not_dollar = b"*1\r\n".to_vec();
        not_dollar.extend_from_slice(&long);
        let mut buf = BytesMut::from(&not_dollar[..]);
        assert_eq!(
            parser.parse(&mut buf, &mut argv, MAX),
            Err(ProtocolError(
                "Protocol error: too big bulk count string".into()
            ))
        );
        let mut parser = RequestParser::default();
        let mut buf = BytesMut::from(&b"*1\r\nx"[..]);
        assert_eq!(parser.parse(&mut buf, &mut argv, MAX), Ok(Parsed::NeedMore));
        let mut parser = RequestParser::default();
        let mut star = b"*".to_vec();
        star.extend_from_slice(&long);
        let mut buf = BytesMut::from(&star[..]);
        assert_eq!(
            parser.parse(&mut buf, &mut argv, MAX),
            Err(ProtocolError(
                "Protocol error: too big mbulk count string".into()
            ))
        );
    }

    #[test]
    fn a_nul_before_the_line_end_leaves_the_request_incomplete() {
        // As redis-server 7.0.15: no reply, the connection waits (found by scripts/soak: the
        // NUL once made split_args push empty arguments forever).
        for input in [
            &b"PING\0\r\n"[..],
            b"\0PING\r\nPING\r\n",
            b"ECHO \"a\0b\"\r\n",
            b"*1\0\r\n$4\r\nPING\r\n",
            b"*1\r\n$4\0\r\nPING\r\n",
        ] {
            let mut parser = RequestParser::default();
            let mut buf = BytesMut::from(input);
            let mut argv = Vec::new();
            assert!(
                matches!(parser.parse(&mut buf, &mut argv, MAX), Ok(Parsed::NeedMore)),
                "{input:?}"
            );
        }
        // ... until the 64 KB limit.
        let mut buf = BytesMut::from(&b"PING\0"[..]);
        buf.extend_from_slice(&[b'\n'; PROTO_INLINE_MAX_SIZE]);
        let err = RequestParser::default().parse(&mut buf, &mut Vec::new(), MAX);
        assert_eq!(
            err.err().map(|e| e.0),
            Some(b"Protocol error: too big inline request".to_vec())
        );
        // A NUL ends a config line as it ends a C string.
        assert_eq!(split_args(b"a\0b c"), Some(vec![b"a".to_vec()]));
        assert_eq!(split_args(b"\"a\0b\""), None);
        assert_eq!(split_args(b"\0"), Some(vec![]));
    }

    #[test]
    fn a_bulk_header_alone_reserves_little() {
        let mut parser = RequestParser::default();
        let mut argv = Vec::new();
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nSET\r\n$536870912\r\n"[..]);
        assert_eq!(parser.parse(&mut buf, &mut argv, MAX), Ok(Parsed::NeedMore));
        assert!(
            buf.capacity() <= 2 * MAX_UPFRONT_RESERVE,
            "{}",
            buf.capacity()
        );
    }

    #[test]
    fn split_args_follows_sdssplitargs() {
        assert_eq!(split_args(b"  a  b\tc "), Some(args(&["a", "b", "c"])));
        assert_eq!(split_args(b"\"\\n\\x4g\""), Some(vec![b"\nx4g".to_vec()]));
        assert_eq!(split_args(b"\"\""), Some(vec![vec![]]));
        assert_eq!(split_args(b""), Some(vec![]));
        assert_eq!(split_args(b"'abc"), None);
        assert_eq!(split_args(b"\"a\"b"), None);
    }

    /// Found by the fuzz test's comparison with redis-server: a header line over 64 KB whose
    /// `\r` has arrived but not its `\n` waits, as in Redis; only a line with no `\r` at all
    /// is too big.
    #[test]
    fn a_long_header_with_its_cr_waits_for_the_lf() {
        let mut input = b"*".to_vec();
        input.resize(PROTO_INLINE_MAX_SIZE + 10, b'9');
        input.push(b'\r');
        let mut parser = RequestParser::default();
        let mut argv = Vec::new();
        let mut buf = BytesMut::from(&input[..]);
        assert_eq!(parser.parse(&mut buf, &mut argv, MAX), Ok(Parsed::NeedMore));
        buf.extend_from_slice(b"\n");
        assert_eq!(
            parser.parse(&mut buf, &mut argv, MAX),
            Err(ProtocolError(
                "Protocol error: invalid multibulk length".into()
            ))
        );
    }

    /// Fuzz crasher (tests/fuzz_corpus/inline-nul.txt): a NUL in an unquoted argument used to
    /// end the argument without being skipped, so split_args pushed empty arguments forever
    /// and the server grew without bound. In sdssplitargs the NUL ends the string.
    #[test]
    fn split_args_stops_at_a_nul() {
        assert_eq!(split_args(b"a\0b c"), Some(args(&["a"])));
        assert_eq!(split_args(b"\0"), Some(vec![]));
        assert_eq!(split_args(b"\"a\0b\""), None);
        assert_eq!(split_args(b"'a\0'"), None);
    }

    /// Redis finds line ends with strchr, which stops at a NUL: a request line with a NUL
    /// before its end is incomplete until it is too big (same at every split).
    #[test]
    fn a_nul_before_a_line_end_waits_like_redis() {
        for input in [
            &b"PING\0x\n"[..],
            b"*1\0\r\n$4\r\nPING\r\n",
            b"*1\r\n$4\0\r\nPING\r\n",
        ] {
            for split in 0..=input.len() {
                assert_eq!(
                    parse_split(input, split),
                    Ok(vec![]),
                    "{input:?} at {split}"
                );
            }
        }
        let mut parser = RequestParser::default();
        let mut argv = Vec::new();
        let mut long = b"PING\0\n".to_vec();
        long.resize(PROTO_INLINE_MAX_SIZE + 1, b'\n');
        let mut buf = BytesMut::from(&long[..]);
        assert_eq!(
            parser.parse(&mut buf, &mut argv, MAX),
            Err(ProtocolError(
                "Protocol error: too big inline request".into()
            ))
        );
    }
}
