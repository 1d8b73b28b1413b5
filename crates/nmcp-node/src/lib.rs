//! napi-rs bindings over `nmcp-core`: a thin, batch-oriented facade.
//!
//! Every export here crosses the N-API boundary once per chunk or batch, takes bytes (`&[u8]`) and writes its results
//! into JS-owned typed arrays. No JS objects are built on this side (they cost ~1 µs each); JS builds what it needs.
//! The contract is docs/core-api.md; the TS twin in src/native/twin/ serves the same interface.
//!
//! No panic may cross the boundary: every export is `catch_unwind` and core failures come back as `Err`.

#![deny(clippy::all)]

use napi::bindgen_prelude::*;
use napi::{sys, JsString, JsValue};
use napi_derive::napi;
use nmcp_core::{CoreError, Decoder};

mod forward;
mod router;
use router::BindingRouter;
mod sockopt;

pub use forward::{name_spans, rewrite_frames};
pub use sockopt::SocketOptionValues;

/// A JS-owned typed array that this call writes into.
///
/// SAFETY (for every caller): N-API calls run on the JS thread and these functions are synchronous, so no JS code can
/// run — and touch or detach the array — while the returned slice is alive; the slice never outlives the call.
fn out_slice<T>(view: &mut impl AsMutSlice<T>) -> &mut [T] {
    view.as_mut_slice()
}

trait AsMutSlice<T> {
    fn as_mut_slice(&mut self) -> &mut [T];
}

impl AsMutSlice<i32> for Int32ArraySlice<'_> {
    fn as_mut_slice(&mut self) -> &mut [i32] {
        // SAFETY: see `out_slice`: synchronous call on the JS thread, the slice does not outlive it.
        unsafe { self.as_mut() }
    }
}

impl AsMutSlice<u8> for Uint8ArraySlice<'_> {
    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: see `out_slice`: synchronous call on the JS thread, the slice does not outlive it.
        unsafe { self.as_mut() }
    }
}

fn to_napi(err: CoreError) -> Error {
    Error::new(Status::InvalidArg, err.to_string())
}

/// Converts a JS number that must be a non-negative integer into a u64 (JS numbers are f64).
fn to_u64(value: f64, name: &str) -> Result<u64> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= 9_007_199_254_740_991.0
    {
        Ok(value as u64)
    } else {
        Err(Error::new(
            Status::InvalidArg,
            format!("{name} must be a non-negative integer, got {value}"),
        ))
    }
}

/// Framing arrives as a JS number: 0.5, NaN or 2^32 must be refused, not truncated to 0 by a u32 conversion.
fn to_framing(value: f64) -> Result<u32> {
    match to_u64(value, "framing")? {
        v @ (0 | 1) => Ok(v as u32),
        v => Err(to_napi(CoreError::InvalidFraming { value: v as u32 })),
    }
}

/// A stateful frame decoder (NDJSON or length-prefixed) that also scans each frame's JSON-RPC envelope.
#[napi]
pub struct BindingDecoder {
    inner: Decoder,
}

#[napi]
impl BindingDecoder {
    #[napi(constructor, catch_unwind)]
    pub fn new(framing: f64, max_message_size: f64) -> Result<Self> {
        let max = to_u64(max_message_size, "maxMessageSize")?;
        let inner = Decoder::new(to_framing(framing)?, max).map_err(to_napi)?;
        Ok(Self { inner })
    }

    /// Decodes `chunk[start..]` into records in `out` (see docs/core-api.md); returns the number of records written
    /// and stores the consumed position in `out[0]`.
    #[napi(catch_unwind)]
    pub fn push(
        &mut self,
        chunk: &[u8],
        start: u32,
        mut out: Int32ArraySlice,
        out_record_start: u32,
    ) -> Result<u32> {
        let written = self
            .inner
            .push(
                chunk,
                start as usize,
                out_slice(&mut out),
                out_record_start as usize,
            )
            .map_err(to_napi)?;
        Ok(written as u32)
    }

    /// `push`, and in the same crossing the records it wrote routed through `router` by their method (the route table's
    /// lookups happen inside the decoding call, never one call per message): (kind, value) of record `r` — counted
    /// from 0 over the whole `out` array, like `out_record_start` — into `routes[2r..2r+2]`, as `routeRecords` writes
    /// them (3: a method with escapes, to route by its decoded string).
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn push_routed(
        &mut self,
        chunk: &[u8],
        start: u32,
        mut out: Int32ArraySlice,
        out_record_start: u32,
        router: &mut BindingRouter,
        transport: u32,
        now_ms: f64,
        mut routes: Uint32ArraySlice,
    ) -> Result<u32> {
        let now = router::now(now_ms)?;
        let records = out_slice(&mut out);
        let first = out_record_start as usize;
        let written = self
            .inner
            .push(chunk, start as usize, records, first)
            .map_err(to_napi)?;
        let routes = out_slice(&mut routes);
        if routes.len() < 2 * (first + written) {
            return Err(Error::new(
                Status::InvalidArg,
                "routes must hold 2 values per record of out",
            ));
        }
        let assembled = self.inner.assembled().unwrap_or(&[]);
        router.route_range(
            transport,
            chunk,
            assembled,
            records,
            first,
            written,
            now,
            &mut routes[2 * first..],
        );
        Ok(written as u32)
    }

