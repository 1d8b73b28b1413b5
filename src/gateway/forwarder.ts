/**
 * The gateway's data plane (docs/design/gateway.md): `tools/call` and `prompts/get` requests are forwarded from the
 * downstream connections to the upstream servers as bytes — never parsed. Per decoded chunk of a downstream
 * connection, one call into the core routes every frame by its method (RouteRegistry.routeFrames), one finds each
 * forwarded frame's `params.name` (nameSpans), and one rewrites them all (rewriteFrames): the downstream id becomes a
 * gateway id (`"~g<n>"`, a range the upstream's own McpClient never uses, so one upstream connection carries both
 * planes) and the `<upstream><separator>` namespace is cut off the name. The upstream's response is recognised by
 * its gateway id, its id rewritten back to the downstream's, and written to that downstream connection as bytes.
 *
 * What is not forwarded here goes to the session as usual (the control plane answers it): a name without a known
 * namespace, a name written with escapes, any other method. A `notifications/cancelled` for a forwarded request is
 * translated to the gateway id and sent upstream.
 *
 * Each forwarded request has a deadline (the upstream's `timeoutMs`, the gateway's requestTimeoutMs): past it the
 * downstream gets a -32001 error and the upstream a `notifications/cancelled`. Each outcome is reported to the
 * upstream (`onSettled`: its circuit breaker counts a JSON-RPC error, a timeout or a lost connection as a failure, a
 * result as a success), as the control plane's calls are.
 *
 * Limits of this path, stated: it does not relay progress, so a request that carries a progress token is left to
 * the control plane (which does); raw forwarding is for
 * the legacy era on both sides — a request carrying the 2026-07-28 envelope is left to the control plane, and the
 * gateway adds only upstreams whose connection negotiated a legacy version.
 */

import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import type { RouteRegistryOptions } from '../config/defaults.js';
import type { FrameDecoder } from '../framing/frame-decoder.js';
import { type CoreBinding, Kind, RouteKind } from '../native/binding-types.js';
import { core as activeCore } from '../native/index.js';
import { RpcCode } from '../protocol/jsonrpc.js';
import { RouteRegistry, type RouteRegistryStats } from '../registry/route-registry.js';
import type { FrameTransport } from '../transport/types.js';
import type { UpstreamLink } from './http-link.js';

/** Route values in the forwarder's own registry. */
const FORWARD_BY_NAME = 1;
const CANCEL = 2;

const GATEWAY_SERVER = 0;
const ID_PREFIX = Buffer.from('"~g');
const MODERN_ENVELOPE = Buffer.from('"io.modelcontextprotocol/protocolVersion"');
const PROGRESS_TOKEN = Buffer.from('"progressToken"');

export interface ForwarderOptions {
  /** Between the upstream's name and the tool or prompt name (default '__'). */
  separator?: string;
  /** The core (default: the active one). */
  core?: CoreBinding;
}

export interface ForwarderStats {
  /** Requests written to an upstream. */
  forwarded: number;
  /** Responses written back to a downstream connection. */
  answered: number;
  /** Forwarded requests answered with an error because their upstream went away. */
  failed: number;
  /** Forwarded requests waiting for their response. */
  pending: number;
  /** Requests of a forwarded method left to the session (unknown namespace, escaped name). */
  notForwarded: number;
  /** Forwarded requests answered with -32001 because their upstream did not answer in time (counted in failed too). */
  timedOut: number;
}

/** How a forwarded request ended, as reported to its upstream (its circuit breaker and counters). */
export type ForwardOutcome = 'success' | 'failure' | 'cancelled';

export interface ForwardUpstreamOptions {
  /** Whether requests may go to it now (e.g. its circuit breaker is closed); when not, the control plane answers. */
  admit?: () => boolean;
  /** How long a forwarded request may wait for its answer, ms; 0 = no limit (the default). */
  timeoutMs?: number;
  /** Told once per forwarded request how it ended: an answer (a result; an error response is a failure), a timeout or a lost upstream (failure), or a downstream cancel. */
  onSettled?: (outcome: ForwardOutcome) => void;
}

