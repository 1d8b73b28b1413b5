/**
 * nmcp: a Model Context Protocol runtime for Node.js whose hot path is native.
 * This module only re-exports; each concept lives in its own file.
 */

export type { BatchWriterOptions, FramingOptions } from './config/defaults.js';
export { DEFAULT_BATCH_WRITER_OPTIONS, DEFAULT_FRAMING_OPTIONS, MiB } from './config/defaults.js';
export type { NmcpErrorCode } from './errors.js';
export { ErrorCode, NmcpError } from './errors.js';
export type { BatchWriterInit, BatchWriterStats, WriteSink } from './framing/batch-writer.js';
export { BatchWriter } from './framing/batch-writer.js';
export type { DecodedRecord, EnvelopeId, FrameDecoderOptions } from './framing/frame-decoder.js';
export { decodeRecords, FrameDecoder } from './framing/frame-decoder.js';
export type { CoreBinding, KindCode, StatusCode } from './native/binding-types.js';
export { Framing, Kind, Status, ValueType } from './native/binding-types.js';
export type { CoreInfo, CoreKind } from './native/index.js';
export { activeCore } from './native/index.js';