    /// Copies the frame assembled by the last `push` into `dst` (whose length must be the frame's length).
    #[napi(catch_unwind)]
    pub fn take_assembled(&mut self, mut dst: Uint8ArraySlice) -> Result<()> {
        self.inner
            .take_assembled(out_slice(&mut dst))
            .map_err(to_napi)
    }

    #[napi(catch_unwind)]
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Scan each frame's envelope (default true); false: frames only, each record kind UNSCANNED (Decoder::set_scan).
    #[napi(catch_unwind)]
    pub fn set_scan(&mut self, scan: bool) {
        self.inner.set_scan(scan);
    }
}

/// Scans one frame's envelope; writes the packed envelope and the id/method spans into `out[0..5]`.
#[napi(catch_unwind)]
pub fn scan_envelope(frame: &[u8], mut out: Int32ArraySlice) -> Result<()> {
    let out = out_slice(&mut out);
    if out.len() < 5 {
        return Err(Error::new(Status::InvalidArg, "out must hold 5 values"));
    }
    nmcp_core::scan_envelope(frame).write_cols(&mut out[..5]);
    Ok(())
}

/// Frames `count` contiguous payloads into `dst`; returns bytes written or `-(i+1)` for the first refused payload.
#[napi(catch_unwind)]
pub fn encode_frames(
    framing: f64,
    max_message_size: f64,
    payloads: &[u8],
    ends: &[u32],
    count: u32,
    mut dst: Uint8ArraySlice,
) -> Result<i64> {
    let max = to_u64(max_message_size, "maxMessageSize")?;
    nmcp_core::encode_frames(
        to_framing(framing)?,
        max,
        payloads,
        ends,
        count as usize,
        out_slice(&mut dst),
    )
    .map_err(to_napi)
}

/// Frames the `\n`-joined messages of `joined` into `dst`; returns bytes written or `-(i+1)` for the first refused one.
///
/// V8 transcodes the string straight into `dst` (no intermediate Rust `String`) and the core frames it in place: the
/// message bytes are written once and moved once, which is what lets this beat the twin's `Buffer#write` + JS loop.
#[napi(catch_unwind)]
pub fn encode_joined(
    framing: f64,
    max_message_size: f64,
    joined: JsString,
    mut dst: Uint8ArraySlice,
) -> Result<i64> {
    let max = to_u64(max_message_size, "maxMessageSize")?;
    let framing = to_framing(framing)?;
    let dst = out_slice(&mut dst);
    let value = joined.value();
    let mut len = 0usize;
    // SAFETY: `value` is a live string handle of this call; a NULL buffer only asks for the UTF-8 length.
    let status = unsafe {
        sys::napi_get_value_string_utf8(value.env, value.value, std::ptr::null_mut(), 0, &mut len)
    };
    check(status)?;
    // NDJSON frames the text where it lands (at 0); length-prefixed lands it at the end of dst (one spare byte for
    // V8's NUL terminator) and moves each message down behind its header.
    let src = if framing == 0 {
        0
    } else {
        dst.len().saturating_sub(len + 1)
    };
    let room = dst.len().saturating_sub(src);
    if room < len + 1 {
        return Err(to_napi(CoreError::OutputTooSmall {
            needed: src + len + 1,
            got: dst.len(),
        }));
    }
    let mut written = 0usize;
    // SAFETY: the destination pointer and `room` describe `dst[src..]`, which we hold exclusively for this call;
    // V8 writes at most `room` bytes (the text plus a NUL) and reports how many text bytes it wrote.
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            value.env,
            value.value,
            dst.as_mut_ptr().add(src).cast(),
            room,
            &mut written,
        )
    };
    check(status)?;
    nmcp_core::frame_joined_in_place(framing, max, dst, src, written).map_err(to_napi)
}

fn check(status: sys::napi_status) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(
            Status::from(status),
            "reading a JS string failed",
        ))
    }
}

/// Sets the TCP options Node's API does not expose (keep-alive interval and probe count, TCP_USER_TIMEOUT, kernel
/// buffer sizes) on the socket descriptor `fd`, where the OS has them. Returns the bitmask of the options applied
/// (bit order: keepAliveIdleMs, keepAliveIntervalMs, keepAliveProbes, userTimeoutMs, sendBufferSize, recvBufferSize).
#[napi(catch_unwind)]
pub fn set_socket_options(fd: i32, values: SocketOptionValues) -> u32 {
    sockopt::set(fd, &values)
}

/// Reads the same six options of `fd` back into `out[0..6]` (ms, count, bytes; -1 where unavailable): for tests and
/// diagnostics.
#[napi(catch_unwind)]
pub fn get_socket_options(fd: i32, mut out: Int32ArraySlice) -> Result<()> {
    let out = out_slice(&mut out);
    if out.len() < 6 {
        return Err(Error::new(Status::InvalidArg, "out must hold 6 values"));
    }
    sockopt::get(fd, &mut out[..6]);
    Ok(())
}

/// The version of the core crate this addon was built from (shown by `nmcp doctor`).
#[napi]
pub fn core_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
