/**
 * Whether an OpenTelemetry API with a tracer provider is registered in this process — read from the API's own global
 * (`Symbol.for('opentelemetry.js.api.1')`, set when an SDK registers its provider), without loading the API: McpServer
 * asks this at each connect, and only then loads src/ops/tracing.ts.
 */
export function openTelemetryRegistered(): boolean {
  const api = (globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')] as
    | { trace?: unknown }
    | undefined;
  return api?.trace !== undefined;
}
