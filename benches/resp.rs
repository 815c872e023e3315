//! Micro-benchmarks of the protocol code: the request parser and the reply encoder.
//!
//! Run with `cargo bench --bench resp` (criterion compares with the previous run it saved in
//! `target/criterion`, so run it on the old commit, then on the new one). These time the code
//! in isolation; whether a change makes the *server* faster than Redis is `scripts/bench`'s
//! question.
//!
//! - `parser/multibulk_pipeline_1000`: 1000 pipelined `SET key:N value:N` in multibulk form,
//!   all in the buffer at once (what one read of a pipelining client gives the parser);
//! - `parser/inline_pipeline_1000`: the same requests in inline form (`SET key:N value:N\r\n`);
//! - `parser/bulk_1mb_in_16k_pieces`: one `SET` whose 1 MB value arrives in 16 KB reads, the
//!   case the incremental parser exists for (each piece must not rescan the earlier ones);
//! - `reply/bulk`, `reply/int`, `reply/array_of_100_bulks`: encoding one reply into a client's
//!   output buffer, then draining it as a socket write would.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rredis::resp::parser::{Parsed, RequestParser};
use rredis::resp::reply::Reply;

/// proto-max-bulk-len's default (512 MB), as the server passes it.
const MAX_BULK: usize = 512 * 1024 * 1024;

/// Requests per pipeline in the parser benchmarks.
const PIPELINE: usize = 1000;

/// `SET key:N value:N` in multibulk form, `PIPELINE` times.
fn multibulk_pipeline() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..PIPELINE {
        let key = format!("key:{i}");
        let value = format!("value:{i}");
        out.extend_from_slice(b"*3\r\n$3\r\nSET\r\n");
        out.extend_from_slice(format!("${}\r\n{key}\r\n", key.len()).as_bytes());
        out.extend_from_slice(format!("${}\r\n{value}\r\n", value.len()).as_bytes());
    }
    out
}

/// `SET key:N value:N` in inline form, `PIPELINE` times.
fn inline_pipeline() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..PIPELINE {
        out.extend_from_slice(format!("SET key:{i} value:{i}\r\n").as_bytes());
    }
    out
}

/// Parses every request in `input`; returns how many were parsed (checked by the caller, so a
/// parser that stops early cannot look fast).
fn parse_all(input: &[u8]) -> usize {
    let mut buf = BytesMut::from(input);
    let mut parser = RequestParser::default();
    let mut argv: Vec<Bytes> = Vec::new();
    let mut commands = 0;
    while !buf.is_empty() {
        match parser.parse(&mut buf, &mut argv, MAX_BULK) {
            Ok(Parsed::Command) => {
                commands += 1;
                black_box(&argv);
            }
            Ok(Parsed::NeedMore) => break,
            Err(e) => panic!("protocol error: {:?}", String::from_utf8_lossy(&e.0)),
        }
    }
    commands
}

fn parser_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("parser");
    for (name, input) in [
        ("multibulk_pipeline_1000", multibulk_pipeline()),
        ("inline_pipeline_1000", inline_pipeline()),
    ] {
        assert_eq!(
            parse_all(&input),
            PIPELINE,
            "{name}: every request must parse"
        );
        group.throughput(Throughput::Elements(PIPELINE as u64));
        // Copying the input into a fresh BytesMut is part of each iteration: the server's
        // read does the same copy, and it is small next to 1000 parses.
        group.bench_function(name, |b| b.iter(|| parse_all(black_box(&input))));
    }

    // One SET with a 1 MB value, fed in 16 KB pieces as socket reads would deliver it.
    const VALUE_LEN: usize = 1024 * 1024;
    const PIECE: usize = 16 * 1024;
    let mut request = b"*3\r\n$3\r\nSET\r\n$7\r\nbig:key\r\n".to_vec();
    request.extend_from_slice(format!("${VALUE_LEN}\r\n").as_bytes());
    request.resize(request.len() + VALUE_LEN, b'x');
    request.extend_from_slice(b"\r\n");
    group.throughput(Throughput::Bytes(request.len() as u64));
    group.bench_function("bulk_1mb_in_16k_pieces", |b| {
        b.iter_batched(
            || BytesMut::with_capacity(PIECE),
            |mut buf| {
                let mut parser = RequestParser::default();
                let mut argv: Vec<Bytes> = Vec::new();
                let mut done = false;
                for piece in request.chunks(PIECE) {
                    assert!(!done, "the request ended before its last piece");
                    buf.extend_from_slice(piece);
                    done = parser
                        .parse(&mut buf, &mut argv, MAX_BULK)
                        .expect("valid request")
                        == Parsed::Command;
                }
                assert!(done && argv[2].len() == VALUE_LEN);
                argv
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn reply_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("reply");
    let mut reply = Reply::default();
    let value = b"value:0123456789";

    group.bench_function("bulk", |b| {
        b.iter(|| {
            reply.bulk(black_box(value));
            let n = reply.pending_len();
            reply.consume(n);
            n
        })
    });
    group.bench_function("int", |b| {
        let mut i: i64 = 1_234_567;
        b.iter(|| {
            i += 1;
            reply.int(black_box(i));
            let n = reply.pending_len();
            reply.consume(n);
            n
        })
    });
    let elements: Vec<Vec<u8>> = (0..100)
        .map(|i| format!("element:{i}").into_bytes())
        .collect();
    group.throughput(Throughput::Elements(elements.len() as u64));
    group.bench_function("array_of_100_bulks", |b| {
        b.iter(|| {
            reply.array_len(elements.len());
            for e in black_box(&elements) {
                reply.bulk(e);
            }
            let n = reply.pending_len();
            reply.consume(n);
            n
        })
    });
    group.finish();
}

criterion_group!(benches, parser_benches, reply_benches);
criterion_main!(benches);
