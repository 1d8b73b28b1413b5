// Server requests beyond the capabilities the client advertised (MCP 2025-11-25: elicitation modes, sampling.tools)
// are refused with -32602 without calling the callback, in both eras; declared ones are answered as before.
// The servers are scripted JsonRpcSessions, so they can send what a conforming server never would.
import { describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import type { ElicitParams, McpClientOptions } from '../../src/client/types.js';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { type JsonObject, McpError, RpcCode } from '../../src/protocol/jsonrpc.js';
import { JsonRpcSession, type RequestHandler } from '../../src/session/session.js';
import { memoryPair } from './helpers.js';

const INFO = { name: 'unit', version: '1' };
const FORM: JsonObject = { message: 'name?', requestedSchema: { type: 'object', properties: {} } };
const URL_MODE: JsonObject = { message: 'log in', mode: 'url', url: 'https://example.com/auth', elicitationId: 'e1' };
const PLAIN_SAMPLING: JsonObject = {
  messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }],
  maxTokens: 5,
};
const TOOL_SAMPLING: JsonObject = {
  ...PLAIN_SAMPLING,
  tools: [{ name: 'weather', inputSchema: { type: 'object' } }],
};
const TOOL_CHOICE_ONLY: JsonObject = { ...PLAIN_SAMPLING, toolChoice: { mode: 'auto' } };

/** Options with recording callbacks; `calls` lists what reached them. */
function recording(options: McpClientOptions = {}) {
  const calls: string[] = [];
  const opts: McpClientOptions = {
    onElicitation: (p: ElicitParams) => {
      calls.push(`elicitation:${p.mode ?? 'form'}`);
      return { action: 'accept', content: {} };
    },
    onSampling: (p) => {
      calls.push(`sampling:${p.tools ? 'tools' : 'plain'}`);
      return { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'm' };
    },
    ...options,
  };
  return { calls, opts };
}

/** A legacy-era client connected to a scripted server that can send raw server → client requests. */
async function legacy(options: McpClientOptions) {
  const pair = memoryPair();
  const server = new JsonRpcSession(pair.server);
  let declared: JsonObject | undefined;
  server.requestHandlers.set('initialize', (params) => {
    declared = params.capabilities as JsonObject;
    return { protocolVersion: params.protocolVersion, capabilities: {}, serverInfo: { name: 'fake', version: '1' } };
  });
  server.notificationHandlers.set('notifications/initialized', () => {});
  await server.start();
  const client = new McpClient(INFO, { negotiation: 'legacy', ...options });
  await client.connect(pair.client);
  return { client, server, declared: () => declared };
}

/** A modern-era client against a scripted server whose tools/call asks for `inputRequests` once. */
async function modern(options: McpClientOptions, inputRequests: JsonObject) {
  const pair = memoryPair();
  const server = new JsonRpcSession(pair.server);
  const envelopes: JsonObject[] = [];
  server.requestHandlers.set('server/discover', () => ({
    supportedVersions: ['2026-07-28'],
    capabilities: { tools: {} },
    resultType: 'complete',
  }));
  const call: RequestHandler = (params) => {
    envelopes.push((params._meta ?? {}) as JsonObject);
    if (params.inputResponses === undefined) {
      return { resultType: 'input_required', inputRequests, requestState: 's' };
    }
    return { resultType: 'complete', content: [{ type: 'text', text: JSON.stringify(params.inputResponses) }] };
  };
  server.requestHandlers.set('tools/call', call);
  await server.start();
  const client = new McpClient(INFO, { negotiation: { pin: '2026-07-28' }, ...options });
  await client.connect(pair.client);
  return { client, envelopes };
}

async function refusedWith(promise: Promise<unknown>): Promise<McpError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(McpError);
  return err as McpError;
}

