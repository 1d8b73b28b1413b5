//! `BindingRouter`: the route table and its cache (nmcp-core `route`) for JS. Table changes are one call each (they
//! are rare); lookups are batched: one call routes every frame record of a decoded chunk (`routeRecords`) or a list of
//! methods (`routeMethods`), writing (kind, value) pairs into a JS-owned Uint32Array. The route snapshot comes back as
//! one JSON text for `JSON.parse` (no JS objects are built here).
//!
//! A router is either local (a `Router` owned by this object) or a handle on a shared table (nmcp-core
//! `SharedTable`): `share()` moves a local router's table into shared form and publishes it under a process-wide id;
//! `BindingRouter.attach(id)` — on any thread of the process, e.g. a worker thread that loaded this same addon — makes
//! another handle on the same table (an `Arc`, no copy). Both kinds serve every method alike; a batch of lookups on a
//! shared table reads one snapshot and takes only the handle's own lock.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use nmcp_core::framing::Status as RecordStatus;
use nmcp_core::route::{
    self, Reader, RouteConfig, RouteConfigUpdate, RouteEntry, Router, SharedRouter, SharedTable,
    TableError, Target,
};
use nmcp_core::{ValueType, RECORD_STRIDE};

use crate::{out_slice, to_napi, to_u64, AsMutSlice};

/// Route kinds in `out` (docs/core-api.md §Router).
const NO_ROUTE: u32 = 0;
const HANDLER: u32 = 1;
const UPSTREAM: u32 = 2;
/// The method is a string with escapes: its raw bytes are not the method, so JS decodes it and asks `routeMethods`.
const ESCAPED: u32 = 3;

/// Values `stats` writes, in this order.
const STATS_LEN: usize = 8;

fn table_err(err: TableError) -> Error {
    Error::new(Status::InvalidArg, err.to_string())
}

fn target(kind: u32, value: u32) -> Result<Target> {
    match kind {
        HANDLER => Ok(Target::Handler(value)),
        UPSTREAM => Ok(Target::Upstream(value)),
        _ => Err(Error::new(
            Status::InvalidArg,
            format!("route kind must be 1 (handler) or 2 (upstream), got {kind}"),
        )),
    }
}

pub(crate) fn now(now_ms: f64) -> Result<u64> {
    to_u64(now_ms.floor().max(0.0), "nowMs")
}

/// An option that must be a whole number: the error names it as users spell it.
fn whole(value: Option<f64>, key: &str) -> Result<Option<u64>> {
    value.map(|v| to_u64(v, key)).transpose()
}

impl AsMutSlice<u32> for Uint32ArraySlice<'_> {
    fn as_mut_slice(&mut self) -> &mut [u32] {
        // SAFETY: see `out_slice`: synchronous call on the JS thread, the slice does not outlive it.
        unsafe { self.as_mut() }
    }
}

impl AsMutSlice<f64> for Float64ArraySlice<'_> {
    fn as_mut_slice(&mut self) -> &mut [f64] {
        // SAFETY: see `out_slice`: synchronous call on the JS thread, the slice does not outlive it.
        unsafe { self.as_mut() }
    }
}

fn write_route(out: &mut [u32], i: usize, route: Option<Target>) {
    let (kind, value) = route.map_or((NO_ROUTE, 0), Target::encode);
    out[2 * i] = kind;
    out[2 * i + 1] = value;
}

/// Appends `bytes` to `json` as a JSON string (lossy UTF-8: a method is text).
fn push_json_string(json: &mut String, bytes: &[u8]) {
    json.push('"');
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            c if (c as u32) < 0x20 => json.push_str(&format!("\\u{:04x}", c as u32)),
            c => json.push(c),
        }
    }
    json.push('"');
}

/// One lookup, on a local router or in a batch on a shared table (static dispatch in the batch loops).
trait Lookup {
    fn lookup(&mut self, transport: u32, method: &[u8], now: u64) -> Option<Target>;
}

impl Lookup for Router {
    fn lookup(&mut self, transport: u32, method: &[u8], now: u64) -> Option<Target> {
        Router::lookup(self, transport, method, now)
    }
}

impl Lookup for Reader<'_> {
    fn lookup(&mut self, transport: u32, method: &[u8], now: u64) -> Option<Target> {
        Reader::lookup(self, transport, method, now)
    }
}

// The local router is the common case and lives inline: the napi object holding this is on the heap already, and
// boxing it would only add a pointer to chase per batch.
#[allow(clippy::large_enum_variant)]
enum Inner {
    Local(Router),
    Shared(SharedRouter),
}

/// The route table with its LRU/TTL cache and stats.
#[napi]
pub struct BindingRouter {
    inner: Inner,
}

