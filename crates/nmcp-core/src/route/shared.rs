//! [`SharedTable`]: one route table shared by every thread of a process, read without a global lock.
//!
//! - **The table is an RCU snapshot.** Readers load the current `Arc<RouteTable>` from an [`ArcSwap`] (no lock, no
//!   contended write: arc-swap's load is a few uncontended atomics) and keep it for a whole batch of lookups. A writer
//!   takes the writer mutex (writers are serialised; readers never wait on it), clones the current table — cheap: the
//!   slot vectors and id indexes are copied, every server's route map is shared until the change touches it — applies
//!   its change, and swaps the new table in. A reader therefore sees the table before or after an update, never a
//!   partial one; [`SharedTable::update`] makes several changes one atomic step.
//! - **The cache is per handle.** The LRU/TTL cache is mutated by every lookup (recency, insertion), so one cache for all
//!   threads would need an exclusive lock per lookup, the very thing this avoids. Each [`SharedRouter`] (one per thread)
//!   keeps its own cache in front of the shared table; an entry is checked against the snapshot's generations exactly as
//!   [`super::Router`] checks its own, so a change is seen by every handle's next lookup, and a stale route is never
//!   used. The cost: each thread warms its own cache.
//! - **Stats are sharded.** Each handle counts lookups, hits, … and per-route messages in its own shard, behind a mutex
//!   that only its own thread takes on the hot path (once per batch, uncontended); [`SharedTable::stats`] and
//!   [`SharedTable::routes`] sum the shards (and what handles dropped so far left behind). No counter is written by two
//!   threads, so no cache line bounces between cores on a lookup.
//! - **The configuration is the table's.** [`SharedTable::update_config`] validates once and applies to every handle's
//!   cache at once (a lower cap evicts in each); handles made later start with it.
//!
//! [`publish`] / [`published`] / [`unpublish`] give a table a process-wide id by which another thread attaches: the
//! registry holds a weak reference, so an id never keeps a table alive, and unpublishing an id never frees a table a
//! handle still uses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};

use arc_swap::{ArcSwap, Guard};

use super::cache::RouteCache;
use super::config::{RouteConfig, RouteConfigUpdate};
use super::router::{apply_config, lookup_in};
use super::table::{Resolution, RouteEntry, RouteTable, TableError};
use super::{RouteStats, Router, ServerId, Target, TransportId};
use crate::error::CoreError;

/// Locks a mutex, recovering the data if a thread panicked while holding it (every critical section here leaves its
/// data consistent between statements that can panic, and a poisoned lock must not turn into a panic elsewhere).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Per route slot: the serial of the route counted there and its message count.
type Counts = Vec<(u64, u64)>;

/// Adds `from` into `into`, slot by slot: same serial, the counts add up; a newer serial (the slot was reused by a
/// later route) replaces the older one.
fn merge_counts(into: &mut Counts, from: &Counts) {
    if into.len() < from.len() {
        into.resize(from.len(), (0, 0));
    }
    for (i, &(serial, n)) in from.iter().enumerate() {
        let slot = &mut into[i];
        if n == 0 && serial <= slot.0 {
            continue;
        }
        if slot.0 == serial {
            slot.1 += n;
        } else if serial > slot.0 {
            *slot = (serial, n);
        }
    }
}

/// What one handle owns: its cache, the configuration it was last given, its counters. Aligned to 128 bytes so that two
/// handles' shards (and the locks in front of them), written by two threads on every lookup, never share a cache line.
#[derive(Debug)]
#[repr(align(128))]
struct Shard {
    cache: RouteCache,
    config: RouteConfig,
    stats: RouteStats,
    counts: Counts,
}

impl Shard {
    fn new(config: RouteConfig) -> Self {
        Shard {
            cache: RouteCache::new(config.max_cache_entries as usize),
            config,
            stats: RouteStats::default(),
            counts: Vec::new(),
        }
    }

