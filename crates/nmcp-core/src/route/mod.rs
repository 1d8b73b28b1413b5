//! The route table of a process that hosts several MCP servers or fronts upstream servers (the seed's "optimized
//! registry"): servers and transports registered by id, transports bound to servers, method → target routes per
//! server, and a route cache in front of the table.
//!
//! - [`RouteTable`] is the truth: every change to it is immediate.
//! - [`RouteCache`] is an LRU with a TTL in front of it. Each entry remembers the generation of the transport binding
//!   and of the server's routes it was resolved under; a change to either bumps that generation, so an affected
//!   entry is a miss from that instant (a stale route is never used) and is dropped when met.
//! - [`Router`] puts the two together with the live configuration ([`RouteConfig`]) and the statistics
//!   ([`RouteStats`]); it is what the N-API binding exposes.
//! - [`SharedTable`] is the same table shared by the threads of a process: readers load an immutable snapshot without
//!   a lock, writers publish a changed copy (RCU), each thread's [`SharedRouter`] keeps its own cache and counters.
//!
//! Time is passed in (milliseconds from any fixed origin) rather than read here, so the cache is deterministic under
//! test and the caller reads the clock once per chunk, not once per lookup.

mod cache;
mod config;
mod router;
mod shared;
mod table;

pub use cache::{CacheOutcome, RouteCache};
pub use config::{RouteConfig, RouteConfigUpdate};
pub use router::{RouteStats, Router};
pub use shared::{publish, published, unpublish, Reader, SharedRouter, SharedTable};
pub use table::{RouteEntry, RouteTable, TableError};

/// A server registered in the table (chosen by the caller; unique among servers).
pub type ServerId = u32;
/// A transport (a connection, a listener, an HTTP path) registered in the table.
pub type TransportId = u32;

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A handler of the bound server (an index the caller's dispatch table understands).
    Handler(u32),
    /// An upstream server (the gateway forwards the frame to it).
    Upstream(u32),
}

impl Target {
    /// (kind, value) for a flat array: kind 1 = handler, 2 = upstream (0 is left for "no route").
    pub fn encode(self) -> (u32, u32) {
        match self {
            Target::Handler(h) => (1, h),
            Target::Upstream(u) => (2, u),
        }
    }
}
