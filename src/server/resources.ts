/**
 * Resources: static ones (one URI) and templates (an RFC 6570 URI template, levels 1-4), resources/list (cached and
 * paginated; templates with a `list` callback add their resources per request), resources/templates/list and
 * resources/read. A read of an unknown URI is -32002 in the legacy era (the spec's code) and -32602 in the modern era
 * (the 2026-07-28 MUST), both with `data: { uri }`.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import { type JsonObject, McpError, RawJson, RpcCode } from '../protocol/jsonrpc.js';
import type { ServerContext } from './context.js';
import { type Call, contextFor, runHandler, type ServerCore } from './core.js';
import { CachedList, decodeCursor, pageJson } from './pagination.js';
import { Registration } from './registration.js';
import type { CompleteCallback, ContentAnnotations, Icon, ReadResourceResult, Resource } from './types.js';
import { UriTemplate, type UriVariables } from './uri-template.js';
import { invalidParams, isObject, requireString } from './wire.js';

export interface ResourceMetadata {
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: ContentAnnotations;
  icons?: Icon[];
  _meta?: JsonObject;
}

export type ReadResourceHandler = (uri: string, ctx: ServerContext) => ReadResourceResult | Promise<ReadResourceResult>;

export type ReadTemplateHandler = (
  uri: string,
  variables: UriVariables,
  ctx: ServerContext,
) => ReadResourceResult | Promise<ReadResourceResult>;

export type ListResourcesCallback = (
  ctx: ServerContext,
) => { resources: Resource[] } | Promise<{ resources: Resource[] }>;

/** A URI template with optional callbacks: `list` (its resources, for resources/list) and `complete` (per variable). */
export class ResourceTemplate {
  readonly uriTemplate: UriTemplate;
  readonly list: ListResourcesCallback | undefined;
  readonly complete: { readonly [variable: string]: CompleteCallback } | undefined;

  constructor(
    uriTemplate: string | UriTemplate,
    callbacks: { list?: ListResourcesCallback; complete?: { [variable: string]: CompleteCallback } } = {},
  ) {
    this.uriTemplate = typeof uriTemplate === 'string' ? new UriTemplate(uriTemplate) : uriTemplate;
    this.list = callbacks.list;
    this.complete = callbacks.complete;
  }
}

interface Updatable<H> {
  name?: string;
  metadata?: ResourceMetadata;
  handler?: H;
  enabled?: boolean;
}

/** What static resources and templates add to a Registration: metadata and a handler. */
abstract class Registered<H> extends Registration<Updatable<H>, ResourceRegistry> {
  metadata: ResourceMetadata;
  handler: H;

  constructor(registry: ResourceRegistry, name: string, metadata: ResourceMetadata, handler: H) {
    super(registry, name);
    this.metadata = metadata ?? {};
    this.handler = handler;
  }

  protected apply(changes: Updatable<H>): void {
    if (changes.name !== undefined) this.setName(changes.name);
    if (changes.metadata !== undefined) this.metadata = changes.metadata;
    if (changes.handler !== undefined) this.handler = changes.handler;
    this.setEnabled(changes.enabled);
  }
}

/** A static resource: enable(), disable(), update() and remove() send notifications/resources/list_changed. */
export class RegisteredResource extends Registered<ReadResourceHandler> {
  #uri: string;

  constructor(
    registry: ResourceRegistry,
    name: string,
    uri: string,
    metadata: ResourceMetadata,
    h: ReadResourceHandler,
  ) {
    super(registry, name, metadata, h);
    this.#uri = uri;
  }

  get uri(): string {
    return this.#uri;
  }

