//! The keyspace hash table: a chained hash table with two tables and
//! incremental rehashing (the idea behind Redis's `dict.c`, written afresh).
//!
//! A `std::collections::HashMap` resizes all at once: when it doubles at
//! 10M keys it rehashes every entry inside a single `insert`, which would
//! freeze the single-threaded event loop for seconds. `Dict` instead moves
//! the old table into the new one a bucket at a time, piggy-backing one
//! step on each write and spending a bounded slice of every cron tick on
//! the rest, so no single command pays for a resize.

use foldhash::fast::RandomState;
use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::iter;
use std::mem;
use std::time::{Duration, Instant};

/// Size, in buckets, of the first table allocated on the first insert.
/// Also the floor for shrinking: below it a resize saves nothing.
const INITIAL_SIZE: usize = 4;

/// Shrink once fewer than this percentage of buckets are in use (Redis's
/// `HASHTABLE_MIN_FILL`). Ten percent leaves a wide hysteresis gap against
/// the grow threshold (as many entries as buckets), so a dict hovering
/// around one size does not flap between growing and shrinking.
const MIN_FILL_PERCENT: usize = 10;

/// Per rehash step, how many empty buckets (times the number of steps asked
/// for) may be skipped before giving up until the next step. A sparse table
/// (say right after a mass delete) could otherwise make one "step" walk
/// millions of empty buckets: exactly the stall this type exists to avoid.
const EMPTY_VISITS_PER_STEP: usize = 10;

/// Per rehash step, how many buckets of a new table are initialised before
/// entries start moving into it. Writing a whole 16M-bucket table (128 MiB)
/// in one go measured 65-360 ms — page faults plus the writes — so it is
/// spread over steps like the moves are. 64 buckets is 512 bytes: every
/// eighth step touches a new page. Larger slices (1024 was tried) finish the
/// fill within a few hundred writes, which puts all of its page faults into
/// one batch of pipelined commands: a 20-45 ms pause at each doubling past 1M
/// keys. The price of small slices is that the old table keeps taking new
/// keys a little longer: about 1% over its load limit at any size.
const FILL_BUCKETS_PER_STEP: usize = 64;

/// Entries per bucket past which a table grows even while growing is held back (Redis's
/// `dict_force_resize_ratio`): chains that long would make every lookup slow.
const FORCE_RESIZE_RATIO: usize = 5;

/// Steps per batch in [`Dict::rehash_for`] between clock reads: reading the
/// clock per bucket would cost more than moving it.
const CRON_STEPS_PER_BATCH: usize = 100;

/// One bucket's chain: a singly linked list of boxed entries, newest first.
type Chain<K, V> = Option<Box<Entry<K, V>>>;

/// One key/value pair. No cached hash, no back pointer: at 10M+ keys every
/// word per entry is tens of megabytes, so the hash is recomputed when the
/// entry moves during a rehash instead of being stored.
struct Entry<K, V> {
    key: K,
    value: V,
    /// The rest of the bucket's chain.
    next: Chain<K, V>,
}

/// Frees a chain one entry at a time. Letting `Box` drop it would recurse
/// once per entry (each entry drops its `next`), and a long chain — a
/// flood of colliding keys — would overflow the stack.
fn free_chain<K, V>(mut chain: Chain<K, V>) {
    while let Some(mut entry) = chain {
        chain = entry.next.take();
    }
}

/// Walks a chain front to back.
fn chain_iter<K, V>(chain: &Chain<K, V>) -> impl Iterator<Item = &Entry<K, V>> {
    iter::successors(chain.as_deref(), |entry| entry.next.as_deref())
}

/// Finds the value for `key` in one chain, mutably.
fn chain_find_mut<'a, K, V, Q>(mut link: &'a mut Chain<K, V>, key: &Q) -> Option<&'a mut V>
where
    K: Borrow<Q>,
    Q: ?Sized + Eq,
{
    while let Some(entry) = link {
        if entry.key.borrow() == key {
            return Some(&mut entry.value);
        }
        link = &mut entry.next;
    }
    None
}

/// Unlinks and returns the entry for `key` from one chain.
fn chain_remove<K, V, Q>(mut link: &mut Chain<K, V>, key: &Q) -> Option<Box<Entry<K, V>>>
where
    K: Borrow<Q>,
    Q: ?Sized + Eq,
{
    // Walk `link` to the slot that points at the matching entry, then
    // splice that entry out by replacing the slot with the entry's `next`.
    loop {
        match link {
            None => return None,
            Some(entry) if entry.key.borrow() == key => break,
            Some(entry) => link = &mut entry.next,
        }
    }
    let mut removed = link.take()?;
    *link = removed.next.take();
    Some(removed)
}

/// The one place keys are hashed. Operations hash their key once; a rehash
/// step hashes each entry it moves. foldhash instead of std's SipHash: several
/// times faster on short keys, and each dict gets its own random seed, so an
/// attacker cannot precompute keys that collide.
fn hash_key<Q: ?Sized + Hash>(state: &RandomState, key: &Q) -> u64 {
    state.hash_one(key)
}

