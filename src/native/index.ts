/**
 * Loads the core: the native addon (crates/nmcp-node, via the napi-rs generated loader in native/binding.cjs) or, when
 * it is missing, fails to load, or NMCP_NATIVE=0, the pure-TypeScript twin with the same interface.
 *
 * NMCP_REQUIRE_NATIVE=1 turns a load failure into an error (npm test sets it, so a broken addon cannot hide behind the
 * twin).
 */

import { createRequire } from 'node:module';
import { ErrorCode, NmcpError } from '../errors.js';
import {
  type BindingDecoder,
  type BindingRouter,
  type CoreBinding,
  Framing,
  type SharedRouterHandle,
} from './binding-types.js';
import { twinBinding } from './twin/index.js';

/** The native router's own methods beyond the shared interface: publishing its table to other threads. */
interface NativeRouter extends BindingRouter {
  share(): number;
  unshare(): boolean;
  readonly sharedId: number | null;
  readonly handles: number;
}

/** What the generated loader exports (see native/binding.d.cts). */
interface NativeExports {
  BindingDecoder: new (framing: number, maxMessageSize: number) => BindingDecoder;
  BindingRouter: {
    new (
      enableRouteCache: boolean,
      cacheTtlMs: number,
      maxCacheEntries: number,
      enableStatsCollection: boolean,
    ): NativeRouter;
    attach(id: number): NativeRouter;
  };
  scanEnvelope(frame: Uint8Array, out: Int32Array): void;
  encodeFrames: CoreBinding['encodeFrames'];
  encodeJoined: CoreBinding['encodeJoined'];
  rewriteFrames: CoreBinding['rewriteFrames'];
  nameSpans: CoreBinding['nameSpans'];
  setSocketOptions: CoreBinding['setSocketOptions'];
  getSocketOptions: CoreBinding['getSocketOptions'];
  coreVersion(): string;
}

export type CoreKind = 'native' | 'ts';

export interface CoreInfo {
  /** Which implementation serves the core API. */
  readonly kind: CoreKind;
  /** Why the twin is active (undefined when native). */
  readonly reason: string | undefined;
  /** nmcp-core crate version for native, 'ts' for the twin. */
  readonly version: string;
}

function nativeRouter(native: NativeExports, router: BindingRouter): NativeRouter {
  if (!(router instanceof native.BindingRouter)) {
    throw new TypeError('the router was not made by the native core: share it with the core that made it');
  }
  return router;
}

function fromNative(native: NativeExports): CoreBinding {
  return {
    shareRouter: (router): SharedRouterHandle => ({
      kind: 'nmcp.route-table',
      core: 'native',
      id: nativeRouter(native, router).share(),
      pid: process.pid,
      transferList: [],
    }),
    unshareRouter: (router) => nativeRouter(native, router).unshare(),
    attachRouter: (handle) => native.BindingRouter.attach(handle.id),
    createDecoder: (framing, maxMessageSize) => new native.BindingDecoder(framing, maxMessageSize),
    createRouter: (enableRouteCache, cacheTtlMs, maxCacheEntries, enableStats) =>
      new native.BindingRouter(enableRouteCache, cacheTtlMs, maxCacheEntries, enableStats),
    scanEnvelope: native.scanEnvelope,
    encodeFrames: native.encodeFrames,
    encodeJoined: native.encodeJoined,
    rewriteFrames: native.rewriteFrames,
    nameSpans: native.nameSpans,
    setSocketOptions: native.setSocketOptions,
    getSocketOptions: native.getSocketOptions,
  };
}

/**
 * `encodeJoined` is served by the twin even when the addon is loaded for NDJSON (there is no framing work for native to
 * win: both are one UTF-8 transcode, measured 0.8–1.5× run to run) and for length-prefixed batches above this many
 * UTF-16 code units (both spend their time in the same transcoding; native measured 0.87–0.99× there), while native
 * serves length-prefixed small-message batches (1.2–2.0×). docs/core-performance.md. A user never pays for native.
 */
export const NATIVE_ENCODE_JOINED_MAX_CHARS = 256 * 1024;

/** The binding users get: native, with each operation routed to whichever implementation measured faster. */
function served(native: CoreBinding): CoreBinding {
  return {
    ...native,
    encodeJoined: (framing, maxMessageSize, joined, dst) =>
      framing !== Framing.LENGTH_PREFIXED || joined.length > NATIVE_ENCODE_JOINED_MAX_CHARS
        ? twinBinding.encodeJoined(framing, maxMessageSize, joined, dst)
        : native.encodeJoined(framing, maxMessageSize, joined, dst),
  };
}

function load(): { binding: CoreBinding; info: CoreInfo } {
  if (process.env.NMCP_NATIVE === '0') {
    return { binding: twinBinding, info: { kind: 'ts', reason: 'NMCP_NATIVE=0', version: 'ts' } };
  }
  try {
    const require = createRequire(import.meta.url);
    // dist/native/index.js and src/native/index.ts both sit two levels below the package root.
    const native = require('../../native/binding.cjs') as NativeExports;
    return {
      binding: served(fromNative(native)),
      info: { kind: 'native', reason: undefined, version: native.coreVersion() },
    };
  } catch (cause) {
    const reason = `native addon failed to load: ${(cause as Error).message.split('\n')[0]}`;
    if (process.env.NMCP_REQUIRE_NATIVE === '1') {
      throw new NmcpError(
        ErrorCode.NATIVE_UNAVAILABLE,
        `${reason}. Build it with \`npm run build:native\` (needs a Rust toolchain), or unset NMCP_REQUIRE_NATIVE to use the TypeScript twin.`,
        {},
        { cause },
      );
    }
    return { binding: twinBinding, info: { kind: 'ts', reason, version: 'ts' } };
  }
}

const loaded = load();

/** The active core implementation. */
export const core: CoreBinding = loaded.binding;

/** Which core is active, and why (shown by `nmcp doctor` and in metrics). */
export function activeCore(): CoreInfo {
  return loaded.info;
}

/** The pure-TypeScript twin, always available (tests and benchmarks compare it with the native core). */
export { twinBinding };

/** The raw native binding if it loads (no routing to the twin), else undefined: for tests and benchmarks. */
export function loadNativeBinding(): CoreBinding | undefined {
  try {
    const require = createRequire(import.meta.url);
    return fromNative(require('../../native/binding.cjs') as NativeExports);
  } catch {
    return undefined;
  }
}
