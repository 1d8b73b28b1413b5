/**
 * The pure-TypeScript twin of the Rust core (docs/core-api.md): serves the same `CoreBinding` interface as the native
 * addon, byte for byte, when the addon is missing or disabled.
 */

import type { BindingDecoder, CoreBinding } from '../binding-types.js';
import { Framing } from '../binding-types.js';
import { checkFramingOptions, encodeFrames, encodeJoined } from './encode.js';
import { scanEnvelope } from './envelope.js';
import { LengthPrefixedDecoder } from './length-prefixed-decoder.js';
import { NdjsonDecoder } from './ndjson-decoder.js';

function createDecoder(framing: number, maxMessageSize: number): BindingDecoder {
  checkFramingOptions(framing, maxMessageSize);
  return framing === Framing.NDJSON ? new NdjsonDecoder(maxMessageSize) : new LengthPrefixedDecoder(maxMessageSize);
}

export const twinBinding: CoreBinding = { createDecoder, scanEnvelope, encodeFrames, encodeJoined };
