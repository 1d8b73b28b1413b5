/**
 * What tools and prompts share: a name-keyed set of registrations whose list (cached, paginated) is invalidated and
 * announced (notifications/…/list_changed) on every change. Resources are keyed by URI and have their own registry.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import type { JsonObject } from '../protocol/jsonrpc.js';
import type { ServerCore } from './core.js';
import { CachedList } from './pagination.js';

export interface NamedEntry {
  readonly name: string;
  readonly enabled: boolean;
  toJSON(): JsonObject;
}

export abstract class NamedRegistry<T extends NamedEntry> {
  protected readonly entries = new Map<string, T>();
  protected readonly core: ServerCore;
  readonly list: CachedList;
  readonly #kind: 'tool' | 'prompt';
  readonly #listKind: 'tools' | 'prompts';

  constructor(core: ServerCore, kind: 'tool' | 'prompt') {
    this.core = core;
    this.#kind = kind;
    this.#listKind = `${kind}s`;
    const method = `${this.#listKind}/list` as const;
    this.list = new CachedList(
      this.#listKind,
      () => [...this.entries.values()].filter((e) => e.enabled).map((e) => e.toJSON()),
      () => core.pageSize,
      (era) => (era === 'legacy' ? '' : core.encoder.listSuffix(method)),
    );
  }

  get size(): number {
    return this.entries.size;
  }

  get(name: string): T | undefined {
    return this.entries.get(name);
  }

  /** Validates name and handler, then adds the entry `make()` builds (a tool name off the 2025-11-25 rule: a warning). */
  protected add(name: string, handler: unknown, make: () => T): T {
    const api = this.#kind === 'tool' ? 'registerTool' : 'registerPrompt';
    if (typeof name !== 'string' || name.length === 0) {
      throw new NmcpError(ErrorCode.INVALID_OPTION, `${api}: the name must be a non-empty string`, { name });
    }
    if (this.entries.has(name)) {
      throw new NmcpError(ErrorCode.INVALID_OPTION, `${api}: ${this.#kind} "${name}" is already registered`, { name });
    }
    if (typeof handler !== 'function') {
      throw new NmcpError(ErrorCode.INVALID_OPTION, `${api}: the handler of "${name}" must be a function`, { name });
    }
    if (this.#kind === 'tool') warnToolName(name);
    const entry = make();
    this.entries.set(name, entry);
    this.changed();
    return entry;
  }

  /** @internal */
  rename(entry: T, from: string, to: string): void {
    if (this.entries.has(to)) {
      throw new NmcpError(ErrorCode.INVALID_OPTION, `${this.#kind} "${from}" cannot be renamed: "${to}" exists`, {
        name: to,
      });
    }
    if (this.#kind === 'tool') warnToolName(to);
    this.entries.delete(from);
    this.entries.set(to, entry);
  }

  /** @internal */
  delete(entry: T): void {
    if (this.entries.get(entry.name) !== entry) return;
    this.entries.delete(entry.name);
    this.changed();
  }

  /** @internal */
  changed(): void {
    this.list.invalidate();
    this.core.listChanged(this.#listKind);
  }
}

/** The tool names 2025-11-25 recommends (SEP-986, a SHOULD): 1–128 of A–Z a–z 0–9 _ - . */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const warnedToolNames = new Set<string>();

/**
 * A tool name off the recommended set still works (the spec says SHOULD), but some clients refuse or rewrite such names:
 * one process warning (code NMCP_TOOL_NAME) per name, as the official SDK warns.
 */
function warnToolName(name: string): void {
  if (TOOL_NAME.test(name) || warnedToolNames.has(name)) return;
  if (warnedToolNames.size < 1000) warnedToolNames.add(name);
  process.emitWarning(
    `tool name ${JSON.stringify(name)} is not 1–128 characters of A–Z a–z 0–9 _ - . (MCP 2025-11-25 tool naming); some clients may refuse or rename it`,
    { type: 'NmcpWarning', code: 'NMCP_TOOL_NAME' },
  );
}
