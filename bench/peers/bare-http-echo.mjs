#!/usr/bin/env node
// The HTTP floor of `nmcp bench`: a bare fastify JSON echo with no MCP library. POST /mcp takes a JSON-RPC message
// (body parsed with JSON.parse) and answers initialize, ping, tools/list and tools/call `echo` like bare-echo.mjs,
// as one application/json body. Session handling is the minimum the 2025-era (legacy) Streamable HTTP flow needs:
// initialize mints an Mcp-Session-Id; later requests must carry a known one (400 without, 404 unknown); a
// notification or response gets 202; DELETE ends the session; GET (the optional server→client stream) is 405.
//
// --http2 serves HTTP/2 without TLS (h2c, prior knowledge), the floor for nmcp's --http --http2.
//
//   node bench/peers/bare-http-echo.mjs --http 0 [--http2]   → stderr: listening on http://127.0.0.1:PORT/mcp
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { closeOnSignal, PARSE_ERROR, portArg, reply } from './bare-answer.mjs';

const USAGE = 'Usage: bare-http-echo.mjs --http PORT [--http2] [--host 127.0.0.1]';
const { values } = parseArgs({
  options: {
    http: { type: 'string' },
    http2: { type: 'boolean', default: false },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const port = portArg(values.http, '--http', USAGE);
const NAME = 'bare-http-echo';
const sessions = new Set();

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024, ...(values.http2 ? { http2: true } : {}) });
// Plain JSON.parse (fastify's default parser adds prototype-poisoning checks): the floor is "parse, answer, stringify".
// A body that is not JSON is answered with a JSON-RPC parse error, as the MCP transports do, not fastify's 400 page.
app.removeContentTypeParser('application/json');
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
  try {
    done(null, JSON.parse(body));
  } catch {
    done(null, PARSE_ERROR);
  }
});

const jsonError = (code, message) => ({ jsonrpc: '2.0', id: null, error: { code, message } });

app.post('/mcp', (request, res) => {
  const body = request.body;
  if (body === PARSE_ERROR) return res.code(400).send(PARSE_ERROR);
  const messages = Array.isArray(body) ? body : [body];
  const isInitialize = messages.some((m) => m?.method === 'initialize');
  let sid = request.headers['mcp-session-id'];
  if (isInitialize) {
    sid = randomUUID();
    sessions.add(sid);
    res.header('mcp-session-id', sid);
  } else if (typeof sid !== 'string') {
    return res.code(400).send(jsonError(-32000, 'Bad Request: Mcp-Session-Id header is required'));
  } else if (!sessions.has(sid)) {
    return res.code(404).send(jsonError(-32001, 'Session not found'));
  }
  const answers = [];
  for (const msg of messages) {
    if (msg !== null && typeof msg === 'object' && msg.id !== undefined && typeof msg.method === 'string') {
      answers.push(reply(msg, NAME));
    }
  }
  if (answers.length === 0) return res.code(202).send(); // notifications and responses only
  return res.send(Array.isArray(body) ? answers : answers[0]);
});

app.delete('/mcp', (request, res) => {
  const sid = request.headers['mcp-session-id'];
  if (typeof sid !== 'string' || !sessions.delete(sid))
    return res.code(404).send(jsonError(-32001, 'Session not found'));
  return res.code(200).send();
});

app.get('/mcp', (_request, res) => res.code(405).header('allow', 'POST, DELETE').send());

await app.listen({ port, host: values.host });
process.stderr.write(
  `listening on http://${values.host}:${app.server.address().port}/mcp${values.http2 ? ' (HTTP/2)' : ''}\n`,
);
closeOnSignal(() => void app.close());
