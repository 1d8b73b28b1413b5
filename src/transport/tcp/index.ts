export type { TcpClientStats, TcpClientTransportOptions } from './client-transport.js';
export { TcpClientTransport } from './client-transport.js';
export { TcpTransport } from './connection.js';
export type { TcpDialTarget } from './dial.js';
export type { TcpClientOptions, TcpConnectionOptions, TcpServerOptions } from './options.js';
export {
  DEFAULT_TCP_CLIENT_OPTIONS,
  DEFAULT_TCP_CONNECTION_OPTIONS,
  DEFAULT_TCP_SERVER_OPTIONS,
} from './options.js';
export type { McpClientPoolOptions, McpClientPoolStats, McpClientPoolTuning } from './pool.js';
export { McpClientPool } from './pool.js';
export type { ReconnectOptions } from './reconnect.js';
export { backoffDelay, DEFAULT_RECONNECT_OPTIONS } from './reconnect.js';
export type {
  ConnectableServer,
  McpTcpServerOptions,
  TcpListenAddress,
  TcpListenTarget,
  TcpServerStats,
} from './server.js';
export { CONNECTION_LIMIT_RPC_CODE, McpTcpServer } from './server.js';
export type { SocketOptionName, SocketOptionsReport } from './socket-options.js';
