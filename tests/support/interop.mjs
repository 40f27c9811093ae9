// Shared by the scripts that run the official TS SDK against zerog on the devnet
// (tests/devnet/sdk_interop.mjs, tests/client/sdk_interop_client.mjs, tests/client/kv_sdk_interop.mjs):
// the pinned SDK, pass/fail counting with the closing "N passed, N failed" line, bounded waits,
// and a way to silence the SDK's step-by-step logging.
import { createRequire } from 'module';
import path from 'node:path';

const require = createRequire((process.env.ZEROG_FIXTURES_DIR || path.resolve('tools/fixtures')) + '/package.json');
export const sdk = require('@0gfoundation/0g-ts-sdk');
export const { ethers } = require('ethers');

let passed = 0, failed = 0;
export function check(name, ok, detail = '') {
  if (ok) { passed++; console.log(`ok   ${name}`); }
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}
/// Prints the closing line and exits 1 on any failure.
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
export function withTimeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: timeout after ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}
/// Runs `fn` with the SDK's console output captured; on a throw, its last lines go with the error.
export async function quiet(fn) {
  const saved = [console.log, console.error, console.warn, console.info];
  const log = [];
  console.log = console.error = console.warn = console.info = (...a) => log.push(a.map(String).join(' '));
  try { return await fn(); }
  catch (e) { e.sdkLog = log.slice(-20).join('\n'); throw e; }
  finally { [console.log, console.error, console.warn, console.info] = saved; }
}
/// Deterministic test content.
export function content(size, salt) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7 + salt * 131 + (i >> 8)) % 256;
  return b;
}
/// An error with the output of a failed child process.
export function errText(e) {
  return `${e.message} ${e.stdout?.toString() ?? ''} ${e.stderr?.toString() ?? ''}`.slice(0, 600);
}
