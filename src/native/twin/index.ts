/**
 * The pure-TypeScript twin of the Rust core (docs/core-api.md): serves the same `CoreBinding` interface as the native
 * addon, byte for byte, when the addon is missing or disabled.
 */

import type { BindingDecoder, BindingRouter, CoreBinding, SocketOptionValues } from '../binding-types.js';
import { Framing } from '../binding-types.js';
import { checkFramingOptions, encodeFrames, encodeJoined } from './encode.js';
import { scanEnvelope } from './envelope.js';
import { nameSpans, rewriteFrames } from './forward.js';
import { LengthPrefixedDecoder } from './length-prefixed-decoder.js';
import { NdjsonDecoder } from './ndjson-decoder.js';
import { TwinRouter } from './router.js';

function createDecoder(framing: number, maxMessageSize: number): BindingDecoder {
  checkFramingOptions(framing, maxMessageSize);
  return framing === Framing.NDJSON ? new NdjsonDecoder(maxMessageSize) : new LengthPrefixedDecoder(maxMessageSize);
}

/** JS has no setsockopt: the twin applies none of the options (the transport reports them as not applied). */
function setSocketOptions(_fd: number, _values: SocketOptionValues): number {
  return 0;
}

function getSocketOptions(_fd: number, out: Int32Array): void {
  out.fill(-1, 0, 6);
}

function twinRouter(router: BindingRouter): TwinRouter {
  if (!(router instanceof TwinRouter)) {
    throw new TypeError('the router was not made by the TypeScript twin: share it with the core that made it');
  }
  return router;
}

export const twinBinding: CoreBinding = {
  createDecoder,
  shareRouter: (router) => twinRouter(router).share(),
  unshareRouter: (router) => twinRouter(router).unshare(),
  attachRouter: (handle) => TwinRouter.attach(handle),
  createRouter: (enableRouteCache, cacheTtlMs, maxCacheEntries, enableStats) =>
    new TwinRouter(enableRouteCache, cacheTtlMs, maxCacheEntries, enableStats),
  scanEnvelope,
  encodeFrames,
  encodeJoined,
  rewriteFrames,
  nameSpans,
  setSocketOptions,
  getSocketOptions,
};
