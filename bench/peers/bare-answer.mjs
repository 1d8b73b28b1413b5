// The answers of the bare floors (bare-http-echo.mjs, bare-tcp-echo.mjs): the same four methods and result shapes as
// bare-echo.mjs (stdio), kept in one place so the HTTP and TCP floors do exactly the same work per message.

export const ECHO_TOOL = {
  name: 'echo',
  description: 'Returns its text argument',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
};

/** The result for a request, or undefined when the method is unknown. */
export function answer(msg, serverName) {
  switch (msg.method) {
    case 'tools/call':
      return { content: [{ type: 'text', text: msg.params.arguments.text }] };
    case 'initialize':
      return {
        protocolVersion: msg.params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: serverName, version: '1.0.0' },
      };
    case 'ping':
      return {};
    case 'tools/list':
      return { tools: [ECHO_TOOL] };
    default:
      return undefined;
  }
}

/** The JSON-RPC response to a request (a message with an id), as an object. */
export function reply(msg, serverName) {
  const result = answer(msg, serverName);
  return result === undefined
    ? { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } }
    : { jsonrpc: '2.0', id: msg.id, result };
}

export const PARSE_ERROR = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } };

/** `--http PORT` / `--tcp PORT` as a port number (0 = any free port); exits with usage on anything else. */
export function portArg(value, flag, usage) {
  const port = Number(value);
  if (value === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`${flag} needs a port number 0..65535 (0 = a free port)\n${usage}\n`);
    process.exit(2);
  }
  return port;
}

/** Exit cleanly on SIGTERM/SIGINT: close the listener, then leave even if keep-alive sockets linger. */
export function closeOnSignal(close) {
  const stop = () => {
    close();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
