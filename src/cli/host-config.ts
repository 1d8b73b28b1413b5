/**
 * `nmcp host --config FILE`: which servers to host, by name, and where to serve them.
 *
 *   {
 *     "servers": { "a": { "example": "everything" }, "b": { "example": "many-tools" } },
 *     "http": { "port": 3000 },                                  // every server at http://127.0.0.1:3000/mcp/<name>
 *     "tcp": [{ "port": 7001, "server": "a" }, { "path": "/run/b.sock", "server": "b", "framing": "ndjson" }]
 *   }
 *
 * `http` takes McpHost.listenHttp's options (docs/http.md, plus basePath), each `tcp` entry McpHost.listenTcp's
 * (docs/tcp.md): the transports check those and name a bad key. This file checks the shape, and says what to fix.
 */

import { SERVER_NAME_PATTERN } from '../host/names.js';
import { isJsonObject, readConfigJson } from './args.js';
import { EXAMPLES, isExample } from './examples.js';

export interface HostConfig {
  servers: Record<string, { example: string }>;
  http?: Record<string, unknown>;
  tcp: (Record<string, unknown> & { server: string })[];
  /** The route registry's options (RouteRegistry: enableRouteCache, cacheTtlMs, maxCacheEntries, enableStatsCollection); live on reload. */
  registry?: Record<string, unknown>;
}

/** What is wrong with the file, and how to fix it. */
export interface ConfigProblem {
  problem: string;
  fix: string;
}

const TOP_KEYS = ['servers', 'http', 'tcp', 'registry'];
const EXAMPLE_LIST = Object.keys(EXAMPLES).join(', ');

/** Reads and checks a host config file. */
export async function loadHostConfig(path: string): Promise<HostConfig | ConfigProblem> {
  const read = await readConfigJson(path);
  if ('problem' in read) return read;
  const checked = checkHostConfig(read.value);
  return 'problem' in checked
    ? { problem: `--config ${JSON.stringify(path)}: ${checked.problem}`, fix: checked.fix }
    : checked;
}

/** Checks a parsed host config. */
export function checkHostConfig(value: unknown): HostConfig | ConfigProblem {
  const example = '{"servers":{"a":{"example":"everything"}},"http":{"port":3000}}';
  if (!isJsonObject(value)) {
    return { problem: 'the file must hold a JSON object', fix: `Write for example ${example}.` };
  }
  for (const key of Object.keys(value)) {
    if (!TOP_KEYS.includes(key)) {
      return { problem: `unknown key ${JSON.stringify(key)}`, fix: `The keys are ${TOP_KEYS.join(', ')}.` };
    }
  }
  const { servers, http, tcp = [], registry } = value;
  if (!isJsonObject(servers) || Object.keys(servers).length === 0) {
    return {
      problem: '"servers" must be an object with at least one server',
      fix: 'Add "servers": {"<name>": {"example": "everything"}}.',
    };
  }
  const config: HostConfig = { servers: {}, tcp: [] };
  for (const [name, entry] of Object.entries(servers)) {
    const key = `servers.${name}`;
    if (!SERVER_NAME_PATTERN.test(name)) {
      return {
        problem: `server name ${JSON.stringify(name)} is not valid`,
        fix: 'Server names are 1 … 64 characters of a-z, 0-9, "-" and "_" (they are the last segment of /mcp/<name>).',
      };
    }
    if (!isJsonObject(entry) || typeof entry.example !== 'string') {
      return { problem: `${key} must be {"example": NAME}`, fix: `NAME is one of: ${EXAMPLE_LIST}.` };
    }
    const extra = Object.keys(entry).find((k) => k !== 'example');
    if (extra !== undefined) {
      return { problem: `${key}.${extra} is not a known key`, fix: 'A server entry has one key: "example".' };
    }
    if (!isExample(entry.example)) {
      return {
        problem: `${key}.example ${JSON.stringify(entry.example)} is not a known example`,
        fix: `Use one of: ${EXAMPLE_LIST}.`,
      };
    }
    config.servers[name] = { example: entry.example };
  }
  const names = Object.keys(config.servers).join(', ');
  if (http !== undefined) {
    if (!isJsonObject(http)) {
      return { problem: '"http" must be an object of options', fix: 'Write for example "http": {"port": 3000}.' };
    }
    config.http = http;
  }
  if (registry !== undefined) {
    if (!isJsonObject(registry)) {
      return {
        problem: '"registry" must be an object of route-registry options',
        fix: 'Write for example "registry": {"cacheTtlMs": 30000, "maxCacheEntries": 10000} (docs/registry.md).',
      };
    }
    config.registry = registry;
  }
  if (!Array.isArray(tcp)) {
    return {
      problem: '"tcp" must be an array of listeners',
      fix: 'Write for example "tcp": [{"port": 7001, "server": "a"}].',
    };
  }
  for (const [i, entry] of tcp.entries()) {
    const key = `tcp[${i}]`;
    if (!isJsonObject(entry)) {
      return { problem: `${key} must be an object`, fix: 'Write for example {"port": 7001, "server": "a"}.' };
    }
    if (typeof entry.server !== 'string' || !Object.hasOwn(config.servers, entry.server)) {
      return {
        problem: `${key}.server ${entry.server === undefined ? 'is missing' : `${JSON.stringify(entry.server)} names no server in "servers"`}`,
        fix: `Set it to one of: ${names}.`,
      };
    }
    if (entry.port === undefined && entry.path === undefined) {
      return {
        problem: `${key} has no "port" or "path"`,
        fix: 'Add "port": N (0 = a free port) or "path": "/a/unix.sock".',
      };
    }
    config.tcp.push(entry as Record<string, unknown> & { server: string });
  }
  if (config.http === undefined && config.tcp.length === 0) {
    return {
      problem: 'nothing to serve: no "http" and no "tcp"',
      fix: 'Add "http": {"port": 3000} or a "tcp": [{"port": 7001, "server": "<name>"}] listener.',
    };
  }
  return config;
}
