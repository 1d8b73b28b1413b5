import type { buildConnector, Pool } from 'undici';
import type { ResolvedHttpClientOptions } from './options.js';

/**
 * The transport's one undici Pool for the server's origin. Body timeouts are off at the pool: the transport times a
 * JSON body itself and leaves an SSE stream alone, which a pool-wide bodyTimeout would cut after `timeoutMs` of
 * silence (a GET stream may carry nothing for minutes).
 */
export async function createPool(options: ResolvedHttpClientOptions): Promise<Pool> {
  // undici is loaded on first use (~100-250 ms of module loading): importing nmcp to serve stdio or TCP must not pay it.
  const { buildConnector, Pool } = await import('undici');
  const h2 = options.httpVersion === '2';
  // The connector is built here because Pool builds its own without `useH2c`: an http: URL with HTTP/2 means h2c with
  // prior knowledge (there is no ALPN without TLS). useH2c is implemented by undici 7 but not in its type declarations.
  const connectorOptions: buildConnector.BuildOptions & { useH2c?: boolean } = {
    ...options.tls,
    allowH2: h2,
    timeout: options.connectTimeoutMs,
    ...(h2 && options.url.protocol === 'http:' ? { useH2c: true } : {}),
  };
  return new Pool(options.url.origin, {
    connect: buildConnector(connectorOptions),
    allowH2: h2,
    connections: options.maxConnections === 0 ? null : options.maxConnections,
    // Why HTTP/1.1 stays at 1 whatever maxPipelineSize says: see StreamableHttpClientOptions.maxPipelineSize.
    pipelining: h2 ? options.maxPipelineSize : 1,
    headersTimeout: options.timeoutMs,
    bodyTimeout: 0,
    keepAliveTimeout: options.idleTimeoutMs,
    keepAliveMaxTimeout: options.idleTimeoutMs,
  });
}
