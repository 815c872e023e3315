//! RESP, the Redis serialization protocol: [`parser`] reads requests, [`reply`] writes replies.

pub mod parser;
pub mod reply;

/// Appends `argv` as a RESP multibulk request (`*<n>` then `$<len>` and the bytes of each
/// argument; Redis's catAppendOnlyGenericCommand). What the AOF writes, and what a client
/// sends: the test clients and the example programs use it too. No allocation beyond
/// `buf`'s growth.
pub fn cat_command<A: AsRef<[u8]>>(buf: &mut Vec<u8>, argv: &[A]) {
    buf.push(b'*');
    crate::util::write_i64(buf, argv.len() as i64);
    buf.extend_from_slice(b"\r\n");
    for arg in argv {
        let arg = arg.as_ref();
        buf.push(b'$');
        crate::util::write_i64(buf, arg.len() as i64);
        buf.extend_from_slice(b"\r\n");
        buf.extend_from_slice(arg);
        buf.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cat_command_writes_a_multibulk() {
        let mut buf = Vec::new();
        super::cat_command(&mut buf, &[&b"SET"[..], b"k", b""]);
        assert_eq!(buf, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }
}
