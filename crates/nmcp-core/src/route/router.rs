//! [`Router`]: the route table behind its cache, with the live configuration and the statistics.

use super::cache::{CacheOutcome, RouteCache};
use super::config::{RouteConfig, RouteConfigUpdate};
use super::table::{Resolution, RouteEntry, RouteTable, TableError};
use super::{ServerId, Target, TransportId};
use crate::error::CoreError;

/// Counters since the router was made (or since [`Router::reset_stats`]); they stand still while stats collection is
/// off, except `entries`, which is always the cache's size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteStats {
    /// Lookups made.
    pub lookups: u64,
    /// Lookups answered by the cache.
    pub hits: u64,
    /// Lookups that read the table (the cache was off, had no entry, or its entry had expired or was stale).
    pub misses: u64,
    /// Lookups that found no route.
    pub unrouted: u64,
    /// Entries evicted at the cap (least recently used first), including by a lower `maxCacheEntries`.
    pub evictions: u64,
    /// Entries dropped at their TTL.
    pub expirations: u64,
    /// Entries dropped because the table changed since they were cached.
    pub invalidations: u64,
    /// Entries in the cache now.
    pub entries: u64,
}

/// See the module docs of [`crate::route`].
#[derive(Debug)]
pub struct Router {
    pub(crate) table: RouteTable,
    pub(crate) cache: RouteCache,
    pub(crate) config: RouteConfig,
    pub(crate) stats: RouteStats,
}

impl RouteStats {
    /// Adds `other`'s counters to these (`entries` excepted: it is the cache's size, not a count).
    pub(crate) fn add(&mut self, other: &RouteStats) {
        self.lookups += other.lookups;
        self.hits += other.hits;
        self.misses += other.misses;
        self.unrouted += other.unrouted;
        self.evictions += other.evictions;
        self.expirations += other.expirations;
        self.invalidations += other.invalidations;
    }
}

/// A configuration change applied to a cache: turning the cache off empties it, a lower cap evicts (counted when the
/// old configuration collects stats).
pub(crate) fn apply_config(
    cache: &mut RouteCache,
    stats: &mut RouteStats,
    old: &RouteConfig,
    next: &RouteConfig,
) {
    if !next.enable_route_cache {
        cache.clear();
    }
    let evicted = cache.set_capacity(next.max_cache_entries as usize) as u64;
    if old.enable_stats_collection {
        stats.evictions += evicted;
    }
}

/// One lookup through `cache` in front of `table` (see [`Router::lookup`]), counting into `stats` but not on the route:
/// the caller counts the returned resolution where it keeps per-route counts.
pub(crate) fn lookup_in(
    table: &RouteTable,
    cache: &mut RouteCache,
    config: &RouteConfig,
    stats: &mut RouteStats,
    transport: TransportId,
    method: &[u8],
    now_ms: u64,
) -> Option<Resolution> {
    let collect = config.enable_stats_collection;
    if collect {
        stats.lookups += 1;
    }
    // A stale entry stays in place until the table is read: when the key still resolves, the insert below overwrites
    // it where it is (no key freed and allocated again: after a change, every entry of the server changed goes this
    // way); when it no longer resolves, it is removed. Either way the outcome is that of removing it first.
    let mut stale = false;
    if config.enable_route_cache {
        match cache.get(transport, method, now_ms) {
            CacheOutcome::Hit(r) if table.is_current(&r) => {
                if collect {
                    stats.hits += 1;
                }
                return Some(r);
            }
            CacheOutcome::Hit(_) => {
                stale = true;
                if collect {
                    stats.invalidations += 1;
                }
            }
            CacheOutcome::Expired => {
                if collect {
                    stats.expirations += 1;
                }
            }
            CacheOutcome::Miss => {}
        }
    }
    if collect {
        stats.misses += 1;
    }
    let Some(r) = table.resolve(transport, method) else {
        if stale {
            cache.remove(transport, method);
        }
        if collect {
            stats.unrouted += 1;
        }
        return None;
    };
    if config.enable_route_cache {
        let evicted = cache.insert(transport, method, r, now_ms, config.cache_ttl_ms) as u64;
        if collect {
            stats.evictions += evicted;
        }
    }
    Some(r)
}