/// Advances a SCAN cursor to the next bucket of a table with `mask`, in
/// Redis's reverse-binary order: the cursor's bits are incremented from the
/// highest masked bit downwards. Setting the bits outside the mask first
/// makes the carry run straight through them, so the result stays within
/// the mask and wraps to 0 after the last bucket. Visiting buckets
/// high-bit-first is what keeps a scan complete across resizes: a bucket of
/// a size-n table expands to the buckets of a size-2n table that share its
/// low bits, and those are all visited before the cursor moves on.
fn next_cursor(cursor: u64, mask: u64) -> u64 {
    (cursor | !mask)
        .reverse_bits()
        .wrapping_add(1)
        .reverse_bits()
}

/// One bucket array with its entry count.
struct Table<K, V> {
    /// Number of buckets the table hashes over: 0 (nothing allocated) or a
    /// power of two, so `hash & (size - 1)` selects a bucket. Every entry
    /// sits in the bucket its hash selects.
    size: usize,
    /// Bucket heads; `slots.len() == size` except in the two tables of a
    /// rehash. A rehash source is emptied from the top down and each moved
    /// bucket is popped, so indices at or past `slots.len()` hold nothing
    /// and the emptied array is freed without walking it. A rehash
    /// destination is allocated (untouched) at full capacity and filled
    /// [`FILL_BUCKETS_PER_STEP`] at a time; it holds no entries until full.
    slots: Vec<Chain<K, V>>,
    /// Number of entries reachable from `slots`.
    used: usize,
}

impl<K, V> Table<K, V> {
    /// A table of `size` buckets, of which the first `filled` are
    /// initialised. `with_capacity` only reserves address space, so the
    /// unfilled rest costs no page faults yet.
    fn with_size(size: usize, filled: usize) -> Self {
        debug_assert!(size.is_power_of_two());
        let mut slots = Vec::with_capacity(size);
        slots.resize_with(filled.min(size), || None);
        Table {
            size,
            slots,
            used: 0,
        }
    }

    /// Whether every bucket is initialised (so entries may be added).
    fn is_filled(&self) -> bool {
        self.slots.len() == self.size
    }

    /// Initialises up to `count` more buckets; never reallocates, as the
    /// capacity was reserved up front.
    fn fill(&mut self, count: usize) {
        let filled = (self.slots.len() + count).min(self.size);
        self.slots.resize_with(filled, || None);
    }

    /// The bucket index for `hash`; only meaningful once allocated.
    fn slot_of(&self, hash: u64) -> usize {
        // Truncating the hash on 32-bit targets is fine: only the low bits
        // under the mask are used.
        hash as usize & self.size.wrapping_sub(1)
    }

    /// The chain `hash` selects, or `None` if this table cannot hold it
    /// (empty, or the bucket was already moved out by a rehash).
    fn chain(&self, hash: u64) -> Option<&Chain<K, V>> {
        if self.used == 0 {
            return None;
        }
        self.slots.get(self.slot_of(hash))
    }

    fn chain_mut(&mut self, hash: u64) -> Option<&mut Chain<K, V>> {
        if self.used == 0 {
            return None;
        }
        let index = self.slot_of(hash);
        self.slots.get_mut(index)
    }

    /// Adds a new entry; the caller guarantees the key is absent and the
    /// table filled.
    fn push_front(&mut self, hash: u64, key: K, value: V) {
        let index = self.slot_of(hash);
        let slot = &mut self.slots[index];
        let next = slot.take();
        *slot = Some(Box::new(Entry { key, value, next }));
        self.used += 1;
    }
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            size: 0,
            slots: Vec::new(),
            used: 0,
        }
    }
}

impl<K, V> Drop for Table<K, V> {
    fn drop(&mut self) {
        if self.used == 0 {
            return;
        }
        for slot in &mut self.slots {
            free_chain(slot.take());
        }
    }
}

/// A hash map from `K` to `V` that grows and shrinks incrementally.
///
/// It owns its keys and values. The server holds one per database for the
/// keyspace and one for the expires table (both inside `Db`); a `Dict`
/// lives as long as its `Db` and dies with it (or is emptied in place by
/// `clear` on FLUSHDB/FLUSHALL). Only the event loop thread touches it, so
/// there is no locking.
///
/// Resizing never happens inside one call. It is needed because a
/// `std::collections::HashMap` rehashes everything in the `insert` that
/// crosses its load limit, which at 10M keys stalls the event loop for
/// seconds. Here growing or shrinking starts a rehash into a second table,
/// and entries move across a bucket at a time — one step per `insert`,
/// `remove` and `get_mut`, plus whatever the server cron spends in
/// [`Dict::rehash_for`]. While rehashing, lookups search both tables and
/// new entries go to the new one.
///
/// Keys are hashed with foldhash under a random seed chosen per `Dict`, so
/// clients cannot pick keys that all collide (hash flooding).
pub struct Dict<K, V> {
    /// `tables[0]` is the table in use. `tables[1]` is allocated (size
    /// non-zero) exactly while rehashing: it is the destination, the
    /// source being `tables[0]`.
    tables: [Table<K, V>; 2],
    /// This dict's random hash seed.
    hasher: RandomState,
    /// Whether a full table starts growing (Redis's `dict_can_resize`). Off while a child
    /// process shares the server's memory: a rehash rewrites every entry's chain link, which
    /// would copy nearly every page of the table's entries for the child's sake. Past
    /// [`FORCE_RESIZE_RATIO`] it grows anyway.
    resize_allowed: bool,
}