    fn count(&mut self, r: &Resolution) {
        let slot = r.route_slot as usize;
        if self.counts.len() <= slot {
            self.counts.resize(slot + 1, (0, 0));
        }
        let c = &mut self.counts[slot];
        if c.0 != r.route_serial {
            *c = (r.route_serial, 0);
        }
        c.1 += 1;
    }
}

#[derive(Debug)]
struct Shards {
    config: RouteConfig,
    live: Vec<Arc<Mutex<Shard>>>,
    /// What dropped handles counted.
    retired_stats: RouteStats,
    retired_counts: Counts,
}

static NEXT_ID: AtomicU32 = AtomicU32::new(1);
static PUBLISHED: LazyLock<Mutex<HashMap<u32, Weak<SharedTable>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// See the module docs.
#[derive(Debug)]
pub struct SharedTable {
    id: u32,
    current: ArcSwap<RouteTable>,
    writer: Mutex<()>,
    shards: Mutex<Shards>,
}

impl SharedTable {
    /// An empty shared table (no handle yet: make them with [`SharedTable::handle`]).
    pub fn new(config: RouteConfig) -> Arc<Self> {
        Arc::new(Self::with_table(RouteTable::new(), config))
    }

    fn with_table(table: RouteTable, config: RouteConfig) -> Self {
        SharedTable {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            current: ArcSwap::from_pointee(table),
            writer: Mutex::new(()),
            shards: Mutex::new(Shards {
                config,
                live: Vec::new(),
                retired_stats: RouteStats::default(),
                retired_counts: Vec::new(),
            }),
        }
    }

    /// Moves a router's table into shared form, with the first handle: it keeps the router's cache, counters and
    /// per-route message counts, so nothing a caller could observe changes by sharing.
    pub fn from_router(router: Router) -> (Arc<Self>, SharedRouter) {
        let Router {
            mut table,
            cache,
            config,
            stats,
        } = router;
        let counts = table.take_counts();
        let shared = Arc::new(Self::with_table(table, config));
        let shard = Shard {
            cache,
            config,
            stats,
            counts,
        };
        let handle = shared.attach_shard(shard);
        (shared, handle)
    }

    /// This table's process-wide id (what [`publish`] registers it under).
    pub fn id(&self) -> u32 {
        self.id
    }

    fn attach_shard(self: &Arc<Self>, shard: Shard) -> SharedRouter {
        let shard = Arc::new(Mutex::new(shard));
        lock(&self.shards).live.push(Arc::clone(&shard));
        SharedRouter {
            table: Arc::clone(self),
            shard,
        }
    }

    /// A new handle on this table, with an empty cache of its own (one per thread).
    pub fn handle(self: &Arc<Self>) -> SharedRouter {
        let mut shards = lock(&self.shards);
        let shard = Arc::new(Mutex::new(Shard::new(shards.config)));
        shards.live.push(Arc::clone(&shard));
        SharedRouter {
            table: Arc::clone(self),
            shard,
        }
    }

    /// Handles alive now.
    pub fn handles(&self) -> usize {
        lock(&self.shards).live.len()
    }

    /// The table as of now (an immutable snapshot; later updates do not change it).
    pub fn snapshot(&self) -> Arc<RouteTable> {
        self.current.load_full()
    }

    /// Applies `change` to a copy of the table and publishes the copy, as one atomic step: readers see the table
    /// before or after, never in between. When `change` fails nothing is published (the table does not change, even
    /// if `change` made some changes before failing). Updates are serialised; readers never wait for them.
    pub fn update<R>(
        &self,
        change: impl FnOnce(&mut RouteTable) -> Result<R, TableError>,
    ) -> Result<R, TableError> {
        let _writer = lock(&self.writer);
        let mut next = RouteTable::clone(&self.current.load());
        let out = change(&mut next)?;
        self.current.store(Arc::new(next));
        Ok(out)
    }

    /// The configuration in force.
    pub fn config(&self) -> RouteConfig {
        lock(&self.shards).config
    }

