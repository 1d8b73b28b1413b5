#!/usr/bin/env node
// Builds the native addon from source with napi-rs (`npm install` runs this through `prepare`).
// Without a Rust toolchain it says so and leaves the TypeScript twin to serve; NMCP_REQUIRE_NATIVE=1 makes that an error.
import { spawnSync } from 'node:child_process';

const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
if (cargo.status !== 0) {
  const msg =
    'nmcp: no Rust toolchain (cargo) found, so the native addon was not built; the TypeScript twin will serve.\n' +
    '      Install Rust (https://rustup.rs) and run `npm run build:native` to get the native core.';
  if (process.env.NMCP_REQUIRE_NATIVE === '1') {
    console.error(msg);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

const args = [
  'build',
  '--platform',
  '--release',
  '--manifest-path',
  'crates/nmcp-node/Cargo.toml',
  '--package-json-path',
  'package.json',
  '--output-dir',
  'native',
  '--js',
  'binding.cjs',
  '--dts',
  'binding.d.cts',
  ...process.argv.slice(2),
];
const napi = spawnSync(process.execPath, ['node_modules/@napi-rs/cli/dist/cli.js', ...args], { stdio: 'inherit' });
process.exit(napi.status ?? 1);