interface Pending {
  readonly downstream: FrameTransport;
  /** The downstream request's id bytes, as written. */
  readonly id: Buffer;
  /** When it times out (performance.now() ms; Infinity without a timeout). */
  readonly deadline: number;
}

interface Upstream {
  readonly name: string;
  readonly transport: UpstreamLink;
  readonly admit: () => boolean;
  readonly timeoutMs: number;
  readonly onSettled: (outcome: ForwardOutcome) => void;
  /** The namespace prefix as bytes (`<name><separator>`), to compare with a name's start without a string. */
  readonly prefix: Buffer;
  /**
   * Its forwarded requests by gateway id, oldest first: one timeout per upstream makes deadlines ascend in insertion
   * order, so one timer for the oldest is all the sweep needs (no timer per request).
   */
  readonly pending: Map<number, Pending>;
  timer: NodeJS.Timeout | undefined;
}

const ignore = (): void => {};
const always = (): boolean => true;

export class Forwarder {
  readonly separator: string;
  readonly #core: CoreBinding;
  readonly #registry: RouteRegistry;
  readonly #upstreams = new Map<string, Upstream>();
  readonly #downstreams = new Map<FrameTransport, number>();
  #nextGatewayId = 1;
  #nextTransportId = 1;
  readonly #stats = { forwarded: 0, answered: 0, failed: 0, notForwarded: 0, timedOut: 0 };

  constructor(options: ForwarderOptions = {}) {
    this.separator = options.separator ?? '__';
    this.#core = options.core ?? activeCore;
    this.#registry = new RouteRegistry({ core: this.#core });
    this.#registry.registerServer(GATEWAY_SERVER);
    this.#registry.setRoute(GATEWAY_SERVER, 'tools/call', { handler: FORWARD_BY_NAME });
    this.#registry.setRoute(GATEWAY_SERVER, 'prompts/get', { handler: FORWARD_BY_NAME });
    this.#registry.setRoute(GATEWAY_SERVER, 'notifications/cancelled', { handler: CANCEL });
  }

  /** The route table's options, changed live (RouteRegistry.updateConfig): forwarding goes on meanwhile. */
  updateRouteConfig(update: Partial<RouteRegistryOptions>): Readonly<RouteRegistryOptions> {
    return this.#registry.updateConfig(update);
  }

  /** The route table's counters (lookups, hits, …): how the data plane routed. */
  routeStats(): RouteRegistryStats {
    return this.#registry.stats();
  }

