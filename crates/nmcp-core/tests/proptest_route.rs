//! The router (table + LRU/TTL cache) against a model with no cache: under any sequence of table changes, config
//! changes and lookups at advancing times, every lookup answers what the table says now — a cached route is never
//! stale — and the cache never holds more than its cap.

use std::collections::HashMap;

use nmcp_core::route::{RouteConfig, RouteConfigUpdate, Router, Target};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    RegisterServer(u32),
    UnregisterServer(u32),
    RegisterTransport(u32),
    UnregisterTransport(u32),
    Bind(u32, Option<u32>),
    SetRoute(u32, u8, u32),
    RemoveRoute(u32, u8),
    SetFallback(u32, Option<u32>),
    Lookup(u32, u8),
    Advance(u64),
    Cap(u32),
    Ttl(u64),
    CacheOn(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u32..4;
    let m = 0u8..4;
    prop_oneof![
        2 => id.clone().prop_map(Op::RegisterServer),
        1 => id.clone().prop_map(Op::UnregisterServer),
        2 => id.clone().prop_map(Op::RegisterTransport),
        1 => id.clone().prop_map(Op::UnregisterTransport),
        2 => (id.clone(), proptest::option::of(0u32..4)).prop_map(|(t, s)| Op::Bind(t, s)),
        2 => (id.clone(), m.clone(), 0u32..8).prop_map(|(s, m, h)| Op::SetRoute(s, m, h)),
        2 => (id.clone(), m.clone()).prop_map(|(s, m)| Op::RemoveRoute(s, m)),
        2 => (id.clone(), proptest::option::of(0u32..8)).prop_map(|(s, h)| Op::SetFallback(s, h)),
        8 => (id.clone(), m).prop_map(|(t, m)| Op::Lookup(t, m)),
        2 => (0u64..40).prop_map(Op::Advance),
        1 => (1u32..5).prop_map(Op::Cap),
        1 => (1u64..50).prop_map(Op::Ttl),
        1 => any::<bool>().prop_map(Op::CacheOn),
    ]
}

#[derive(Default)]
struct Model {
    servers: HashMap<u32, (HashMap<u8, Target>, Option<Target>)>,
    transports: HashMap<u32, Option<u32>>,
}

impl Model {
    fn lookup(&self, t: u32, m: u8) -> Option<Target> {
        let s = (*self.transports.get(&t)?)?;
        let (routes, fallback) = self.servers.get(&s)?;
        routes.get(&m).copied().or(*fallback)
    }
}

fn method(m: u8) -> Vec<u8> {
    format!("method/{m}").into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn never_stale_never_over_the_cap(ops in proptest::collection::vec(op(), 1..200)) {
        let mut r = Router::new(RouteConfig { cache_ttl_ms: 20, max_cache_entries: 3, ..RouteConfig::default() });
        let mut model = Model::default();
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::RegisterServer(s) => {
                    let ok = r.register_server(s).is_ok();
                    prop_assert_eq!(ok, !model.servers.contains_key(&s));
                    model.servers.entry(s).or_default();
                }
                Op::UnregisterServer(s) => {
                    let ok = r.unregister_server(s).is_ok();
                    prop_assert_eq!(ok, model.servers.remove(&s).is_some());
                    if ok {
                        for b in model.transports.values_mut() {
                            if *b == Some(s) { *b = None; }
                        }
                    }
                }
                Op::RegisterTransport(t) => {
                    let ok = r.register_transport(t).is_ok();
                    prop_assert_eq!(ok, !model.transports.contains_key(&t));
                    model.transports.entry(t).or_insert(None);
                }
                Op::UnregisterTransport(t) => {
                    let ok = r.unregister_transport(t).is_ok();
                    prop_assert_eq!(ok, model.transports.remove(&t).is_some());
                }
                Op::Bind(t, s) => {
                    let valid = model.transports.contains_key(&t) && s.map_or(true, |s| model.servers.contains_key(&s));
                    prop_assert_eq!(r.bind_transport(t, s).is_ok(), valid);
                    if valid { model.transports.insert(t, s); }
                }
                Op::SetRoute(s, m, h) => {
                    let valid = model.servers.contains_key(&s);
                    prop_assert_eq!(r.set_route(s, &method(m), Target::Handler(h)).is_ok(), valid);
                    if let Some(e) = model.servers.get_mut(&s) { e.0.insert(m, Target::Handler(h)); }
                }
                Op::RemoveRoute(s, m) => {
                    let expected = model.servers.get_mut(&s).map(|e| e.0.remove(&m).is_some());
                    prop_assert_eq!(r.remove_route(s, &method(m)).ok(), expected);
                }
                Op::SetFallback(s, h) => {
                    let valid = model.servers.contains_key(&s);
                    prop_assert_eq!(r.set_fallback(s, h.map(Target::Upstream)).is_ok(), valid);
                    if let Some(e) = model.servers.get_mut(&s) { e.1 = h.map(Target::Upstream); }
                }
                Op::Lookup(t, m) => {
                    prop_assert_eq!(r.lookup(t, &method(m), now), model.lookup(t, m));
                }
                Op::Advance(ms) => now += ms,
                Op::Cap(n) => { r.update_config(&RouteConfigUpdate { max_cache_entries: Some(n), ..Default::default() }).unwrap(); }
                Op::Ttl(ms) => { r.update_config(&RouteConfigUpdate { cache_ttl_ms: Some(ms), ..Default::default() }).unwrap(); }
                Op::CacheOn(on) => { r.update_config(&RouteConfigUpdate { enable_route_cache: Some(on), ..Default::default() }).unwrap(); }
            }
            prop_assert!(r.stats().entries <= u64::from(r.config().max_cache_entries));
            let s = r.stats();
            prop_assert_eq!(s.lookups, s.hits + s.misses);
        }
    }
}
