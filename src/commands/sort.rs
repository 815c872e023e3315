//! SORT and SORT_RO (Redis's sort.c): the elements of a set, list or sorted set, ordered by
//! their own value or by the values of other keys, optionally replaced by the values of other
//! keys (GET) and optionally stored as a list (STORE, SORT only).
//!
//! The steps are Redis's, because each shows in replies or side effects:
//! 1. the options are parsed before the key is looked up, so a syntax error wins over
//!    WRONGTYPE;
//! 2. the elements are loaded; a missing key sorts as an empty list, and a sorted set is
//!    converted to its skiplist encoding for good. When not sorting, a list or a sorted set
//!    keeps its order (reversed by DESC) and only its LIMIT range is read; a set keeps its
//!    table's order, unless the result is stored: then it is sorted ALPHA anyway, so the
//!    stored list does not depend on the hash table;
//! 3. unless sorting is off (`BY` with a pattern that has no `*`), every element gets its
//!    weight: itself or the value `BY` names, read as a number (unless ALPHA) the way C's
//!    `strtod` reads it, or kept as bytes for ALPHA;
//! 4. the elements are sorted (stably: Redis's qsort is glibc's merge sort) and the LIMIT
//!    range of them is replied, each element or the values its GET patterns name, or stored.
//!
//! Patterns name keys by substituting the element for the first `*` (`weight_*`), and a hash
//! field with `->` after it (`obj_*->price`); `#` alone is the element itself. They are C
//! strings in Redis, so a `*`, `->` or `#` after a NUL byte is not seen, and rredis looks
//! at them the same way.
//!
//! Known differences from Redis 7.0.15, all on inputs whose result Redis leaves to chance:
//! - ALPHA with BY and a LIMIT that does not cover everything: Redis then uses a partial
//!   quicksort whose order among equal weights (missing keys, equal values) is not the input
//!   order once there are 7 elements or more; rredis keeps the input order for every sort.
//! - Redis does not reset `errno` before parsing a weight, so once one weight has overflowed
//!   (or underflowed, e.g. `1e-310`) every later SORT that parses a text weight fails with the
//!   conversion error until something else changes `errno`. rredis judges each weight alone.

use std::cmp::Ordering;
use std::ops::RangeInclusive;

use bytes::Bytes;

use crate::acl::client_has_unrestricted_read_access;
use crate::client::Client;
use crate::commands::lists::list_fill;
use crate::commands::{acl, errors, flags::*, Command};
use crate::db::{lookup_key_read, set_key_notify_new, signal_modified_key};
use crate::notify::{notify_keyspace_event, NOTIFY_GENERIC, NOTIFY_LIST};
use crate::server::Server;
use crate::types::list::{Entry, Where};
use crate::types::set::SetMember;
use crate::types::{List, Value};
use crate::util::{is_c_space, parse_f64, parse_i64};

/// This module's rows of the command table. The extra keys BY and GET read cannot be
/// described by key positions, hence `movablekeys` (COMMAND GETKEYS finds the STORE key
/// with Redis's sortGetKeys, in introspection.rs).
pub static COMMANDS: &[Command] = &[
    Command::new(
        "sort",
        -2,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS,
        sort_command,
    ),
    Command::new(
        "sort_ro",
        -2,
        READONLY | MOVABLE_KEYS,
        (1, 1, 1),
        acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS,
        sort_ro_command,
    ),
];

/// The reply when a weight is not a number.
const NOT_A_DOUBLE: &str = "ERR One or more scores can't be converted into double";

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination].
fn sort_command(srv: &mut Server, c: &mut Client) {
    sort_generic(srv, c, false);
}

/// SORT_RO: SORT without STORE (which is then a syntax error), for read-only replicas and
/// scripts.
fn sort_ro_command(srv: &mut Server, c: &mut Client) {
    sort_generic(srv, c, true);
}

/// The options of one call, as written.
struct SortOptions {
    desc: bool,
    alpha: bool,
    /// LIMIT's offset and count as given (0 and -1, "everything", without LIMIT).
    limit_start: i64,
    limit_count: i64,
    /// The last BY pattern.
    sortby: Option<Bytes>,
    /// Set by any BY pattern without a `*` (`BY nosort`), and not cleared by a later BY.
    dontsort: bool,
    /// The last STORE destination.
    store: Option<Bytes>,
    /// GET patterns, in order.
    gets: Vec<Bytes>,
}

