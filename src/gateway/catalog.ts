/**
 * What the gateway's McpServer offers: every upstream's tools, prompts and resources, registered on the server under
 * namespaced names (`<upstream><separator><name>`; resources keep their URI). Rebuilt per kind when an upstream's list
 * changes: entries that are gone are removed, new or changed ones registered, so the server sends its own
 * `notifications/<kind>/list_changed` downstream. Resource templates are namespaced like tools (reading a URI that
 * matches one forwards resources/read with the URI as it is). A resource URI listed by two upstreams goes to the first in config
 * order; the other is reported through onError.
 */
import type {
  PromptDescriptor,
  ResourceDescriptor,
  ResourceTemplateDescriptor,
  ToolDescriptor,
} from '../client/types.js';
import type { JsonObject } from '../protocol/jsonrpc.js';
import type { ServerContext } from '../server/context.js';
import type { McpServer } from '../server/mcp-server.js';
import { type ResourceMetadata, ResourceTemplate } from '../server/resources.js';
import type { SchemaLike } from '../server/schema.js';
import type { CallToolResult, GetPromptResult, ReadResourceResult } from '../server/types.js';
import type { ListKind, Upstream } from './upstream.js';

interface Entry {
  /** The upstream and the descriptor, serialized: an entry is re-registered only when this changes. */
  key: string;
  remove(): void;
}

function forwardOptions(ctx: ServerContext) {
  return {
    signal: ctx.signal,
    onProgress: (p: { progress: number; total?: number; message?: string }) =>
      ctx.progress(p.progress, p.total, p.message),
  };
}

/** A prompt's `arguments` as the args schema McpServer lists them from (every argument is a string). */
function argsSchemaOf(prompt: PromptDescriptor): SchemaLike | undefined {
  const args = prompt.arguments;
  if (!Array.isArray(args) || args.length === 0) return undefined;
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const arg of args) {
    const schema: JsonObject = { type: 'string' };
    const title = (arg as { title?: unknown }).title;
    if (typeof title === 'string') schema.title = title;
    if (arg.description !== undefined) schema.description = arg.description;
    properties[arg.name] = schema;
    if (arg.required === true) required.push(arg.name);
  }
  return { type: 'object', properties, required };
}

