/**
 * Tracing through @opentelemetry/api with a real SDK registered (BasicTracerProvider, in-memory exporter, the async
 * context manager): McpServer starts a SERVER span per request by itself, continues a W3C traceparent found in
 * `_meta`, runs the handler in the span's context (its own spans are children), records a thrown error; with
 * setTracer(false) there are none.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { openTelemetryRegistered, parseTraceparent } from '../../src/ops/tracing.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { MemoryTransport } from '../../src/transport/memory.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  expect(openTelemetryRegistered()).toBe(false);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  expect(openTelemetryRegistered()).toBe(true);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

function server(): McpServer {
  const s = new McpServer({ name: 'traced', version: '1' });
  s.registerTool('work', { inputSchema: { type: 'object' } }, async () => {
    // A span the handler starts is a child of the request's.
    const child = trace.getTracer('app').startSpan('app work');
    await new Promise((r) => setTimeout(r, 5));
    child.end();
    return { content: [{ type: 'text', text: 'done' }] };
  });
  s.registerTool('boom', { inputSchema: { type: 'object' } }, () => {
    throw new Error('it broke');
  });
  return s;
}

async function connect(s: McpServer): Promise<McpClient> {
  const [a, b] = MemoryTransport.pair();
  await s.connect(b);
  const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy' });
  await client.connect(a);
  return client;
}

const spansNamed = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('tracing', () => {
  it('a SERVER span per request, continuing the traceparent in _meta; the handler’s spans are its children', async () => {
    const client = await connect(server());
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    await client.callTool({
      name: 'work',
      arguments: {},
      _meta: { traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'vendor=x' },
    });
    const [call] = spansNamed('tools/call');
    expect(call).toBeDefined();
    const span = call as ReadableSpan;
    expect(span.kind).toBe(1); // SpanKind.SERVER
    expect(span.spanContext().traceId).toBe(traceId);
    expect(parentOf(span)).toBe(callerSpan);
    expect(span.attributes).toMatchObject({
      'rpc.system': 'jsonrpc',
      'rpc.method': 'tools/call',
      'mcp.tool.name': 'work',
    });
    const [child] = spansNamed('app work');
    expect(child?.spanContext().traceId).toBe(traceId);
    expect(parentOf(child as ReadableSpan)).toBe(span.spanContext().spanId);
    // initialize had no traceparent: a root span of a trace of its own.
    const [init] = spansNamed('initialize');
    expect(parentOf(init as ReadableSpan)).toBeUndefined();
    await client.close();
  });

  it('a failed call: an ERROR status (a tool’s isError result), with the exception when the request throws', async () => {
    const client = await connect(server());
    expect((await client.callTool({ name: 'boom', arguments: {} })).isError).toBe(true);
    const [failedTool] = spansNamed('tools/call');
    expect(failedTool?.status).toMatchObject({ code: 2, message: 'the tool returned isError: true' });
    exporter.reset();
    await expect(client.getPrompt({ name: 'no-such-prompt' })).rejects.toThrow();
    const [span] = spansNamed('prompts/get');
    expect(span?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(span?.events.some((e) => e.name === 'exception')).toBe(true);
    await client.close();
  });

  it('setTracer(false): no spans', async () => {
    const s = server();
    s.setTracer(false);
    const client = await connect(s);
    await client.callTool({ name: 'work', arguments: {} });
    expect(spansNamed('tools/call')).toEqual([]);
    await client.close();
  });

  it('parses traceparent per W3C: bad ones are ignored', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toMatchObject({
      traceFlags: 1,
    });
    for (const bad of [
      undefined,
      42,
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });
});
