//! The router's live options, with the seed's defaults, and their validation.

use crate::error::CoreError;

/// Largest `maxCacheEntries` accepted (the cache preallocates nothing, but an absurd cap is a typo).
pub const MAX_CACHE_ENTRIES_LIMIT: u32 = 10_000_000;
/// Largest `cacheTtlMs` accepted: one day.
pub const MAX_CACHE_TTL_MS: u64 = 86_400_000;

/// Options of a [`crate::route::Router`]. `Default` is the seed's: cache on, 30 s TTL, 10,000 entries, stats on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteConfig {
    /// Resolve through the cache (`enableRouteCache`). Off: every lookup reads the table.
    pub enable_route_cache: bool,
    /// How long a cached route may be used (`cacheTtlMs`), 1 ms … 1 day.
    pub cache_ttl_ms: u64,
    /// Entries kept before the least recently used is evicted (`maxCacheEntries`), 1 … 10,000,000.
    pub max_cache_entries: u32,
    /// Count lookups, hits, misses, evictions and per-route messages (`enableStatsCollection`).
    pub enable_stats_collection: bool,
}

impl Default for RouteConfig {
    fn default() -> Self {
        RouteConfig {
            enable_route_cache: true,
            cache_ttl_ms: 30_000,
            max_cache_entries: 10_000,
            enable_stats_collection: true,
        }
    }
}

/// A partial change to a [`RouteConfig`]: `None` keeps the current value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteConfigUpdate {
    /// See [`RouteConfig::enable_route_cache`].
    pub enable_route_cache: Option<bool>,
    /// See [`RouteConfig::cache_ttl_ms`].
    pub cache_ttl_ms: Option<u64>,
    /// See [`RouteConfig::max_cache_entries`].
    pub max_cache_entries: Option<u32>,
    /// See [`RouteConfig::enable_stats_collection`].
    pub enable_stats_collection: Option<bool>,
}

impl RouteConfig {
    /// This config with `update` applied, or the first invalid key (and the config is not changed).
    pub fn updated(&self, update: &RouteConfigUpdate) -> Result<RouteConfig, CoreError> {
        let mut next = *self;
        if let Some(v) = update.enable_route_cache {
            next.enable_route_cache = v;
        }
        if let Some(v) = update.cache_ttl_ms {
            if v == 0 || v > MAX_CACHE_TTL_MS {
                return Err(CoreError::InvalidOption {
                    key: "cacheTtlMs",
                    value: v,
                    min: 1,
                    max: MAX_CACHE_TTL_MS,
                });
            }
            next.cache_ttl_ms = v;
        }
        if let Some(v) = update.max_cache_entries {
            if v == 0 || v > MAX_CACHE_ENTRIES_LIMIT {
                return Err(CoreError::InvalidOption {
                    key: "maxCacheEntries",
                    value: u64::from(v),
                    min: 1,
                    max: u64::from(MAX_CACHE_ENTRIES_LIMIT),
                });
            }
            next.max_cache_entries = v;
        }
        if let Some(v) = update.enable_stats_collection {
            next.enable_stats_collection = v;
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_seeds() {
        let c = RouteConfig::default();
        assert!(c.enable_route_cache && c.enable_stats_collection);
        assert_eq!((c.cache_ttl_ms, c.max_cache_entries), (30_000, 10_000));
    }

    #[test]
    fn an_invalid_key_is_named_and_nothing_changes() {
        let c = RouteConfig::default();
        let err = c
            .updated(&RouteConfigUpdate {
                cache_ttl_ms: Some(5),
                max_cache_entries: Some(0),
                ..Default::default()
            })
            .unwrap_err();
        assert!(err.to_string().contains("maxCacheEntries"), "{err}");
        assert_eq!(c, RouteConfig::default());
        let ok = c
            .updated(&RouteConfigUpdate {
                cache_ttl_ms: Some(5),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(ok.cache_ttl_ms, 5);
    }
}
