//! The sorted set type (Redis's t_zset.c storage side): distinct byte-string members, each
//! with a double score, ordered by score and then by member bytes (memcmp). A `ZSet` is held
//! by its key's `Value::ZSet` and dies with the key; the command that removes its last member
//! deletes the key, so the keyspace never holds an empty sorted set.
//!
//! Two encodings, named as Redis 7.0 names them (OBJECT ENCODING):
//! - `listpack`: while there are at most `zset-max-listpack-entries` (default
//!   [`ZSET_MAX_LISTPACK_ENTRIES`]) members and each is at most `zset-max-listpack-value`
//!   ([`ZSET_MAX_LISTPACK_VALUE`]) bytes: one [`Listpack`] buffer (`types/listpack.rs`), member
//!   and score entries alternating in sorted order, as Redis's listpack. Lookups by member and
//!   by rank are linear scans, as in Redis; a walk down (ZREVRANGE) first gathers the offsets
//!   of the elements it will give, since listpack entries are framed for forward walks only.
//!   Members are always string entries (Redis turns integer-looking ones into integer
//!   entries), so every reader gets `&[u8]` from either encoding; scores take 1 to 9 bytes
//!   (see `score_entry`) and come back bit for bit.
//! - `skiplist`: a [`SkipList`] with spans (rank queries in O(log n)) plus a [`Dict`] from
//!   member to score for O(1) ZSCORE, as Redis's `zset` struct. Each index holds the member
//!   as a [`Member`]: short ones inline (a copy in each, so neither a lookup in the dict nor
//!   a score tie in the skiplist has to fetch the bytes from elsewhere), long ones in one
//!   allocation the two share through an `Rc`, as Redis shares one sds. The skiplist lives
//!   in an arena of fixed-size slots (no unsafe code); see [`SkipList`] for the layout.
//!
//! Conversion is one-way while a set lives (listpack -> skiplist when it grows past a limit);
//! only building a *new* set (ZRANGESTORE, ZUNIONSTORE...) picks the compact form again.
//!
//! Score zero: a listpack stores scores as text and Redis writes `-0` as `0`, so a listpack
//! never holds `-0`; a skiplist keeps it (ZSCORE answers `-0`). `-0` and `0` compare equal,
//! so both sort by member among the zeros.

use std::cmp::Ordering;
use std::rc::Rc;

use crate::dict::Dict;
use crate::key::Key;
use crate::types::listpack::{Entry, Listpack};

/// A member as the skiplist encoding stores it, in both of its indexes: inline when short,
/// else one allocation shared by the dict and the skiplist.
pub type Member = Key<Rc<[u8]>>;

/// zset-max-listpack-entries' default: more members make a skiplist.
pub const ZSET_MAX_LISTPACK_ENTRIES: usize = 128;

/// zset-max-listpack-value's default: a longer member makes a skiplist.
pub const ZSET_MAX_LISTPACK_VALUE: usize = 64;

/// Redis's ZSKIPLIST_MAXLEVEL: enough for 2^64 elements with p = 1/4.
const MAX_LEVEL: usize = 32;

/// The arena index meaning "no node" (Redis's NULL pointer).
const NIL: u32 = u32::MAX;

/// The arena index of the header node, which holds no member.
const HEADER: u32 = 0;

/// The two listpack limits in force (the zset-max-listpack-* settings), read from the
/// server's config by each writing command.
#[derive(Debug, Clone, Copy)]
pub struct ZsetLimits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl ZsetLimits {
    /// Redis's defaults.
    pub const DEFAULT: ZsetLimits = ZsetLimits {
        max_entries: ZSET_MAX_LISTPACK_ENTRIES,
        max_value: ZSET_MAX_LISTPACK_VALUE,
    };

    /// The limits a server's settings give.
    pub fn from_config(config: &crate::config::Config) -> ZsetLimits {
        ZsetLimits {
            max_entries: usize::try_from(config.zset_max_listpack_entries).unwrap_or(0),
            max_value: usize::try_from(config.zset_max_listpack_value).unwrap_or(usize::MAX),
        }
    }

    /// True when a set of `len` members, the longest `max_len` bytes, fits a listpack.
    pub fn fits(&self, len: usize, max_len: usize) -> bool {
        len <= self.max_entries && max_len <= self.max_value
    }
}

/// The sort order of elements: by score, then by member bytes (Redis's zslInsert order).
/// Scores are never NaN (commands refuse to store one).
pub fn cmp_elements(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    match s1.partial_cmp(&s2) {
        Some(Ordering::Equal) | None => m1.cmp(m2),
        Some(o) => o,
    }
}

// ---------------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------------

/// A score interval (Redis's zrangespec): `[min, max]`, either end exclusive (`(1`).
#[derive(Debug, Clone, Copy)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    /// True if `v` is at or above the lower end (zslValueGteMin).
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    /// True if `v` is at or below the upper end (zslValueLteMax).
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// True when no score can be in the range (min > max, or min = max with an exclusive end).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lex range: `-`, `+`, `[member` or `(member`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    NegInf,
    PosInf,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

impl LexBound {
    /// Orders two bounds as Redis's sdscmplex does: `-` below everything, `+` above, and two
    /// members by bytes whatever their inclusion.
    fn cmp(&self, other: &LexBound) -> Ordering {
        use LexBound::*;
        match (self, other) {
            (NegInf, NegInf) | (PosInf, PosInf) => Ordering::Equal,
            (NegInf, _) | (_, PosInf) => Ordering::Less,
            (PosInf, _) | (_, NegInf) => Ordering::Greater,
            (Incl(a) | Excl(a), Incl(b) | Excl(b)) => a.cmp(b),
        }
    }

    fn is_exclusive(&self) -> bool {
        matches!(self, LexBound::Excl(_))
    }
}

