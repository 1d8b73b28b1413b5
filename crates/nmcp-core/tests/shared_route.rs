//! The shared route table (`SharedTable`): through several handles it answers exactly as a `Router` does under any
//! sequence of changes (proptest), and under real threads — readers looking up while a writer changes routes, rebinds
//! and reconfigures — every lookup result is one of the table's valid states, in order, and a change is seen by the
//! next lookup after the update returned.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use nmcp_core::route::{
    publish, published, unpublish, RouteConfig, RouteConfigUpdate, Router, SharedTable, Target,
};
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
    Lookup(usize, u32, u8),
    Advance(u64),
    Cap(u32),
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
        8 => (0usize..3, id.clone(), m).prop_map(|(h, t, m)| Op::Lookup(h, t, m)),
        2 => (0u64..40).prop_map(Op::Advance),
        1 => (1u32..5).prop_map(Op::Cap),
        1 => any::<bool>().prop_map(Op::CacheOn),
    ]
}

fn method(m: u8) -> Vec<u8> {
    format!("method/{m}").into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn three_handles_answer_as_one_router(ops in proptest::collection::vec(op(), 1..200)) {
        let config = RouteConfig { cache_ttl_ms: 20, max_cache_entries: 3, ..RouteConfig::default() };
        let mut r = Router::new(config);
        let shared = SharedTable::new(config);
        let handles = [shared.handle(), shared.handle(), shared.handle()];
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::RegisterServer(s) => prop_assert_eq!(shared.register_server(s), r.register_server(s)),
                Op::UnregisterServer(s) => prop_assert_eq!(shared.unregister_server(s), r.unregister_server(s)),
                Op::RegisterTransport(t) => prop_assert_eq!(shared.register_transport(t), r.register_transport(t)),
                Op::UnregisterTransport(t) => {
                    prop_assert_eq!(shared.unregister_transport(t), r.unregister_transport(t));
                }
                Op::Bind(t, s) => prop_assert_eq!(shared.bind_transport(t, s), r.bind_transport(t, s)),
                Op::SetRoute(s, m, h) => {
                    let (a, b) = (Target::Handler(h), Target::Handler(h));
                    prop_assert_eq!(shared.set_route(s, &method(m), a), r.set_route(s, &method(m), b));
                }
                Op::RemoveRoute(s, m) => {
                    prop_assert_eq!(shared.remove_route(s, &method(m)), r.remove_route(s, &method(m)));
                }
                Op::SetFallback(s, h) => {
                    let t = h.map(Target::Upstream);
                    prop_assert_eq!(shared.set_fallback(s, t), r.set_fallback(s, t));
                }
                Op::Lookup(h, t, m) => {
                    prop_assert_eq!(handles[h].lookup(t, &method(m), now), r.lookup(t, &method(m), now));
                }
                Op::Advance(ms) => now += ms,
                Op::Cap(n) => {
                    let u = RouteConfigUpdate { max_cache_entries: Some(n), ..Default::default() };
                    prop_assert_eq!(shared.update_config(&u).unwrap(), r.update_config(&u).unwrap());
                }
                Op::CacheOn(on) => {
                    let u = RouteConfigUpdate { enable_route_cache: Some(on), ..Default::default() };
                    prop_assert_eq!(shared.update_config(&u).unwrap(), r.update_config(&u).unwrap());
                }
            }
            let s = shared.stats();
            prop_assert_eq!(s.lookups, s.hits + s.misses);
            prop_assert!(s.entries <= 3 * u64::from(shared.config().max_cache_entries));
            // Every route the router lists, the shared table lists, with the messages all handles routed by it.
            prop_assert_eq!(shared.routes(), r.routes());
        }
    }
}

