export type { AuthChallenge, HttpClientAuth } from './auth.js';
export type {
  ResolvedHttpClientOptions,
  StreamableHttpClientOptions,
  StreamableHttpClientTransportOptions,
} from './options.js';
export { DEFAULT_HTTP_CLIENT_OPTIONS } from './options.js';
export { StreamableHttpClientTransport } from './transport.js';