/// A member interval (Redis's zlexrangespec).
#[derive(Debug, Clone)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    /// True if `m` is at or above the lower end (zslLexValueGteMin).
    pub fn gte_min(&self, m: &[u8]) -> bool {
        match &self.min {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Incl(b) => m >= &b[..],
            LexBound::Excl(b) => m > &b[..],
        }
    }

    /// True if `m` is at or below the upper end (zslLexValueLteMax).
    pub fn lte_max(&self, m: &[u8]) -> bool {
        match &self.max {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Incl(b) => m <= &b[..],
            LexBound::Excl(b) => m < &b[..],
        }
    }

    /// True when no member can be in the range (the first half of zslIsInLexRange).
    pub fn is_empty(&self) -> bool {
        match self.min.cmp(&self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.min.is_exclusive() || self.max.is_exclusive(),
            Ordering::Less => false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The skiplist
// ---------------------------------------------------------------------------------------------

/// One slot of the skiplist arena. As a level of a node: the next node at this level, how
/// many elements that jump passes over (1 at level 0), and a copy of the next node's score.
/// The copy is what makes a search cheap: deciding whether to jump reads only the current
/// node's own slots, and the next node is touched only when the search does jump (or to break
/// a score tie). Invariant: `score` equals the score of the node `forward` names (0 for
/// `NIL`).
///
/// The first slot of every node (its head) uses the same three fields for the node itself:
/// `forward` is the backward link (the previous node at level 0, `NIL` for the first),
/// `span` the index of its [`Meta`], `score` its score.
#[derive(Debug, Clone, Copy)]
struct Level {
    forward: u32,
    span: u32,
    score: f64,
}

impl Level {
    const NIL: Level = Level {
        forward: NIL,
        span: 0,
        score: 0.0,
    };
}

/// What a search rarely needs: the member (read on score ties and by callers) and the
/// node's level count.
#[derive(Debug)]
struct Meta {
    member: Member,
    levels: u8,
}

/// Redis's zskiplist, in an arena without unsafe code. A node is a block of consecutive
/// slots in `slots` (its head, then one slot per level), named by the index of its head:
/// like Redis's single allocation per node, one node's levels sit together, so a search
/// costs about one cache miss per node it visits. Freed blocks are kept in per-size free
/// lists and reused. Node 0 is the header, with [`MAX_LEVEL`] levels and no member.
/// Invariants (checked by the unit tests): level 0 is the sorted order of the elements; the
/// span of each link is the number of level-0 steps it covers; each link caches its target's
/// score; a node's level count never changes while it is linked.
#[derive(Debug)]
pub struct SkipList {
    slots: Vec<Level>,
    metas: Vec<Meta>,
    /// Freed node blocks, by level count.
    free_blocks: Vec<Vec<u32>>,
    free_metas: Vec<u32>,
    tail: u32,
    len: usize,
    /// Levels in use (at least 1).
    level: usize,
    /// State of the random level generator (xorshift; the levels only affect speed).
    seed: u64,
}

impl Default for SkipList {
    fn default() -> Self {
        SkipList::new()
    }
}

impl SkipList {
    pub fn new() -> SkipList {
        let mut slots = vec![Level::NIL; 1 + MAX_LEVEL];
        slots[0].span = 0;
        SkipList {
            slots,
            metas: vec![Meta {
                member: Member::new(b""),
                levels: MAX_LEVEL as u8,
            }],
            free_blocks: (0..=MAX_LEVEL).map(|_| Vec::new()).collect(),
            free_metas: Vec::new(),
            tail: NIL,
            len: 0,
            level: 1,
            seed: 0x2545_f491_4f6c_dd1d,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Link `lvl` of node `x` (internal indexes only).
    fn link(&self, x: u32, lvl: usize) -> Level {
        self.slots[x as usize + 1 + lvl]
    }

    fn link_mut(&mut self, x: u32, lvl: usize) -> &mut Level {
        &mut self.slots[x as usize + 1 + lvl]
    }

    fn fwd(&self, x: u32, lvl: usize) -> u32 {
        self.link(x, lvl).forward
    }

    fn score_of(&self, x: u32) -> f64 {
        self.slots[x as usize].score
    }

    fn backward(&self, x: u32) -> u32 {
        self.slots[x as usize].forward
    }

    fn set_backward(&mut self, x: u32, back: u32) {
        self.slots[x as usize].forward = back;
    }

    fn meta(&self, x: u32) -> &Meta {
        &self.metas[self.slots[x as usize].span as usize]
    }

    fn member(&self, x: u32) -> &[u8] {
        &self.meta(x).member
    }

    fn levels_of(&self, x: u32) -> usize {
        self.meta(x).levels as usize
    }

    /// True if the element a link leads to sorts before (score, member), or also when equal
    /// with `or_equal`. The target's member is read only on a score tie.
    fn link_before(&self, l: Level, score: f64, member: &[u8], or_equal: bool) -> bool {
        if l.score != score {
            return l.score < score;
        }
        let m = self.member(l.forward);
        if or_equal {
            m <= member
        } else {
            m < member
        }
    }

    /// Redis's zslRandomLevel: each extra level with probability 1/4.
    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            if self.seed & 0xffff >= 0x4000 || level >= MAX_LEVEL {
                return level;
            }
            level += 1;
        }
    }

    /// For each level, the last node before (score, member) and its rank (zslInsert's
    /// `update` and `rank` arrays).
    fn find_update(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEADER; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.link(x, i);
                if l.forward == NIL || !self.link_before(l, score, member, false) {
                    break;
                }
                rank[i] += l.span;
                x = l.forward;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// A block for a node of `levels` levels holding `member`: a freed one of that size if
    /// any, else new slots at the end.
    fn alloc_node(&mut self, levels: usize, score: f64, member: Member) -> u32 {
        let meta = Meta {
            member,
            levels: levels as u8,
        };
        let meta_at = match self.free_metas.pop() {
            Some(i) => {
                self.metas[i as usize] = meta;
                i
            }
            None => {
                self.metas.push(meta);
                (self.metas.len() - 1) as u32
            }
        };
        let head = Level {
            forward: NIL,
            span: meta_at,
            score,
        };
        let x = match self.free_blocks[levels].pop() {
            Some(x) => x,
            None => {
                let x = self.slots.len() as u32;
                self.slots.resize(self.slots.len() + 1 + levels, Level::NIL);
                x
            }
        };
        self.slots[x as usize] = head;
        x
    }

    /// Inserts an element that is not present (zslInsert); returns its node.
    pub fn insert(&mut self, score: f64, member: Member) -> u32 {
        let (mut update, mut rank) = self.find_update(score, &member);
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEADER;
                self.link_mut(HEADER, i).span = self.len as u32;
            }
            self.level = level;
        }
        let x = self.alloc_node(level, score, member);
        for i in 0..level {
            let u = update[i];
            let ul = self.link(u, i);
            *self.link_mut(x, i) = Level {
                forward: ul.forward,
                span: ul.span - (rank[0] - rank[i]),
                score: ul.score,
            };
            *self.link_mut(u, i) = Level {
                forward: x,
                span: rank[0] - rank[i] + 1,
                score,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.link_mut(u, i).span += 1;
        }
        self.set_backward(x, if update[0] == HEADER { NIL } else { update[0] });
        let next = self.fwd(x, 0);
        if next == NIL {
            self.tail = x;
        } else {
            self.set_backward(next, x);
        }
        self.len += 1;
        x
    }

    /// Unlinks node `x` given its `update` array (zslDeleteNode) and frees its block.
    fn delete_node(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> (Member, f64) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.link(u, i);
            if ul.forward == x {
                let xl = self.link(x, i);
                *self.link_mut(u, i) = Level {
                    forward: xl.forward,
                    span: ul.span + xl.span - 1,
                    score: xl.score,
                };
            } else {
                self.link_mut(u, i).span = ul.span.saturating_sub(1);
            }
        }
        let next = self.fwd(x, 0);
        let back = self.backward(x);
        if next == NIL {
            self.tail = back;
        } else {
            self.set_backward(next, back);
        }
        while self.level > 1 && self.fwd(HEADER, self.level - 1) == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        let score = self.score_of(x);
        let meta_at = self.slots[x as usize].span;
        let meta = &mut self.metas[meta_at as usize];
        // A freed meta holds the empty member, which is inline: freeing allocates nothing.
        let member = std::mem::replace(&mut meta.member, Member::new(b""));
        let levels = meta.levels as usize;
        if self.len == 0 {
            // Nothing is linked: drop the arena's slots too.
            self.slots.truncate(1 + MAX_LEVEL);
            self.metas.truncate(1);
            self.free_metas.clear();
            self.free_blocks.iter_mut().for_each(Vec::clear);
        } else {
            self.free_metas.push(meta_at);
            self.free_blocks[levels].push(x);
        }
        (member, score)
    }

    /// Removes the element (score, member); true if it was there (zslDelete).
    pub fn delete(&mut self, score: f64, member: &[u8]) -> bool {
        let (update, _) = self.find_update(score, member);
        let x = self.fwd(update[0], 0);
        if x != NIL && self.score_of(x) == score && self.member(x) == member {
            self.delete_node(x, &update);
            true
        } else {
            false
        }
    }

    /// Unlinks the element at 1-based `rank` and hands it back (zslDeleteRangeByRank for one
    /// element: a single descent by span, no comparisons).
    pub fn delete_at_rank(&mut self, rank: usize) -> Option<(Member, f64)> {
        if rank == 0 || rank > self.len {
            return None;
        }
        let mut update = [HEADER; MAX_LEVEL];
        let mut traversed = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.forward == NIL || traversed + l.span as usize >= rank {
                    break;
                }
                traversed += l.span as usize;
                x = l.forward;
            }
            update[i] = x;
        }
        let x = self.fwd(update[0], 0);
        if x == NIL {
            return None;
        }
        Some(self.delete_node(x, &update))
    }

    /// Moves an element to a new score (zslUpdateScore): in place when its position does not
    /// change (the links into it get the new score), else unlinked and inserted again.
    pub fn update_score(&mut self, cur: f64, member: &[u8], new: f64) {
        let (update, _) = self.find_update(cur, member);
        let x = self.fwd(update[0], 0);
        // The caller's dict holds (cur, member), so the search lands on it; only the score is
        // checked here, to spare a read of the member's bytes.
        if x == NIL || self.score_of(x) != cur {
            return;
        }
        debug_assert_eq!(self.member(x), member);
        // Neighbours' members are read only on a score tie.
        let back = self.backward(x);
        let next = self.fwd(x, 0);
        let back_ok = back == NIL || {
            let s = self.score_of(back);
            s < new || (s == new && self.member(back) < member)
        };
        let next_ok = next == NIL || {
            let s = self.score_of(next);
            s > new || (s == new && self.member(next) > member)
        };
        if back_ok && next_ok {
            self.slots[x as usize].score = new;
            for (i, &u) in update.iter().enumerate().take(self.levels_of(x)) {
                self.link_mut(u, i).score = new;
            }
            return;
        }
        let (m, _) = self.delete_node(x, &update);
        self.insert(new, m);
    }

    /// The 1-based rank of (score, member), 0 if absent (zslGetRank).
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        let mut rank = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.forward == NIL || !self.link_before(l, score, member, true) {
                    break;
                }
                rank += l.span as usize;
                x = l.forward;
            }
            if x != HEADER && self.member(x) == member {
                return rank;
            }
        }
        0
    }

    /// The node at 1-based `rank` (zslGetElementByRank); `NIL` when out of range.
    fn by_rank(&self, rank: usize) -> u32 {
        let mut traversed = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.forward == NIL || traversed + l.span as usize > rank {
                    break;
                }
                traversed += l.span as usize;
                x = l.forward;
            }
            if traversed == rank {
                return if x == HEADER { NIL } else { x };
            }
        }
        NIL
    }

    /// How many leading elements have a score satisfying `pred`, which must hold for a
    /// prefix of the order (every score bound does). Reads only the links' cached scores.
    pub fn count_while_score(&self, pred: impl Fn(f64) -> bool) -> usize {
        let mut rank = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.forward == NIL || !pred(l.score) {
                    break;
                }
                rank += l.span as usize;
                x = l.forward;
            }
        }
        rank
    }

    /// How many leading elements have a member satisfying `pred` (a lex bound: a prefix of
    /// the order when the scores are equal, as Redis assumes).
    pub fn count_while_member(&self, pred: impl Fn(&[u8]) -> bool) -> usize {
        let mut rank = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.forward == NIL || !pred(self.member(l.forward)) {
                    break;
                }
                rank += l.span as usize;
                x = l.forward;
            }
        }
        rank
    }

    /// The element of node `x`.
    fn element(&self, x: u32) -> (&[u8], f64) {
        (self.member(x), self.score_of(x))
    }
}

