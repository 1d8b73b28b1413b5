#!/usr/bin/env node
// `nmcp bench` HTTP peer: the official TypeScript SDK 2.x (@modelcontextprotocol/server) serving the same `echo` tool,
// through its HTTP entry createMcpHandler (fetch-shaped: a Web Request in, a Response out; a fresh McpServer per
// request from the factory). 2026-07-28 (modern) traffic is served natively and 2025-era traffic by the SDK's
// stateless legacy fallback (legacy: 'stateless', its default). The package ships no node:http adapter, so this file
// bridges node:http ⇄ Request/Response minimally: the body goes through as received, the answer streams back as
// produced (JSON or SSE).
//
//   node bench/peers/sdk2-http-echo.mjs --http 0   → stderr: listening on http://127.0.0.1:PORT/mcp
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { closeOnSignal, portArg } from './bare-answer.mjs';

const USAGE = 'Usage: sdk2-http-echo.mjs --http PORT [--host 127.0.0.1]';
const { values } = parseArgs({
  options: { http: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' } },
});
const port = portArg(values.http, '--http', USAGE);

function echoServer() {
  const server = new McpServer({ name: 'sdk2-http-echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns its text argument', inputSchema: z.object({ text: z.string() }) },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

const handler = createMcpHandler(echoServer, { legacy: 'stateless' });

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

async function bridge(req, res) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') headers.set(k, v);
    else if (Array.isArray(v)) headers.set(k, v.join(', '));
  }
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? await readBody(req) : undefined,
    signal: abort.signal,
  });
  const response = await handler.fetch(request);
  const out = {};
  response.headers.forEach((v, k) => {
    out[k] = v;
  });
  res.writeHead(response.status, out);
  if (!response.body) return void res.end();
  try {
    for await (const chunk of response.body) res.write(chunk);
  } catch {
    // the client went away mid-stream
  }
  res.end();
}

const http = createServer((req, res) => {
  if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') {
    res.writeHead(404).end();
    return;
  }
  bridge(req, res).catch((err) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err?.message ?? err));
    else res.end();
  });
});
http.listen(port, values.host, () => {
  process.stderr.write(`listening on http://${values.host}:${http.address().port}/mcp\n`);
});
closeOnSignal(() => {
  void handler.close();
  http.close();
  http.closeAllConnections();
});