impl Default for Router {
    fn default() -> Self {
        Router::new(RouteConfig::default())
    }
}

impl Router {
    /// A router with an empty table.
    pub fn new(config: RouteConfig) -> Self {
        Router {
            table: RouteTable::new(),
            cache: RouteCache::new(config.max_cache_entries as usize),
            config,
            stats: RouteStats::default(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> RouteConfig {
        self.config
    }

    /// Applies a configuration change at once, or rejects it naming the key (and keeps the old one). Turning the cache
    /// off empties it; a lower cap evicts the least recently used entries; a new TTL applies to entries cached from
    /// now on (entries already cached keep the expiry they were given, never longer than the old TTL).
    pub fn update_config(&mut self, update: &RouteConfigUpdate) -> Result<RouteConfig, CoreError> {
        let next = self.config.updated(update)?;
        apply_config(&mut self.cache, &mut self.stats, &self.config, &next);
        self.config = next;
        Ok(next)
    }

    /// The table (read-only: changes go through the router's methods).
    pub fn table(&self) -> &RouteTable {
        &self.table
    }

    /// Where a message of `method` on `transport` goes at time `now_ms`, or `None` (no binding or no route). Counts
    /// the message on its route when stats collection is on.
    pub fn lookup(&mut self, transport: TransportId, method: &[u8], now_ms: u64) -> Option<Target> {
        let r = lookup_in(
            &self.table,
            &mut self.cache,
            &self.config,
            &mut self.stats,
            transport,
            method,
            now_ms,
        )?;
        if self.config.enable_stats_collection {
            self.table.count(r.route_slot, 1);
        }
        Some(r.target)
    }

    /// Drops the cache entries past their TTL now (lookups drop them when met; this bounds what idle keys hold).
    pub fn sweep(&mut self, now_ms: u64) -> usize {
        let n = self.cache.sweep(now_ms);
        if self.config.enable_stats_collection {
            self.stats.expirations += n as u64;
        }
        n
    }

    /// The counters now.
    pub fn stats(&self) -> RouteStats {
        RouteStats {
            entries: self.cache.len() as u64,
            ..self.stats
        }
    }

    /// Zeroes the counters (not the per-route message counts, which restart with their route).
    pub fn reset_stats(&mut self) {
        self.stats = RouteStats::default();
    }

    /// Every route with its message count.
    pub fn routes(&self) -> Vec<RouteEntry> {
        self.table.routes()
    }

    /// See [`RouteTable::register_server`].
    pub fn register_server(&mut self, id: ServerId) -> Result<(), TableError> {
        self.table.register_server(id)
    }
    /// See [`RouteTable::unregister_server`].
    pub fn unregister_server(&mut self, id: ServerId) -> Result<(), TableError> {
        self.table.unregister_server(id)
    }
    /// See [`RouteTable::register_transport`].
    pub fn register_transport(&mut self, id: TransportId) -> Result<(), TableError> {
        self.table.register_transport(id)
    }
    /// See [`RouteTable::unregister_transport`].
    pub fn unregister_transport(&mut self, id: TransportId) -> Result<(), TableError> {
        self.table.unregister_transport(id)
    }
    /// See [`RouteTable::bind_transport`].
    pub fn bind_transport(
        &mut self,
        transport: TransportId,
        server: Option<ServerId>,
    ) -> Result<(), TableError> {
        self.table.bind_transport(transport, server)
    }
    /// See [`RouteTable::set_route`].
    pub fn set_route(
        &mut self,
        server: ServerId,
        method: &[u8],
        target: Target,
    ) -> Result<(), TableError> {
        self.table.set_route(server, method, target)
    }
    /// See [`RouteTable::remove_route`].
    pub fn remove_route(&mut self, server: ServerId, method: &[u8]) -> Result<bool, TableError> {
        self.table.remove_route(server, method)
    }
    /// See [`RouteTable::set_fallback`].
    pub fn set_fallback(
        &mut self,
        server: ServerId,
        target: Option<Target>,
    ) -> Result<(), TableError> {
        self.table.set_fallback(server, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(config: RouteConfig) -> Router {
        let mut r = Router::new(config);
        r.register_server(1).unwrap();
        r.register_transport(10).unwrap();
        r.bind_transport(10, Some(1)).unwrap();
        r.set_route(1, b"tools/call", Target::Handler(7)).unwrap();
        r
    }

    #[test]
    fn the_second_lookup_is_a_hit_and_both_are_counted_on_the_route() {
        let mut r = router(RouteConfig::default());
        assert_eq!(r.lookup(10, b"tools/call", 0), Some(Target::Handler(7)));
        assert_eq!(r.lookup(10, b"tools/call", 1), Some(Target::Handler(7)));
        let s = r.stats();
        assert_eq!((s.lookups, s.hits, s.misses, s.entries), (2, 1, 1, 1));
        assert_eq!(r.routes()[0].messages, 2);
    }

    #[test]
    fn a_table_change_is_seen_by_the_very_next_lookup() {
        let mut r = router(RouteConfig::default());
        r.lookup(10, b"tools/call", 0);
        r.set_route(1, b"tools/call", Target::Upstream(2)).unwrap();
        assert_eq!(r.lookup(10, b"tools/call", 1), Some(Target::Upstream(2)));
        assert_eq!(r.stats().invalidations, 1);
        r.unregister_server(1).unwrap();
        assert_eq!(r.lookup(10, b"tools/call", 2), None);
        assert_eq!(r.stats().unrouted, 1);
    }

    #[test]
    fn ttl_expiry_and_the_cap_are_counted() {
        let mut r = router(RouteConfig {
            cache_ttl_ms: 10,
            max_cache_entries: 1,
            ..RouteConfig::default()
        });
        r.set_fallback(1, Some(Target::Handler(0))).unwrap();
        r.lookup(10, b"tools/call", 0);
        assert_eq!(r.lookup(10, b"tools/call", 10), Some(Target::Handler(7)));
        assert_eq!(r.stats().expirations, 1);
        r.lookup(10, b"ping", 11); // evicts tools/call at the cap of 1
        assert_eq!(r.stats().evictions, 1);
        assert_eq!(r.sweep(100), 1);
        assert_eq!(r.stats().entries, 0);
    }

    #[test]
    fn update_config_applies_live_or_names_the_bad_key() {
        let mut r = router(RouteConfig::default());
        r.set_fallback(1, Some(Target::Handler(0))).unwrap();
        for m in [&b"a"[..], b"b", b"c"] {
            r.lookup(10, m, 0);
        }
        let c = r
            .update_config(&RouteConfigUpdate {
                max_cache_entries: Some(1),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(c.max_cache_entries, 1);
        assert_eq!(r.stats().entries, 1);
        assert_eq!(r.stats().evictions, 2);
        let err = r
            .update_config(&RouteConfigUpdate {
                cache_ttl_ms: Some(0),
                ..Default::default()
            })
            .unwrap_err();
        assert!(err.to_string().contains("cacheTtlMs"));
        assert_eq!(r.config().max_cache_entries, 1, "the old config stays");
        r.update_config(&RouteConfigUpdate {
            enable_route_cache: Some(false),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(r.stats().entries, 0);
        assert_eq!(r.lookup(10, b"a", 1), Some(Target::Handler(0)));
        assert_eq!(
            r.stats().entries,
            0,
            "nothing is cached while the cache is off"
        );
    }

    #[test]
    fn stats_stand_still_while_collection_is_off() {
        let mut r = router(RouteConfig {
            enable_stats_collection: false,
            ..RouteConfig::default()
        });
        r.lookup(10, b"tools/call", 0);
        r.lookup(10, b"tools/call", 0);
        let s = r.stats();
        assert_eq!((s.lookups, s.hits, s.entries), (0, 0, 1));
        assert_eq!(r.routes()[0].messages, 0);
    }
}
