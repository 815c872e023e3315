//! The list type (Redis's quicklist.c and the object side of t_list.c): an ordered sequence
//! of byte strings with cheap pushes and pops at both ends. A [`List`] is owned by the key that
//! holds it (boxed in `Value::List`) and dies with the key; an emptied list is deleted as a key
//! by the commands, so a stored list is never empty.
//!
//! # Layout
//!
//! Redis 7.0 stores every list as a *quicklist* (OBJECT ENCODING says `quicklist` even for one
//! element): a doubly linked list of nodes, each node a listpack, a packed byte buffer of
//! entries. rredis keeps the same shape for the same reasons, memory first: an element costs
//! its bytes plus two bytes of framing, with no allocation and no pointer of its own.
//!
//! - The nodes live in a `VecDeque<Node>` rather than a linked list: a node is reached by
//!   position, pushing or popping a whole node at either end is O(1), and the rare insertion of
//!   a node in the middle (a split by LINSERT or LSET) moves a few kilobytes of node headers.
//! - A node owns one byte buffer whose live bytes are `buf[start..end]`, with free room kept
//!   on *both* sides (a gap buffer). A push at the front writes into the room before `start`, a
//!   push at the back into the room after `end`, a pop only moves `start` or `end`: pushes and
//!   pops at both ends are O(1) amortised, with no byte moved. When the side that is written
//!   runs out of room, the buffer is reallocated to the next jemalloc size class (25% apart,
//!   never past the node's size limit) with all the free room on that side, so a run of
//!   pushes on one side copies the node a few times per doubling, much as Redis's listpack
//!   realloc does, and a node never holds more than 25% of slack. Pushes alternating
//!   between the two ends of one node move its bytes, as every head insertion into a
//!   listpack does on Redis.
//! - A node is full, and a new node starts, by Redis's rule `list-max-listpack-size` ([`Fill`]):
//!   a negative setting bounds the node's bytes (-1..-5: 4, 8, 16, 32, 64 KB; the default -2
//!   is 8 KB), a positive one the node's entries (and then 8 KB too). The limits are size
//!   classes themselves, so a full node carries almost no slack.
//! - Nodes that lost entries in the middle are merged with a neighbour when both fit one
//!   node (after LREM, around the split an LINSERT into a full node makes), as Redis does.
//! - Index access walks node headers from the nearer end, then entries within one node.
//!
//! # Entry encoding
//!
//! Entries use the encoding shared by every listpack, in `types/listpack.rs` (integers stored
//! as numbers, short strings with one byte of head), framed at both ends
//! ([`Framing::Both`]) so a node can be walked backwards too: a pop at the back, LPOS with a
//! negative RANK, LREM with a negative count.
//!
//! `list-compress-depth` (LZF compression of inner nodes) is not implemented: the setting is
//! accepted and stored, and nodes stay uncompressed whatever its value.

use std::collections::VecDeque;

pub use crate::types::listpack::Entry;
use crate::types::listpack::{self, size_before, size_class, Encoded, Framing};

/// Redis's `list-max-listpack-size` default: nodes of at most 8 KB.
pub const LIST_MAX_LISTPACK_SIZE: i64 = -2;

/// Node size limits for the negative settings -1..-5 (Redis's `optimization_level`).
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// The byte limit of a node whose limit is a count of entries (Redis's SIZE_SAFETY_LIMIT).
const SIZE_SAFETY_LIMIT: usize = 8192;

/// The largest entry count a positive setting can ask for (Redis's FILL_MAX: the fill is a
/// 16-bit field of the quicklist header).
const FILL_MAX: i64 = (1 << 15) - 1;

/// A node buffer that has become this much larger than its content is shrunk (see
/// [`Node::maybe_shrink`]).
const SHRINK_FACTOR: usize = 4;

/// Buffers at most this large are never shrunk: reallocating them saves nothing.
const SHRINK_MIN_CAPACITY: usize = 64;

/// Where a push or pop happens (Redis's LIST_HEAD / LIST_TAIL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    Head,
    Tail,
}

/// How full a node may grow: `list-max-listpack-size` turned into limits once per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    max_bytes: usize,
    max_count: usize,
}

