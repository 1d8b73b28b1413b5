/**
 * Tracing (issue 7, point 6): a span per request through `@opentelemetry/api`, which is a no-op unless the application
 * registers an OpenTelemetry SDK. A request whose `_meta` carries a W3C `traceparent` (and `tracestate`) continues that
 * trace: its span is a child of the caller's. The span is named after the method (`tools/call`), of kind SERVER, with
 * `rpc.system` = `jsonrpc`, `rpc.method`, `rpc.jsonrpc.request_id`, and `mcp.tool.name` / `mcp.prompt.name` /
 * `mcp.resource.uri` when the request names one; a handler that throws or rejects records the exception and an ERROR
 * status, and a tool result with `isError: true` has an ERROR status too. The handler runs in the span's context, so spans it starts are its children.
 *
 * McpServer turns this on by itself when an OpenTelemetry API is registered in the process (the global
 * `Symbol.for('opentelemetry.js.api.1')` holds a tracer provider), so an application that never touches OpenTelemetry
 * does not even load the API.
 */
import {
  context,
  createTraceState,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { JsonObject, RequestId } from '../protocol/jsonrpc.js';
import type { RequestTracer } from '../session/session.js';

export { openTelemetryRegistered } from './otel-global.js';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE = '0'.repeat(32);
const INVALID_SPAN = '0'.repeat(16);

export interface TracingOptions {
  /** The tracer (default: `trace.getTracer('nmcp', version)` of the registered provider). */
  tracer?: Tracer;
}

/** The span context a `traceparent` describes (version 00, or a later one read as 00), else undefined. */
export function parseTraceparent(
  value: unknown,
): { traceId: string; spanId: string; traceFlags: TraceFlags; isRemote: true } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m || m[1] === 'ff' || m[2] === INVALID_TRACE || m[3] === INVALID_SPAN) return undefined;
  return {
    traceId: m[2] as string,
    spanId: m[3] as string,
    traceFlags: Number.parseInt(m[4] as string, 16),
    isRemote: true,
  };
}

export class OpenTelemetryTracer implements RequestTracer {
  readonly #tracer: Tracer;

  constructor(options: TracingOptions = {}) {
    this.#tracer = options.tracer ?? trace.getTracer('nmcp');
  }

  run(method: string, id: RequestId, params: JsonObject, handler: () => unknown): unknown {
    const meta = params._meta as JsonObject | undefined;
    const remote = parseTraceparent(meta?.traceparent);
    let parent = context.active();
    if (remote !== undefined) {
      const state = meta?.tracestate;
      parent = trace.setSpanContext(ROOT_CONTEXT, {
        ...remote,
        ...(typeof state === 'string' && state !== '' ? { traceState: createTraceState(state) } : {}),
      });
    }
    const span = this.#tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'rpc.system': 'jsonrpc',
          'rpc.method': method,
          'rpc.jsonrpc.request_id': String(id),
          ...nameAttributes(method, params),
        },
      },
      parent,
    );
    let result: unknown;
    try {
      result = context.with(trace.setSpan(parent, span), handler);
    } catch (err) {
      fail(span, err);
      span.end();
      throw err;
    }
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(
        (value) => settled(span, value),
        (err: unknown) => {
          fail(span, err);
          span.end();
        },
      );
    } else {
      settled(span, result);
    }
    return result;
  }
}

/** Adds the name a request is about (tools/call, prompts/get: name; resources/read: uri) to its span. */
export function nameAttributes(method: string, params: JsonObject): Record<string, string> {
  if (method === 'tools/call' && typeof params.name === 'string') return { 'mcp.tool.name': params.name };
  if (method === 'prompts/get' && typeof params.name === 'string') return { 'mcp.prompt.name': params.name };
  if (method === 'resources/read' && typeof params.uri === 'string') return { 'mcp.resource.uri': params.uri };
  return {};
}

/** Ends the span of a handler that returned: a tool result with `isError: true` is a failed call (an ERROR status). */
function settled(span: Span, value: unknown): void {
  if (typeof value === 'object' && value !== null && (value as { isError?: unknown }).isError === true) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the tool returned isError: true' });
  }
  span.end();
}

function fail(span: Span, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}