    /// Validates a configuration change and applies it to every handle's cache at once (see
    /// [`super::Router::update_config`]), or names the bad key and changes nothing.
    pub fn update_config(&self, update: &RouteConfigUpdate) -> Result<RouteConfig, CoreError> {
        let mut shards = lock(&self.shards);
        let next = shards.config.updated(update)?;
        for shard in &shards.live {
            let mut s = lock(shard);
            let s = &mut *s;
            apply_config(&mut s.cache, &mut s.stats, &s.config, &next);
            s.config = next;
        }
        shards.config = next;
        Ok(next)
    }

    /// The counters of every handle (alive or dropped) summed; `entries` is the entries cached by live handles.
    pub fn stats(&self) -> RouteStats {
        let shards = lock(&self.shards);
        let mut total = shards.retired_stats;
        let mut entries = 0;
        for shard in &shards.live {
            let s = lock(shard);
            total.add(&s.stats);
            entries += s.cache.len() as u64;
        }
        RouteStats { entries, ..total }
    }

    /// Zeroes every handle's counters (not the per-route message counts).
    pub fn reset_stats(&self) {
        let mut shards = lock(&self.shards);
        shards.retired_stats = RouteStats::default();
        for shard in &shards.live {
            lock(shard).stats = RouteStats::default();
        }
    }

    /// Drops the entries past their TTL from every handle's cache; returns how many.
    pub fn sweep(&self, now_ms: u64) -> usize {
        let shards = lock(&self.shards);
        let mut total = 0;
        for shard in &shards.live {
            let mut s = lock(shard);
            let n = s.cache.sweep(now_ms);
            if s.config.enable_stats_collection {
                s.stats.expirations += n as u64;
            }
            total += n;
        }
        total
    }

    /// Every route of the current table with the messages all handles routed by it.
    pub fn routes(&self) -> Vec<RouteEntry> {
        let table = self.snapshot();
        let mut counts = {
            let shards = lock(&self.shards);
            let mut counts = shards.retired_counts.clone();
            for shard in &shards.live {
                merge_counts(&mut counts, &lock(shard).counts);
            }
            counts
        };
        counts.shrink_to_fit();
        table.routes_counted(|slot, serial| match counts.get(slot as usize) {
            Some(&(s, n)) if s == serial => n,
            _ => 0,
        })
    }

    /// See [`RouteTable::register_server`].
    pub fn register_server(&self, id: ServerId) -> Result<(), TableError> {
        self.update(|t| t.register_server(id))
    }
    /// See [`RouteTable::unregister_server`].
    pub fn unregister_server(&self, id: ServerId) -> Result<(), TableError> {
        self.update(|t| t.unregister_server(id))
    }
    /// See [`RouteTable::register_transport`].
    pub fn register_transport(&self, id: TransportId) -> Result<(), TableError> {
        self.update(|t| t.register_transport(id))
    }
    /// See [`RouteTable::unregister_transport`].
    pub fn unregister_transport(&self, id: TransportId) -> Result<(), TableError> {
        self.update(|t| t.unregister_transport(id))
    }
    /// See [`RouteTable::bind_transport`].
    pub fn bind_transport(
        &self,
        transport: TransportId,
        server: Option<ServerId>,
    ) -> Result<(), TableError> {
        self.update(|t| t.bind_transport(transport, server))
    }
    /// See [`RouteTable::set_route`].
    pub fn set_route(
        &self,
        server: ServerId,
        method: &[u8],
        target: Target,
    ) -> Result<(), TableError> {
        self.update(|t| t.set_route(server, method, target))
    }
    /// See [`RouteTable::remove_route`].
    pub fn remove_route(&self, server: ServerId, method: &[u8]) -> Result<bool, TableError> {
        self.update(|t| t.remove_route(server, method))
    }
    /// See [`RouteTable::set_fallback`].
    pub fn set_fallback(&self, server: ServerId, target: Option<Target>) -> Result<(), TableError> {
        self.update(|t| t.set_fallback(server, target))
    }
}

/// A handle on a [`SharedTable`]: one per thread (it is `Send`, and lookups through it take only its own lock).
#[derive(Debug)]
pub struct SharedRouter {
    table: Arc<SharedTable>,
    shard: Arc<Mutex<Shard>>,
}

