#!/usr/bin/env node
// The TCP floor of `nmcp bench`: a bare node:net server with no MCP library, answering initialize, ping, tools/list
// and tools/call `echo` like bare-echo.mjs (stdio), in either framing nmcp's TCP transport speaks:
//   ndjson           one JSON text per line ('\n'), as on stdio
//   length-prefixed  a 4-byte big-endian length, then that many bytes of UTF-8 JSON (nmcp's TCP default)
// Each connection is its own session; notifications are ignored. With --unix PATH it is the Unix-socket floor instead.
//
//   node bench/peers/bare-tcp-echo.mjs --tcp 0 [--framing ndjson|length-prefixed]
//   → stderr: listening on tcp://127.0.0.1:PORT
//   node bench/peers/bare-tcp-echo.mjs --unix /tmp/x.sock [--framing …]   → stderr: listening on unix:/tmp/x.sock
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { closeOnSignal, PARSE_ERROR, portArg, reply } from './bare-answer.mjs';

const USAGE = 'Usage: bare-tcp-echo.mjs --tcp PORT | --unix PATH [--framing ndjson|length-prefixed] [--host 127.0.0.1]';
const { values } = parseArgs({
  options: {
    tcp: { type: 'string' },
    unix: { type: 'string' },
    framing: { type: 'string', default: 'length-prefixed' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
if ((values.tcp === undefined) === (values.unix === undefined)) {
  process.stderr.write(`give one of --tcp PORT and --unix PATH\n${USAGE}\n`);
  process.exit(2);
}
const port = values.unix === undefined ? portArg(values.tcp, '--tcp', USAGE) : undefined;
if (values.framing !== 'ndjson' && values.framing !== 'length-prefixed') {
  process.stderr.write(`--framing must be ndjson or length-prefixed (got ${values.framing})\n${USAGE}\n`);
  process.exit(2);
}
const NAME = 'bare-tcp-echo';

/** Parses one message and returns the encoded answer, or '' for a notification. */
function handle(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return JSON.stringify(PARSE_ERROR);
  }
  if (msg.id === undefined) return '';
  return JSON.stringify(reply(msg, NAME));
}

function serveNdjson(socket) {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    const data = buffered + chunk;
    let start = 0;
    let out = '';
    for (let nl = data.indexOf('\n'); nl !== -1; nl = data.indexOf('\n', start)) {
      if (nl > start) {
        const answer = handle(data.slice(start, nl));
        if (answer) out += `${answer}\n`;
      }
      start = nl + 1;
    }
    buffered = data.slice(start);
    // One write per chunk, like the stdio floor's readline loop batches per event-loop turn at best.
    if (out) socket.write(out);
  });
}

function serveLengthPrefixed(socket) {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    let data = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const out = [];
    while (data.length >= 4) {
      const size = data.readUInt32BE(0);
      if (data.length < 4 + size) break;
      const answer = handle(data.toString('utf8', 4, 4 + size));
      data = data.subarray(4 + size);
      if (!answer) continue;
      const body = Buffer.from(answer, 'utf8');
      const head = Buffer.allocUnsafe(4);
      head.writeUInt32BE(body.length, 0);
      out.push(head, body);
    }
    buffered = data;
    if (out.length > 0) socket.write(Buffer.concat(out));
  });
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {}); // a client that resets its connection ends that session only
  if (values.framing === 'ndjson') serveNdjson(socket);
  else serveLengthPrefixed(socket);
});
if (values.unix !== undefined) {
  server.listen(values.unix, () => process.stderr.write(`listening on unix:${values.unix}\n`));
} else {
  server.listen(port, values.host, () => {
    process.stderr.write(`listening on tcp://${values.host}:${server.address().port}\n`);
  });
}
closeOnSignal(() => server.close());