// ---------------------------------------------------------------------------------------------
// The sorted set
// ---------------------------------------------------------------------------------------------

/// The skiplist encoding's two indexes over the same elements.
#[derive(Default)]
pub struct ZSkiplist {
    pub dict: Dict<Member, f64>,
    pub zsl: SkipList,
}

/// A sorted set value in one of its two encodings.
pub enum ZSet {
    /// Member and score entries alternating, sorted by [`cmp_elements`]; never `-0` as a
    /// score (see `score_entry` for how scores are stored).
    Listpack(Listpack),
    // Boxed: the table and the arena headers would make every small listpack set pay for them.
    Skiplist(Box<ZSkiplist>),
}

// ---------------------------------------------------------------------------------------------
// The listpack encoding
// ---------------------------------------------------------------------------------------------

/// Longest text a listpack stores a score as, in bytes; a score whose shortest text is longer
/// is stored as its 8 raw bytes, which a text never is.
const SCORE_TEXT_MAX: usize = 7;

/// Room for a score entry's bytes: its text or its raw `f64`.
type ScoreBuf = [u8; 8];

/// The entry a listpack stores `score` as (never NaN, never `-0`: see [`listpack_score`]).
/// Redis 7.0 writes scores as text (`%.17g`, or as an integer when they are one); rredis
/// keeps the sizes as small and the round trip exact: an integral score within i64 range is
/// an integer entry (1 byte for 0..=127); otherwise Rust's shortest text that parses back to
/// the same bits, when that is at most [`SCORE_TEXT_MAX`] bytes (`1.5`, `0.1`); otherwise the
/// score's 8 little-endian bytes (where Redis would write up to 24 characters).
fn score_entry(score: f64, buf: &mut ScoreBuf) -> Entry<'_> {
    // 2^63 as an f64: integral scores in [-2^63, 2^63) convert to i64 and back exactly.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if score.fract() == 0.0 && (-TWO_63..TWO_63).contains(&score) {
        return Entry::Int(score as i64);
    }
    let text = score.to_string();
    if text.len() <= SCORE_TEXT_MAX {
        buf[..text.len()].copy_from_slice(text.as_bytes());
        return Entry::Str(&buf[..text.len()]);
    }
    *buf = score.to_le_bytes();
    Entry::Str(&buf[..])
}

