/** The multi-server host's public API (docs/host.md). */
export type { HostedConnections } from './hosted-server.js';
export type { HostHttpListener, HostHttpOptions } from './http-listener.js';
export type { HostedServerStats, McpHostOptions, McpHostStats, McpServerFactory } from './mcp-host.js';
export { McpHost } from './mcp-host.js';
export { SERVER_NAME_PATTERN } from './names.js';
export type { HostStdioSession } from './stdio-session.js';
export type { HostTcpListener, HostTcpOptions } from './tcp-listener.js';