/// Runs `$body` with `$t` bound to the table to change: the local router, or the shared table through one atomic
/// update.
macro_rules! change {
    ($self:ident, |$t:ident| $body:expr) => {
        match &mut $self.inner {
            Inner::Local($t) => $body,
            Inner::Shared(h) => h.table().update(|$t| $body),
        }
        .map_err(table_err)
    };
}

#[napi]
impl BindingRouter {
    /// A router with an empty table; the options are validated as `updateConfig` validates them.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        enable_route_cache: bool,
        cache_ttl_ms: f64,
        max_cache_entries: f64,
        enable_stats_collection: bool,
    ) -> Result<Self> {
        let mut this = Self {
            inner: Inner::Local(Router::new(RouteConfig::default())),
        };
        this.apply(
            Some(enable_route_cache),
            Some(cache_ttl_ms),
            Some(max_cache_entries),
            Some(enable_stats_collection),
        )?;
        this.reset_stats();
        Ok(this)
    }

    /// A handle on the table another router published with `share()` (on this thread or any other of the process):
    /// the same table, not a copy, with a cache and counters of its own. Throws when no table is published under `id`
    /// (never was, was withdrawn with `unshare()`, or is gone).
    #[napi(factory, catch_unwind)]
    pub fn attach(id: u32) -> Result<Self> {
        let table = route::published(id).ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                format!("route table {id} is not shared (unknown id, or released with unshare)"),
            )
        })?;
        Ok(Self {
            inner: Inner::Shared(table.handle()),
        })
    }

    /// Publishes this router's table for other threads and returns its id (for `BindingRouter.attach`). The first call
    /// moves a local table into shared form — its routes, cache, counters and message counts carry over; from then on
    /// every change publishes a new snapshot (a copy of the table that shares each untouched server's routes). Calling
    /// it again publishes the same id again.
    #[napi(catch_unwind)]
    pub fn share(&mut self) -> u32 {
        let handle = match &mut self.inner {
            Inner::Shared(h) => return route::publish(h.table()),
            Inner::Local(r) => SharedTable::from_router(std::mem::take(r)).1,
        };
        let id = route::publish(handle.table());
        self.inner = Inner::Shared(handle);
        id
    }

    /// Withdraws this table's id: later `attach` calls fail; handles already attached keep working (the table lives
    /// while any handle does). Returns whether it was published.
    #[napi(catch_unwind)]
    pub fn unshare(&self) -> bool {
        match &self.inner {
            Inner::Shared(h) => route::unpublish(h.table().id()),
            Inner::Local(_) => false,
        }
    }

    /// The id of the shared table this router is a handle on, or null for a local router.
    #[napi(getter, catch_unwind)]
    pub fn shared_id(&self) -> Option<u32> {
        match &self.inner {
            Inner::Shared(h) => Some(h.table().id()),
            Inner::Local(_) => None,
        }
    }

    /// Handles alive on this router's shared table (1 for a local router).
    #[napi(getter, catch_unwind)]
    pub fn handles(&self) -> u32 {
        match &self.inner {
            Inner::Shared(h) => h.table().handles() as u32,
            Inner::Local(_) => 1,
        }
    }

    fn apply(
        &mut self,
        enable_route_cache: Option<bool>,
        cache_ttl_ms: Option<f64>,
        max_cache_entries: Option<f64>,
        enable_stats_collection: Option<bool>,
    ) -> Result<()> {
        let max = whole(max_cache_entries, "maxCacheEntries")?;
        let update = RouteConfigUpdate {
            enable_route_cache,
            cache_ttl_ms: whole(cache_ttl_ms, "cacheTtlMs")?,
            max_cache_entries: max.map(|v| u32::try_from(v).unwrap_or(u32::MAX)),
            enable_stats_collection,
        };
        match &mut self.inner {
            Inner::Local(r) => r.update_config(&update),
            Inner::Shared(h) => h.table().update_config(&update),
        }
        .map_err(to_napi)?;
        Ok(())
    }

    /// Changes the options given (undefined keeps one) at once, or throws naming the bad key and changes nothing.
    #[napi(catch_unwind)]
    pub fn update_config(
        &mut self,
        enable_route_cache: Option<bool>,
        cache_ttl_ms: Option<f64>,
        max_cache_entries: Option<f64>,
        enable_stats_collection: Option<bool>,
    ) -> Result<()> {
        self.apply(
            enable_route_cache,
            cache_ttl_ms,
            max_cache_entries,
            enable_stats_collection,
        )
    }

    #[napi(catch_unwind)]
    pub fn register_server(&mut self, id: u32) -> Result<()> {
        change!(self, |t| t.register_server(id))
    }

    #[napi(catch_unwind)]
    pub fn unregister_server(&mut self, id: u32) -> Result<()> {
        change!(self, |t| t.unregister_server(id))
    }

    #[napi(catch_unwind)]
    pub fn register_transport(&mut self, id: u32) -> Result<()> {
        change!(self, |t| t.register_transport(id))
    }

    #[napi(catch_unwind)]
    pub fn unregister_transport(&mut self, id: u32) -> Result<()> {
        change!(self, |t| t.unregister_transport(id))
    }

    /// Binds a transport to a server; a negative server unbinds it.
    #[napi(catch_unwind)]
    pub fn bind_transport(&mut self, transport: u32, server: i64) -> Result<()> {
        let server = if server < 0 {
            None
        } else {
            Some(u32::try_from(server).map_err(|_| {
                Error::new(
                    Status::InvalidArg,
                    format!("server id {server} is out of range"),
                )
            })?)
        };
        change!(self, |t| t.bind_transport(transport, server))
    }

    #[napi(catch_unwind)]
    pub fn set_route(&mut self, server: u32, method: String, kind: u32, value: u32) -> Result<()> {
        let target = target(kind, value)?;
        change!(self, |t| t.set_route(server, method.as_bytes(), target))
    }

    #[napi(catch_unwind)]
    pub fn remove_route(&mut self, server: u32, method: String) -> Result<bool> {
        change!(self, |t| t.remove_route(server, method.as_bytes()))
    }

    /// Sets the server's route for methods without their own; kind 0 removes it.
    #[napi(catch_unwind)]
    pub fn set_fallback(&mut self, server: u32, kind: u32, value: u32) -> Result<()> {
        let t = if kind == NO_ROUTE {
            None
        } else {
            Some(target(kind, value)?)
        };
        change!(self, |table| table.set_fallback(server, t))
    }

    /// Routes `count` methods (the bytes of method i are `methods[ends[i-1]..ends[i]]`) arriving on `transport`,
    /// writing (kind, value) for method i into `out[2i..2i+2]`. Returns how many found a route.
    #[napi(catch_unwind)]
    pub fn route_methods(
        &mut self,
        transport: u32,
        methods: &[u8],
        ends: &[u32],
        count: u32,
        now_ms: f64,
        mut out: Uint32ArraySlice,
    ) -> Result<u32> {
        let count = count as usize;
        let out = out_slice(&mut out);
        if ends.len() < count || out.len() < 2 * count {
            return Err(Error::new(
                Status::InvalidArg,
                "ends must hold count values and out 2 × count",
            ));
        }
        let now = now(now_ms)?;
        let ends = &ends[..count];
        match &mut self.inner {
            Inner::Local(r) => route_methods_in(r, transport, methods, ends, now, out),
            Inner::Shared(h) => {
                route_methods_in(&mut h.reader(), transport, methods, ends, now, out)
            }
        }
    }

    /// Routes the frame records `first..first+count` of a decoder's `records` (as `push` wrote them for `chunk`; a
    /// FRAME_ASSEMBLED record's bytes are `assembled`) by their method, writing (kind, value) for record `first + i`
    /// into `out[2i..2i+2]`: 0 when the record is not a frame with a string method or has no route, 3 when the method
    /// has escapes (decode it and use `routeMethods`). Returns how many found a route. One crossing per chunk.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn route_records(
        &mut self,
        transport: u32,
        chunk: &[u8],
        assembled: &[u8],
        records: &[i32],
        first: u32,
        count: u32,
        now_ms: f64,
        mut out: Uint32ArraySlice,
    ) -> Result<u32> {
        let (first, count) = (first as usize, count as usize);
        let out = out_slice(&mut out);
        if records.len() < RECORD_STRIDE * (1 + first + count) || out.len() < 2 * count {
            return Err(Error::new(
                Status::InvalidArg,
                "records must hold the records asked for and out 2 × count",
            ));
        }
        let now = now(now_ms)?;
        Ok(self.route_range(transport, chunk, assembled, records, first, count, now, out))
    }

    /// The loop of `route_records`, also run by `BindingDecoder.pushRouted` inside the decoding crossing. The caller
    /// has checked that `records` holds the records and `out` 2 × count values.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn route_range(
        &mut self,
        transport: u32,
        chunk: &[u8],
        assembled: &[u8],
        records: &[i32],
        first: usize,
        count: usize,
        now: u64,
        out: &mut [u32],
    ) -> u32 {
        match &mut self.inner {
            Inner::Local(r) => route_range_in(
                r, transport, chunk, assembled, records, first, count, now, out,
            ),
            Inner::Shared(h) => route_range_in(
                &mut h.reader(),
                transport,
                chunk,
                assembled,
                records,
                first,
                count,
                now,
                out,
            ),
        }
    }

    /// Writes lookups, hits, misses, unrouted, evictions, expirations, invalidations, entries into `out[0..8]`.
    #[napi(catch_unwind)]
    pub fn stats(&self, mut out: Float64ArraySlice) -> Result<()> {
        let out = out_slice(&mut out);
        if out.len() < STATS_LEN {
            return Err(Error::new(Status::InvalidArg, "out must hold 8 values"));
        }
        let s = match &self.inner {
            Inner::Local(r) => r.stats(),
            Inner::Shared(h) => h.table().stats(),
        };
        let values = [
            s.lookups,
            s.hits,
            s.misses,
            s.unrouted,
            s.evictions,
            s.expirations,
            s.invalidations,
            s.entries,
        ];
        for (o, v) in out.iter_mut().zip(values) {
            *o = v as f64;
        }
        Ok(())
    }

    /// Zeroes the counters.
    #[napi(catch_unwind)]
    pub fn reset_stats(&mut self) {
        match &mut self.inner {
            Inner::Local(r) => r.reset_stats(),
            Inner::Shared(h) => h.table().reset_stats(),
        }
    }

    /// Drops the cache entries past their TTL at `nowMs`; returns how many.
    #[napi(catch_unwind)]
    pub fn sweep(&mut self, now_ms: f64) -> Result<u32> {
        let now = now(now_ms)?;
        Ok(match &mut self.inner {
            Inner::Local(r) => r.sweep(now),
            Inner::Shared(h) => h.table().sweep(now),
        } as u32)
    }

    /// Every route as JSON: `[{"server":1,"method":"tools/call"|null,"kind":1,"value":7,"messages":12}, …]`.
    #[napi(catch_unwind)]
    pub fn routes_json(&self) -> String {
        let mut json = String::from("[");
        let routes: Vec<RouteEntry> = match &self.inner {
            Inner::Local(r) => r.routes(),
            Inner::Shared(h) => h.table().routes(),
        };
        for (i, r) in routes.into_iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            let (kind, value) = r.target.encode();
            json.push_str(&format!("{{\"server\":{},\"method\":", r.server));
            match &r.method {
                Some(m) => push_json_string(&mut json, m),
                None => json.push_str("null"),
            }
            json.push_str(&format!(
                ",\"kind\":{kind},\"value\":{value},\"messages\":{}}}",
                r.messages
            ));
        }
        json.push(']');
        json
    }
}

