#!/usr/bin/env node
// `nmcp bench` HTTP peer: the official TypeScript SDK 1.x (@modelcontextprotocol/sdk, 2025 era) serving the same
// `echo` tool as nmcp's everything example, over its StreamableHTTPServerTransport on node:http, wired as the SDK's own
// node:http/express examples do:
//   default      stateful: initialize creates a transport (and an McpServer) per session, keyed by Mcp-Session-Id
//   --stateless  a fresh McpServer + transport (sessionIdGenerator: undefined) per request, closed with the response
// Answers are SSE streams (the SDK's default); --json-response switches on enableJsonResponse.
//
//   node bench/peers/sdk1-http-echo.mjs --http 0 [--stateless] [--json-response]
//   → stderr: listening on http://127.0.0.1:PORT/mcp
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { closeOnSignal, portArg } from './bare-answer.mjs';

const USAGE = 'Usage: sdk1-http-echo.mjs --http PORT [--stateless] [--json-response] [--host 127.0.0.1]';
const { values } = parseArgs({
  options: {
    http: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    stateless: { type: 'boolean', default: false },
    'json-response': { type: 'boolean', default: false },
  },
});
const port = portArg(values.http, '--http', USAGE);
const enableJsonResponse = values['json-response'];

function echoServer() {
  const server = new McpServer({ name: 'sdk1-http-echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns its text argument', inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined; // the transport answers a missing/invalid parsed body with its own parse error
  }
}

function sendError(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** Stateful sessions: the SDK's "streamable HTTP with session management" example on node:http. */
const sessions = new Map();
async function stateful(req, res, body) {
  const sid = req.headers['mcp-session-id'];
  let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
  if (!transport) {
    if (typeof sid === 'string') return sendError(res, 404, -32001, 'Session not found');
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return sendError(res, 400, -32000, 'Bad Request: No valid session ID provided');
    }
    const created = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse,
      onsessioninitialized: (id) => sessions.set(id, created),
    });
    created.onclose = () => {
      if (created.sessionId) sessions.delete(created.sessionId);
    };
    await echoServer().connect(created);
    transport = created;
  }
  await transport.handleRequest(req, res, body);
}

/** Stateless: the SDK's stateless example — nothing survives a request. */
async function stateless(req, res, body) {
  if (req.method !== 'POST') return sendError(res, 405, -32000, 'Method not allowed.');
  const server = echoServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

const route = values.stateless ? stateless : stateful;
const http = createServer((req, res) => {
  if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') return sendError(res, 404, -32000, 'Not found');
  void (async () => {
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    await route(req, res, body);
  })().catch((err) => {
    if (!res.headersSent) sendError(res, 500, -32603, String(err?.message ?? err));
  });
});
http.listen(port, values.host, () => {
  process.stderr.write(`listening on http://${values.host}:${http.address().port}/mcp\n`);
});
closeOnSignal(() => {
  for (const t of sessions.values()) void t.close();
  http.close();
  http.closeAllConnections();
});
