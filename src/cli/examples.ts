/** The bundled example servers `nmcp serve --example` and `nmcp host` serve, loaded lazily from the built dist/. */
import type { McpServer } from '../server/mcp-server.js';

/** Each example's module (relative to dist/cli/) and factory. */
export const EXAMPLES: Record<string, { module: string; factory: string }> = {
  everything: { module: '../examples/everything/server.js', factory: 'createEverythingServer' },
  // bench-only: 1,000 tools, for `nmcp bench --workload tools-list-1000`
  'many-tools': { module: '../examples/bench/many-tools.js', factory: 'createManyToolsServer' },
};

export function isExample(name: string): boolean {
  return Object.hasOwn(EXAMPLES, name);
}

/** The factory of example `name` (a known one: check with isExample first). */
export async function loadExample(name: string): Promise<(options?: object) => McpServer> {
  const example = EXAMPLES[name] as { module: string; factory: string };
  const mod = (await import(new URL(example.module, import.meta.url).href)) as Record<string, unknown>;
  return mod[example.factory] as (options?: object) => McpServer;
}