impl Fill {
    /// The limits for a `list-max-listpack-size` value, clamped as Redis's quicklistSetFill
    /// does: below -5 means -5, above 32767 means 32767, 0 means one entry per node.
    pub fn new(setting: i64) -> Fill {
        if setting < 0 {
            let level = setting.unsigned_abs().min(OPTIMIZATION_LEVEL.len() as u64) as usize;
            Fill {
                max_bytes: OPTIMIZATION_LEVEL[level - 1],
                max_count: usize::MAX,
            }
        } else {
            Fill {
                max_bytes: SIZE_SAFETY_LIMIT,
                max_count: setting.min(FILL_MAX) as usize,
            }
        }
    }

    /// True if `node` may take one more entry of `size` encoded bytes. An empty node takes any
    /// entry, however large: a node holds at least one.
    fn allows(&self, node: &Node, size: usize) -> bool {
        node.count == 0 || (node.count < self.max_count && node.used() + size <= self.max_bytes)
    }
}

impl Default for Fill {
    fn default() -> Self {
        Fill::new(LIST_MAX_LISTPACK_SIZE)
    }
}

/// Entries of a node are framed at both ends, so a node is walked both ways.
const FRAMING: Framing = Framing::Both;

/// Decodes the entry at `buf[0]`: the entry and its size (see [`listpack::decode`]).
fn decode(buf: &[u8]) -> (Entry<'_>, usize) {
    listpack::decode(buf, FRAMING)
}

/// One node: `count` entries packed in `buf[start..end]`, free room on both sides. Owned by
/// its list's `VecDeque`; a node is never left empty (the list drops it).
#[derive(Clone)]
struct Node {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    count: usize,
}

impl Node {
    fn new() -> Node {
        Node {
            buf: Box::default(),
            start: 0,
            end: 0,
            count: 0,
        }
    }

    /// Bytes of entries.
    fn used(&self) -> usize {
        self.end - self.start
    }

    /// The live bytes.
    fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Byte offset (in `buf`) of the entry at `local` (0-based within the node), walking from
    /// the nearer end; `local == count` gives `end`.
    fn offset_of(&self, local: usize) -> usize {
        if local <= self.count / 2 {
            let mut off = self.start;
            for _ in 0..local {
                off += decode(&self.buf[off..]).1;
            }
            off
        } else {
            let mut off = self.end;
            for _ in local..self.count {
                off -= size_before(&self.buf, off);
            }
            off
        }
    }

    /// Byte offset just past `n` entries starting at `off`.
    fn skip(&self, mut off: usize, n: usize) -> usize {
        for _ in 0..n {
            off += decode(&self.buf[off..]).1;
        }
        off
    }

    /// Replaces `buf[from..to]` (entry boundaries inside the live bytes) with `new_len` bytes
    /// written by `write`. Moves whichever side of the change is cheaper to move; when neither
    /// side has room, re-lays the buffer out in the next size class (bounded by `max_bytes`
    /// unless the content alone is larger), with all the free room on the side being written
    /// when that is an end, so the next pushes there move nothing.
    fn splice(
        &mut self,
        from: usize,
        to: usize,
        new_len: usize,
        max_bytes: usize,
        write: impl FnOnce(&mut [u8]),
    ) {
        let removed = to - from;
        let front = from - self.start;
        let back = self.end - to;
        if new_len <= removed {
            let gap = removed - new_len;
            write(&mut self.buf[from..from + new_len]);
            if gap > 0 {
                if front + new_len <= back {
                    self.buf
                        .copy_within(self.start..from + new_len, self.start + gap);
                    self.start += gap;
                } else {
                    self.buf.copy_within(to..self.end, from + new_len);
                    self.end -= gap;
                }
                self.maybe_shrink();
            }
            return;
        }
        let delta = new_len - removed;
        let head_room = self.start;
        let tail_room = self.buf.len() - self.end;
        let use_front = head_room >= delta && (tail_room < delta || front <= back);
        if use_front {
            self.buf.copy_within(self.start..from, self.start - delta);
            self.start -= delta;
            let at = from - delta;
            write(&mut self.buf[at..at + new_len]);
        } else if tail_room >= delta {
            self.buf.copy_within(to..self.end, to + delta);
            self.end += delta;
            write(&mut self.buf[from..from + new_len]);
        } else {
            let used = self.used() + delta;
            // Grown to the allocator's size class of what is needed, never past the node
            // limit (a node holding one oversized entry gets exactly its size).
            let new_cap = if used <= max_bytes {
                size_class(used).clamp(used, max_bytes.max(used))
            } else {
                used
            };
            let free = new_cap - used;
            // A push at one end gets all the room on its side; an insertion in the middle
            // shares it.
            let head = if front == 0 {
                free
            } else if back == 0 {
                0
            } else {
                free / 2
            };
            let mut buf = vec![0u8; new_cap].into_boxed_slice();
            buf[head..head + front].copy_from_slice(&self.buf[self.start..from]);
            write(&mut buf[head + front..head + front + new_len]);
            buf[head + front + new_len..head + used].copy_from_slice(&self.buf[to..self.end]);
            self.buf = buf;
            self.start = head;
            self.end = head + used;
        }
    }