/// The score a listpack entry written by [`score_entry`] holds.
fn entry_score(entry: Entry<'_>) -> f64 {
    match entry {
        Entry::Int(n) => n as f64,
        Entry::Str(raw) => match <ScoreBuf>::try_from(raw) {
            Ok(bytes) => f64::from_le_bytes(bytes),
            // Written from an f64's shortest text, so it parses; 0 only on a bug.
            Err(_) => std::str::from_utf8(raw)
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0.0),
        },
    }
}

/// The `(member, score, offset)` of each element of a listpack set, in order; `offset` is
/// where the member entry starts. Members are always stored as strings (never as integers),
/// so they can be lent out as `&[u8]` like a skiplist's.
fn lp_elements(lp: &Listpack) -> impl Iterator<Item = (&[u8], f64, usize)> + '_ {
    lp_elements_from(lp, 0)
}

/// The offset of `member`'s entry in a listpack set.
fn lp_find(lp: &Listpack, member: &[u8]) -> Option<usize> {
    lp.find(Entry::Str(member), 1)
}

/// The element at ascending `rank` of a listpack set.
fn lp_by_rank(lp: &Listpack, rank: usize) -> Option<(&[u8], f64)> {
    let (m, s, _) = lp_element_at(lp, lp.seek(rank.checked_mul(2)?)?)?;
    Some((m, s))
}

/// The element whose member entry starts at `off` in a listpack set, and the offset of the
/// next element.
fn lp_element_at(lp: &Listpack, off: usize) -> Option<(&[u8], f64, usize)> {
    let (member, score_off) = lp.get(off)?;
    let (score, next) = lp.get(score_off)?;
    let member = match member {
        Entry::Str(m) => m,
        // Unreachable: members are written with `Entry::Str`.
        Entry::Int(_) => &[],
    };
    Some((member, entry_score(score), next))
}

/// [`lp_elements`] starting at the member entry at `start`.
fn lp_elements_from(lp: &Listpack, start: usize) -> impl Iterator<Item = (&[u8], f64, usize)> + '_ {
    let mut off = start;
    std::iter::from_fn(move || {
        let (member, score, next) = lp_element_at(lp, off)?;
        let at = off;
        off = next;
        Some((member, score, at))
    })
}

/// Inserts a member known to be absent into a listpack set, at its sorted place.
fn lp_insert(lp: &mut Listpack, member: &[u8], score: f64) {
    let at = lp_elements(lp)
        .find(|&(m, s, _)| cmp_elements(s, m, score, member) != Ordering::Less)
        .map_or(lp.bytes(), |(_, _, off)| off);
    let mut buf = ScoreBuf::default();
    lp.insert(at, &[Entry::Str(member), score_entry(score, &mut buf)]);
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ZSet::{}({} members)", self.encoding(), self.len())
    }
}

impl Clone for ZSet {
    /// A deep copy (COPY): new member buffers, a new table and list.
    fn clone(&self) -> Self {
        match self {
            ZSet::Listpack(lp) => ZSet::Listpack(lp.clone()),
            ZSet::Skiplist(_) => {
                let mut z = ZSet::Skiplist(Box::default());
                for (m, s) in self.iter_from(0, false) {
                    z.insert_new(m, s);
                }
                z
            }
        }
    }
}

/// What [`ZSet::add`] may do (Redis's ZADD_IN_* flags).
#[derive(Debug, Clone, Copy, Default)]
pub struct AddFlags {
    pub incr: bool,
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// What [`ZSet::add`] did (Redis's ZADD_OUT_* flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    Updated,
    /// The element exists with the same score, or an option stopped the change.
    Unchanged,
    /// Nothing was done because of NX, XX, GT or LT.
    Nop,
}

/// What ZADD's options make of an existing member's score (the update half of zsetAdd).
enum Update {
    /// INCR produced NaN: nothing changes, the command fails.
    Nan,
    /// NX, or GT/LT against the new score: nothing changes.
    Nop,
    To(f64),
}

fn update_for(cur: f64, score: f64, flags: AddFlags) -> Update {
    if flags.nx {
        return Update::Nop;
    }
    let mut score = score;
    if flags.incr {
        score += cur;
        if score.is_nan() {
            return Update::Nan;
        }
    }
    if (flags.lt && score >= cur) || (flags.gt && score <= cur) {
        return Update::Nop;
    }
    Update::To(score)
}

/// The score a listpack stores: Redis writes the score as text, where `-0` becomes `0`.
fn listpack_score(score: f64) -> f64 {
    score + 0.0
}

impl ZSet {
    /// An empty set in the encoding that `size_hint` members of at most `max_len` bytes call
    /// for (Redis's zsetTypeCreate).
    pub fn with_hint(size_hint: usize, max_len: usize, limits: ZsetLimits) -> ZSet {
        if limits.fits(size_hint, max_len) && limits.max_entries > 0 {
            ZSet::Listpack(Listpack::new())
        } else {
            ZSet::Skiplist(Box::default())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.len() / 2,
            ZSet::Skiplist(z) => z.zsl.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist(_) => "skiplist",
        }
    }