/// Readers on their own threads (one handle each) look up in batches while a writer moves the table through states
/// 1, 2, 3, …: state k routes `a` to handler k and `b` to upstream k (set in one atomic update), and `c` to handler k
/// (a second update after it), with transport 20 bound to server 1 in even states and to server 2 (fallback: upstream
/// 1000 + k) in odd ones. A reader must see, in one batch, `a` and `b` of the same state; `c` never ahead of `a`; and
/// states in an order that never goes back.
#[test]
fn readers_see_whole_states_in_order_while_a_writer_changes_the_table() {
    const READERS: usize = 3;
    const STATES: u32 = 3000;
    let table = SharedTable::new(RouteConfig {
        max_cache_entries: 4,
        ..RouteConfig::default()
    });
    table.register_server(1).unwrap();
    table.register_server(2).unwrap();
    table.register_transport(10).unwrap();
    table.bind_transport(10, Some(1)).unwrap();
    table.register_transport(20).unwrap();
    table
        .update(|t| {
            t.set_route(1, b"a", Target::Handler(0))?;
            t.set_route(1, b"b", Target::Upstream(0))?;
            t.set_route(1, b"c", Target::Handler(0))?;
            t.bind_transport(20, Some(1))
        })
        .unwrap();
    let id = publish(&table);
    let done = Arc::new(AtomicBool::new(false));
    let latest = Arc::new(AtomicU32::new(0));
    let start = Arc::new(Barrier::new(READERS + 1));

    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (done, latest, start) = (done.clone(), latest.clone(), start.clone());
            thread::spawn(move || {
                // Attach by id, as a worker thread does.
                let handle = published(id).expect("published").handle();
                start.wait();
                let (mut seen, mut batches, mut now) = (0u32, 0u64, 0u64);
                loop {
                    let finished = done.load(Ordering::Acquire);
                    // Every state up to `floor` was fully published before this batch began.
                    let floor = latest.load(Ordering::Acquire);
                    let mut r = handle.reader();
                    let Some(Target::Handler(a)) = r.lookup(10, b"a", now) else {
                        panic!("a has no handler route")
                    };
                    assert_eq!(
                        r.lookup(10, b"b", now),
                        Some(Target::Upstream(a)),
                        "a and b of one state"
                    );
                    let Some(Target::Handler(c)) = r.lookup(10, b"c", now) else {
                        panic!("c has no handler route")
                    };
                    assert!(
                        c == a || c + 1 == a,
                        "c is a's state or the one before: a {a}, c {c}"
                    );
                    match r.lookup(20, b"zzz", now) {
                        Some(Target::Upstream(u)) => assert!(u >= 1000, "server 2's fallback"),
                        None => {} // server 1 has no fallback
                        other => panic!("transport 20: {other:?}"),
                    }
                    drop(r);
                    assert!(a >= seen, "states never go back: saw {seen}, now {a}");
                    assert!(
                        a >= floor,
                        "a state published before the batch is seen: {a} < {floor}"
                    );
                    seen = a;
                    batches += 1;
                    now += 1;
                    if finished {
                        assert_eq!(a, STATES, "after the writer is done, the last state");
                        return batches;
                    }
                }
            })
        })
        .collect();

    start.wait();
    for k in 1..=STATES {
        table
            .update(|t| {
                t.set_route(1, b"a", Target::Handler(k))?;
                t.set_route(1, b"b", Target::Upstream(k))
            })
            .unwrap();
        table.set_route(1, b"c", Target::Handler(k)).unwrap();
        if k % 2 == 1 {
            table
                .set_fallback(2, Some(Target::Upstream(1000 + k)))
                .unwrap();
            table.bind_transport(20, Some(2)).unwrap();
        } else {
            table.bind_transport(20, Some(1)).unwrap();
        }
        if k % 100 == 0 {
            let on = k % 200 != 0;
            table
                .update_config(&RouteConfigUpdate {
                    enable_route_cache: Some(on),
                    max_cache_entries: Some(1 + k % 7),
                    ..Default::default()
                })
                .unwrap();
        }
        latest.store(k, Ordering::Release);
    }
    done.store(true, Ordering::Release);
    let batches: u64 = readers.into_iter().map(|r| r.join().expect("reader")).sum();
    assert!(batches >= READERS as u64);
    let s = table.stats();
    assert_eq!(s.lookups, 4 * batches, "every reader's lookups are counted");
    assert!(unpublish(id));
    assert_eq!(table.handles(), 0);
}
