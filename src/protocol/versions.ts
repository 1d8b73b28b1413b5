/** MCP protocol revisions nmcp speaks, and version negotiation for the legacy (handshake) era. */

/** Handshake-era revisions, oldest first. */
export const LEGACY_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'] as const;
/** Stateless-era revisions (no initialize; version and capabilities in each request's _meta). */
export const MODERN_VERSIONS = ['2026-07-28'] as const;

export type LegacyVersion = (typeof LEGACY_VERSIONS)[number];
export type ModernVersion = (typeof MODERN_VERSIONS)[number];
export type ProtocolVersion = LegacyVersion | ModernVersion;

export const LATEST_LEGACY_VERSION: LegacyVersion = '2025-11-25';
export const LATEST_VERSION: ModernVersion = '2026-07-28';
export const SUPPORTED_VERSIONS: readonly ProtocolVersion[] = [...LEGACY_VERSIONS, ...MODERN_VERSIONS];

export function isLegacyVersion(v: unknown): v is LegacyVersion {
  return typeof v === 'string' && (LEGACY_VERSIONS as readonly string[]).includes(v);
}

export function isModernVersion(v: unknown): v is ModernVersion {
  return typeof v === 'string' && (MODERN_VERSIONS as readonly string[]).includes(v);
}

/**
 * initialize: answer with the client's version when it is a supported handshake-era version, else the latest one
 * (the client then decides whether it can go on).
 */
export function negotiateLegacyVersion(requested: unknown): LegacyVersion {
  return isLegacyVersion(requested) ? requested : LATEST_LEGACY_VERSION;
}

/** JSON-RPC batches exist only in 2025-03-26 (added then, removed in 2025-06-18). */
export function allowsBatches(version: ProtocolVersion | undefined): boolean {
  return version === '2025-03-26';
}
