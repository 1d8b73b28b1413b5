import { afterEach, describe, expect, it, vi } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { NmcpError } from '../../src/errors.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { authChallenge, challengeParams } from '../../src/transport/http/client/auth.js';
import { type AuthChallenge, StreamableHttpClientTransport } from '../../src/transport/http/client/index.js';
import { HttpAuthError, httpPrincipal, type McpHttpServer, serveHttp } from '../../src/transport/http/server/index.js';

/**
 * The Streamable HTTP client's auth hooks against nmcp's HTTP server with its auth hook (a real fastify server):
 * the token accepted changes ("rotates") and the client renews it on the 401.
 */

const METADATA = 'http://127.0.0.1/.well-known/oauth-protected-resource/mcp';
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

interface Seen {
  method: string;
  token: string | undefined;
}

async function start(valid: { token: string }, scoped?: string) {
  const server = new McpServer({ name: 'auth', version: '1' });
  server.registerTool('whoami', {}, (_args, ctx) => ({
    content: [{ type: 'text', text: JSON.stringify(httpPrincipal(ctx.session)) }],
  }));
  const seen: Seen[] = [];
  const http: McpHttpServer = await serveHttp(server, {
    port: 0,
    resourceMetadataUrl: METADATA,
    auth: ({ token, method }) => {
      seen.push({ method, token });
      if (token === scoped) throw new HttpAuthError('needs the tools scope', { status: 403, scope: 'tools' });
      if (token !== valid.token) throw new Error('unknown token');
      return { sub: token };
    },
  });
  closers.push(async () => {
    await http.close();
    await server.close();
  });
  return { url: http.url, seen };
}

async function connect(
  url: string,
  auth: ConstructorParameters<typeof StreamableHttpClientTransport>[1],
  pin?: string,
) {
  const client = new McpClient(
    { name: 'c', version: '1' },
    pin ? { negotiation: { pin: pin as '2026-07-28' } } : { negotiation: 'legacy' },
  );
  await client.connect(new StreamableHttpClientTransport(url, auth));
  closers.push(() => client.close());
  return client;
}

const whoami = async (client: McpClient) =>
  ((await client.callTool({ name: 'whoami', arguments: {} })).content as { text: string }[])[0]?.text;

