//! RESP, the Redis serialization protocol: [`parser`] reads requests, [`reply`] writes replies.

pub mod parser;
pub mod reply;
