/**
 * `nmcp gateway --config FILE`: the upstreams, the failure policy and the downstream transports' options.
 *
 *   {
 *     "upstreams": [
 *       { "name": "files", "stdio": { "command": "node", "args": ["files-server.js"] } },
 *       { "name": "search", "tcp": { "host": "10.0.0.5", "port": 7001 } },
 *       { "name": "docs", "http": { "url": "https://docs.example/mcp", "headers": { "authorization": "Bearer …" } } }
 *     ],
 *     "separator": "__", "requestTimeoutMs": 30000,
 *     "breaker": { "failureThreshold": 5, "openDurationMs": 30000 },
 *     "reconnect": { "initialDelayMs": 100, "maxDelayMs": 10000 },
 *     "http": { … McpHttpServer options, docs/http.md }, "tcp": { … McpTcpServer options, docs/tcp.md }
 *   }
 *
 * The gateway options are checked by McpGateway itself (resolveGatewayOptions), so the file and the API say the same
 * thing about a bad key; this file adds the shape of the file and what to fix.
 */
import { NmcpError } from '../errors.js';
import { type McpGatewayOptions, resolveGatewayOptions } from '../gateway/options.js';
import { isJsonObject, type Problem, readConfigJson } from './args.js';

export interface GatewayConfig {
  gateway: McpGatewayOptions;
  http: Record<string, unknown>;
  tcp: Record<string, unknown>;
}

const GATEWAY_KEYS = ['upstreams', 'separator', 'requestTimeoutMs', 'breaker', 'reconnect'];
const TOP_KEYS = [...GATEWAY_KEYS, 'http', 'tcp'];
const EXAMPLE = '{"upstreams":[{"name":"a","stdio":{"command":"node","args":["server.js"]}}]}';

/** Reads and checks a gateway config file. */
export async function loadGatewayConfig(path: string): Promise<GatewayConfig | Problem> {
  const read = await readConfigJson(path);
  if ('problem' in read) return read;
  const checked = checkGatewayConfig(read.value);
  return 'problem' in checked
    ? { problem: `--config ${JSON.stringify(path)}: ${checked.problem}`, fix: checked.fix }
    : checked;
}

/** Checks a parsed gateway config. */
export function checkGatewayConfig(value: unknown): GatewayConfig | Problem {
  if (!isJsonObject(value))
    return { problem: 'the file must hold a JSON object', fix: `Write for example ${EXAMPLE}.` };
  for (const key of Object.keys(value)) {
    if (!TOP_KEYS.includes(key)) {
      return { problem: `unknown key ${JSON.stringify(key)}`, fix: `The keys are ${TOP_KEYS.join(', ')}.` };
    }
  }
  if (value.upstreams === undefined) {
    return { problem: '"upstreams" is missing', fix: `Add at least one upstream, for example ${EXAMPLE}.` };
  }
  for (const key of ['http', 'tcp']) {
    if (value[key] !== undefined && !isJsonObject(value[key])) {
      return { problem: `"${key}" must be an object of options`, fix: `See docs/${key}.md for the options.` };
    }
  }
  const gateway = Object.fromEntries(
    GATEWAY_KEYS.filter((k) => value[k] !== undefined).map((k) => [k, value[k]]),
  ) as unknown as McpGatewayOptions;
  try {
    resolveGatewayOptions(gateway);
  } catch (err) {
    if (!(err instanceof NmcpError)) throw err;
    const key = String(err.details.key ?? '');
    return {
      problem: err.message.replace(/^McpGateway: /, ''),
      fix: key.startsWith('upstreams')
        ? 'Each upstream is {"name": "a-z0-9_-", and one of "stdio": {"command", "args"}, "tcp": {"host", "port"}, "unix": {"path"}, "http": {"url", "headers"}} (docs/gateway.md).'
        : `Fix "${key}"; docs/gateway.md lists the options and their defaults.`,
    };
  }
  return {
    gateway,
    http: (value.http as Record<string, unknown> | undefined) ?? {},
    tcp: (value.tcp as Record<string, unknown> | undefined) ?? {},
  };
}
