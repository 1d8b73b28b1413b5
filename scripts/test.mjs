#!/usr/bin/env node
// `npm test`: the Rust tests, then vitest twice — once on the native core (required to load) and once on the
// TypeScript twin (NMCP_NATIVE=0) — then one closing line with the totals.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const extra = process.argv.slice(2);
let passed = 0;
let failed = 0;
let ok = true;

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

console.log('=== build the TypeScript and the examples (the CLI tests run dist/) ===');
ok &&= run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
ok &&= run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.examples.json']);

console.log('\n=== cargo test --workspace ===');
const cargo = spawnSync('cargo', ['test', '--workspace', '--color', 'never'], { encoding: 'utf8', env: process.env });
process.stdout.write(cargo.stdout ?? '');
process.stderr.write(cargo.stderr ?? '');
for (const m of (cargo.stdout ?? '').matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
  passed += Number(m[1]);
  failed += Number(m[2]);
}
ok &&= cargo.status === 0;

for (const [label, env] of [
  ['native core', { NMCP_REQUIRE_NATIVE: '1' }],
  ['TypeScript twin (NMCP_NATIVE=0)', { NMCP_NATIVE: '0' }],
]) {
  console.log(`\n=== vitest: ${label} ===`);
  const out = '.vitest-results.json';
  rmSync(out, { force: true });
  const good = run(
    process.execPath,
    [
      'node_modules/vitest/vitest.mjs',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${out}`,
      ...extra,
    ],
    env,
  );
  ok &&= good;
  try {
    const res = JSON.parse(readFileSync(out, 'utf8'));
    passed += res.numPassedTests;
    failed += res.numFailedTests;
  } catch {
    failed += 1;
    console.error(`vitest (${label}) produced no results`);
  }
  rmSync(out, { force: true });
}

console.log(`\nall suites: ${passed} passed, ${failed} failed`);
process.exit(ok && failed === 0 ? 0 : 1);