    /// The member's score (ZSCORE).
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => {
                let off = lp_find(lp, member)?;
                lp_element_at(lp, off).map(|(_, s, _)| s)
            }
            ZSet::Skiplist(z) => z.dict.get(member).copied(),
        }
    }

    /// Turns a listpack into a skiplist holding the same elements (zsetConvert).
    pub fn convert_to_skiplist(&mut self) {
        if let ZSet::Listpack(lp) = self {
            let mut z = ZSkiplist::default();
            for (m, s, _) in lp_elements(lp) {
                let m = Member::new(m);
                z.dict.insert(m.clone(), s);
                z.zsl.insert(s, m);
            }
            *self = ZSet::Skiplist(Box::new(z));
        }
    }

    /// Turns a skiplist back into a listpack when it fits the limits (Redis's
    /// zsetConvertToListpackIfNeeded, for sets a command has just built).
    pub fn convert_to_listpack_if_needed(&mut self, limits: ZsetLimits) {
        if let ZSet::Skiplist(_) = self {
            let max_len = self.iter_from(0, false).map(|(m, _)| m.len()).max();
            if limits.fits(self.len(), max_len.unwrap_or(0)) {
                let mut lp = Listpack::new();
                let mut buf = ScoreBuf::default();
                for (m, s) in self.iter_from(0, false) {
                    lp.append(&[Entry::Str(m), score_entry(listpack_score(s), &mut buf)]);
                }
                *self = ZSet::Listpack(lp);
            }
        }
    }

    /// Inserts a member known to be absent, without any conversion check.
    fn insert_new(&mut self, member: &[u8], score: f64) {
        match self {
            ZSet::Listpack(lp) => lp_insert(lp, member, listpack_score(score)),
            ZSet::Skiplist(z) => {
                let m = Member::new(member);
                z.dict.insert(m.clone(), score);
                z.zsl.insert(score, m);
            }
        }
    }

    /// Adds or updates an element (Redis's zsetAdd). Returns the outcome and the score the
    /// member now has (the incremented one with INCR), or `None` when INCR made a NaN (no
    /// change then). The score must not be NaN.
    pub fn add(
        &mut self,
        score: f64,
        member: &[u8],
        flags: AddFlags,
        limits: ZsetLimits,
    ) -> Option<(AddOutcome, f64)> {
        // An existing member: one lookup finds its score and, in a skiplist, the slot to
        // update.
        match self {
            ZSet::Skiplist(z) => {
                if let Some(slot) = z.dict.get_mut(member) {
                    let cur = *slot;
                    let new = match update_for(cur, score, flags) {
                        Update::Nan => return None,
                        Update::Nop => return Some((AddOutcome::Nop, cur)),
                        Update::To(new) => new,
                    };
                    if new == cur {
                        return Some((AddOutcome::Unchanged, new));
                    }
                    *slot = new;
                    z.zsl.update_score(cur, member, new);
                    return Some((AddOutcome::Updated, new));
                }
            }
            ZSet::Listpack(lp) => {
                let found =
                    lp_find(lp, member).and_then(|off| Some((lp_element_at(lp, off)?.1, off)));
                if let Some((cur, at)) = found {
                    let new = match update_for(cur, score, flags) {
                        Update::Nan => return None,
                        Update::Nop => return Some((AddOutcome::Nop, cur)),
                        Update::To(new) => new,
                    };
                    if new == cur {
                        return Some((AddOutcome::Unchanged, new));
                    }
                    // Delete and reinsert at the new place (zzlDelete + zzlInsert).
                    lp.delete(at, 2);
                    lp_insert(lp, member, listpack_score(new));
                    return Some((AddOutcome::Updated, new));
                }
            }
        }
        if flags.xx {
            return Some((AddOutcome::Nop, score));
        }
        if let ZSet::Listpack(lp) = self {
            if !limits.fits(lp.len() / 2 + 1, member.len()) {
                self.convert_to_skiplist();
            }
        }
        self.insert_new(member, score);
        Some((AddOutcome::Added, score))
    }

    /// Removes a member; true if it was there (zsetRemoveFromSkiplist / zzlDelete).
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Listpack(lp) => match lp_find(lp, member) {
                Some(at) => {
                    lp.delete(at, 2);
                    true
                }
                None => false,
            },
            ZSet::Skiplist(z) => match z.dict.remove(member) {
                Some((_, score)) => {
                    z.zsl.delete(score, member);
                    z.dict.shrink_if_needed();
                    true
                }
                None => false,
            },
        }
    }

    /// The 0-based rank of a member in ascending order (ZRANK), or descending with `reverse`.
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let rank = match self {
            ZSet::Listpack(lp) => lp_elements(lp).position(|(m, _, _)| m == member)?,
            ZSet::Skiplist(z) => {
                let score = *z.dict.get(member)?;
                z.zsl.rank(score, member).checked_sub(1)?
            }
        };
        Some(if reverse { self.len() - 1 - rank } else { rank })
    }

    /// The element at 0-based ascending `rank`.
    pub fn by_rank(&self, rank: usize) -> Option<(&[u8], f64)> {
        match self {
            ZSet::Listpack(lp) => lp_by_rank(lp, rank),
            ZSet::Skiplist(z) => {
                let x = z.zsl.by_rank(rank + 1);
                (x != NIL).then(|| z.zsl.element(x))
            }
        }
    }

    /// The elements from 0-based ascending `rank` on, going up, or down with `reverse`.
    pub fn iter_from(&self, rank: usize, reverse: bool) -> ZIter<'_> {
        let cursor = match self {
            ZSet::Listpack(lp) => match (rank.checked_mul(2).and_then(|i| lp.seek(i)), reverse) {
                (None, _) => Cursor::Listpack(None),
                (Some(off), false) => Cursor::Listpack(Some(off)),
                // Entries can only be walked forwards: a walk down starts from the offsets of
                // the elements up to `rank`, gathered in one pass.
                (Some(off), true) => Cursor::ListpackDown(
                    lp_elements(lp)
                        .map(|(_, _, at)| at)
                        .take_while(|&at| at <= off)
                        .collect(),
                ),
            },
            ZSet::Skiplist(z) => Cursor::Skiplist(if rank < z.zsl.len() {
                z.zsl.by_rank(rank + 1)
            } else {
                NIL
            }),
        };
        ZIter {
            zset: self,
            cursor,
            reverse,
        }
    }

    /// Every element, in ascending order.
    pub fn iter(&self) -> ZIter<'_> {
        self.iter_from(0, false)
    }

    /// Number of leading elements whose score satisfies `pred` (which must hold for a
    /// prefix).
    fn count_while_score(&self, pred: impl Fn(f64) -> bool) -> usize {
        match self {
            ZSet::Listpack(lp) => lp_elements(lp).take_while(|&(_, s, _)| pred(s)).count(),
            ZSet::Skiplist(z) => z.zsl.count_while_score(pred),
        }
    }

    /// The rank of the first element in the score range (zslFirstInRange).
    pub fn first_in_score_range(&self, range: &ScoreRange) -> Option<usize> {
        if range.is_empty() || self.is_empty() {
            return None;
        }
        let at = self.count_while_score(|s| !range.gte_min(s));
        let (_, s) = self.by_rank(at)?;
        range.lte_max(s).then_some(at)
    }

    /// The rank of the last element in the score range (zslLastInRange).
    pub fn last_in_score_range(&self, range: &ScoreRange) -> Option<usize> {
        if range.is_empty() || self.is_empty() {
            return None;
        }
        let at = self
            .count_while_score(|s| range.lte_max(s))
            .checked_sub(1)?;
        let (_, s) = self.by_rank(at)?;
        range.gte_min(s).then_some(at)
    }

    /// Quick refusal of a lex range no element can be in (zzlIsInLexRange): empty by its
    /// bounds, or the last element is below the minimum, or the first above the maximum.
    fn lex_range_possible(&self, range: &LexRange) -> bool {
        if range.is_empty() || self.is_empty() {
            return false;
        }
        let last = self.by_rank(self.len() - 1);
        let first = self.by_rank(0);
        last.is_some_and(|(m, _)| range.gte_min(m)) && first.is_some_and(|(m, _)| range.lte_max(m))
    }

    /// The rank of the first element in the lex range (zzlFirstInLexRange: a listpack is
    /// scanned from its head for the first member at or above the minimum, which is what
    /// Redis answers even when the members are not in lex order).
    pub fn first_in_lex_range(&self, range: &LexRange) -> Option<usize> {
        if !self.lex_range_possible(range) {
            return None;
        }
        let at = match self {
            ZSet::Listpack(lp) => lp_elements(lp).position(|(m, _, _)| range.gte_min(m))?,
            ZSet::Skiplist(z) => z.zsl.count_while_member(|m| !range.gte_min(m)),
        };
        let (m, _) = self.by_rank(at)?;
        range.lte_max(m).then_some(at)
    }

    /// The rank of the last element in the lex range (zzlLastInLexRange: from the tail, the
    /// first member at or below the maximum).
    pub fn last_in_lex_range(&self, range: &LexRange) -> Option<usize> {
        if !self.lex_range_possible(range) {
            return None;
        }
        let at = match self {
            ZSet::Listpack(lp) => {
                lp_elements(lp)
                    .enumerate()
                    .filter(|(_, (m, _, _))| range.lte_max(m))
                    .last()?
                    .0
            }
            ZSet::Skiplist(z) => z
                .zsl
                .count_while_member(|m| range.lte_max(m))
                .checked_sub(1)?,
        };
        let (m, _) = self.by_rank(at)?;
        range.gte_min(m).then_some(at)
    }

    /// Removes the elements of ascending ranks `start..=end` (zslDeleteRangeByRank), which
    /// must be in range; returns how many went.
    pub fn delete_rank_range(&mut self, start: usize, end: usize) -> usize {
        if start > end || end >= self.len() {
            return 0;
        }
        match self {
            ZSet::Listpack(lp) => {
                if let Some(off) = lp.seek(2 * start) {
                    lp.delete(off, 2 * (end - start + 1));
                }
            }
            ZSet::Skiplist(z) => {
                for _ in start..=end {
                    let Some((m, _)) = z.zsl.delete_at_rank(start + 1) else {
                        break;
                    };
                    z.dict.remove(&m[..]);
                }
                z.dict.shrink_if_needed();
            }
        }
        end - start + 1
    }

    /// Removes and returns the lowest element, or the highest with `max` (ZPOPMIN/ZPOPMAX).
    pub fn pop(&mut self, max: bool) -> Option<(Box<[u8]>, f64)> {
        let rank = if max { self.len().checked_sub(1)? } else { 0 };
        match self {
            ZSet::Listpack(lp) => {
                let off = lp.seek(2 * rank)?;
                let (m, s, _) = lp_element_at(lp, off)?;
                let popped = (Box::from(m), s);
                lp.delete(off, 2);
                Some(popped)
            }
            ZSet::Skiplist(z) => {
                let (m, s) = z.zsl.delete_at_rank(rank + 1)?;
                z.dict.remove(&m[..]);
                z.dict.shrink_if_needed();
                Some((Box::from(&m[..]), s))
            }
        }
    }

    /// A random element (ZRANDMEMBER), uniformly by rank.
    pub fn random(&self, rand: u64) -> Option<(&[u8], f64)> {
        if self.is_empty() {
            return None;
        }
        self.by_rank((rand % self.len() as u64) as usize)
    }

    /// A sampler for many [`ZSet::by_rank`] / [`ZSet::random`] reads (ZRANDMEMBER with a
    /// count).
    pub fn sampler(&self) -> ZSampler<'_> {
        ZSampler {
            zset: self,
            offsets: match self {
                ZSet::Listpack(lp) => lp.offsets(2),
                ZSet::Skiplist(_) => Vec::new(),
            },
        }
    }
}