impl<K: Hash + Eq, V> Dict<K, V> {
    /// An empty dict. Allocates nothing until the first insert: an idle
    /// database must not cost memory.
    pub fn new() -> Self {
        Dict {
            tables: [Table::default(), Table::default()],
            hasher: RandomState::default(),
            resize_allowed: true,
        }
    }

    /// Sizes an empty dict for `n` entries at once (Redis's dictExpand, which loading does on
    /// an RDB file's RESIZEDB), so a load does not rehash its way up through every doubling.
    /// A dict that holds anything is left alone.
    pub fn expand_for(&mut self, n: usize) {
        if self.is_empty() && !self.is_rehashing() && n > INITIAL_SIZE {
            let size = n.next_power_of_two();
            self.tables[0] = Table::with_size(size, size);
        }
    }

    /// Allows or holds back growing (see `Dict::resize_allowed`); a rehash already under way
    /// goes on either way.
    pub fn set_resize_allowed(&mut self, allowed: bool) {
        self.resize_allowed = allowed;
    }

    /// Bytes the table itself holds, not counting what keys and values own beyond their
    /// inline size: the bucket arrays and one allocation per entry, in allocator size
    /// classes (MEMORY STATS' overhead.hashtable.*, Redis's dictSlots * pointer + dictSize *
    /// entry).
    pub fn overhead_bytes(&self) -> usize {
        let buckets: usize = self.tables.iter().map(|t| t.slots.capacity()).sum();
        let entry = crate::zmalloc::usable_size(std::alloc::Layout::new::<Entry<K, V>>());
        buckets * std::mem::size_of::<Chain<K, V>>() + self.len() * entry
    }

    /// Bytes one more entry costs the table: its allocation and, at a load factor of one,
    /// a bucket pointer (MEMORY USAGE's share of the table for one key).
    pub fn entry_overhead() -> usize {
        crate::zmalloc::usable_size(std::alloc::Layout::new::<Entry<K, V>>())
            + std::mem::size_of::<Chain<K, V>>()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a resize is under way.
    pub fn is_rehashing(&self) -> bool {
        self.tables[1].size != 0
    }

    /// Total buckets of both tables (the destination counts in full from
    /// the start of a rehash, the source until it ends).
    pub fn buckets(&self) -> usize {
        self.tables[0].size + self.tables[1].size
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.get_key_value(key).map(|(_, value)| value)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.get_key_value(key).is_some()
    }

    /// The stored key and its value. Takes `&self`, so unlike the `&mut`
    /// operations it cannot advance a rehash.
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        let hash = hash_key(&self.hasher, key);
        self.tables
            .iter()
            .filter_map(|table| table.chain(hash))
            .flat_map(chain_iter)
            .find(|entry| entry.key.borrow() == key)
            .map(|entry| (&entry.key, &entry.value))
    }