  stats(): ForwarderStats {
    let pending = 0;
    for (const up of this.#upstreams.values()) pending += up.pending.size;
    return { ...this.#stats, pending };
  }

  /**
   * Forwards `<name><separator>…` requests to `transport`: a connected upstream past its legacy-era handshake — a
   * byte-stream transport, or an HttpUpstreamLink over a Streamable HTTP one.
   */
  addUpstream(name: string, transport: UpstreamLink, options: ForwardUpstreamOptions = {}): void {
    this.removeUpstream(name, new Error('replaced'));
    const timeoutMs = options.timeoutMs ?? 0;
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      throw new RangeError(`Forwarder.addUpstream: timeoutMs must be a finite number ≥ 0, got ${timeoutMs}`);
    }
    const up: Upstream = {
      name,
      transport,
      admit: options.admit ?? always,
      timeoutMs,
      onSettled: options.onSettled ?? ignore,
      prefix: Buffer.from(`${name}${this.separator}`, 'utf8'),
      pending: new Map(),
      timer: undefined,
    };
    this.#upstreams.set(name, up);
    transport.setInterceptor((decoder, count) => this.#fromUpstream(up, decoder, count));
  }

  /** Stops forwarding to an upstream; its pending requests are answered with an error naming `reason`. */
  removeUpstream(name: string, reason: Error): void {
    const up = this.#upstreams.get(name);
    if (!up) return;
    this.#upstreams.delete(name);
    up.transport.setInterceptor(undefined);
    clearTimeout(up.timer);
    up.timer = undefined;
    const message = JSON.stringify(`upstream ${name} is unavailable: ${reason.message}`);
    const pending = [...up.pending.values()];
    up.pending.clear();
    for (const p of pending) {
      this.#stats.failed++;
      p.downstream.send(
        `{"jsonrpc":"2.0","id":${p.id.toString('utf8')},"error":{"code":${RpcCode.INTERNAL_ERROR},"message":${message}}}`,
      );
      this.#settle(up, 'failure');
    }
  }

  #settle(up: Upstream, outcome: ForwardOutcome): void {
    try {
      up.onSettled(outcome);
    } catch {
      // the callback's own failure is not the request's
    }
  }

  /** Arms the upstream's one timer for its oldest pending request, if it has a timeout and none is armed. */
  #arm(up: Upstream, now: number): void {
    if (up.timer !== undefined || up.timeoutMs === 0) return;
    const oldest = up.pending.values().next();
    if (oldest.done) return;
    up.timer = setTimeout(() => this.#expire(up), Math.max(1, Math.ceil(oldest.value.deadline - now)));
    up.timer.unref();
  }

  /** Answers every request of `up` past its deadline with -32001 and cancels it upstream. */
  #expire(up: Upstream): void {
    up.timer = undefined;
    if (this.#upstreams.get(up.name) !== up) return;
    const now = performance.now();
    const message = JSON.stringify(`upstream ${up.name} did not answer within ${up.timeoutMs} ms`);
    for (const [gid, p] of up.pending) {
      if (p.deadline > now) break;
      up.pending.delete(gid);
      this.#stats.failed++;
      this.#stats.timedOut++;
      p.downstream.send(
        `{"jsonrpc":"2.0","id":${p.id.toString('utf8')},"error":{"code":${RpcCode.REQUEST_TIMEOUT},"message":${message},"data":{"upstream":${JSON.stringify(up.name)},"timeout":${up.timeoutMs}}}}`,
      );
      up.transport.send(
        `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"~g${gid}","reason":"the gateway's timeout (${up.timeoutMs} ms)"}}`,
      );
      this.#settle(up, 'failure');
    }
    this.#arm(up, now);
  }

  /** Intercepts a downstream connection's forwarded requests; returns a function that stops it. */
  attach(downstream: FrameTransport): () => void {
    const id = this.#nextTransportId++;
    this.#registry.registerTransport(id);
    this.#registry.bindTransport(id, GATEWAY_SERVER);
    this.#downstreams.set(downstream, id);
    // Each chunk of the connection is decoded and routed in one call into the core (RouteRegistry.pushFrames).
    downstream.setInterceptor((decoder, count) => this.#fromDownstream(downstream, decoder, count), {
      router: this.#registry,
      transportId: id,
    });
    return () => {
      if (!this.#downstreams.delete(downstream)) return;
      downstream.setInterceptor(undefined);
      this.#registry.unregisterTransport(id);
      // Responses still to come for this connection are dropped when they arrive (sendFrame refuses them).
    };
  }

  #upstreamOf(frame: Buffer, start: number, end: number): Upstream | undefined {
    const sep = frame.indexOf(this.separator, start, 'utf8');
    if (sep < 0 || sep >= end) return undefined;
    const up = this.#upstreams.get(frame.toString('utf8', start, sep));
    return up?.admit() ? up : undefined;
  }

