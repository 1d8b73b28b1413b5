// Official SDK HTTP servers on node:http (port 0), as peers of our StreamableHttpClientTransport, plus a log of every
// HTTP request they received (method and headers), so tests can check what went over the wire.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { McpServer as Sdk1McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CreateMessageResultSchema, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import {
  fromJsonSchema,
  inputRequired,
  inputResponse,
  McpServer as Sdk2McpServer,
  createMcpHandler as sdk2Handler,
} from '@modelcontextprotocol/server';
import * as z from 'zod';

export interface SeenRequest {
  method: string;
  headers: IncomingMessage['headers'];
  /** The JSON-RPC method of a POST body (first element of a batch), if any. */
  rpcMethod: string | undefined;
}

export interface Peer {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    });
  });

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function rpcMethodOf(body: unknown): string | undefined {
  const first = Array.isArray(body) ? body[0] : body;
  return typeof first === 'object' && first !== null && typeof (first as { method?: unknown }).method === 'string'
    ? (first as { method: string }).method
    : undefined;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse, body: unknown) => Promise<void>,
): Promise<Peer> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      seen.push({ method: req.method ?? '', headers: req.headers, rpcMethod: rpcMethodOf(body) });
      await handler(req, res, body);
    })().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(String(err.message));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---- SDK 1.x (@modelcontextprotocol/sdk): StreamableHTTPServerTransport, legacy era only

function sdk1Server(): Sdk1McpServer {
  const server = new Sdk1McpServer(
    { name: 'sdk1-http', version: '1.0.0' },
    { capabilities: { logging: {}, tools: { listChanged: true } }, instructions: 'SDK v1 over HTTP' },
  );
  server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('fail', { inputSchema: {} }, async () => {
    throw new Error('deliberate failure');
  });
  server.registerTool('progress', { inputSchema: { steps: z.number() } }, async ({ steps }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= steps; i++) {
      await sleep(10, extra.signal);
      if (token !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: i, total: steps },
        });
      }
    }
    return { content: [{ type: 'text', text: `done ${steps}` }] };
  });
  // A server→client request on the tool call's own response stream (relatedRequestId).
  server.registerTool('sample', { inputSchema: { prompt: z.string() } }, async ({ prompt }, extra) => {
    const r = await extra.sendRequest(
      {
        method: 'sampling/createMessage',
        params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 5 },
      },
      CreateMessageResultSchema,
    );
    return { content: [{ type: 'text', text: `${(r.content as { text: string }).text}|${r.model}` }] };
  });
  // A server→client request with no related request: it travels on the standalone GET stream.
  server.registerTool('sample-standalone', { inputSchema: { prompt: z.string() } }, async ({ prompt }) => {
    const r = await server.server.createMessage({
      messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
      maxTokens: 5,
    });
    return { content: [{ type: 'text', text: `${(r.content as { text: string }).text}|${r.model}` }] };
  });
  // Closes its own response stream mid-call (SEP-1699 polling): the client must resume with GET + Last-Event-ID.
  server.registerTool('drop', { inputSchema: {} }, async (_args, extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined) {
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1 } });
    }
    extra.closeSSEStream?.();
    await sleep(100);
    if (token !== undefined) {
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 2 } });
    }
    return { content: [{ type: 'text', text: 'survived the drop' }] };
  });
  server.registerTool('slow', { inputSchema: { ms: z.number() } }, async ({ ms }, extra) => {
    await sleep(ms, extra.signal);
    return { content: [{ type: 'text', text: 'slow done' }] };
  });
  return server;
}

export interface Sdk1Options {
  /** enableJsonResponse: answer requests with one JSON body instead of an SSE stream. */
  json?: boolean;
  /** Resumability: an in-memory event store, with this `retry:` interval (ms) in the priming event. */
  retryMs?: number;
}