    /// Mutable access to a value; advances a rehash in progress by a step.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        let hash = hash_key(&self.hasher, key);
        self.rehash(1);
        self.find_mut(hash, key)
    }

    /// Inserts or replaces. For an existing key the stored key is kept, the
    /// value replaced, and the old value returned.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = hash_key(&self.hasher, &key);
        self.rehash(1);
        if let Some(slot) = self.find_mut(hash, &key) {
            return Some(mem::replace(slot, value));
        }
        self.grow_if_needed();
        // Once entries are moving, new ones go to the destination so the
        // source only ever drains and the rehash is sure to finish. Until
        // the destination is filled they go to the source (a few thousand
        // at most past its load limit, which costs nothing noticeable).
        let target = if self.tables[1].size != 0 && self.tables[1].is_filled() {
            1
        } else {
            0
        };
        self.tables[target].push_front(hash, key, value);
        None
    }

    /// Removes the entry for `key`, returning the stored key and value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        let hash = hash_key(&self.hasher, key);
        self.rehash(1);
        for table in &mut self.tables {
            let Some(chain) = table.chain_mut(hash) else {
                continue;
            };
            if let Some(entry) = chain_remove(chain, key) {
                table.used -= 1;
                let Entry { key, value, .. } = *entry;
                return Some((key, value));
            }
        }
        None
    }

    /// Keeps only the entries for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        for table in &mut self.tables {
            if table.used == 0 {
                continue;
            }
            for slot in &mut table.slots {
                // Rebuild each chain from the survivors; order within a
                // chain carries no meaning.
                let mut rest = slot.take();
                while let Some(mut entry) = rest {
                    rest = entry.next.take();
                    if keep(&entry.key, &mut entry.value) {
                        entry.next = slot.take();
                        *slot = Some(entry);
                    } else {
                        table.used -= 1;
                    }
                }
            }
        }
    }

    /// Drops every entry and frees both tables.
    pub fn clear(&mut self) {
        // Assigning drops the old tables, whose `Drop` frees chains
        // iteratively.
        self.tables = [Table::default(), Table::default()];
    }

    /// A uniformly chosen non-empty bucket, then a uniformly chosen entry of
    /// its chain (so entries in long chains are somewhat under-sampled, as
    /// in Redis's `dictGetRandomKey`). `rand` supplies random 64-bit words.
    /// Used by RANDOMKEY and random eviction.
    pub fn random_entry(&self, rand: &mut impl FnMut() -> u64) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        // Sample the buckets of both tables as one sequence. Buckets a
        // rehash already moved were popped off the source, and those of an
        // unfilled destination do not exist yet: neither can hold entries,
        // so neither is sampled. Terminates because the dict is non-empty.
        let [first, second] = &self.tables;
        let span = (first.slots.len() + second.slots.len()) as u64;
        let head = loop {
            let pick = (rand() % span) as usize;
            let slot = match pick.checked_sub(first.slots.len()) {
                Some(in_second) => &second.slots[in_second],
                None => &first.slots[pick],
            };
            if slot.is_some() {
                break slot;
            }
        };
        let chain_len = chain_iter(head).count() as u64;
        let pick = (rand() % chain_len) as usize;
        chain_iter(head)
            .nth(pick)
            .map(|entry| (&entry.key, &entry.value))
    }

    /// One step of a SCAN: visits one bucket and returns the next cursor.
    /// Start with 0; a returned 0 means the iteration is complete.
    ///
    /// Guarantee (Redis's): an entry present from the first call to the last
    /// is reported at least once, even if the dict grew, shrank or was
    /// mid-rehash between calls; entries may be reported more than once.
    /// The cursor counts in reverse binary over the smaller table's mask and,
    /// while rehashing, the bucket's expansions in the larger table are
    /// visited in the same call — see [`next_cursor`].
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&K, &V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        // Buckets a rehash has popped or not yet filled hold nothing, so
        // `get` returning `None` for them is the truth, not an error.
        let mut emit = |table: &Table<K, V>, cursor: u64| {
            let index = (cursor & (table.size as u64 - 1)) as usize;
            if let Some(chain) = table.slots.get(index) {
                for entry in chain_iter(chain) {
                    visit(&entry.key, &entry.value);
                }
            }
        };
        let [first, second] = &self.tables;
        if second.size == 0 {
            emit(first, cursor);
            return next_cursor(cursor, first.size as u64 - 1);
        }
        let (small, large) = if first.size <= second.size {
            (first, second)
        } else {
            (second, first)
        };
        let small_mask = small.size as u64 - 1;
        let large_mask = large.size as u64 - 1;
        emit(small, cursor);
        // Every bucket of the large table whose low bits equal this small
        // bucket's index: iterate the bits that only the large mask has.
        let mut cursor = cursor;
        loop {
            emit(large, cursor);
            cursor = next_cursor(cursor, large_mask);
            if cursor & (small_mask ^ large_mask) == 0 {
                return cursor;
            }
        }
    }

    /// All entries, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.tables
            .iter()
            .flat_map(|table| table.slots.iter())
            .flat_map(chain_iter)
            .map(|entry| (&entry.key, &entry.value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(key, _)| key)
    }

    /// Cron hook: rehashes in batches of 100 steps until done or `budget`
    /// is spent (checked between batches, so it may be overrun by one
    /// batch). Returns whether rehashing is still in progress.
    pub fn rehash_for(&mut self, budget: Duration) -> bool {
        if !self.is_rehashing() {
            return false;
        }
        let start = Instant::now();
        while self.rehash(CRON_STEPS_PER_BATCH) {
            if start.elapsed() >= budget {
                return true;
            }
        }
        false
    }

    /// Cron hook: after many deletions, starts shrinking to the smallest
    /// power of two that holds the entries (at least [`INITIAL_SIZE`]).
    /// Does nothing while a rehash is already running.
    pub fn shrink_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let Table { size, used, .. } = self.tables[0];
        if size > INITIAL_SIZE && used * 100 / size < MIN_FILL_PERCENT {
            let target = used.max(INITIAL_SIZE).next_power_of_two();
            if target < size {
                self.start_rehash(target);
            }
        }
    }

    /// Finds the value for `key` in whichever table holds it.
    fn find_mut<Q>(&mut self, hash: u64, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        for table in &mut self.tables {
            if let Some(value) = table.chain_mut(hash).and_then(|c| chain_find_mut(c, key)) {
                return Some(value);
            }
        }
        None
    }

    /// Called before adding an entry: allocates the first table, or starts
    /// doubling once there are as many entries as buckets (while growing is
    /// held back, once there are [`FORCE_RESIZE_RATIO`] times as many). Never
    /// while rehashing: the destination is already twice the source, and one
    /// step per write drains the source before the destination fills.
    fn grow_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let Table { size, used, .. } = self.tables[0];
        if size == 0 {
            self.tables[0] = Table::with_size(INITIAL_SIZE, INITIAL_SIZE);
        } else if used >= size && (self.resize_allowed || used / size > FORCE_RESIZE_RATIO) {
            self.start_rehash((used + 1).next_power_of_two());
        }
    }

    /// Allocates the destination table; small ones are filled at once.
    fn start_rehash(&mut self, size: usize) {
        self.tables[1] = Table::with_size(size, FILL_BUCKETS_PER_STEP);
    }

    /// Advances a rehash by `steps` steps, if one is running. While the
    /// destination is unfilled a step fills [`FILL_BUCKETS_PER_STEP`] of
    /// its buckets; after that a step moves one bucket's chain, taking
    /// buckets off the top of the source and skipping at most
    /// `steps * EMPTY_VISITS_PER_STEP` empty ones in total. When the source
    /// is drained the destination replaces it. Returns whether rehashing is
    /// still in progress.
    fn rehash(&mut self, steps: usize) -> bool {
        let [old, new] = &mut self.tables;
        if new.size == 0 {
            return false;
        }
        if !new.is_filled() {
            new.fill(steps * FILL_BUCKETS_PER_STEP);
            return true;
        }
        let mut moves_left = steps;
        let mut empty_visits_left = steps * EMPTY_VISITS_PER_STEP;
        while moves_left > 0 && old.used > 0 {
            match old.slots.pop() {
                // Cannot happen: `old.used > 0` means a bucket remains.
                None => break,
                Some(None) => {
                    empty_visits_left -= 1;
                    if empty_visits_left == 0 {
                        return true;
                    }
                }
                Some(mut chain) => {
                    while let Some(mut entry) = chain {
                        chain = entry.next.take();
                        let to = new.slot_of(hash_key(&self.hasher, &entry.key));
                        entry.next = new.slots[to].take();
                        new.slots[to] = Some(entry);
                        old.used -= 1;
                        new.used += 1;
                    }
                    moves_left -= 1;
                }
            }
        }
        if old.used > 0 {
            return true;
        }
        // Drained: the destination becomes the table in use. Dropping the
        // source frees its array; the buckets left in it are all empty.
        self.tables[0] = mem::take(&mut self.tables[1]);
        false
    }
}