describe('declaring elicitation modes and sampling.tools', () => {
  it('defaults: bare elicitation {} (form only) and sampling {}', () => {
    const { opts } = recording();
    expect(new McpClient(INFO, opts).capabilities).toEqual({ sampling: {}, elicitation: {} });
  });

  it('elicitationModes and samplingTools shape the advertised capabilities; the capabilities option still wins', () => {
    const both = recording({ elicitationModes: ['form', 'url'], samplingTools: true }).opts;
    expect(new McpClient(INFO, both).capabilities).toEqual({
      sampling: { tools: {} },
      elicitation: { form: {}, url: {} },
    });
    const urlOnly = recording({ elicitationModes: ['url'] }).opts;
    expect(new McpClient(INFO, urlOnly).capabilities).toMatchObject({ elicitation: { url: {} } });
    const overridden = recording({ elicitationModes: ['form', 'url'], capabilities: { elicitation: {} } }).opts;
    expect(new McpClient(INFO, overridden).capabilities).toMatchObject({ elicitation: {} });
    // Without the callback nothing is advertised.
    expect(new McpClient(INFO, { elicitationModes: ['url'], samplingTools: true }).capabilities).toEqual({});
  });

  it('bad elicitationModes / samplingTools are NMCP_ERR_INVALID_OPTION', () => {
    for (const bad of [
      { elicitationModes: [] },
      { elicitationModes: ['popup'] },
      { elicitationModes: 'url' },
      { samplingTools: 'yes' },
    ]) {
      expect(() => new McpClient(INFO, bad as unknown as McpClientOptions)).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
      );
    }
  });
});

describe('legacy era: server requests beyond the declared capabilities', () => {
  it('an undeclared url-mode elicitation is refused with -32602; the callback is not called', async () => {
    const { calls, opts } = recording();
    const { client, server, declared } = await legacy(opts);
    expect(declared()).toEqual({ sampling: {}, elicitation: {} });
    const err = await refusedWith(server.request('elicitation/create', URL_MODE));
    expect(err.code).toBe(RpcCode.INVALID_PARAMS);
    expect(err.message).toContain('mode "url" was not declared by this client');
    expect(err.message).toContain('capabilities.elicitation.url');
    expect(calls).toEqual([]);
    await client.close();
  });

  it('a declared url-mode elicitation is answered (elicitationModes or the capabilities option)', async () => {
    for (const extra of [
      { elicitationModes: ['form', 'url'] } as McpClientOptions,
      { capabilities: { elicitation: { form: {}, url: {} } } },
    ]) {
      const { calls, opts } = recording(extra);
      const { client, server, declared } = await legacy(opts);
      expect(declared()?.elicitation).toEqual({ form: {}, url: {} });
      await expect(server.request('elicitation/create', URL_MODE)).resolves.toEqual({ action: 'accept', content: {} });
      await expect(server.request('elicitation/create', FORM)).resolves.toEqual({ action: 'accept', content: {} });
      expect(calls).toEqual(['elicitation:url', 'elicitation:form']);
      await client.close();
    }
  });

  it('url-only: a form-mode elicitation (mode absent or "form") is refused; url mode is answered', async () => {
    const { calls, opts } = recording({ elicitationModes: ['url'] });
    const { client, server } = await legacy(opts);
    for (const params of [FORM, { ...FORM, mode: 'form' }]) {
      const err = await refusedWith(server.request('elicitation/create', params));
      expect(err.code).toBe(RpcCode.INVALID_PARAMS);
      expect(err.message).toContain('mode "form" was not declared by this client');
    }
    expect(calls).toEqual([]);
    await expect(server.request('elicitation/create', URL_MODE)).resolves.toMatchObject({ action: 'accept' });
    expect(calls).toEqual(['elicitation:url']);
    await client.close();
  });

  it('undeclared tool sampling (tools or toolChoice) is refused with -32602; the callback is not called', async () => {
    const { calls, opts } = recording();
    const { client, server } = await legacy(opts);
    for (const params of [TOOL_SAMPLING, TOOL_CHOICE_ONLY]) {
      const err = await refusedWith(server.request('sampling/createMessage', params));
      expect(err.code).toBe(RpcCode.INVALID_PARAMS);
      expect(err.message).toContain('was not declared by this client');
      expect(err.message).toContain('capabilities.sampling.tools');
    }
    expect(calls).toEqual([]);
    await client.close();
  });

  it('declared tool sampling is answered (samplingTools or the capabilities option)', async () => {
    for (const extra of [{ samplingTools: true }, { capabilities: { sampling: { tools: {} } } }]) {
      const { calls, opts } = recording(extra);
      const { client, server, declared } = await legacy(opts);
      expect(declared()?.sampling).toEqual({ tools: {} });
      await expect(server.request('sampling/createMessage', TOOL_SAMPLING)).resolves.toMatchObject({ model: 'm' });
      expect(calls).toEqual(['sampling:tools']);
      await client.close();
    }
  });

  it('plain form elicitation and plain sampling are still answered by default', async () => {
    const { calls, opts } = recording();
    const { client, server } = await legacy(opts);
    await expect(server.request('elicitation/create', FORM)).resolves.toEqual({ action: 'accept', content: {} });
    await expect(server.request('elicitation/create', { ...FORM, mode: 'form' })).resolves.toMatchObject({
      action: 'accept',
    });
    await expect(server.request('sampling/createMessage', PLAIN_SAMPLING)).resolves.toMatchObject({ model: 'm' });
    expect(calls).toEqual(['elicitation:form', 'elicitation:form', 'sampling:plain']);
    await client.close();
  });
});