export class Catalog {
  readonly #server: McpServer;
  readonly #upstreams: readonly Upstream[];
  readonly #separator: string;
  readonly #onError: (error: Error) => void;
  readonly #entries: Record<ListKind, Map<string, Entry>> = {
    tools: new Map(),
    prompts: new Map(),
    resources: new Map(),
    resourceTemplates: new Map(),
  };
  /** Duplicate resource URIs already reported (`uri\0upstream`), so a refresh does not report them again. */
  readonly #reported = new Set<string>();

  constructor(server: McpServer, upstreams: readonly Upstream[], separator: string, onError: (e: Error) => void) {
    this.#server = server;
    this.#upstreams = upstreams;
    this.#separator = separator;
    this.#onError = onError;
  }

  /** The namespaced name of `name` from `upstream`. */
  qualify(upstream: Upstream, name: string): string {
    return `${upstream.name}${this.#separator}${name}`;
  }

  /** Brings the server's registrations of `kind` in line with the upstreams' current lists. */
  sync(kind: ListKind): void {
    const wanted = new Map<string, { upstream: Upstream; descriptor: JsonObject }>();
    for (const upstream of this.#upstreams) {
      for (const descriptor of upstream.lists[kind] as unknown as JsonObject[]) {
        if (typeof descriptor.name !== 'string') continue;
        let id: string;
        if (kind === 'resources') {
          if (typeof descriptor.uri !== 'string') continue;
          id = descriptor.uri;
          const first = wanted.get(id);
          if (first !== undefined) {
            const seen = `${id}\u0000${upstream.name}`;
            if (!this.#reported.has(seen)) {
              this.#reported.add(seen);
              this.#onError(
                new Error(
                  `resource ${id} is served by upstreams ${first.upstream.name} and ${upstream.name}: ${first.upstream.name} (first in config order) serves it`,
                ),
              );
            }
            continue;
          }
        } else id = this.qualify(upstream, descriptor.name);
        if (!wanted.has(id)) wanted.set(id, { upstream, descriptor });
      }
    }
    const entries = this.#entries[kind];
    for (const [id, entry] of entries) {
      const want = wanted.get(id);
      if (want === undefined || entry.key !== `${want.upstream.name}\u0000${JSON.stringify(want.descriptor)}`) {
        entry.remove();
        entries.delete(id);
      }
    }
    for (const [id, { upstream, descriptor }] of wanted) {
      if (entries.has(id)) continue;
      try {
        const remove = this.#register(kind, id, upstream, descriptor);
        entries.set(id, { key: `${upstream.name}\u0000${JSON.stringify(descriptor)}`, remove });
      } catch (err) {
        this.#onError(
          new Error(`upstream ${upstream.name}: cannot offer ${kind} ${id}: ${(err as Error).message}`, { cause: err }),
        );
      }
    }
  }

  #register(kind: ListKind, id: string, upstream: Upstream, descriptor: JsonObject): () => void {
    const server = this.#server;
    if (kind === 'tools') {
      const tool = descriptor as unknown as ToolDescriptor;
      const { name, title, description, inputSchema, outputSchema, annotations, icons, _meta } = tool;
      const handle = server.registerTool(
        id,
        {
          title,
          description,
          inputSchema: inputSchema as SchemaLike | undefined,
          outputSchema: outputSchema as SchemaLike | undefined,
          annotations: annotations as never,
          icons: icons as never,
          _meta: _meta as JsonObject | undefined,
          passthrough: true,
        },
        (args, ctx) =>
          upstream.call(
            (client, options) => client.callTool({ name, arguments: args as JsonObject }, options),
            forwardOptions(ctx),
          ) as unknown as Promise<CallToolResult>,
      );
      return () => handle.remove();
    }
    if (kind === 'prompts') {
      const prompt = descriptor as unknown as PromptDescriptor;
      const { name, title, description, icons, _meta } = prompt;
      const handle = server.registerPrompt(
        id,
        {
          title,
          description,
          argsSchema: argsSchemaOf(prompt),
          icons: icons as never,
          _meta: _meta as JsonObject | undefined,
        },
        (args, ctx) =>
          upstream.call(
            (client, options) => client.getPrompt({ name, arguments: args as Record<string, string> }, options),
            forwardOptions(ctx),
          ) as unknown as Promise<GetPromptResult>,
      );
      return () => handle.remove();
    }
    if (kind === 'resourceTemplates') {
      const { name: _name, uriTemplate, ...metadata } = descriptor as unknown as ResourceTemplateDescriptor;
      const handle = server.registerResource(
        id,
        new ResourceTemplate(uriTemplate),
        metadata as ResourceMetadata,
        (readUri, _variables, ctx) =>
          upstream.call(
            (client, options) => client.readResource({ uri: readUri }, options),
            forwardOptions(ctx),
          ) as unknown as Promise<ReadResourceResult>,
      );
      return () => handle.remove();
    }
    const resource = descriptor as unknown as ResourceDescriptor;
    const { name, uri, ...metadata } = resource;
    const handle = server.registerResource(
      this.qualify(upstream, name),
      uri,
      metadata as ResourceMetadata,
      (readUri, ctx) =>
        upstream.call(
          (client, options) => client.readResource({ uri: readUri }, options),
          forwardOptions(ctx),
        ) as unknown as Promise<ReadResourceResult>,
    );
    return () => handle.remove();
  }

  /** Removes every registration (the gateway is closing). */
  clear(): void {
    for (const entries of Object.values(this.#entries)) {
      for (const entry of entries.values()) entry.remove();
      entries.clear();
    }
  }
}