/// The loop of `routeMethods` (the caller has checked `out` holds 2 × ends.len() values).
fn route_methods_in(
    l: &mut impl Lookup,
    transport: u32,
    methods: &[u8],
    ends: &[u32],
    now: u64,
    out: &mut [u32],
) -> Result<u32> {
    let mut start = 0usize;
    let mut routed = 0;
    for (i, &end) in ends.iter().enumerate() {
        let end = end as usize;
        if end < start || end > methods.len() {
            return Err(Error::new(
                Status::InvalidArg,
                format!("ends[{i}] = {end} is out of order or past the methods"),
            ));
        }
        let route = l.lookup(transport, &methods[start..end], now);
        routed += u32::from(route.is_some());
        write_route(out, i, route);
        start = end;
    }
    Ok(routed)
}

/// The loop of `routeRecords` / `pushRouted` (see `BindingRouter::route_range`).
#[allow(clippy::too_many_arguments)]
fn route_range_in(
    l: &mut impl Lookup,
    transport: u32,
    chunk: &[u8],
    assembled: &[u8],
    records: &[i32],
    first: usize,
    count: usize,
    now: u64,
    out: &mut [u32],
) -> u32 {
    let mut routed = 0;
    for i in 0..count {
        let r = &records[RECORD_STRIDE * (1 + first + i)..RECORD_STRIDE * (2 + first + i)];
        let packed = r[3] as u32;
        let (frame, ok) = if r[0] == RecordStatus::Frame as i32 {
            let (s, e) = (r[1] as usize, r[2] as usize);
            (chunk.get(s..e), true)
        } else if r[0] == RecordStatus::FrameAssembled as i32 {
            (Some(assembled), true)
        } else {
            (None, false)
        };
        let method_type = (packed >> 12) & 0xf;
        if !ok || method_type != ValueType::String as u32 {
            write_route(out, i, None);
            continue;
        }
        if (packed >> 16) & 1 == 1 {
            out[2 * i] = ESCAPED;
            out[2 * i + 1] = 0;
            continue;
        }
        let method = frame.and_then(|f| f.get(r[6] as usize..r[7] as usize));
        let route = method.and_then(|m| l.lookup(transport, m, now));
        routed += u32::from(route.is_some());
        write_route(out, i, route);
    }
    routed
}