/// Parses the options after the key; on an error replies it and returns `None`. As in
/// Redis, an option missing its arguments is a syntax error, later options override earlier
/// ones, and STORE is unknown to SORT_RO. A BY pattern and GET read keys the ACL check did
/// not see, so they are refused unless the user may read every key.
fn parse_sort_options(srv: &Server, c: &mut Client, readonly: bool) -> Option<SortOptions> {
    let mut opts = SortOptions {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        sortby: None,
        dontsort: false,
        store: None,
        gets: Vec::new(),
    };
    let argc = c.argv.len();
    let mut j = 2;
    while j < argc {
        let arg = c.argv.arg(j);
        let leftargs = argc - j - 1;
        let is = |word: &str| arg.eq_ignore_ascii_case(word.as_bytes());
        if is("asc") {
            opts.desc = false;
        } else if is("desc") {
            opts.desc = true;
        } else if is("alpha") {
            opts.alpha = true;
        } else if is("limit") && leftargs >= 2 {
            let (Some(start), Some(count)) =
                (parse_i64(c.argv.arg(j + 1)), parse_i64(c.argv.arg(j + 2)))
            else {
                c.reply.error(errors::NOT_INTEGER);
                return None;
            };
            opts.limit_start = start;
            opts.limit_count = count;
            j += 2;
        } else if !readonly && is("store") && leftargs >= 1 {
            opts.store = Some(c.argv.arg_bytes(j + 1));
            j += 1;
        } else if is("by") && leftargs >= 1 {
            let pattern = c.argv.arg_bytes(j + 1);
            // Sorting by a constant key makes no sense: Redis takes it as "do not sort".
            if find_star(&pattern).is_none() {
                opts.dontsort = true;
            } else if !client_has_unrestricted_read_access(srv, c) {
                c.reply
                    .error("ERR BY option of SORT denied due to insufficient ACL permissions.");
                return None;
            }
            opts.sortby = Some(pattern);
            j += 1;
        } else if is("get") && leftargs >= 1 {
            if !client_has_unrestricted_read_access(srv, c) {
                c.reply
                    .error("ERR GET option of SORT denied due to insufficient ACL permissions.");
                return None;
            }
            opts.gets.push(c.argv.arg_bytes(j + 1));
            j += 1;
        } else {
            c.reply.error(errors::SYNTAX);
            return None;
        }
        j += 1;
    }
    Some(opts)
}

/// One element being sorted and its weight.
struct SortItem {
    elem: Vec<u8>,
    /// The numeric weight (0 when BY names a missing key).
    score: f64,
    /// The ALPHA weight read through BY (`None`: the key or field is missing).
    cmp: Option<Vec<u8>>,
}

/// How [`sort_compare`] orders two items (Redis's server.sort_* globals).
#[derive(Clone, Copy)]
struct SortMode {
    desc: bool,
    alpha: bool,
    bypattern: bool,
    /// With STORE, ALPHA compares bytes; without it, Redis uses strcoll(), which in the C
    /// locale compares the bytes up to the first NUL.
    store: bool,
}

