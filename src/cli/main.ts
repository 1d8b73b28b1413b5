#!/usr/bin/env node
/**
 * The `nmcp` command line. Each subcommand lives in its own module as it is added (serve, call, bench, doctor, …).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { activeCore } from '../native/index.js';

const HELP = `nmcp — a Model Context Protocol runtime for Node.js with a native hot path

Usage:
  nmcp serve (--stdio | --tcp PORT | --unix PATH | --http PORT) --example everything [options]
                         serve an example MCP server over stdio, TCP, a Unix socket or Streamable HTTP
                         (\`nmcp serve --help\`)
  nmcp host --config FILE
                         host several example servers in one process, by name: Streamable HTTP at
                         /mcp/<name> on one port, TCP / Unix listeners per server (\`nmcp host --help\`)
  nmcp gateway --config FILE (--stdio | --tcp PORT | --http PORT)
                         one MCP endpoint in front of several upstream servers, their tools, prompts and
                         resources named <upstream>__<name> (\`nmcp gateway --help\`)
  nmcp call (--stdio "<server command>" | --tcp HOST:PORT | --unix PATH | --http URL) METHOD [ARGS…]
                         connect to a server, make one request (tools/call NAME k=v …, resources/read URI,
                         prompts/get NAME k=v …, tools/list, ping, …) and print the result as JSON
                         (\`nmcp call --help\`)
  nmcp bench [--workload LIST] [--transport LIST] [--peers] [--target "<command>"|URL] [options]
                         measure a server: messages/s, latency percentiles, CPU, RSS, errors, lost; with
                         --peers, side by side with the official SDKs (\`nmcp bench --help\`)
  nmcp bench soak [--duration 10m] [--rate 10000] [options]
                         the server's RSS and heap under sustained load, and their growth
                         (\`nmcp bench soak --help\`)
  nmcp load [--clients N] [--duration TIME] [--rate R] [--transport T] [--target URL] [options]
                         many concurrent clients against one server (default 100 over tcp for 60 s): the same
                         figures as bench; bounded, loopback targets only by default (\`nmcp load --help\`)
  nmcp info --url URL    a running server's memory, handles, event loop, sessions and top consumers, from its
                         /info endpoint (\`nmcp info --help\`, docs/operations.md)
  nmcp doctor [--json]   check this host and process against the tuning guidance (open files, somaxconn, TCP
                         buffers, swappiness, thread pool, heap limit, native core): ok / warn / fail with the
                         command that fixes each (\`nmcp doctor --help\`, docs/doctor.md)
  nmcp core              which core serves (native addon or TypeScript twin), and why
  nmcp --version, -v     nmcp's version and the active core
  nmcp --help, -h        this text

Environment:
  NMCP_NATIVE=0          use the TypeScript twin even when the native addon is available
  NMCP_REQUIRE_NATIVE=1  fail instead of falling back to the twin when the addon does not load
  NMCP_REPORT_MEMORY_MS=MS  nmcp serve prints its memory use on stderr every MS ms (what the soak reads)
`;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Subcommands with their own options, loaded on demand (so that `nmcp --version` stays fast). */
const SUBCOMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  serve: async () => (await import('./serve.js')).serve,
  host: async () => (await import('./host.js')).host,
  gateway: async () => (await import('./gateway.js')).gateway,
  call: async () => (await import('./call.js')).call,
  bench: async () => (await import('./bench.js')).bench,
  load: async () => (await import('./load.js')).load,
  doctor: async () => (await import('./doctor.js')).doctor,
  info: async () => (await import('./info.js')).info,
};

export function main(argv: string[]): number | Promise<number> {
  const sub = argv[0] !== undefined && Object.hasOwn(SUBCOMMANDS, argv[0]) ? SUBCOMMANDS[argv[0]] : undefined;
  if (sub) return sub().then((run) => run(argv.slice(1)));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
    });
  } catch (err) {
    process.stderr.write(`nmcp: ${(err as Error).message}\nRun \`nmcp --help\` for usage.\n`);
    return 2;
  }
  const [command] = parsed.positionals;
  if (parsed.values.help || (command === undefined && !parsed.values.version)) {
    process.stdout.write(HELP);
    return 0;
  }
  if (parsed.values.version) {
    const core = activeCore();
    process.stdout.write(
      `nmcp ${packageVersion()} (core: ${core.kind}${core.kind === 'native' ? ` ${core.version}` : ''})\n`,
    );
    return 0;
  }
  if (command === 'core') {
    const core = activeCore();
    process.stdout.write(
      `core: ${core.kind}\nversion: ${core.version}\n${core.reason ? `reason: ${core.reason}\n` : ''}platform: ${process.platform}-${process.arch}, node ${process.version}\n`,
    );
    return 0;
  }
  process.stderr.write(`nmcp: unknown command "${command}". Run \`nmcp --help\` for the commands.\n`);
  return 2;
}

Promise.resolve(main(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`nmcp: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