/// Reads elements of one set by rank, as often as asked. A listpack's member offsets are
/// gathered once, so a read decodes one element instead of walking the buffer to it
/// (`ZRANDMEMBER key -1000000` on a 128-member set: 0.64 s with walks, 0.03 s like this);
/// a skiplist is read by rank directly.
pub struct ZSampler<'a> {
    zset: &'a ZSet,
    /// The offsets of a listpack's member entries; empty for a skiplist.
    offsets: Vec<usize>,
}

impl<'a> ZSampler<'a> {
    /// The element at ascending `rank`.
    pub fn at(&self, rank: usize) -> Option<(&'a [u8], f64)> {
        match self.zset {
            ZSet::Listpack(lp) => {
                let (m, s, _) = lp_element_at(lp, *self.offsets.get(rank)?)?;
                Some((m, s))
            }
            ZSet::Skiplist(_) => self.zset.by_rank(rank),
        }
    }

    /// A random element, as [`ZSet::random`] draws it.
    pub fn pick(&self, rand: u64) -> Option<(&'a [u8], f64)> {
        let len = self.zset.len();
        if len == 0 {
            return None;
        }
        self.at((rand % len as u64) as usize)
    }
}

/// Where a [`ZIter`] stands.
enum Cursor {
    /// Going up: the offset of the next member entry.
    Listpack(Option<usize>),
    /// Going down: the offsets of the member entries still to give, the next one last.
    ListpackDown(Vec<usize>),
    Skiplist(u32),
}

/// An iterator over elements in rank order, up or down (Redis walks `level[0].forward` or
/// `backward` the same way).
pub struct ZIter<'a> {
    zset: &'a ZSet,
    cursor: Cursor,
    reverse: bool,
}