  #fromDownstream(downstream: FrameTransport, d: FrameDecoder, n: number): Uint8Array | undefined {
    if (n === 0 || this.#upstreams.size === 0) return undefined;
    const routes = d.routes;
    let candidates: number[] | undefined;
    let taken: Uint8Array | undefined;
    for (let i = 0; i < n; i++) {
      const value = routes[2 * i + 1] as number;
      if (routes[2 * i] !== RouteKind.HANDLER) continue;
      if (value === FORWARD_BY_NAME && d.kind(i) === Kind.REQUEST) {
        candidates ??= [];
        candidates.push(i);
      } else if (value === CANCEL && this.#cancel(downstream, d, i)) {
        taken ??= new Uint8Array(n);
        taken[i] = 1;
      }
    }
    if (!candidates) return taken;
    // The candidates' bytes, back to back: what the core's batch calls read.
    const frames = candidates.map((i) => d.frame(i));
    const ends = new Uint32Array(frames.length);
    let total = 0;
    frames.forEach((f, k) => {
      total += f.length;
      ends[k] = total;
    });
    const joined = Buffer.concat(frames, total);
    const spans = new Int32Array(2 * frames.length);
    this.#core.nameSpans(joined, ends, frames.length, spans);

    const chosen: { i: number; k: number; upstream: Upstream; gid: number }[] = [];
    const idParts: Buffer[] = [];
    for (let k = 0; k < frames.length; k++) {
      const start = spans[2 * k] as number;
      const base = k === 0 ? 0 : (ends[k - 1] as number);
      // A 2026-07-28 request carries its era in its envelope: raw forwarding assumes the upstream connection's era
      // (legacy), so such a request takes the control plane, which re-encodes it.
      const end = ends[k] as number;
      const within = (needle: Buffer) => {
        const at = joined.indexOf(needle, base);
        return at !== -1 && at < end;
      };
      // A request that asks for progress takes the control plane too, which relays it (this path does not).
      const upstream =
        start < 0 || within(MODERN_ENVELOPE) || within(PROGRESS_TOKEN)
          ? undefined
          : this.#upstreamOf(joined, base + start, base + (spans[2 * k + 1] as number));
      if (!upstream) {
        this.#stats.notForwarded++;
        continue;
      }
      const gid = this.#nextGatewayId++;
      chosen.push({ i: candidates[k] as number, k, upstream, gid });
      idParts.push(Buffer.from(`"~g${gid}"`, 'latin1'));
    }
    if (chosen.length === 0) return taken;
    // Rewrite only the chosen frames: a second, smaller batch of them.
    const picked = chosen.map((c) => frames[c.k] as Buffer);
    const pEnds = new Uint32Array(picked.length);
    const iEnds = new Uint32Array(picked.length);
    const prefixes = new Uint32Array(picked.length);
    let pt = 0;
    let it = 0;
    chosen.forEach((c, k) => {
      pt += (picked[k] as Buffer).length;
      it += (idParts[k] as Buffer).length;
      pEnds[k] = pt;
      iEnds[k] = it;
      prefixes[k] = c.upstream.prefix.length;
    });
    const dst = Buffer.allocUnsafe(pt + it);
    const outEnds = new Uint32Array(picked.length);
    const status = new Uint32Array(picked.length);
    this.#core.rewriteFrames(
      Buffer.concat(picked, pt),
      pEnds,
      Buffer.concat(idParts, it),
      iEnds,
      prefixes,
      picked.length,
      dst,
      outEnds,
      status,
    );
    taken ??= new Uint8Array(n);
    let from = 0;
    const now = performance.now();
    chosen.forEach((c, k) => {
      const to = outEnds[k] as number;
      const up = c.upstream;
      if (status[k] !== 0) {
        // Cannot be rewritten after all (cannot happen for a frame nameSpans accepted): the session answers it.
        this.#stats.notForwarded++;
      } else {
        const id = Buffer.from(d.idBytes(c.i) as Buffer);
        const deadline = up.timeoutMs === 0 ? Number.POSITIVE_INFINITY : now + up.timeoutMs;
        up.pending.set(c.gid, { downstream, id, deadline });
        taken[c.i] = 1;
        if (up.transport.sendFrame(dst.subarray(from, to))) {
          this.#stats.forwarded++;
          this.#arm(up, now);
        } else {
          up.pending.delete(c.gid);
          this.#stats.failed++;
          downstream.send(
            `{"jsonrpc":"2.0","id":${id.toString('utf8')},"error":{"code":${RpcCode.INTERNAL_ERROR},"message":${JSON.stringify(`upstream ${up.name} is unavailable: it did not accept the request`)}}}`,
          );
          this.#settle(up, 'failure');
        }
      }
      from = to;
    });
    return taken;
  }

  /** A downstream's notifications/cancelled for a forwarded request: sent upstream with the gateway id. */
  #cancel(downstream: FrameTransport, d: FrameDecoder, i: number): boolean {
    let params: { requestId?: unknown; reason?: unknown };
    try {
      params = ((JSON.parse(d.text(i)) as { params?: unknown }).params ?? {}) as typeof params;
    } catch {
      return false;
    }
    const wanted = JSON.stringify(params.requestId);
    for (const up of this.#upstreams.values()) {
      for (const [gid, p] of up.pending) {
        if (p.downstream !== downstream || p.id.toString('utf8') !== wanted) continue;
        up.pending.delete(gid);
        const reason = typeof params.reason === 'string' ? `,"reason":${JSON.stringify(params.reason)}` : '';
        up.transport.send(
          `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"~g${gid}"${reason}}}`,
        );
        this.#settle(up, 'cancelled');
        return true;
      }
    }
    return false;
  }

  #fromUpstream(up: Upstream, d: FrameDecoder, n: number): Uint8Array | undefined {
    let taken: Uint8Array | undefined;
    const answers: { frame: Buffer; p: Pending }[] = [];
    for (let i = 0; i < n; i++) {
      const kind = d.kind(i);
      if (kind !== Kind.RESPONSE && kind !== Kind.ERROR) continue;
      const id = d.idBytes(i);
      if (!id || id.length < 5 || id.compare(ID_PREFIX, 0, 3, 0, 3) !== 0) continue;
      const gid = Number(id.toString('latin1', 3, id.length - 1));
      const p = up.pending.get(gid);
      taken ??= new Uint8Array(n);
      taken[i] = 1;
      if (!p) continue; // cancelled, timed out, or failed already: nothing to answer
      up.pending.delete(gid);
      this.#settle(up, kind === Kind.RESPONSE ? 'success' : 'failure');
      answers.push({ frame: d.frame(i), p });
    }
    // The timer, if armed, stays: it fires at most once per timeoutMs and re-arms for the oldest then pending
    // (clearing and re-arming per answer would cost a timer per request at low concurrency).
    if (answers.length === 0) return taken;
    // Every answer of the chunk rewritten in one call: the gateway ids back to the downstream ids.
    const frameEnds = new Uint32Array(answers.length);
    const idEnds = new Uint32Array(answers.length);
    let ft = 0;
    let it = 0;
    answers.forEach((a, k) => {
      ft += a.frame.length;
      it += a.p.id.length;
      frameEnds[k] = ft;
      idEnds[k] = it;
    });
    const dst = Buffer.allocUnsafe(ft + it);
    const outEnds = new Uint32Array(answers.length);
    const status = new Uint32Array(answers.length);
    this.#core.rewriteFrames(
      Buffer.concat(
        answers.map((a) => a.frame),
        ft,
      ),
      frameEnds,
      Buffer.concat(
        answers.map((a) => a.p.id),
        it,
      ),
      idEnds,
      new Uint32Array(answers.length),
      answers.length,
      dst,
      outEnds,
      status,
    );
    let from = 0;
    answers.forEach((a, k) => {
      const to = outEnds[k] as number;
      if (a.p.downstream.sendFrame(dst.subarray(from, to))) this.#stats.answered++;
      from = to;
    });
    return taken;
  }
}