    /// Gives memory back once the content uses less than a quarter of the buffer (after pops
    /// and removals): the content moves to a buffer twice its size, centred.
    fn maybe_shrink(&mut self) {
        let cap = self.buf.len();
        let used = self.used();
        if cap <= SHRINK_MIN_CAPACITY || used * SHRINK_FACTOR >= cap {
            return;
        }
        let new_cap = (used * 2).max(SHRINK_MIN_CAPACITY / 2);
        let head = (new_cap - used) / 2;
        let mut buf = vec![0u8; new_cap].into_boxed_slice();
        buf[head..head + used].copy_from_slice(self.bytes());
        self.buf = buf;
        self.start = head;
        self.end = head + used;
    }

    /// Writes `enc` at byte offset `at` (an entry boundary) and counts it.
    fn insert_encoded(&mut self, at: usize, enc: &Encoded<'_>, max_bytes: usize) {
        self.splice(at, at, enc.len(FRAMING), max_bytes, |dst| {
            enc.write(dst, FRAMING)
        });
        self.count += 1;
    }

    /// Removes the `n` entries between byte offsets `from` and `to`.
    fn remove_bytes(&mut self, from: usize, to: usize, n: usize) {
        self.splice(from, to, 0, 0, |_| {});
        self.count -= n;
    }

    /// Splits the node at byte offset `at` (an entry boundary) holding `local` entries before
    /// it: this node keeps the entries before, the returned node gets the rest.
    fn split_off(&mut self, at: usize, local: usize) -> Node {
        let right = Node {
            buf: self.buf[at..self.end].into(),
            start: 0,
            end: self.end - at,
            count: self.count - local,
        };
        self.end = at;
        self.count = local;
        self.maybe_shrink();
        right
    }
}

/// A list value. Invariants: no node is empty, and `len` is the sum of the nodes' counts.
#[derive(Clone, Default)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
}

impl std::fmt::Debug for List {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "List::quicklist({} elements, {} nodes)",
            self.len,
            self.nodes.len()
        )
    }
}

impl List {
    /// An empty list (Redis's createQuicklistObject); the command that creates it pushes at
    /// least one element before storing it.
    pub fn new() -> List {
        List::default()
    }

    /// Number of elements (LLEN).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the list has no element (the key must then be deleted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of nodes (DEBUG OBJECT's ql_nodes).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes of packed entries in all nodes (DEBUG OBJECT's ql_uncompressed_size).
    pub fn bytes(&self) -> usize {
        self.nodes.iter().map(|n| n.end - n.start).sum()
    }

    /// The name OBJECT ENCODING replies with: always `quicklist` in Redis 7.0.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Adds `elem` at the head or the tail (Redis's listTypePush); a new node starts when the
    /// end node is full.
    pub fn push(&mut self, where_: Where, elem: &[u8], fill: Fill) {
        self.push_entry(where_, Entry::parse(elem), fill);
    }

    /// [`List::push`] for an entry as a list yields it.
    pub fn push_entry(&mut self, where_: Where, entry: Entry<'_>, fill: Fill) {
        let enc = Encoded::new(entry);
        let size = enc.len(FRAMING);
        let fits = match where_ {
            Where::Head => self.nodes.front(),
            Where::Tail => self.nodes.back(),
        }
        .is_some_and(|node| fill.allows(node, size));
        if !fits {
            // Most lists are short: the first node gets an exact slot, not `VecDeque`'s
            // default four.
            if self.nodes.capacity() == 0 {
                self.nodes.reserve_exact(1);
            }
            match where_ {
                Where::Head => self.nodes.push_front(Node::new()),
                Where::Tail => self.nodes.push_back(Node::new()),
            }
        }
        let node = match where_ {
            Where::Head => self.nodes.front_mut(),
            Where::Tail => self.nodes.back_mut(),
        };
        if let Some(node) = node {
            let at = match where_ {
                Where::Head => node.start,
                Where::Tail => node.end,
            };
            node.insert_encoded(at, &enc, fill.max_bytes);
            self.len += 1;
        }
    }