impl<'a> Iterator for ZIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        match (&mut self.cursor, self.zset) {
            (Cursor::Listpack(at), ZSet::Listpack(lp)) => {
                let (m, s, next) = lp_element_at(lp, (*at)?)?;
                *at = Some(next);
                Some((m, s))
            }
            (Cursor::ListpackDown(offsets), ZSet::Listpack(lp)) => {
                let (m, s, _) = lp_element_at(lp, offsets.pop()?)?;
                Some((m, s))
            }
            (Cursor::Skiplist(x), ZSet::Skiplist(z)) => {
                if *x == NIL {
                    return None;
                }
                let cur = *x;
                *x = if self.reverse {
                    z.zsl.backward(cur)
                } else {
                    z.zsl.fwd(cur, 0)
                };
                Some(z.zsl.element(cur))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Rng;

    impl SkipList {
        /// Checks every invariant: order, backward links, tail, spans at every level.
        fn check(&self) {
            let mut order = Vec::new();
            let mut x = self.fwd(HEADER, 0);
            let mut prev = NIL;
            while x != NIL {
                assert_eq!(self.backward(x), prev);
                order.push(x);
                prev = x;
                x = self.fwd(x, 0);
            }
            assert_eq!(self.tail, prev);
            assert_eq!(order.len(), self.len);
            for w in order.windows(2) {
                let (a, b) = (self.element(w[0]), self.element(w[1]));
                assert_eq!(cmp_elements(a.1, a.0, b.1, b.0), Ordering::Less);
            }
            let pos: std::collections::HashMap<u32, usize> =
                order.iter().enumerate().map(|(i, &n)| (n, i + 1)).collect();
            for lvl in 0..MAX_LEVEL {
                let mut x = HEADER;
                let mut at = 0usize;
                loop {
                    if lvl >= self.levels_of(x) {
                        break;
                    }
                    let l = self.link(x, lvl);
                    if l.forward != NIL {
                        assert_eq!(l.score, self.score_of(l.forward), "cached score");
                    }
                    if l.forward == NIL {
                        if lvl < self.level {
                            assert_eq!(at + l.span as usize, self.len, "tail span at {lvl}");
                        }
                        break;
                    }
                    let target = pos[&l.forward];
                    assert_eq!(at + l.span as usize, target, "span at level {lvl}");
                    at = target;
                    x = l.forward;
                }
                if lvl >= self.level {
                    assert_eq!(self.fwd(HEADER, lvl), NIL);
                }
            }
        }
    }

    fn model_sorted(model: &std::collections::BTreeMap<Vec<u8>, f64>) -> Vec<(Vec<u8>, f64)> {
        let mut v: Vec<(Vec<u8>, f64)> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
        v.sort_by(|a, b| cmp_elements(a.1, &a.0, b.1, &b.0));
        v
    }

    #[test]
    fn skiplist_matches_a_model_under_random_operations() {
        let mut rng = Rng::new(42);
        let mut z = ZSet::Skiplist(Box::default());
        let mut model = std::collections::BTreeMap::new();
        for step in 0..12_000 {
            let member = format!("m{}", rng.below(600)).into_bytes();
            let score = (rng.below(50) as f64) - 25.0;
            match rng.below(4) {
                0 | 1 => {
                    z.add(score, &member, AddFlags::default(), ZsetLimits::DEFAULT);
                    model.insert(member.clone(), score);
                }
                2 => {
                    if rng.below(8) == 0 {
                        let max = rng.below(2) == 0;
                        let sorted = model_sorted(&model);
                        let expect = if max { sorted.last() } else { sorted.first() };
                        let got = z.pop(max);
                        assert_eq!(got.as_ref().map(|(m, s)| (m.to_vec(), *s)), expect.cloned());
                        if let Some((m, _)) = got {
                            model.remove(&m[..]);
                        }
                    } else if rng.below(8) == 0 && !model.is_empty() {
                        let sorted = model_sorted(&model);
                        let start = rng.below(sorted.len() as u64) as usize;
                        let end = (start + rng.below(4) as usize).min(sorted.len() - 1);
                        assert_eq!(z.delete_rank_range(start, end), end - start + 1);
                        for (m, _) in &sorted[start..=end] {
                            model.remove(m);
                        }
                    } else {
                        assert_eq!(z.remove(&member), model.remove(&member).is_some());
                    }
                }
                _ => {
                    let flags = AddFlags {
                        incr: true,
                        ..Default::default()
                    };
                    z.add(score, &member, flags, ZsetLimits::DEFAULT);
                    *model.entry(member.clone()).or_insert(0.0) += score;
                }
            }
            if step % 500 == 0 || step == 11_999 {
                let ZSet::Skiplist(sl) = &z else { panic!() };
                sl.zsl.check();
                let sorted = model_sorted(&model);
                let got: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
                assert_eq!(got, sorted);
                for (i, (m, s)) in sorted.iter().enumerate() {
                    assert_eq!(z.rank(m, false), Some(i));
                    assert_eq!(z.rank(m, true), Some(sorted.len() - 1 - i));
                    assert_eq!(z.score(m), Some(*s));
                    assert_eq!(z.by_rank(i).map(|(m, _)| m.to_vec()), Some(m.clone()));
                }
                let rev: Vec<Vec<u8>> = z
                    .iter_from(sorted.len().saturating_sub(1), true)
                    .map(|(m, _)| m.to_vec())
                    .collect();
                let mut expect: Vec<Vec<u8>> = sorted.iter().map(|e| e.0.clone()).collect();
                expect.reverse();
                assert_eq!(rev, expect);
                // Score ranges against a filter of the model.
                let range = ScoreRange {
                    min: -3.0,
                    max: 7.0,
                    minex: true,
                    maxex: false,
                };
                let inr: Vec<usize> = (0..sorted.len())
                    .filter(|&i| range.gte_min(sorted[i].1) && range.lte_max(sorted[i].1))
                    .collect();
                assert_eq!(z.first_in_score_range(&range), inr.first().copied());
                assert_eq!(z.last_in_score_range(&range), inr.last().copied());
            }
        }
    }

    #[test]
    fn listpack_converts_one_way_and_keeps_order() {
        let limits = ZsetLimits {
            max_entries: 4,
            max_value: 8,
        };
        let mut z = ZSet::with_hint(1, 1, limits);
        for (i, m) in [&b"d"[..], b"c", b"b", b"a"].iter().enumerate() {
            z.add(i as f64, m, AddFlags::default(), limits);
        }
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(z.by_rank(0), Some((&b"d"[..], 0.0)));
        z.add(1.5, b"e", AddFlags::default(), limits);
        assert_eq!(z.encoding(), "skiplist");
        let got: Vec<&[u8]> = z.iter().map(|(m, _)| m).collect();
        assert_eq!(got, [&b"d"[..], b"c", b"e", b"b", b"a"]);
        z.remove(b"e");
        assert_eq!(z.encoding(), "skiplist");
        z.convert_to_listpack_if_needed(limits);
        assert_eq!(z.encoding(), "listpack");
        let mut long = ZSet::with_hint(1, 1, limits);
        long.add(1.0, b"123456789", AddFlags::default(), limits);
        assert_eq!(long.encoding(), "skiplist");
    }

    #[test]
    fn negative_zero_is_zero_in_a_listpack_only() {
        let mut lp = ZSet::with_hint(1, 1, ZsetLimits::DEFAULT);
        lp.add(-0.0, b"a", AddFlags::default(), ZsetLimits::DEFAULT);
        assert!(lp.score(b"a").is_some_and(|s| s.is_sign_positive()));
        let mut sl = ZSet::Skiplist(Box::default());
        sl.add(-0.0, b"a", AddFlags::default(), ZsetLimits::DEFAULT);
        assert!(sl.score(b"a").is_some_and(|s| s.is_sign_negative()));
    }

    #[test]
    fn lex_ranges() {
        let mut z = ZSet::with_hint(1, 1, ZsetLimits::DEFAULT);
        for m in [&b"a"[..], b"b", b"c", b"d"] {
            z.add(0.0, m, AddFlags::default(), ZsetLimits::DEFAULT);
        }
        let r = LexRange {
            min: LexBound::Excl(b"a".to_vec()),
            max: LexBound::Incl(b"c".to_vec()),
        };
        assert_eq!(z.first_in_lex_range(&r), Some(1));
        assert_eq!(z.last_in_lex_range(&r), Some(2));
        z.convert_to_skiplist();
        assert_eq!(z.first_in_lex_range(&r), Some(1));
        assert_eq!(z.last_in_lex_range(&r), Some(2));
        let empty = LexRange {
            min: LexBound::Excl(b"b".to_vec()),
            max: LexBound::Incl(b"b".to_vec()),
        };
        assert!(empty.is_empty());
        assert_eq!(z.delete_rank_range(1, 2), 2);
        let left: Vec<&[u8]> = z.iter().map(|(m, _)| m).collect();
        assert_eq!(left, [&b"a"[..], b"d"]);
    }

    /// Every score comes back from a listpack bit for bit (but `-0`, stored as `0` as Redis
    /// does), and takes at most 9 bytes.
    #[test]
    fn listpack_scores_round_trip_exactly() {
        use crate::types::listpack::{decode, Encoded, Framing};
        let mut rng = Rng::new(0x5c0e);
        let mut scores = vec![
            0.0,
            1.0,
            -1.0,
            127.0,
            128.0,
            1.5,
            0.1,
            -0.1,
            1e-7,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            9_223_372_036_854_775_807.0,
            -9_223_372_036_854_775_808.0,
            9_007_199_254_740_993.0,
            1234567.5,
            12345678.5,
        ];
        for _ in 0..10_000 {
            let s = f64::from_bits(rng.next_u64());
            if !s.is_nan() {
                scores.push(s);
            }
            scores.push(rng.below(1 << 20) as f64 / 1024.0 - 512.0);
        }
        for score in scores {
            let score = listpack_score(score);
            let mut buf = ScoreBuf::default();
            let entry = score_entry(score, &mut buf);
            let enc = Encoded::new(entry);
            let mut bytes = vec![0u8; enc.len(Framing::Forward)];
            enc.write(&mut bytes, Framing::Forward);
            assert!(bytes.len() <= 9, "{score}: {} bytes", bytes.len());
            let back = entry_score(decode(&bytes, Framing::Forward).0);
            assert_eq!(back.to_bits(), score.to_bits(), "{score}");
        }
    }

    #[test]
    fn zset_fits_inline_in_a_value() {
        assert_eq!(std::mem::size_of::<ZSet>(), 24);
    }

    /// Random ZADD (with INCR) / ZREM / ZPOP on a listpack set against a sorted model, every
    /// read checked both ways.
    #[test]
    fn listpack_matches_sorted_model() {
        let mut rng = Rng::new(0x2e7);
        let limits = ZsetLimits {
            max_entries: 1000,
            max_value: 64,
        };
        let mut z = ZSet::with_hint(1, 1, limits);
        let mut model: Vec<(Vec<u8>, f64)> = Vec::new();
        for step in 0..3000 {
            let member = match rng.below(3) {
                0 => rng.below(50).to_string().into_bytes(),
                1 => format!("m{}", rng.below(50)).into_bytes(),
                _ => format!("0{}", rng.below(5)).into_bytes(),
            };
            let score = match rng.below(3) {
                0 => rng.below(20) as f64,
                1 => rng.below(1000) as f64 / 8.0 - 60.0,
                _ => f64::from_bits(rng.next_u64() & !(0x7ff << 52) | (0x3ff << 52)),
            };
            match rng.below(5) {
                0 | 1 => {
                    z.add(score, &member, AddFlags::default(), limits);
                    model.retain(|(m, _)| *m != member);
                    model.push((member.clone(), score));
                }
                2 => {
                    let flags = AddFlags {
                        incr: true,
                        ..AddFlags::default()
                    };
                    let got = z.add(score, &member, flags, limits);
                    let new = model
                        .iter()
                        .find(|(m, _)| *m == member)
                        .map_or(score, |(_, s)| s + score);
                    assert_eq!(got.map(|(_, s)| s), Some(new));
                    model.retain(|(m, _)| *m != member);
                    model.push((member.clone(), new));
                }
                3 => {
                    let had = model.iter().any(|(m, _)| *m == member);
                    assert_eq!(z.remove(&member), had);
                    model.retain(|(m, _)| *m != member);
                }
                _ if !model.is_empty() => {
                    let max = rng.below(2) == 0;
                    model.sort_by(|a, b| cmp_elements(a.1, &a.0, b.1, &b.0));
                    let want = if max {
                        model.pop()
                    } else {
                        Some(model.remove(0))
                    };
                    let got = z.pop(max).map(|(m, s)| (m.to_vec(), s));
                    assert_eq!(got, want);
                }
                _ => {}
            }
            model.sort_by(|a, b| cmp_elements(a.1, &a.0, b.1, &b.0));
            assert_eq!(z.encoding(), "listpack");
            assert_eq!(z.len(), model.len());
            let up: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
            assert_eq!(up, model, "step {step}");
            if !model.is_empty() {
                let r = rng.below(model.len() as u64) as usize;
                let down: Vec<(Vec<u8>, f64)> =
                    z.iter_from(r, true).map(|(m, s)| (m.to_vec(), s)).collect();
                let want: Vec<_> = model[..=r].iter().rev().cloned().collect();
                assert_eq!(down, want);
                let (m, s) = &model[r];
                assert_eq!(z.rank(m, false), Some(r));
                assert_eq!(z.score(m), Some(*s));
                assert_eq!(z.by_rank(r), Some((&m[..], *s)));
            }
        }
    }
}