/// SORT and SORT_RO (Redis's sortCommandGeneric).
fn sort_generic(srv: &mut Server, c: &mut Client, readonly: bool) {
    let Some(mut opts) = parse_sort_options(srv, c, readonly) else {
        return;
    };
    let db = c.db;
    // The elements, and whether they are already the LIMIT range in output order.
    let (elements, ranged): (Vec<Vec<u8>>, bool) = match lookup_key_read(srv, db, c.argv.arg(1)) {
        None => (Vec::new(), false),
        Some(obj) => match &mut obj.value {
            Value::Set(set) => {
                // A set has no order of its own: a stored result must not depend on the hash
                // table's, so Redis sorts it (ALPHA, by the members) even when told not to.
                if opts.dontsort && opts.store.is_some() {
                    opts.dontsort = false;
                    opts.alpha = true;
                    opts.sortby = None;
                }
                (set.iter().map(SetMember::to_vec).collect(), false)
            }
            // Not sorting a list or a sorted set: they keep their order (reversed by DESC),
            // and only the LIMIT range is read.
            Value::List(list) if opts.dontsort => {
                let elements = load_range(&opts, list.len(), |from, n| {
                    if opts.desc {
                        list.iter_rev_from(from)
                            .take(n)
                            .map(Entry::to_vec)
                            .collect()
                    } else {
                        list.iter_from(from).take(n).map(Entry::to_vec).collect()
                    }
                });
                (elements, true)
            }
            Value::List(list) => (list.iter().map(Entry::to_vec).collect(), false),
            Value::ZSet(zset) => {
                // Redis converts a sorted set to its skiplist encoding for SORT (SORT_RO
                // too), and it stays converted: OBJECT ENCODING shows it.
                zset.convert_to_skiplist();
                if opts.dontsort {
                    let elements = load_range(&opts, zset.len(), |from, n| {
                        let iter = zset.iter_from(from, opts.desc);
                        iter.take(n).map(|(member, _)| member.to_vec()).collect()
                    });
                    (elements, true)
                } else {
                    (
                        zset.iter().map(|(member, _)| member.to_vec()).collect(),
                        false,
                    )
                }
            }
            _ => return c.reply.error(errors::WRONGTYPE),
        },
    };
    let range = if ranged {
        elements.len().checked_sub(1).map(|last| 0..=last)
    } else {
        limit_range(&opts, elements.len())
    };

    let mut items: Vec<SortItem> = elements
        .into_iter()
        .map(|elem| SortItem {
            elem,
            score: 0.0,
            cmp: None,
        })
        .collect();
    if !opts.dontsort {
        let mut conversion_error = false;
        let mut key = Vec::new();
        for item in &mut items {
            match &opts.sortby {
                Some(pattern) => {
                    lookup_key_by_pattern(srv, db, pattern, &item.elem, &mut key, |weight| {
                        let Some(weight) = weight else { return };
                        if opts.alpha {
                            item.cmp = Some(weight.to_vec());
                        } else {
                            match sort_weight(weight) {
                                Some(score) => item.score = score,
                                None => conversion_error = true,
                            }
                        }
                    });
                }
                None if !opts.alpha => match sort_weight(&item.elem) {
                    Some(score) => item.score = score,
                    None => conversion_error = true,
                },
                None => {}
            }
        }
        if conversion_error {
            return c.reply.error(NOT_A_DOUBLE);
        }
        let mode = SortMode {
            desc: opts.desc,
            alpha: opts.alpha,
            bypattern: opts.sortby.is_some(),
            store: opts.store.is_some(),
        };
        // A stable sort, as glibc's qsort is (a merge sort): equal ALPHA weights keep the
        // elements' order.
        items.sort_by(|a, b| sort_compare(a, b, mode));
    }

    let output = range.and_then(|range| items.get(range)).unwrap_or_default();
    let outputlen = output.len() * opts.gets.len().max(1);
    let mut key = Vec::new();
    let Some(store) = opts.store else {
        c.reply.array_len(outputlen);
        for item in output {
            if opts.gets.is_empty() {
                c.reply.bulk(&item.elem);
            }
            for pattern in &opts.gets {
                let reply = &mut c.reply;
                lookup_key_by_pattern(
                    srv,
                    db,
                    pattern,
                    &item.elem,
                    &mut key,
                    |value| match value {
                        Some(value) => reply.bulk(value),
                        None => reply.null(),
                    },
                );
            }
        }
        return;
    };

    // STORE: the same values as a list (a missing GET value is an empty string), replacing
    // the destination and its TTL; an empty result deletes the destination instead.
    let fill = list_fill(srv);
    let mut list = List::new();
    for item in output {
        if opts.gets.is_empty() {
            list.push(Where::Tail, &item.elem, fill);
        }
        for pattern in &opts.gets {
            lookup_key_by_pattern(srv, db, pattern, &item.elem, &mut key, |value| {
                list.push(Where::Tail, value.unwrap_or_default(), fill);
            });
        }
    }
    if outputlen > 0 {
        set_key_notify_new(srv, db, &store, Value::List(Box::new(list)), false, false);
        notify_keyspace_event(srv, NOTIFY_LIST, "sortstore", &store, db);
        srv.dirty += outputlen as u64;
    } else if srv.dbs.get_mut(db).is_some_and(|d| d.delete(&store)) {
        signal_modified_key(srv, db, &store);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", &store, db);
        srv.dirty += 1;
    }
    c.reply.int(outputlen as i64);
}