    /// The first or last element, without removing it.
    pub fn peek(&self, where_: Where) -> Option<Entry<'_>> {
        match where_ {
            Where::Head => {
                let node = self.nodes.front()?;
                Some(decode(node.bytes()).0)
            }
            Where::Tail => {
                let node = self.nodes.back()?;
                let size = size_before(&node.buf, node.end);
                Some(decode(&node.buf[node.end - size..node.end]).0)
            }
        }
    }

    /// Removes the first or last element and gives its bytes (Redis's listTypePop).
    pub fn pop(&mut self, where_: Where) -> Option<Vec<u8>> {
        let value = self.peek(where_)?.to_vec();
        self.discard(where_, 1);
        Some(value)
    }

    /// Removes up to `n` elements from one end without reading them.
    pub fn discard(&mut self, where_: Where, n: usize) {
        let n = n.min(self.len);
        match where_ {
            Where::Head => self.remove_range(0, n),
            Where::Tail => self.remove_range(self.len - n, n),
        }
    }

    /// Node index, byte offset and index within the node of the element at `index`, walking
    /// node headers from the nearer end. `index` must be below `len`.
    fn locate(&self, index: usize) -> Option<(usize, usize, usize)> {
        if index >= self.len {
            return None;
        }
        let (ni, local) = if index < self.len / 2 {
            let mut rest = index;
            let mut ni = 0;
            loop {
                let count = self.nodes.get(ni)?.count;
                if rest < count {
                    break (ni, rest);
                }
                rest -= count;
                ni += 1;
            }
        } else {
            // Counting from the tail: `rest` elements lie after the one we want.
            let mut rest = self.len - 1 - index;
            let mut ni = self.nodes.len().checked_sub(1)?;
            loop {
                let count = self.nodes.get(ni)?.count;
                if rest < count {
                    break (ni, count - 1 - rest);
                }
                rest -= count;
                ni = ni.checked_sub(1)?;
            }
        };
        let node = self.nodes.get(ni)?;
        Some((ni, node.offset_of(local), local))
    }

    /// The element at `index` (0-based from the head), if there is one.
    pub fn get(&self, index: usize) -> Option<Entry<'_>> {
        let (ni, off, _) = self.locate(index)?;
        let node = self.nodes.get(ni)?;
        Some(decode(&node.buf[off..node.end]).0)
    }

    /// Converts a Redis index (negative counts from the tail) to a position, if in range.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        let len = self.len as i64;
        let i = if index < 0 { len + index } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// Iterates from the element at `index` towards the tail.
    pub fn iter_from(&self, index: usize) -> Iter<'_> {
        let (node, off) = match self.locate(index) {
            Some((ni, off, _)) => (ni, off),
            None => (self.nodes.len(), 0),
        };
        Iter {
            list: self,
            node,
            off,
        }
    }

    /// Iterates over every element, head to tail.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// Iterates from the element at `index` towards the head.
    pub fn iter_rev_from(&self, index: usize) -> RevIter<'_> {
        match self.locate(index) {
            Some((ni, off, _)) => {
                let node = &self.nodes[ni];
                RevIter {
                    list: self,
                    node: ni + 1,
                    end: off + decode(&node.buf[off..node.end]).1,
                }
            }
            None => RevIter {
                list: self,
                node: 0,
                end: 0,
            },
        }
    }

    /// Iterates over every element, tail to head.
    pub fn iter_rev(&self) -> RevIter<'_> {
        match self.len.checked_sub(1) {
            Some(last) => self.iter_rev_from(last),
            None => self.iter_rev_from(0),
        }
    }

    /// Inserts `elem` so that it ends up at `index` (0..=len; Redis's listTypeInsert). A full
    /// node is split at the insertion point, and the element goes to whichever half has room
    /// (or to a node of its own between them).
    pub fn insert(&mut self, index: usize, elem: &[u8], fill: Fill) {
        let entry = Entry::parse(elem);
        if index == 0 {
            return self.push_entry(Where::Head, entry, fill);
        }
        if index >= self.len {
            return self.push_entry(Where::Tail, entry, fill);
        }
        let Some((ni, off, local)) = self.locate(index) else {
            return;
        };
        let enc = Encoded::new(entry);
        let size = enc.len(FRAMING);
        let Some(node) = self.nodes.get_mut(ni) else {
            return;
        };
        if fill.allows(node, size) {
            node.insert_encoded(off, &enc, fill.max_bytes);
            self.len += 1;
            return;
        }
        // Full: at a node boundary the element may fit at the back of the previous node;
        // inside a node, split it.
        if local == 0 {
            if let Some(prev) = ni.checked_sub(1).and_then(|p| self.nodes.get_mut(p)) {
                if fill.allows(prev, size) {
                    prev.insert_encoded(prev.end, &enc, fill.max_bytes);
                    self.len += 1;
                    return;
                }
            }
            let mut fresh = Node::new();
            fresh.insert_encoded(0, &enc, fill.max_bytes);
            self.nodes.insert(ni, fresh);
            self.len += 1;
            return;
        }
        let mut right = node.split_off(off, local);
        let last = if fill.allows(node, size) {
            node.insert_encoded(node.end, &enc, fill.max_bytes);
            self.nodes.insert(ni + 1, right);
            ni + 1
        } else if fill.allows(&right, size) {
            right.insert_encoded(right.start, &enc, fill.max_bytes);
            self.nodes.insert(ni + 1, right);
            ni + 1
        } else {
            let mut fresh = Node::new();
            fresh.insert_encoded(0, &enc, fill.max_bytes);
            self.nodes.insert(ni + 1, right);
            self.nodes.insert(ni + 1, fresh);
            ni + 2
        };
        self.len += 1;
        // As Redis after a split: the outer halves may now fit their neighbours.
        self.try_merge(last, fill);
        if let Some(prev) = ni.checked_sub(1) {
            self.try_merge(prev, fill);
        }
    }

    /// Replaces the element at `index` (Redis's listTypeReplaceAtIndex); false if out of
    /// range. Done in place when the node keeps within its limit, else as remove + insert.
    pub fn set(&mut self, index: usize, elem: &[u8], fill: Fill) -> bool {
        let Some((ni, off, _)) = self.locate(index) else {
            return false;
        };
        let enc = Encoded::new(Entry::parse(elem));
        let Some(node) = self.nodes.get_mut(ni) else {
            return false;
        };
        let old = decode(&node.buf[off..node.end]).1;
        if node.count == 1 || node.used() - old + enc.len(FRAMING) <= fill.max_bytes {
            node.splice(off, off + old, enc.len(FRAMING), fill.max_bytes, |dst| {
                enc.write(dst, FRAMING)
            });
        } else {
            self.remove_range(index, 1);
            self.insert(index, elem, fill);
        }
        true
    }

    /// Removes `n` elements starting at `start` (Redis's quicklistDelRange): partial nodes
    /// are cut, whole nodes dropped in one drain.
    pub fn remove_range(&mut self, start: usize, n: usize) {
        let mut n = n.min(self.len.saturating_sub(start));
        if n == 0 {
            return;
        }
        let Some((mut ni, off, local)) = self.locate(start) else {
            return;
        };
        self.len -= n;
        if let Some(node) = self.nodes.get_mut(ni) {
            if local > 0 || n < node.count {
                let take = n.min(node.count - local);
                let to = node.skip(off, take);
                node.remove_bytes(off, to, take);
                n -= take;
                ni += 1;
            }
        }
        let mut k = ni;
        while let Some(node) = self.nodes.get(k) {
            if n < node.count {
                break;
            }
            n -= node.count;
            k += 1;
        }
        self.nodes.drain(ni..k);
        if n > 0 {
            if let Some(node) = self.nodes.get_mut(ni) {
                let to = node.skip(node.start, n);
                node.remove_bytes(node.start, to, n);
            }
        }
    }

    /// Keeps only the elements `start..=stop` (positions already clamped by LTRIM).
    pub fn trim(&mut self, keep_from: usize, keep_count: usize) {
        let after = self.len.saturating_sub(keep_from + keep_count);
        self.discard(Where::Tail, after);
        self.discard(Where::Head, keep_from);
    }

    /// The position of the first element equal to `needle`, from the head (LINSERT's pivot).
    pub fn position(&self, needle: &[u8]) -> Option<usize> {
        let needle = Entry::parse(needle);
        self.iter().position(|e| e.matches(needle))
    }

    /// Merges the node at `left` with the next one if their entries fit one node of `fill`
    /// (Redis's _quicklistMergeNodes): keeps lists that lost elements in the middle (LREM, a
    /// split by LINSERT) from becoming chains of small nodes. True if merged.
    fn try_merge(&mut self, left: usize, fill: Fill) -> bool {
        let (Some(a), Some(b)) = (self.nodes.get(left), self.nodes.get(left + 1)) else {
            return false;
        };
        if a.count + b.count > fill.max_count.max(1) || a.used() + b.used() > fill.max_bytes {
            return false;
        }
        let Some(right) = self.nodes.remove(left + 1) else {
            return false;
        };
        if let Some(a) = self.nodes.get_mut(left) {
            let at = a.end;
            a.splice(at, at, right.used(), fill.max_bytes, |dst| {
                dst.copy_from_slice(right.bytes())
            });
            a.count += right.count;
        }
        true
    }

    /// Removes elements equal to `needle` (Redis's LREM): all of them for `count == 0`, the
    /// first `count` from the head for a positive count, the last `|count|` for a negative
    /// one. Returns how many were removed. Each node holding a match is rewritten once.
    pub fn remove_matching(&mut self, needle: &[u8], count: i64, fill: Fill) -> usize {
        let needle = Entry::parse(needle);
        let mut budget = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
        };
        let from_tail = count < 0;
        let mut removed = 0;
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        if from_tail {
            order.reverse();
        }
        for ni in order {
            if budget == 0 {
                break;
            }
            let Some(node) = self.nodes.get_mut(ni) else {
                continue;
            };
            let mut matches = 0;
            let mut off = node.start;
            while off < node.end {
                let (e, size) = decode(&node.buf[off..node.end]);
                matches += e.matches(needle) as usize;
                off += size;
            }
            if matches == 0 {
                continue;
            }
            let take = matches.min(budget);
            // From the head the first `take` matches go; from the tail the last `take`.
            let mut skip_first = if from_tail { matches - take } else { 0 };
            let mut left = take;
            let mut kept = Vec::with_capacity(node.used());
            let mut off = node.start;
            while off < node.end {
                let (e, size) = decode(&node.buf[off..node.end]);
                let mut drop = false;
                if e.matches(needle) {
                    if skip_first > 0 {
                        skip_first -= 1;
                    } else if left > 0 {
                        left -= 1;
                        drop = true;
                    }
                }
                if !drop {
                    kept.extend_from_slice(&node.buf[off..off + size]);
                }
                off += size;
            }
            node.count -= take;
            node.start = 0;
            node.end = kept.len();
            node.buf = kept.into_boxed_slice();
            budget -= take;
            removed += take;
        }
        self.nodes.retain(|n| n.count > 0);
        self.len -= removed;
        if removed > 0 {
            let mut i = 0;
            while i + 1 < self.nodes.len() {
                if !self.try_merge(i, fill) {
                    i += 1;
                }
            }
        }
        removed
    }
}