impl SharedRouter {
    /// The shared table (changes, configuration, stats, routes).
    pub fn table(&self) -> &Arc<SharedTable> {
        &self.table
    }

    /// Starts a batch of lookups: takes this handle's own lock and the current snapshot, both kept until the reader is
    /// dropped. Every lookup of the batch sees the same table.
    pub fn reader(&self) -> Reader<'_> {
        Reader {
            shard: lock(&self.shard),
            table: self.table.current.load(),
        }
    }

    /// One lookup (a batch of one).
    pub fn lookup(&self, transport: TransportId, method: &[u8], now_ms: u64) -> Option<Target> {
        self.reader().lookup(transport, method, now_ms)
    }
}

impl Drop for SharedRouter {
    /// Hands what this handle counted to the table (its stats and message counts stay in the totals).
    fn drop(&mut self) {
        let mut shards = lock(&self.table.shards);
        shards.live.retain(|s| !Arc::ptr_eq(s, &self.shard));
        let s = lock(&self.shard);
        shards.retired_stats.add(&s.stats);
        merge_counts(&mut shards.retired_counts, &s.counts);
    }
}

/// A batch of lookups on one snapshot of the table, through one handle's cache ([`SharedRouter::reader`]).
pub struct Reader<'a> {
    shard: MutexGuard<'a, Shard>,
    table: Guard<Arc<RouteTable>>,
}

impl Reader<'_> {
    /// Where a message of `method` on `transport` goes at `now_ms` (see [`super::Router::lookup`]).
    pub fn lookup(&mut self, transport: TransportId, method: &[u8], now_ms: u64) -> Option<Target> {
        let s = &mut *self.shard;
        let r = lookup_in(
            &self.table,
            &mut s.cache,
            &s.config,
            &mut s.stats,
            transport,
            method,
            now_ms,
        )?;
        if s.config.enable_stats_collection {
            s.count(&r);
        }
        Some(r.target)
    }
}

/// Registers `table` under its id so other threads can attach to it ([`published`]); returns the id. The registry
/// holds a weak reference: it never keeps a table alive.
pub fn publish(table: &Arc<SharedTable>) -> u32 {
    let mut map = lock(&PUBLISHED);
    map.retain(|_, t| t.strong_count() > 0);
    map.insert(table.id, Arc::downgrade(table));
    table.id
}

/// The table published under `id`, if it is still published and alive.
pub fn published(id: u32) -> Option<Arc<SharedTable>> {
    lock(&PUBLISHED).get(&id).and_then(Weak::upgrade)
}