/// Prefetching, for the batch prefetch of pipelined requests (`client::prefetch_pipelined_keys`).
/// A trait, so that one caller can serve dicts of different value types (the keyspace, a
/// set's members, a hash's fields).
///
/// Why: at a million keys a lookup waits twice for memory, for the bucket and then for the
/// entry it points to, and for GET that wait is most of the command. A batch of pipelined
/// requests knows its keys in advance, so the waits of all of them can overlap (every
/// bucket first, then every entry) instead of coming one after another.
pub trait Prefetch {
    /// Starts the CPU fetching the bucket `key` hashes to, in each table that may hold it,
    /// and returns the hash for [`Prefetch::prefetch_entry`]. Only a hint: nothing is read.
    fn prefetch_bucket(&self, key: &[u8]) -> u64;

    /// Starts the CPU fetching the first entry of the chain `hash` selects, the second step
    /// of [`Prefetch::prefetch_bucket`]: reads the bucket (which that call asked for), not
    /// the entry.
    fn prefetch_entry(&self, hash: u64);
}

impl<K: Hash + Eq + Borrow<[u8]>, V> Prefetch for Dict<K, V> {
    fn prefetch_bucket(&self, key: &[u8]) -> u64 {
        let hash = hash_key(&self.hasher, key);
        for table in &self.tables {
            if let Some(chain) = table.chain(hash) {
                crate::util::prefetch(chain);
            }
        }
        hash
    }

    fn prefetch_entry(&self, hash: u64) {
        for table in &self.tables {
            if let Some(Some(entry)) = table.chain(hash) {
                crate::util::prefetch::<Entry<K, V>>(&**entry);
            }
        }
    }
}