/// Elements from a position towards the tail (Redis's listTypeNext with LIST_TAIL).
pub struct Iter<'a> {
    list: &'a List,
    node: usize,
    off: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        loop {
            let node = self.list.nodes.get(self.node)?;
            if self.off < node.end && self.off >= node.start {
                let (entry, size) = decode(&node.buf[self.off..node.end]);
                self.off += size;
                return Some(entry);
            }
            self.node += 1;
            self.off = self.list.nodes.get(self.node)?.start;
        }
    }
}

/// Elements from a position towards the head. `node` is one past the current node, so 0 is
/// the end.
pub struct RevIter<'a> {
    list: &'a List,
    node: usize,
    end: usize,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        loop {
            let node = self.list.nodes.get(self.node.checked_sub(1)?)?;
            if self.end > node.start && self.end <= node.end {
                let size = size_before(&node.buf, self.end);
                self.end -= size;
                return Some(decode(&node.buf[self.end..node.end]).0);
            }
            self.node -= 1;
            self.end = self.list.nodes.get(self.node.checked_sub(1)?)?.end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Rng;

    fn collect(list: &List) -> Vec<Vec<u8>> {
        list.iter().map(Entry::to_vec).collect()
    }

    /// Checks every invariant and every way of reading the list against the model.
    fn check(list: &List, model: &VecDeque<Vec<u8>>, fill: Fill) {
        assert_eq!(list.len(), model.len());
        assert_eq!(list.nodes.iter().map(|n| n.count).sum::<usize>(), list.len);
        for node in &list.nodes {
            assert!(node.count > 0, "empty node");
            assert!(node.count == 1 || node.used() <= fill.max_bytes);
            assert!(node.count <= fill.max_count.max(1));
            let mut n = 0;
            let mut off = node.start;
            while off < node.end {
                off += decode(&node.buf[off..node.end]).1;
                n += 1;
            }
            assert_eq!(off, node.end);
            assert_eq!(n, node.count);
        }
        let forward = collect(list);
        assert_eq!(forward, model.iter().cloned().collect::<Vec<_>>());
        let mut backward: Vec<Vec<u8>> = list.iter_rev().map(Entry::to_vec).collect();
        backward.reverse();
        assert_eq!(backward, forward);
    }

    fn random_elem(rng: &mut Rng) -> Vec<u8> {
        match rng.below(8) {
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
    }

    #[test]
    fn encodings_round_trip() {
        let samples: Vec<Vec<u8>> = vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"-1".to_vec(),
            b"-32768".to_vec(),
            b"32768".to_vec(),
            b"-8388608".to_vec(),
            b"8388608".to_vec(),
            b"2147483647".to_vec(),
            b"-2147483649".to_vec(),
            i64::MIN.to_string().into_bytes(),
            i64::MAX.to_string().into_bytes(),
            b"9223372036854775808".to_vec(),
            b"-0".to_vec(),
            b"+1".to_vec(),
            b"007".to_vec(),
            b"".to_vec(),
            vec![b'a'; 63],
            vec![b'b'; 64],
            vec![b'c'; 4095],
            vec![b'd'; 4096],
            vec![b'e'; 70000],
        ];
        let mut list = List::new();
        for s in &samples {
            list.push(Where::Tail, s, Fill::default());
        }
        assert_eq!(collect(&list), samples);
        let mut rev: Vec<_> = list.iter_rev().map(Entry::to_vec).collect();
        rev.reverse();
        assert_eq!(rev, samples);
        assert_eq!(Encoded::new(Entry::parse(b"5")).len(FRAMING), 1);
        assert_eq!(Encoded::new(Entry::parse(b"abcdefghij")).len(FRAMING), 12);
        assert_eq!(list.encoding(), "quicklist");
    }

    #[test]
    fn nodes_split_by_size_and_count() {
        let mut list = List::new();
        for i in 0..10_000 {
            list.push(
                Where::Tail,
                format!("value{i:05}").as_bytes(),
                Fill::new(-2),
            );
        }
        // 12 bytes per entry, 8 KB per node: 682 per node.
        assert_eq!(list.nodes.len(), 10_000usize.div_ceil(682));
        assert!(list.nodes.iter().all(|n| n.buf.len() <= 8192));
        let mut list = List::new();
        for i in 0..100 {
            list.push(Where::Head, i.to_string().as_bytes(), Fill::new(7));
        }
        assert_eq!(list.nodes.len(), 15);
        let mut list = List::new();
        for i in 0..5 {
            list.push(Where::Head, i.to_string().as_bytes(), Fill::new(0));
        }
        assert_eq!(list.nodes.len(), 5);
    }

    #[test]
    fn pops_drain_and_shrink() {
        let mut list = List::new();
        for i in 0..5000 {
            list.push(Where::Tail, i.to_string().as_bytes(), Fill::default());
        }
        for i in 0..2500 {
            assert_eq!(list.pop(Where::Head), Some(i.to_string().into_bytes()));
        }
        for i in (2500..5000).rev() {
            assert_eq!(list.pop(Where::Tail), Some(i.to_string().into_bytes()));
        }
        assert!(list.is_empty());
        assert!(list.nodes.is_empty());
        assert_eq!(list.pop(Where::Head), None);
    }

    /// Random operations against a `VecDeque` model, for several node limits.
    #[test]
    fn random_operations_match_model() {
        for (seed, setting) in [(1, -2), (2, 1), (3, 3), (4, 0), (5, -1), (6, -5), (7, 100)] {
            let fill = Fill::new(setting);
            let mut rng = Rng::new(seed);
            let mut list = List::new();
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            for step in 0..4000 {
                let len = model.len() as i64;
                let index = rng.below(2 * len as u64 + 3) as i64 - len - 1;
                match rng.below(12) {
                    0 | 1 => {
                        let e = random_elem(&mut rng);
                        list.push(Where::Head, &e, fill);
                        model.push_front(e);
                    }
                    2 | 3 => {
                        let e = random_elem(&mut rng);
                        list.push(Where::Tail, &e, fill);
                        model.push_back(e);
                    }
                    4 => assert_eq!(list.pop(Where::Head), model.pop_front()),
                    5 => assert_eq!(list.pop(Where::Tail), model.pop_back()),
                    6 => {
                        let e = random_elem(&mut rng);
                        let at = rng.below(len as u64 + 1) as usize;
                        list.insert(at, &e, fill);
                        model.insert(at, e);
                    }
                    7 => {
                        let e = random_elem(&mut rng);
                        let ok = match list.resolve_index(index) {
                            Some(i) => {
                                model[i] = e.clone();
                                list.set(i, &e, fill)
                            }
                            None => false,
                        };
                        assert_eq!(ok, (-len..len).contains(&index));
                    }
                    8 => {
                        let needle = random_elem(&mut rng);
                        let count = rng.below(5) as i64 - 2;
                        let mut expected = 0;
                        let limit = if count == 0 {
                            usize::MAX
                        } else {
                            count.unsigned_abs() as usize
                        };
                        if count >= 0 {
                            let mut i = 0;
                            while i < model.len() {
                                if expected < limit && model[i] == needle {
                                    model.remove(i);
                                    expected += 1;
                                } else {
                                    i += 1;
                                }
                            }
                        } else {
                            let mut i = model.len();
                            while i > 0 && expected < limit {
                                i -= 1;
                                if model[i] == needle {
                                    model.remove(i);
                                    expected += 1;
                                }
                            }
                        }
                        assert_eq!(list.remove_matching(&needle, count, fill), expected);
                    }
                    9 => {
                        if rng.below(4) == 0 {
                            let from = rng.below(len as u64 + 1) as usize;
                            let count = rng.below(len as u64 + 1) as usize;
                            list.trim(from, count);
                            let keep: VecDeque<_> =
                                model.iter().skip(from).take(count).cloned().collect();
                            model = keep;
                        } else {
                            let from = rng.below(len as u64 + 1) as usize;
                            let n = rng.below(50) as usize;
                            list.remove_range(from, n);
                            let end = (from + n).min(model.len());
                            model.drain(from..end);
                        }
                    }
                    10 => {
                        let got = list.resolve_index(index).and_then(|i| list.get(i));
                        let want = if index < 0 {
                            model.get((len + index) as usize)
                        } else {
                            model.get(index as usize)
                        };
                        assert_eq!(got.map(Entry::to_vec).as_ref(), want);
                        if let Some(i) = list.resolve_index(index) {
                            let fwd: Vec<_> = list.iter_from(i).map(Entry::to_vec).collect();
                            assert_eq!(fwd, model.iter().skip(i).cloned().collect::<Vec<_>>());
                            let back: Vec<_> = list.iter_rev_from(i).map(Entry::to_vec).collect();
                            let want: Vec<_> = model.iter().take(i + 1).rev().cloned().collect();
                            assert_eq!(back, want);
                        }
                    }
                    _ => {
                        let needle = random_elem(&mut rng);
                        assert_eq!(
                            list.position(&needle),
                            model.iter().position(|e| *e == needle)
                        );
                    }
                }
                if step % 50 == 0 || model.len() < 5 {
                    check(&list, &model, fill);
                }
            }
            check(&list, &model, fill);
            let copy = list.clone();
            check(&copy, &model, fill);
        }
    }

    /// LREM leaves no two neighbouring nodes that would fit in one.
    #[test]
    fn lrem_merges_sparse_nodes() {
        let fill = Fill::default();
        let mut list = List::new();
        for i in 0..20_000 {
            let elem = if i % 10 == 0 { "keep" } else { "dropme" };
            list.push(Where::Tail, format!("{elem}{:04}", i % 7).as_bytes(), fill);
        }
        let before = list.nodes.len();
        for k in 0..7 {
            list.remove_matching(format!("dropme{k:04}").as_bytes(), 0, fill);
        }
        assert_eq!(list.len(), 2000);
        assert!(list.nodes.len() * 5 < before, "{} nodes", list.nodes.len());
        for pair in list.nodes.iter().collect::<Vec<_>>().windows(2) {
            assert!(pair[0].used() + pair[1].used() > fill.max_bytes);
        }
        assert!(list.iter().all(|e| e.to_vec().starts_with(b"keep")));
    }

    /// A million 10-byte elements take about 12 bytes each: the memory benchmark's case.
    #[test]
    fn small_elements_are_packed() {
        let mut list = List::new();
        for i in 0..100_000 {
            list.push(Where::Tail, format!("v{i:09}").as_bytes(), Fill::default());
        }
        let bytes: usize = list.nodes.iter().map(|n| n.buf.len()).sum();
        assert!(bytes < 100_000 * 12 + 8192, "{bytes}");
        let mut list = List::new();
        for _ in 0..100_000 {
            list.push(Where::Head, b"xxx", Fill::default());
        }
        let bytes: usize = list.nodes.iter().map(|n| n.buf.len()).sum();
        assert!(bytes < 100_000 * 5 + 8192, "{bytes}");
    }
}