describe('modern era: input requests beyond the declared capabilities', () => {
  it('an undeclared url elicitation fails the call with NMCP_ERR_INPUT_REQUIRED_FAILED (cause -32602); no callback of the round runs', async () => {
    const { calls, opts } = recording();
    const { client } = await modern(opts, {
      a: { method: 'sampling/createMessage', params: PLAIN_SAMPLING },
      b: { method: 'elicitation/create', params: URL_MODE },
    });
    const err = await client.callTool({ name: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.INPUT_REQUIRED_FAILED);
    expect((err as NmcpError).message).toContain('mode "url" was not declared by this client');
    expect((err as NmcpError).details).toMatchObject({ key: 'b', inputMethod: 'elicitation/create', rpcCode: -32602 });
    expect(((err as NmcpError).cause as McpError).code).toBe(RpcCode.INVALID_PARAMS);
    expect(calls).toEqual([]);
    await client.close();
  });

  it('undeclared tool sampling fails the call the same way', async () => {
    const { calls, opts } = recording();
    const { client } = await modern(opts, { s: { method: 'sampling/createMessage', params: TOOL_SAMPLING } });
    const err = await client.callTool({ name: 'x' }).catch((e: unknown) => e);
    expect((err as NmcpError).code).toBe(ErrorCode.INPUT_REQUIRED_FAILED);
    expect((err as NmcpError).message).toContain('capabilities.sampling.tools');
    expect(calls).toEqual([]);
    await client.close();
  });

  it('declared url elicitation and tool sampling are answered; the envelope carries the declared capabilities', async () => {
    const { calls, opts } = recording({ elicitationModes: ['form', 'url'], samplingTools: true });
    const { client, envelopes } = await modern(opts, {
      e: { method: 'elicitation/create', params: URL_MODE },
      s: { method: 'sampling/createMessage', params: TOOL_SAMPLING },
    });
    const result = await client.callTool({ name: 'x' });
    expect(JSON.parse(String(result.content[0]?.text))).toMatchObject({ e: { action: 'accept' }, s: { model: 'm' } });
    expect(calls.sort()).toEqual(['elicitation:url', 'sampling:tools']);
    expect(envelopes[0]?.['io.modelcontextprotocol/clientCapabilities']).toEqual({
      sampling: { tools: {} },
      elicitation: { form: {}, url: {} },
    });
    await client.close();
  });

  it('plain form elicitation and plain sampling are still answered by default', async () => {
    const { calls, opts } = recording();
    const { client } = await modern(opts, {
      e: { method: 'elicitation/create', params: FORM },
      s: { method: 'sampling/createMessage', params: PLAIN_SAMPLING },
    });
    await client.callTool({ name: 'x' });
    expect(calls.sort()).toEqual(['elicitation:form', 'sampling:plain']);
    await client.close();
  });
});
