/**
 * protectedResourceMetadata: the OAuth 2.0 Protected Resource Metadata document (RFC 9728) the MCP authorization spec
 * requires, served by the standalone server and the fastify plugin at the well-known URLs, readable without a token,
 * and named by the 401's WWW-Authenticate; its option validation.
 */
import Fastify from 'fastify';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { McpHttpServer, mcpHttpPlugin, serveHttp } from '../../src/transport/http/server/index.js';
import { freePort } from '../helpers/free-port.js';
import { type Json, post } from './http-server-helpers.js';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
};

const AS = 'https://as.example.com';

function denyAll(): never {
  throw new Error('no token accepted');
}

async function get(
  url: string,
  method: 'GET' | 'HEAD' = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; json: Json | undefined; text: string }> {
  const res = await request(url, { method, headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: text === '' ? undefined : JSON.parse(text) };
}

function newServer(): McpServer {
  return new McpServer({ name: 'prm', version: '1' });
}

describe('protectedResourceMetadata, standalone server', () => {
  let http: McpHttpServer;
  let origin: string;

  beforeAll(async () => {
    http = await serveHttp(newServer(), {
      port: await freePort(),
      auth: denyAll,
      protectedResourceMetadata: {
        authorizationServers: [AS],
        scopesSupported: ['mcp:tools', 'mcp:resources'],
        resourceName: 'Demo MCP',
        resourceDocumentation: 'https://docs.example.com/mcp',
      },
    });
    origin = new URL(http.url).origin;
  });
  afterAll(async () => {
    await http.close();
  });

  it('serves the RFC 9728 document at /.well-known/oauth-protected-resource/mcp without a token', async () => {
    const r = await get(`${origin}/.well-known/oauth-protected-resource/mcp`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['www-authenticate']).toBeUndefined();
    expect(r.json).toEqual({
      resource: `${origin}/mcp`,
      authorization_servers: [AS],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp:tools', 'mcp:resources'],
      resource_name: 'Demo MCP',
      resource_documentation: 'https://docs.example.com/mcp',
    });
  });

  it('serves the same document at the root /.well-known/oauth-protected-resource, and answers HEAD', async () => {
    const root = await get(`${origin}/.well-known/oauth-protected-resource`);
    expect(root.status).toBe(200);
    expect(root.json).toMatchObject({ resource: `${origin}/mcp`, authorization_servers: [AS] });
    const head = await get(`${origin}/.well-known/oauth-protected-resource/mcp`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^application\/json/);
    expect(head.text).toBe('');
  });

  it('the resource follows the request Host (localhost vs 127.0.0.1)', async () => {
    const port = new URL(origin).port;
    const r = await get(`${origin}/.well-known/oauth-protected-resource/mcp`, 'GET', { host: `localhost:${port}` });
    expect(r.json?.resource).toBe(`http://localhost:${port}/mcp`);
  });

  it('the MCP endpoint answers 401 whose resource_metadata is the served document (absolute URL)', async () => {
    const r = await post(http.url, INIT);
    expect(r.status).toBe(401);
    const challenge = String(r.headers['www-authenticate']);
    expect(challenge).toBe(
      `Bearer realm="mcp", resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
    );
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1] as string;
    const doc = await get(metadataUrl);
    expect(doc.status).toBe(200);
    expect(doc.json?.resource).toBe(http.url);
    expect(http.handler.sessionCount).toBe(0);
  });

  it('the Host check still applies to the document (DNS-rebinding protection)', async () => {
    const r = await get(`${origin}/.well-known/oauth-protected-resource/mcp`, 'GET', { host: 'evil.example' });
    expect(r.status).toBe(403);
  });
});

describe('protectedResourceMetadata, options', () => {
  it('a configured resource is sent as is; an explicit resourceMetadataUrl still wins in WWW-Authenticate', async () => {
    const http = await serveHttp(newServer(), {
      port: 0,
      path: '/v1/mcp',
      auth: denyAll,
      resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/v1/mcp',
      protectedResourceMetadata: { authorizationServers: [AS], resource: 'https://mcp.example.com/v1/mcp' },
    });
    try {
      const origin = new URL(http.url).origin;
      const r = await post(http.url, INIT);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe(
        'Bearer realm="mcp", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/v1/mcp"',
      );
      const doc = await get(`${origin}/.well-known/oauth-protected-resource/v1/mcp`);
      expect(doc.json).toEqual({
        resource: 'https://mcp.example.com/v1/mcp',
        authorization_servers: [AS],
        bearer_methods_supported: ['header'],
      });
      expect((await get(`${origin}/.well-known/oauth-protected-resource`)).status).toBe(200);
    } finally {
      await http.close();
    }
  });

  it('without the option nothing is served and the 401 has no resource_metadata', async () => {
    const http = await serveHttp(newServer(), { port: 0, auth: denyAll });
    try {
      const origin = new URL(http.url).origin;
      expect((await get(`${origin}/.well-known/oauth-protected-resource/mcp`)).status).toBe(404);
      expect((await post(http.url, INIT)).headers['www-authenticate']).toBe('Bearer realm="mcp"');
    } finally {
      await http.close();
    }
  });

  it.each([
    [
      { protectedResourceMetadata: 'https://as.example.com' },
      'McpHttpServer.protectedResourceMetadata',
      /must be an object/,
    ],
    [
      { protectedResourceMetadata: {} },
      'McpHttpServer.protectedResourceMetadata.authorizationServers',
      /non-empty array/,
    ],
    [
      { protectedResourceMetadata: { authorizationServers: [] } },
      'McpHttpServer.protectedResourceMetadata.authorizationServers',
      /non-empty array/,
    ],
    [
      { protectedResourceMetadata: { authorizationServers: ['http://as.example.com'] } },
      'McpHttpServer.protectedResourceMetadata.authorizationServers',
      /https issuer URLs/,
    ],
    [
      { protectedResourceMetadata: { authorizationServers: ['not a url'] } },
      'McpHttpServer.protectedResourceMetadata.authorizationServers',
      /https issuer URLs/,
    ],
    [
      { protectedResourceMetadata: { authorizationServers: [AS], resource: 'https://x.example/mcp#frag' } },
      'McpHttpServer.protectedResourceMetadata.resource',
      /without fragment/,
    ],
    [
      { protectedResourceMetadata: { authorizationServers: [AS], scopesSupported: ['a b'] } },
      'McpHttpServer.protectedResourceMetadata.scopesSupported',
      /scope tokens/,
    ],
    [
      { protectedResourceMetadata: { authorizationServers: [AS], resourceName: '' } },
      'McpHttpServer.protectedResourceMetadata.resourceName',
      /non-empty string/,
    ],
    [
      { protectedResourceMetadata: { authorizationServers: [AS], resourceDocumentation: 'docs' } },
      'McpHttpServer.protectedResourceMetadata.resourceDocumentation',
      /http\(s\) URL/,
    ],
    [
      { protectedResourceMetadata: { authorizationServers: [AS], authorizationServer: AS } },
      'McpHttpServer.protectedResourceMetadata.authorizationServer',
      /is not a known option/,
    ],
  ])('invalid %j is NMCP_ERR_INVALID_OPTION naming %s', (options, key, message) => {
    let error: unknown;
    try {
      new McpHttpServer(newServer(), options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: ErrorCode.INVALID_OPTION, details: { key } });
    expect(String((error as Error).message)).toMatch(message);
  });

  it('http issuer URLs are accepted on localhost (development authorization servers)', () => {
    expect(
      () =>
        new McpHttpServer(newServer(), {
          protectedResourceMetadata: {
            authorizationServers: ['http://localhost:9000', 'http://127.0.0.1:9000/tenant'],
          },
        }),
    ).not.toThrow();
  });
});

describe('protectedResourceMetadata, fastify plugin', () => {
  it('without a prefix: the document at the root well-known URLs, the 401 pointing to it, other routes untouched', async () => {
    const app = Fastify();
    app.get('/health', async () => ({ ok: true }));
    await app.register(mcpHttpPlugin, {
      server: newServer(),
      auth: denyAll,
      protectedResourceMetadata: { authorizationServers: [AS] },
    });
    const url = await app.listen({ port: await freePort(), host: '127.0.0.1' });
    try {
      const doc = await get(`${url}/.well-known/oauth-protected-resource/mcp`);
      expect(doc.status).toBe(200);
      expect(doc.json).toEqual({
        resource: `${url}/mcp`,
        authorization_servers: [AS],
        bearer_methods_supported: ['header'],
      });
      expect((await get(`${url}/.well-known/oauth-protected-resource`)).json?.resource).toBe(`${url}/mcp`);
      const r = await post(`${url}/mcp`, INIT);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe(
        `Bearer realm="mcp", resource_metadata="${url}/.well-known/oauth-protected-resource/mcp"`,
      );
      expect((await get(`${url}/health`)).json).toEqual({ ok: true });
    } finally {
      await app.close();
    }
  });

  it('under a prefix: both routes are under the prefix, the resource and the 401 name the prefixed URLs', async () => {
    const app = Fastify();
    await app.register(mcpHttpPlugin, {
      prefix: '/api',
      server: newServer(),
      auth: denyAll,
      protectedResourceMetadata: { authorizationServers: [AS] },
    } as never);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const doc = await get(`${url}/api/.well-known/oauth-protected-resource/mcp`);
      expect(doc.status).toBe(200);
      expect(doc.json?.resource).toBe(`${url}/api/mcp`);
      expect((await get(`${url}/api/.well-known/oauth-protected-resource`)).json?.resource).toBe(`${url}/api/mcp`);
      expect((await get(`${url}/.well-known/oauth-protected-resource/api/mcp`)).status).toBe(404);
      const r = await post(`${url}/api/mcp`, INIT);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe(
        `Bearer realm="mcp", resource_metadata="${url}/api/.well-known/oauth-protected-resource/mcp"`,
      );
    } finally {
      await app.close();
    }
  });

  it('two plugins in one app: each serves its path-specific document, the first keeps the root one', async () => {
    const app = Fastify();
    await app.register(mcpHttpPlugin, {
      server: newServer(),
      path: '/a',
      protectedResourceMetadata: { authorizationServers: [AS] },
    });
    await app.register(mcpHttpPlugin, {
      server: newServer(),
      path: '/b',
      protectedResourceMetadata: { authorizationServers: ['https://other-as.example.com'] },
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect((await get(`${url}/.well-known/oauth-protected-resource/a`)).json?.resource).toBe(`${url}/a`);
      expect((await get(`${url}/.well-known/oauth-protected-resource/b`)).json).toMatchObject({
        resource: `${url}/b`,
        authorization_servers: ['https://other-as.example.com'],
      });
      expect((await get(`${url}/.well-known/oauth-protected-resource`)).json?.resource).toBe(`${url}/a`);
    } finally {
      await app.close();
    }
  });

  it('a bad option fails the plugin registration naming mcpHttpPlugin.protectedResourceMetadata…', async () => {
    const app = Fastify();
    await expect(
      app
        .register(mcpHttpPlugin, {
          server: newServer(),
          protectedResourceMetadata: { authorizationServers: 'https://as.example.com' } as never,
        })
        .ready(),
    ).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
      details: { key: 'mcpHttpPlugin.protectedResourceMetadata.authorizationServers' },
    });
    await app.close();
  });
});