describe('StreamableHttpClientTransport auth', () => {
  it('sends auth.header() on every request (POSTs, the GET stream, DELETE) and renews once on a 401', async () => {
    const valid = { token: 't1' };
    const { url, seen } = await start(valid);
    let current = 't1';
    const challenges: AuthChallenge[] = [];
    const client = await connect(url, {
      auth: {
        header: () => `Bearer ${current}`,
        unauthorized: async (challenge) => {
          challenges.push(challenge);
          current = valid.token; // "refresh": the server now wants the new one
          return true;
        },
      },
    });
    expect(await whoami(client)).toBe('{"sub":"t1"}');
    await vi.waitFor(() => expect(seen.some((s) => s.method === 'GET')).toBe(true)); // the GET stream is open
    valid.token = 't2'; // the server rotates: t1 is refused from now on
    expect(await whoami(client)).toBe('{"sub":"t2"}');
    expect(challenges).toHaveLength(1);
    expect(challenges[0]).toMatchObject({
      status: 401,
      resourceMetadataUrl: METADATA,
      error: 'invalid_token',
      errorDescription: 'unknown token',
    });
    expect(await whoami(client)).toBe('{"sub":"t2"}');
    expect(challenges).toHaveLength(1); // the renewed token is used from then on
    await client.close();
    const methods = new Set(seen.map((s) => s.method));
    expect([...methods].sort()).toEqual(['DELETE', 'GET', 'POST']);
    expect(seen.every((s) => s.token === 't1' || s.token === 't2')).toBe(true);
  });

  it('the modern era (stateless POSTs) renews the same way', async () => {
    const valid = { token: 'a' };
    const { url } = await start(valid);
    let current = 'a';
    let renewals = 0;
    const client = await connect(
      url,
      {
        auth: {
          header: () => `Bearer ${current}`,
          unauthorized: async () => {
            renewals++;
            await new Promise((resolve) => setTimeout(resolve, 50)); // a token endpoint's round trip
            current = valid.token;
            return true;
          },
        },
      },
      '2026-07-28',
    );
    valid.token = 'b';
    expect(await whoami(client)).toBe('{"sub":"b"}');
    expect(renewals).toBe(1);
    // three calls refused together share one renewal
    valid.token = 'c';
    const results = await Promise.all([whoami(client), whoami(client), whoami(client)]);
    expect(results).toEqual(['{"sub":"c"}', '{"sub":"c"}', '{"sub":"c"}']);
    expect(renewals).toBe(2);
  });

  it('unauthorized() false, a hook that throws, or none: the request fails with the 401, the session goes on', async () => {
    const valid = { token: 'ok' };
    const { url } = await start(valid);
    let answer: boolean | 'throw' = false;
    let current = 'ok';
    const client = await connect(url, {
      auth: {
        header: () => `Bearer ${current}`,
        unauthorized: () => {
          if (answer === 'throw') throw new Error('no refresh token');
          return answer;
        },
      },
    });
    current = 'stale';
    await expect(whoami(client)).rejects.toThrow(/Unauthorized: unknown token/);
    answer = 'throw';
    await expect(whoami(client)).rejects.toThrow(/Unauthorized: unknown token/);
    current = 'ok';
    expect(await whoami(client)).toBe('{"sub":"ok"}');
  });

  it('a retry that is refused again is not retried a second time', async () => {
    const { url } = await start({ token: 'never' }, undefined);
    let calls = 0;
    const transport = new StreamableHttpClientTransport(url, {
      auth: {
        header: () => 'Bearer wrong',
        unauthorized: () => {
          calls++;
          return true;
        },
      },
    });
    const client = new McpClient({ name: 'c', version: '1' }, { negotiation: 'legacy' });
    closers.push(() => client.close());
    await expect(client.connect(transport)).rejects.toThrow(/Unauthorized: unknown token/);
    expect(calls).toBe(1);
  });

  it('403 insufficient_scope reaches unauthorized() with the scope; a throwing header() fails only its requests', async () => {
    const valid = { token: 'full' };
    const { url, seen } = await start(valid, 'readonly');
    let current = 'full';
    let failHeader = false;
    const challenges: AuthChallenge[] = [];
    const client = await connect(url, {
      auth: {
        header: () => {
          if (failHeader) throw new Error('token store offline');
          return `Bearer ${current}`;
        },
        unauthorized: (c) => {
          challenges.push(c);
          current = 'full';
          return true;
        },
      },
    });
    await vi.waitFor(() => expect(seen.some((s) => s.method === 'GET')).toBe(true)); // the GET stream is open
    current = 'readonly';
    expect(await whoami(client)).toBe('{"sub":"full"}');
    expect(challenges).toEqual([expect.objectContaining({ status: 403, error: 'insufficient_scope', scope: 'tools' })]);
    failHeader = true;
    await expect(whoami(client)).rejects.toThrow(/auth.header\(\) failed: token store offline/);
    failHeader = false;
    expect(await whoami(client)).toBe('{"sub":"full"}');
  });

  it('options: auth must have header(); unauthorized must be a function', () => {
    expect(() => new StreamableHttpClientTransport('http://127.0.0.1:1/mcp', { auth: {} as never })).toThrow(NmcpError);
    expect(
      () =>
        new StreamableHttpClientTransport('http://127.0.0.1:1/mcp', {
          auth: { header: () => undefined, unauthorized: 'x' as never },
        }),
    ).toThrow(/auth.unauthorized must be a function/);
  });
});

describe('WWW-Authenticate parsing', () => {
  it('reads the Bearer challenge’s parameters (quoted, escaped, tokens), not another scheme’s', () => {
    const p = challengeParams(
      'Bearer realm="mcp", error="invalid_token", error_description="a \\"quoted\\" word", scope=tools, Basic realm="x"',
    );
    expect(Object.fromEntries(p)).toEqual({
      realm: 'mcp',
      error: 'invalid_token',
      error_description: 'a "quoted" word',
      scope: 'tools',
    });
    expect(challengeParams('Basic realm="x"').size).toBe(0);
    expect(authChallenge(403, 'Bearer error="invalid_token"')).toBeUndefined(); // a 403 a new token will not fix
    expect(authChallenge(500, 'Bearer')).toBeUndefined();
    expect(authChallenge(401, undefined)).toMatchObject({ status: 401, resourceMetadataUrl: undefined });
  });
});