  update(changes: Updatable<ReadResourceHandler> & { uri?: string }): void {
    if (changes.uri !== undefined && changes.uri !== this.#uri) {
      this.owner.moveResource(this, this.#uri, changes.uri);
      this.#uri = changes.uri;
    }
    this.apply(changes);
    this.owner.changed();
  }

  toJSON(): JsonObject {
    return { uri: this.#uri, name: this.name, ...this.metadata };
  }
}

/** A resource template: enable(), disable(), update() and remove() send notifications/resources/list_changed. */
export class RegisteredResourceTemplate extends Registered<ReadTemplateHandler> {
  template: ResourceTemplate;

  constructor(
    registry: ResourceRegistry,
    name: string,
    template: ResourceTemplate,
    metadata: ResourceMetadata,
    h: ReadTemplateHandler,
  ) {
    super(registry, name, metadata, h);
    this.template = template;
  }

  update(changes: Updatable<ReadTemplateHandler> & { template?: ResourceTemplate }): void {
    if (changes.name !== undefined && changes.name !== this.name) this.owner.moveTemplate(this, changes.name);
    if (changes.template !== undefined) this.template = changes.template;
    this.apply(changes);
    this.owner.changed();
  }

  toJSON(): JsonObject {
    return { uriTemplate: this.template.uriTemplate.template, name: this.name, ...this.metadata };
  }
}

function registrationError(message: string, details: JsonObject): NmcpError {
  return new NmcpError(ErrorCode.INVALID_OPTION, `registerResource: ${message}`, details);
}

export class ResourceRegistry {
  readonly #resources = new Map<string, RegisteredResource>();
  readonly #templates = new Map<string, RegisteredResourceTemplate>();
  readonly #core: ServerCore;
  readonly list: CachedList;
  readonly templateList: CachedList;

  constructor(core: ServerCore) {
    this.#core = core;
    this.list = new CachedList(
      'resources',
      () => this.#staticItems(),
      () => core.pageSize,
      (era) => (era === 'legacy' ? '' : core.encoder.listSuffix('resources/list')),
    );
    this.templateList = new CachedList(
      'resourceTemplates',
      () => [...this.#templates.values()].filter((t) => t.enabled).map((t) => t.toJSON()),
      () => core.pageSize,
      (era) => (era === 'legacy' ? '' : core.encoder.listSuffix('resources/templates/list')),
    );
  }

  get resourceCount(): number {
    return this.#resources.size;
  }

  get templateCount(): number {
    return this.#templates.size;
  }

  /** The enabled template whose URI template text is `uriTemplate` (for completion/complete). */
  templateByUri(uriTemplate: string): RegisteredResourceTemplate | undefined {
    for (const t of this.#templates.values()) if (t.template.uriTemplate.template === uriTemplate) return t;
    return undefined;
  }

  hasResource(uri: string): boolean {
    return this.#resources.has(uri);
  }

  registerResource(name: string, uri: string, metadata: ResourceMetadata, handler: ReadResourceHandler) {
    this.#check(name, handler);
    if (this.#resources.has(uri)) throw registrationError(`resource "${uri}" is already registered`, { uri });
    const r = new RegisteredResource(this, name, uri, metadata, handler);
    this.#resources.set(uri, r);
    this.changed();
    return r;
  }

  registerTemplate(name: string, template: ResourceTemplate, metadata: ResourceMetadata, handler: ReadTemplateHandler) {
    this.#check(name, handler);
    if (this.#templates.has(name))
      throw registrationError(`resource template "${name}" is already registered`, { name });
    const t = new RegisteredResourceTemplate(this, name, template, metadata, handler);
    this.#templates.set(name, t);
    this.changed();
    return t;
  }

  #check(name: string, handler: unknown): void {
    if (typeof name !== 'string' || name.length === 0)
      throw registrationError('the name must be a non-empty string', {});
    if (typeof handler !== 'function') throw registrationError(`the handler of "${name}" must be a function`, { name });
  }

  /** @internal */
  moveResource(r: RegisteredResource, from: string, to: string): void {
    if (this.#resources.has(to)) throw registrationError(`resource "${to}" is already registered`, { uri: to });
    this.#resources.delete(from);
    this.#resources.set(to, r);
  }

  /** @internal */
  moveTemplate(t: RegisteredResourceTemplate, to: string): void {
    if (this.#templates.has(to))
      throw registrationError(`resource template "${to}" is already registered`, { name: to });
    this.#templates.delete(t.name);
    this.#templates.set(to, t);
  }

  /** @internal */
  delete(r: RegisteredResource | RegisteredResourceTemplate): void {
    const removed =
      r instanceof RegisteredResource
        ? this.#resources.get(r.uri) === r && this.#resources.delete(r.uri)
        : this.#templates.get(r.name) === r && this.#templates.delete(r.name);
    if (removed) this.changed();
  }

  /** @internal */
  changed(): void {
    this.list.invalidate();
    this.templateList.invalidate();
    this.#core.listChanged('resources');
  }

  #staticItems(): JsonObject[] {
    return [...this.#resources.values()].filter((r) => r.enabled).map((r) => r.toJSON());
  }

  /** resources/list: the cached pages, unless a template lists resources dynamically. */
  listResources(call: Call): unknown {
    const dynamic = [...this.#templates.values()].filter((t) => t.enabled && t.template.list !== undefined);
    if (dynamic.length === 0) return this.list.page(call.params.cursor, call.era);
    const ctx = contextFor(this.#core, call);
    return Promise.all(
      dynamic.map(async (t) => {
        const listed = await (t.template.list as ListResourcesCallback)(ctx);
        return listed.resources.map((resource) => JSON.stringify({ ...t.metadata, ...resource }));
      }),
    ).then((lists) => {
      const items = [...this.#staticItems().map((item) => JSON.stringify(item)), ...lists.flat()];
      const offset = decodeCursor(call.params.cursor, items.length);
      const suffix = call.era === 'legacy' ? '' : this.#core.encoder.listSuffix('resources/list');
      return new RawJson(pageJson('resources', items, offset, this.#core.pageSize, suffix));
    });
  }

  /** resources/read. */
  read(call: Call): unknown {
    const uri = requireString(call.params, 'uri', 'resources/read');
    const resource = this.#resources.get(uri);
    if (resource !== undefined) {
      if (!resource.enabled) throw invalidParams(`Resource ${uri} disabled`, { uri });
      const ctx = contextFor(this.#core, call, `resources/read\u0000${uri}`);
      return runHandler(this.#core, 'resources/read', ctx, () => resource.handler(uri, ctx), checkContents);
    }
    for (const t of this.#templates.values()) {
      const variables = t.template.uriTemplate.match(uri);
      if (variables === undefined) continue;
      if (!t.enabled) throw invalidParams(`Resource template ${t.template.uriTemplate.template} disabled`, { uri });
      const ctx = contextFor(this.#core, call, `resources/read\u0000${uri}`);
      return runHandler(this.#core, 'resources/read', ctx, () => t.handler(uri, variables, ctx), checkContents);
    }
    // -32002 is the legacy spec's code; 2026-07-28 requires -32602. Both carry the URI (clients accept either).
    throw new McpError(
      call.era === 'legacy' ? RpcCode.RESOURCE_NOT_FOUND : RpcCode.INVALID_PARAMS,
      `Resource not found: ${uri}`,
      {
        uri,
      },
    );
  }
}

function checkContents(result: unknown): void {
  if (!isObject(result) || !Array.isArray(result.contents)) {
    throw new McpError(RpcCode.INTERNAL_ERROR, 'Internal error: a resource handler must return { contents: [...] }');
  }
}