impl<K: Hash + Eq, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::hash::Hasher;

    /// xorshift64: enough randomness for tests, no dependencies.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// A key whose hash is constant, so every entry lands in one chain.
    #[derive(PartialEq, Eq, Debug)]
    struct Collide(u32);

    impl Hash for Collide {
        fn hash<H: Hasher>(&self, state: &mut H) {
            state.write_u8(0);
        }
    }

    /// Equality and hash by `id` only, so we can tell whether a replace kept
    /// the originally stored key.
    #[derive(Debug)]
    struct Tagged {
        id: u32,
        tag: &'static str,
    }

    impl PartialEq for Tagged {
        fn eq(&self, other: &Self) -> bool {
            self.id == other.id
        }
    }

    impl Eq for Tagged {}

    impl Hash for Tagged {
        fn hash<H: Hasher>(&self, state: &mut H) {
            self.id.hash(state);
        }
    }

    fn assert_same(dict: &Dict<u64, u64>, model: &HashMap<u64, u64>) {
        assert_eq!(dict.len(), model.len());
        let mut seen = HashMap::new();
        for (k, v) in dict.iter() {
            assert!(seen.insert(*k, *v).is_none(), "key {k} iterated twice");
        }
        assert_eq!(&seen, model);
        assert_eq!(dict.keys().count(), model.len());
        for (k, v) in model {
            assert_eq!(dict.get(k), Some(v));
        }
    }

    #[test]
    fn new_allocates_nothing() {
        let dict: Dict<u64, u64> = Dict::default();
        assert_eq!(dict.buckets(), 0);
        assert!(dict.is_empty());
        assert_eq!(dict.get(&1), None);
        assert_eq!(dict.scan(0, |_, _| panic!("empty")), 0);
        assert_eq!(dict.random_entry(&mut || 7), None);
        assert_eq!(dict.iter().count(), 0);
    }

    #[test]
    fn matches_hashmap_model_under_random_ops() {
        for seed in [1u64, 0x9e37_79b9_7f4a_7c15, 12345] {
            let mut rng = XorShift(seed);
            let mut dict: Dict<u64, u64> = Dict::new();
            let mut model: HashMap<u64, u64> = HashMap::new();
            let mut saw_rehashing = false;
            let mut saw_shrink = false;
            for op in 0..60_000u32 {
                // Three phases: mostly inserts (grow), mixed, mostly
                // removes (so the cron shrink kicks in).
                let (insert_pct, remove_pct) = match op {
                    0..=19_999 => (70, 15),
                    20_000..=39_999 => (40, 35),
                    _ => (5, 80),
                };
                let key = rng.below(4000);
                let roll = rng.below(100);
                if roll < insert_pct {
                    let value = rng.next();
                    assert_eq!(dict.insert(key, value), model.insert(key, value));
                } else if roll < insert_pct + remove_pct {
                    assert_eq!(dict.remove(&key), model.remove(&key).map(|v| (key, v)));
                } else if roll < insert_pct + remove_pct + 8 {
                    match (dict.get_mut(&key), model.get_mut(&key)) {
                        (Some(a), Some(b)) => {
                            *a += 1;
                            *b += 1;
                        }
                        (None, None) => {}
                        (a, b) => panic!("get_mut mismatch: {a:?} vs {b:?}"),
                    }
                } else {
                    assert_eq!(dict.get(&key), model.get(&key));
                    assert_eq!(dict.contains_key(&key), model.contains_key(&key));
                    assert_eq!(
                        dict.get_key_value(&key),
                        model.get_key_value(&key),
                        "get_key_value"
                    );
                }
                saw_rehashing |= dict.is_rehashing();
                assert_eq!(dict.len(), model.len());
                if op % 500 == 0 {
                    let before = dict.buckets();
                    dict.shrink_if_needed();
                    if dict.is_rehashing() && dict.buckets() > before {
                        saw_shrink = true;
                    }
                    dict.rehash_for(Duration::ZERO);
                }
                if op % 2000 == 0 {
                    assert_same(&dict, &model);
                }
            }
            assert_same(&dict, &model);
            assert!(saw_rehashing, "no rehash happened mid-way");
            assert!(saw_shrink, "no shrink happened");
        }
    }

    #[test]
    fn borrowed_lookups_with_string_keys() {
        let mut dict: Dict<String, usize> = Dict::new();
        for i in 0..1000 {
            assert_eq!(dict.insert(format!("key:{i}"), i), None);
        }
        assert_eq!(dict.get("key:42"), Some(&42));
        assert!(dict.contains_key("key:999"));
        assert!(!dict.contains_key("key:1000"));
        if let Some(v) = dict.get_mut("key:7") {
            *v = 70;
        }
        assert_eq!(dict.get("key:7"), Some(&70));
        assert_eq!(dict.remove("key:7"), Some(("key:7".to_string(), 70)));
        assert_eq!(dict.remove("key:7"), None);
        assert_eq!(dict.len(), 999);
    }

    #[test]
    fn replace_keeps_stored_key() {
        let mut dict = Dict::new();
        let tagged = |tag| Tagged { id: 1, tag };
        assert_eq!(dict.insert(tagged("first"), 10), None);
        assert_eq!(dict.insert(tagged("second"), 20), Some(10));
        assert_eq!(dict.len(), 1);
        let probe = tagged("probe");
        let (key, value) = dict.get_key_value(&probe).expect("present");
        assert_eq!((key.tag, *value), ("first", 20));
        let (key, value) = dict.remove(&probe).expect("present");
        assert_eq!((key.tag, value), ("first", 20));
    }

    #[test]
    fn grows_by_doubling_from_four() {
        let mut dict = Dict::new();
        dict.insert(0u64, 0u64);
        assert_eq!(dict.buckets(), INITIAL_SIZE);
        for i in 1..4 {
            dict.insert(i, i);
        }
        assert!(!dict.is_rehashing());
        // The fifth entry finds the table full and starts a rehash into 8.
        dict.insert(4, 4);
        assert!(dict.is_rehashing());
        assert_eq!(dict.buckets(), 4 + 8);
        assert!(!dict.rehash_for(Duration::from_secs(1)));
        assert_eq!(dict.buckets(), 8);
        for i in 0..5 {
            assert_eq!(dict.get(&i), Some(&i));
        }
    }

    #[test]
    fn held_back_growth_waits_for_the_force_ratio() {
        let mut dict = Dict::new();
        dict.set_resize_allowed(false);
        let limit = (INITIAL_SIZE * (FORCE_RESIZE_RATIO + 1)) as u64;
        for i in 0..limit {
            dict.insert(i, i);
        }
        assert!(!dict.is_rehashing());
        assert_eq!(dict.buckets(), INITIAL_SIZE);
        dict.insert(limit, limit);
        assert!(dict.is_rehashing(), "grows past the force ratio");
        assert!(!dict.rehash_for(Duration::from_secs(1)));
        dict.set_resize_allowed(true);
        for i in 0..=limit {
            assert_eq!(dict.get(&i), Some(&i));
        }
    }

    #[test]
    fn large_destination_is_filled_in_steps() {
        let mut dict = Dict::new();
        let mut i = 0u64;
        // Fill a table of 4 * FILL_BUCKETS_PER_STEP buckets to its limit.
        while dict.len() < 4 * FILL_BUCKETS_PER_STEP {
            dict.insert(i, i);
            i += 1;
        }
        dict.rehash_for(Duration::from_secs(1));
        assert!(!dict.is_rehashing());
        // The next insert starts a growth whose destination is not yet
        // filled: the new entry goes to the source table.
        dict.insert(i, i);
        i += 1;
        assert!(dict.is_rehashing());
        assert!(!dict.tables[1].is_filled());
        assert_eq!(dict.tables[1].used, 0);
        assert_eq!(dict.buckets(), 12 * FILL_BUCKETS_PER_STEP);
        // Each further write fills one more chunk, then moves start.
        let mut saw_moves = false;
        for _ in 0..20 {
            dict.insert(i, i);
            i += 1;
            saw_moves |= dict.tables[1].used > 0;
            for k in 0..i {
                assert_eq!(dict.get(&k), Some(&k));
            }
            let (mut cursor, mut seen) = (0, HashSet::new());
            loop {
                cursor = dict.scan(cursor, |k, _| {
                    seen.insert(*k);
                });
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(seen.len() as u64, i);
        }
        assert!(dict.tables[1].is_filled());
        assert!(saw_moves);
        assert!(!dict.rehash_for(Duration::from_secs(1)));
        assert_eq!(dict.buckets(), 8 * FILL_BUCKETS_PER_STEP);
        assert_eq!(dict.len() as u64, i);
    }

    #[test]
    fn retain_keeps_only_matching_entries() {
        let mut dict = Dict::new();
        for i in 0..10_000u64 {
            dict.insert(i, i);
        }
        assert!(dict.is_rehashing() || dict.len() == 10_000);
        dict.retain(|k, v| {
            *v += 1;
            k % 3 == 0
        });
        assert_eq!(dict.len(), 3334);
        for i in 0..10_000u64 {
            assert_eq!(dict.get(&i), (i % 3 == 0).then_some(&(i + 1)));
        }
        // The tables stay consistent: further operations still work.
        dict.rehash_for(Duration::from_secs(1));
        assert_eq!(dict.iter().count(), 3334);
    }

    #[test]
    fn rehash_for_completes_a_rehash() {
        let mut dict = Dict::new();
        let mut i = 0u64;
        // Stop right after a growth starts, with most buckets still to move.
        while !(dict.is_rehashing() && dict.len() > 50_000) {
            dict.insert(i, i);
            i += 1;
        }
        let size_before = dict.buckets();
        assert!(dict.rehash_for(Duration::ZERO), "one batch cannot finish");
        assert!(!dict.rehash_for(Duration::from_secs(10)));
        assert!(!dict.is_rehashing());
        assert!(dict.buckets() < size_before);
        assert!(dict.buckets().is_power_of_two());
        assert_eq!(dict.len() as u64, i);
        for k in 0..i {
            assert_eq!(dict.get(&k), Some(&k));
        }
        // Nothing to do now.
        assert!(!dict.rehash_for(Duration::from_secs(1)));
    }

    #[test]
    fn shrinks_after_mass_deletion() {
        let mut dict = Dict::new();
        for i in 0..100_000u64 {
            dict.insert(i, i);
        }
        dict.rehash_for(Duration::from_secs(10));
        let big = dict.buckets();
        assert!(big >= 100_000);
        for i in 0..99_000u64 {
            assert_eq!(dict.remove(&i), Some((i, i)));
        }
        dict.rehash_for(Duration::from_secs(10));
        assert_eq!(dict.buckets(), big, "deletes alone never shrink");
        dict.shrink_if_needed();
        assert!(dict.is_rehashing());
        // Lookups work mid-shrink.
        assert_eq!(dict.get(&99_500), Some(&99_500));
        assert!(!dict.rehash_for(Duration::from_secs(10)));
        assert_eq!(dict.buckets(), 1024);
        assert_eq!(dict.len(), 1000);
        for i in 99_000..100_000u64 {
            assert_eq!(dict.get(&i), Some(&i));
        }
        // Already compact: no further shrink.
        dict.shrink_if_needed();
        assert!(!dict.is_rehashing());

        // Emptied entirely, it shrinks back to the initial size.
        dict.retain(|_, _| false);
        dict.shrink_if_needed();
        assert!(!dict.rehash_for(Duration::from_secs(1)));
        assert_eq!(dict.buckets(), INITIAL_SIZE);
        dict.clear();
        assert_eq!(dict.buckets(), 0);
        assert!(dict.is_empty());
    }

    #[test]
    fn full_scan_returns_every_key() {
        for n in [1u64, 3, 4, 5, 100, 1000, 4097] {
            let mut dict = Dict::new();
            for i in 0..n {
                dict.insert(i, i);
            }
            let mut seen = HashSet::new();
            let mut cursor = 0;
            let mut calls = 0;
            loop {
                cursor = dict.scan(cursor, |k, v| {
                    assert_eq!(k, v);
                    seen.insert(*k);
                });
                calls += 1;
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(seen.len() as u64, n, "n={n}");
            // One bucket (plus expansions) per call: calls equal the small
            // table's bucket count.
            assert!(calls <= dict.buckets(), "n={n}: {calls} calls");
        }
    }

    #[test]
    fn scan_sees_stable_keys_across_grow_and_shrink() {
        for seed in [7u64, 99, 0xdead_beef] {
            let mut rng = XorShift(seed);
            let mut dict = Dict::new();
            let stable: Vec<u64> = (0..300).collect();
            for &k in &stable {
                dict.insert(k, ());
            }
            let mut volatile: Vec<u64> = (1000..1300).collect();
            for &k in &volatile {
                dict.insert(k, ());
            }
            let mut next_new = 1_000_000u64;
            let mut seen = HashSet::new();
            let mut cursor = 0;
            let mut calls = 0u32;
            let mut max_buckets = 0;
            let mut min_buckets_after_max = usize::MAX;
            let mut scanned_while_rehashing = false;
            loop {
                scanned_while_rehashing |= dict.is_rehashing();
                cursor = dict.scan(cursor, |k, _| {
                    seen.insert(*k);
                });
                if cursor == 0 {
                    break;
                }
                calls += 1;
                if calls < 40 {
                    // Growth: enough inserts to force several doublings,
                    // leaving rehashes half done between calls.
                    for _ in 0..rng.below(400) {
                        dict.insert(next_new, ());
                        volatile.push(next_new);
                        next_new += 1;
                    }
                } else {
                    // Shrink: drop nearly all volatile keys, then let the
                    // cron start a shrink and advance it only partially.
                    for _ in 0..rng.below(2000) {
                        if volatile.is_empty() {
                            break;
                        }
                        let i = rng.below(volatile.len() as u64) as usize;
                        let k = volatile.swap_remove(i);
                        assert!(dict.remove(&k).is_some());
                    }
                    dict.shrink_if_needed();
                    dict.rehash_for(Duration::ZERO);
                }
                max_buckets = max_buckets.max(dict.buckets());
                if calls >= 40 {
                    min_buckets_after_max = min_buckets_after_max.min(dict.buckets());
                }
            }
            for k in &stable {
                assert!(seen.contains(k), "seed {seed}: stable key {k} missed");
            }
            assert!(scanned_while_rehashing);
            assert!(max_buckets >= 8192, "did not grow: {max_buckets}");
            assert!(
                min_buckets_after_max < max_buckets / 8,
                "did not shrink: {min_buckets_after_max} vs {max_buckets}"
            );
        }
    }

    #[test]
    fn scan_mid_rehash_covers_everything() {
        let mut dict = Dict::new();
        let mut i = 0u64;
        // Stop with entries in both tables.
        while !(dict.tables[0].used > 0 && dict.tables[1].used > 0 && dict.len() > 1000) {
            dict.insert(i, ());
            i += 1;
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = dict.scan(cursor, |k, _| {
                seen.insert(*k);
            });
            if cursor == 0 {
                break;
            }
        }
        assert!(dict.is_rehashing());
        assert_eq!(seen.len() as u64, i);
    }

    #[test]
    fn random_entry_returns_existing_and_hits_every_key() {
        let mut rng = XorShift(42);
        let mut dict = Dict::new();
        for i in 0..20u64 {
            dict.insert(i, i * 10);
        }
        let mut hits = HashSet::new();
        for _ in 0..10_000 {
            let (k, v) = dict.random_entry(&mut || rng.next()).expect("non-empty");
            assert_eq!(dict.get(k), Some(v));
            hits.insert(*k);
        }
        assert_eq!(hits.len(), 20);

        // Also while rehashing, when entries are split over two tables.
        let mut dict = Dict::new();
        let mut i = 0u64;
        while !(dict.is_rehashing() && dict.len() > 64) {
            dict.insert(i, i);
            i += 1;
        }
        let mut hits = HashSet::new();
        for _ in 0..50_000 {
            let (k, v) = dict.random_entry(&mut || rng.next()).expect("non-empty");
            assert_eq!(k, v);
            hits.insert(*k);
        }
        assert!(dict.is_rehashing());
        assert_eq!(hits.len() as u64, i);
    }

    #[test]
    fn colliding_keys_work_through_the_public_api() {
        let mut dict = Dict::new();
        for i in 0..2000 {
            assert_eq!(dict.insert(Collide(i), i), None);
        }
        assert_eq!(dict.insert(Collide(5), 50), Some(5));
        for i in (0..2000).step_by(2) {
            assert!(dict.remove(&Collide(i)).is_some());
        }
        assert_eq!(dict.len(), 1000);
        assert_eq!(dict.get(&Collide(5)), Some(&50));
        assert_eq!(dict.get(&Collide(4)), None);
        dict.shrink_if_needed();
        dict.rehash_for(Duration::from_secs(10));
        assert_eq!(dict.iter().count(), 1000);
    }

    /// Builds one chain of `n` colliding entries directly (inserting them
    /// one by one would search the chain each time: quadratic).
    fn long_chain(n: u32) -> Dict<Collide, u32> {
        let mut dict = Dict::new();
        dict.insert(Collide(0), 0);
        let table = &mut dict.tables[0];
        let hash = hash_key(&dict.hasher, &Collide(0));
        for i in 1..n {
            table.push_front(hash, Collide(i), i);
        }
        dict
    }

    #[test]
    fn million_entry_chain_drops_without_recursion() {
        const N: u32 = 1_000_000;
        let dict = long_chain(N);
        assert_eq!(dict.len(), N as usize);
        // The first entry is at the tail: the whole chain is consistent.
        assert_eq!(dict.get(&Collide(0)), Some(&0));
        drop(dict);

        // Moved by a rehash, removed from, then cleared.
        let mut dict = long_chain(N);
        dict.insert(Collide(N), N);
        assert!(!dict.rehash_for(Duration::from_secs(60)));
        assert_eq!(dict.remove(&Collide(1)), Some((Collide(1), 1)));
        assert_eq!(dict.len(), N as usize);
        dict.clear();
        assert!(dict.is_empty());

        // Rebuilt by retain.
        let mut dict = long_chain(N);
        dict.retain(|k, _| k.0 % 2 == 0);
        assert_eq!(dict.len(), N as usize / 2);
    }
}