/// The LIMIT range of an ordered sequence of `len` elements (a list, a sorted set) in output
/// order: `read(from, n)` reads `n` elements starting at index `from`, towards the tail, or
/// towards the head for DESC.
fn load_range(
    opts: &SortOptions,
    len: usize,
    read: impl FnOnce(usize, usize) -> Vec<Vec<u8>>,
) -> Vec<Vec<u8>> {
    let Some(range) = limit_range(opts, len) else {
        return Vec::new();
    };
    let (first, n) = (*range.start(), range.count());
    read(if opts.desc { len - 1 - first } else { first }, n)
}

/// The LIMIT range of `len` elements as indexes (`None` when empty), computed as Redis does:
/// a negative offset is 0, a negative count means "to the end", and a range past the end is
/// cut. The sum is saturated: Redis's C arithmetic clamps a huge count the same way.
fn limit_range(opts: &SortOptions, len: usize) -> Option<RangeInclusive<usize>> {
    let len = len as i64;
    let mut start = opts.limit_start.max(0);
    let mut end = if opts.limit_count < 0 {
        len - 1
    } else {
        start.saturating_add(opts.limit_count - 1)
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);
    let start = usize::try_from(start).ok()?;
    let end = usize::try_from(end).ok()?;
    (start <= end).then_some(start..=end)
}