/** SDK 1.x stateful sessions, as its documented node:http example wires them. */
export async function startSdk1(options: Sdk1Options = {}): Promise<Peer & { sessions: Map<string, unknown> }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const peer = await listen(async (req, res, body) => {
    const sid = req.headers['mcp-session-id'];
    let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (!transport) {
      if (typeof sid === 'string') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      if (req.method !== 'POST' || !isInitializeRequest(body)) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            error: { code: -32000, message: 'Bad Request: No valid session ID provided' },
            id: null,
          }),
        );
        return;
      }
      const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: options.json ?? false,
        ...(options.retryMs !== undefined
          ? { eventStore: new InMemoryEventStore(), retryInterval: options.retryMs }
          : {}),
        onsessioninitialized: (id) => {
          sessions.set(id, created);
        },
      });
      created.onclose = () => {
        if (created.sessionId) sessions.delete(created.sessionId);
      };
      await sdk1Server().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  });
  return { ...peer, sessions: sessions as Map<string, unknown> };
}

// ---- SDK 2.x (@modelcontextprotocol/server): createMcpHandler, modern era + stateless legacy

function sdk2Server(): Sdk2McpServer {
  const server = new Sdk2McpServer(
    { name: 'sdk2-http', version: '2.0.0' },
    { capabilities: { tools: {}, resources: {}, prompts: {}, logging: {} }, instructions: 'SDK v2 over HTTP' },
  );
  server.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('progress', { inputSchema: z.object({ steps: z.number() }) }, async ({ steps }, ctx) => {
    const token = ctx.mcpReq._meta?.progressToken;
    for (let i = 1; i <= steps; i++) {
      await sleep(10, ctx.mcpReq.signal);
      if (token !== undefined) {
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken: token, progress: i, total: steps },
        });
      }
    }
    return { content: [{ type: 'text', text: `done ${steps}` }] };
  });
  server.registerTool('confirm', { inputSchema: z.object({ what: z.string() }) }, async ({ what }, ctx) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, 'ok');
    if (view.kind === 'missing') {
      return inputRequired({
        inputRequests: {
          ok: inputRequired.elicit({
            message: `Really ${what}?`,
            requestedSchema: { type: 'object', properties: { yes: { type: 'boolean' } }, required: ['yes'] },
          }),
        },
      });
    }
    return { content: [{ type: 'text', text: `${view.kind === 'elicit' ? view.action : view.kind}:${what}` }] };
  });
  // SEP-2243: its `region` argument must be mirrored in an Mcp-Param-Region header (else 400 / -32020).
  server.registerTool(
    'where',
    {
      // x-mcp-header is a schema extension the SDK's JSON Schema type does not list.
      inputSchema: fromJsonSchema({
        type: 'object',
        properties: { region: { type: 'string', 'x-mcp-header': 'Region' } as { type: 'string' } },
        required: ['region'],
      }),
    },
    async (args) => ({ content: [{ type: 'text', text: `in ${String((args as { region: string }).region)}` }] }),
  );
  server.registerResource('readme', 'file:///readme.md', { mimeType: 'text/markdown' }, async (uri) => ({
    contents: [{ uri: uri.href, text: '# readme' }],
  }));
  server.registerPrompt('greet', { argsSchema: z.object({ who: z.string() }) }, ({ who }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `hello ${who}` } }],
  }));
  return server;
}

/** SDK 2.x createMcpHandler on node:http through a minimal Request/Response bridge (no @modelcontextprotocol/node). */
export async function startSdk2(legacy: 'stateless' | 'reject' = 'stateless'): Promise<Peer> {
  const handler = sdk2Handler(() => sdk2Server(), { legacy });
  const peer = await listen(async (req, res, body) => {
    const url = `http://${req.headers.host}${req.url}`;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string') headers.set(k, v);
      else if (Array.isArray(v)) headers.set(k, v.join(', '));
    }
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const request = new Request(url, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? JSON.stringify(body ?? null) : undefined,
      signal: abort.signal,
    });
    const response = await handler.fetch(request);
    const out: Record<string, string> = {};
    response.headers.forEach((v, k) => {
      out[k] = v;
    });
    res.writeHead(response.status, out);
    if (!response.body) {
      res.end();
      return;
    }
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        res.write(value);
      }
    } catch {
      // The client went away.
    }
    res.end();
  });
  return {
    ...peer,
    close: async () => {
      await handler.close();
      await peer.close();
    },
  };
}