/// Withdraws `id`: later [`published`] calls do not find it; handles already made keep working. Returns whether it
/// was published.
pub fn unpublish(id: u32) -> bool {
    lock(&PUBLISHED).remove(&id).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Arc<SharedTable> {
        let t = SharedTable::new(RouteConfig::default());
        t.register_server(1).unwrap();
        t.register_transport(10).unwrap();
        t.bind_transport(10, Some(1)).unwrap();
        t.set_route(1, b"tools/call", Target::Handler(7)).unwrap();
        t
    }

    #[test]
    fn handles_see_one_table_and_each_change_at_their_next_lookup() {
        let t = shared();
        let (a, b) = (t.handle(), t.handle());
        assert_eq!(a.lookup(10, b"tools/call", 0), Some(Target::Handler(7)));
        assert_eq!(b.lookup(10, b"tools/call", 0), Some(Target::Handler(7)));
        assert_eq!(a.lookup(10, b"tools/call", 1), Some(Target::Handler(7)));
        t.set_route(1, b"tools/call", Target::Upstream(2)).unwrap();
        assert_eq!(a.lookup(10, b"tools/call", 2), Some(Target::Upstream(2)));
        assert_eq!(b.lookup(10, b"tools/call", 2), Some(Target::Upstream(2)));
        let s = t.stats();
        assert_eq!(
            (s.lookups, s.hits, s.misses, s.invalidations, s.entries),
            (5, 1, 4, 2, 2)
        );
        assert_eq!(
            t.routes()[0].messages,
            2,
            "the replaced route's count restarted"
        );
        drop(b);
        assert_eq!(t.stats().lookups, 5, "a dropped handle's counts stay");
        assert_eq!(t.routes()[0].messages, 2);
        assert_eq!(t.handles(), 1);
    }

    #[test]
    fn a_failed_update_publishes_nothing() {
        let t = shared();
        let before = t.snapshot();
        let err = t.update(|table| {
            table.set_route(1, b"x", Target::Handler(1))?;
            table.bind_transport(10, Some(99))
        });
        assert_eq!(err, Err(TableError::UnknownServer(99)));
        assert!(Arc::ptr_eq(&before, &t.snapshot()));
        assert_eq!(t.handle().lookup(10, b"x", 0), None);
    }

    #[test]
    fn a_snapshot_does_not_change_under_its_reader() {
        let t = shared();
        let h = t.handle();
        let mut r = h.reader();
        t.set_route(1, b"tools/call", Target::Handler(8)).unwrap();
        assert_eq!(r.lookup(10, b"tools/call", 0), Some(Target::Handler(7)));
        drop(r);
        assert_eq!(h.lookup(10, b"tools/call", 0), Some(Target::Handler(8)));
    }

    #[test]
    fn update_config_reaches_every_handle() {
        let t = shared();
        t.set_fallback(1, Some(Target::Handler(0))).unwrap();
        let (a, b) = (t.handle(), t.handle());
        for m in [&b"a"[..], b"b", b"c"] {
            a.lookup(10, m, 0);
            b.lookup(10, m, 0);
        }
        assert_eq!(t.stats().entries, 6);
        t.update_config(&RouteConfigUpdate {
            max_cache_entries: Some(1),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((t.stats().entries, t.stats().evictions), (2, 4));
        assert_eq!(t.handle().reader().shard.cache.capacity(), 1);
        assert!(t
            .update_config(&RouteConfigUpdate {
                cache_ttl_ms: Some(0),
                ..Default::default()
            })
            .is_err());
        assert_eq!(t.config().max_cache_entries, 1);
        assert_eq!(t.sweep(1_000_000), 2);
    }

    #[test]
    fn sharing_a_router_keeps_its_cache_and_counts() {
        let mut r = Router::default();
        r.register_server(1).unwrap();
        r.register_transport(10).unwrap();
        r.bind_transport(10, Some(1)).unwrap();
        r.set_route(1, b"m", Target::Handler(3)).unwrap();
        r.lookup(10, b"m", 0);
        r.lookup(10, b"m", 0);
        let before = r.stats();
        let (t, h) = SharedTable::from_router(r);
        assert_eq!(t.stats(), before);
        assert_eq!(t.routes()[0].messages, 2);
        assert_eq!(h.lookup(10, b"m", 1), Some(Target::Handler(3)));
        assert_eq!(t.stats().hits, before.hits + 1);
    }

    #[test]
    fn published_ids_attach_until_withdrawn_and_never_keep_a_table_alive() {
        let t = shared();
        let id = publish(&t);
        let found = published(id).expect("published");
        assert!(Arc::ptr_eq(&found, &t));
        assert!(unpublish(id));
        assert!(published(id).is_none());
        assert_eq!(
            found.handle().lookup(10, b"tools/call", 0),
            Some(Target::Handler(7)),
            "withdrawing the id frees nothing"
        );
        let id2 = publish(&t);
        drop((t, found));
        assert!(published(id2).is_none(), "the table is gone");
    }

    #[test]
    fn merged_counts_keep_the_newest_route_per_slot() {
        let mut a = vec![(3, 5), (4, 1)];
        merge_counts(&mut a, &vec![(3, 2), (6, 1), (9, 9)]);
        assert_eq!(a, vec![(3, 7), (6, 1), (9, 9)]);
        merge_counts(&mut a, &vec![(1, 4)]);
        assert_eq!(a[0], (3, 7), "an older route's count is dropped");
    }
}