/// Orders two items as Redis's sortCompare does. Numeric weights that are equal fall back to
/// comparing the elements' bytes, so a numeric sort is a total order; ALPHA weights read
/// through BY may be equal (or both missing, which sorts first), and then the sort keeps the
/// input order.
fn sort_compare(a: &SortItem, b: &SortItem, mode: SortMode) -> Ordering {
    let collate = |x: &[u8], y: &[u8]| {
        if mode.store {
            x.cmp(y)
        } else {
            c_string(x).cmp(c_string(y))
        }
    };
    let cmp = if !mode.alpha {
        a.score
            .partial_cmp(&b.score)
            .filter(|o| o.is_ne())
            .unwrap_or_else(|| a.elem.cmp(&b.elem))
    } else if mode.bypattern {
        match (&a.cmp, &b.cmp) {
            (Some(x), Some(y)) => collate(x, y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        }
    } else {
        collate(&a.elem, &b.elem)
    };
    if mode.desc {
        cmp.reverse()
    } else {
        cmp
    }
}

/// The bytes of `s` before its first NUL: what C string functions see.
fn c_string(s: &[u8]) -> &[u8] {
    s.split(|&b| b == 0).next().unwrap_or_default()
}

/// Where the `*` of a pattern is, as C's strchr finds it (not past a NUL).
fn find_star(pattern: &[u8]) -> Option<usize> {
    c_string(pattern).iter().position(|&b| b == b'*')
}

/// A weight read as a number the way SORT reads it: C's strtod over the bytes before the first
/// NUL, which must consume all of them. Unlike argument parsing ([`parse_f64`]) it allows
/// leading white space and takes the empty string as 0; like it, it refuses NaN and results
/// out of range, and (as glibc's strtod flags them ERANGE) inexact subnormals.
fn sort_weight(text: &[u8]) -> Option<f64> {
    let text = c_string(text);
    if text.is_empty() {
        return Some(0.0);
    }
    let body = text.get(text.iter().take_while(|&&b| is_c_space(b)).count()..)?;
    let v = parse_f64(body)?;
    if v != 0.0 && v.abs() < f64::MIN_POSITIVE && !is_exact_hex_subnormal(body) {
        return None;
    }
    Some(v)
}

/// True if `text`, which strtod read as a subnormal, is a hexadecimal float whose value is a
/// whole multiple of the smallest subnormal (2^-1074), so that it converted exactly. A
/// decimal spelling of a subnormal is always inexact short of its full ~750-digit expansion,
/// which this treats as inexact too.
fn is_exact_hex_subnormal(text: &[u8]) -> bool {
    let text = text
        .strip_prefix(b"-")
        .or(text.strip_prefix(b"+"))
        .unwrap_or(text);
    let Some(hex) = text
        .strip_prefix(b"0x")
        .or_else(|| text.strip_prefix(b"0X"))
    else {
        return false;
    };
    let (mantissa, exp) = match hex.iter().position(|&b| b == b'p' || b == b'P') {
        Some(at) => (hex.get(..at).unwrap_or_default(), hex.get(at + 1..)),
        None => (hex, None),
    };
    let exp: i64 = match exp {
        None => 0,
        Some(e) => match std::str::from_utf8(e).ok().and_then(|e| e.parse().ok()) {
            Some(e) => e,
            None => return false,
        },
    };
    let frac_digits = mantissa
        .iter()
        .position(|&b| b == b'.')
        .map_or(0, |dot| mantissa.len() - dot - 1) as i64;
    // The weight of the mantissa's lowest set bit: 2^(exp - 4 * frac_digits + trailing zeros).
    let digits: Vec<u32> = mantissa
        .iter()
        .filter_map(|&b| char::from(b).to_digit(16))
        .collect();
    let zero_digits = digits.iter().rev().take_while(|&&d| d == 0).count();
    let Some(&last) = digits.iter().rev().nth(zero_digits) else {
        return true;
    };
    let lowest_bit =
        exp - 4 * frac_digits + 4 * zero_digits as i64 + i64::from(last.trailing_zeros());
    lowest_bit >= -1074
}

/// Looks up the value a BY or GET pattern names for one element (Redis's
/// lookupKeyByPattern) and hands it to `f`: `None` when the pattern has no `*`, the key is
/// missing or of the wrong type, or the hash has no such field. `#` names the element
/// itself. `key` is scratch space for the substituted key name. Keys are read with
/// [`lookup_key_read`], so they count as keyspace hits or misses and may expire, as in Redis.
fn lookup_key_by_pattern<R>(
    srv: &mut Server,
    db: usize,
    pattern: &[u8],
    elem: &[u8],
    key: &mut Vec<u8>,
    f: impl FnOnce(Option<&[u8]>) -> R,
) -> R {
    if c_string(pattern) == b"#" {
        return f(Some(elem));
    }
    let Some(star) = find_star(pattern) else {
        return f(None);
    };
    let (prefix, rest) = pattern.split_at(star);
    let rest = rest.get(1..).unwrap_or_default();
    // `key->field`: the first `->` after the `*`, followed by at least one byte (before any
    // NUL). Otherwise the `->` is part of the key name.
    let arrow = c_string(rest)
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&at| rest.get(at + 2).is_some_and(|&b| b != 0));
    let (postfix, field) = match arrow {
        Some(at) => (rest.get(..at).unwrap_or_default(), rest.get(at + 2..)),
        None => (rest, None),
    };
    key.clear();
    key.extend_from_slice(prefix);
    key.extend_from_slice(elem);
    key.extend_from_slice(postfix);
    let Some(obj) = lookup_key_read(srv, db, key) else {
        return f(None);
    };
    match (&obj.value, field) {
        (Value::Hash(hash), Some(field)) => f(hash.get(field).as_deref()),
        (Value::Str(s), None) => {
            let mut scratch = Vec::new();
            f(Some(s.as_bytes(&mut scratch)))
        }
        _ => f(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_read_like_strtod() {
        assert_eq!(sort_weight(b""), Some(0.0));
        assert_eq!(sort_weight(b" \t1.5"), Some(1.5));
        assert_eq!(sort_weight(b"1\0junk"), Some(1.0));
        assert_eq!(sort_weight(b"0x10"), Some(16.0));
        assert_eq!(sort_weight(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(sort_weight(b"0x1p-1074"), Some(f64::from_bits(1)));
        for bad in [
            &b"  "[..],
            b"1 ",
            b"nan",
            b"1e400",
            b"1e-400",
            b"4.9e-324",
            b"0x1.8p-1074",
        ] {
            assert_eq!(sort_weight(bad), None, "{}", bad.escape_ascii());
        }
        assert_eq!(sort_weight(b"0e-400"), Some(0.0));
    }

    #[test]
    fn patterns_are_c_strings() {
        assert_eq!(find_star(b"w_*"), Some(2));
        assert_eq!(find_star(b"w_\0*"), None);
        assert_eq!(c_string(b"#\0x"), b"#");
    }
}
