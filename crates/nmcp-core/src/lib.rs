//! nmcp's hot path in pure Rust: NDJSON and length-prefixed framing, the JSON-RPC envelope scan, frame encoding and a
//! write-batching state machine, the gateway's in-bytes frame rewriting (`forward`), and the route table with its cache (`route`). No N-API here: `crates/nmcp-node` binds this crate for Node.js, and the TS twin in
//! `src/native/twin/` implements the same contract, which is normative in `docs/core-api.md` and pinned down by
//! `test/vectors/*.json`.

pub mod batch;
pub mod decoder;
pub mod encode;
pub mod envelope;
pub mod error;
pub mod forward;
pub mod framing;
mod length_prefixed;
mod lex;
mod ndjson;
pub mod route;

pub use batch::{BatchPolicy, Batcher, Offer};
pub use decoder::{Decoder, MAX_CHUNK_LEN};
pub use encode::{encode_frames, encode_joined, frame_joined_in_place};
pub use envelope::{scan_envelope, Envelope, Kind, Span, ValueType};
pub use error::CoreError;
pub use forward::{
    name_span, name_spans, rewrite_batch, rewrite_id, rewrite_request, ForwardError,
};
pub use framing::{
    validate_max_message_size, Framing, Status, DEFAULT_MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE_LIMIT,
    RECORD_STRIDE,
};
pub use route::{
    RouteCache, RouteConfig, RouteConfigUpdate, RouteStats, RouteTable, Router, TableError, Target,
};
