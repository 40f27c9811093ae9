// Cross-check of `zerog token` against ethers 6 (an independent EIP-191 / keccak / secp256k1
// implementation): for >= 50 random keys, tokens minted by the CLI must
//   * verify with ethers.verifyMessage(keccak256(tokenJSON) bytes, sig) == the key's address,
//   * carry the SDK's claims (EIP-55 address/provider, 5 min default lifetime (zerog is stricter than the SDK's 24 h), nonce format),
//   * with pinned inputs, equal byte for byte the SDK construction redone here with ethers
//     (JSON.stringify of the object literal, signMessage, base64 of json|sig),
//   * never echo the private key.
// Usage: node ethers_tokens.mjs <path to zerog>. Last line: "N passed, M failed"; exit 1 on failure.
import { createRequire } from 'module';
import { execFileSync, spawnSync } from 'child_process';

const require = createRequire((process.env.ZEROG_FIXTURES_DIR ?? 'tools/fixtures') + '/package.json');
const { ethers } = require('ethers');

const cli = process.argv[2];
if (!cli) {
  console.error('usage: node ethers_tokens.mjs <zerog binary>');
  process.exit(2);
}

let passed = 0;
let failed = 0;
function check(name, cond, detail = '') {
  if (cond) passed++;
  else {
    failed++;
    console.log(`FAIL ${name} ${detail}`);
  }
}

function runToken(key, args) {
  const r = spawnSync(cli, ['token', ...args], { env: { ...process.env, ZG_PRIVATE_KEY: key }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

function decodeHeader(h) {
  if (!h.startsWith('Bearer app-sk-')) throw new Error('no Bearer app-sk- prefix');
  const payload = Buffer.from(h.slice('Bearer app-sk-'.length), 'base64').toString('utf8');
  const bar = payload.indexOf('|');
  return { json: payload.slice(0, bar), sig: payload.slice(bar + 1) };
}

const KEYS = 60;
for (let i = 0; i < KEYS; i++) {
  const wallet = ethers.Wallet.createRandom();
  const key = wallet.privateKey;
  const provider = ethers.Wallet.createRandom().address;

  // 1. Unpinned token: real clock, CSPRNG nonce.
  const before = Date.now();
  const r = runToken(key, ['--provider', provider.toLowerCase()]);
  const after = Date.now();
  check(`key ${i}: exit code`, r.code === 0, r.err);
  check(`key ${i}: key not echoed`, !r.out.includes(key.slice(2)) && !r.err.includes(key.slice(2)));
  if (r.code !== 0) continue;
  const header = r.out.trim();
  const { json, sig } = decodeHeader(header);
  const digestInput = ethers.getBytes(ethers.keccak256(ethers.toUtf8Bytes(json)));
  let recovered = '';
  try { recovered = ethers.verifyMessage(digestInput, sig); } catch (e) { recovered = String(e); }
  check(`key ${i}: verifyMessage`, recovered === wallet.address, `${recovered} vs ${wallet.address}`);
  const t = JSON.parse(json);
  check(`key ${i}: field order`, JSON.stringify(Object.keys(t)) ===
    '["address","provider","timestamp","expiresAt","nonce","generation","tokenId"]', json);
  check(`key ${i}: claims`, t.address === wallet.address && t.provider === provider && t.tokenId === 255 &&
    t.generation === 0 && t.expiresAt - t.timestamp === 300000 && t.timestamp >= before && t.timestamp <= after, json);
  check(`key ${i}: nonce format`, /^\d{13}-[0-9a-z]{13}0+$/.test(t.nonce) && t.nonce.length === 32 &&
    t.nonce.startsWith(`${t.timestamp}-`), t.nonce);

  // 2. Pinned inputs: the SDK construction, redone with ethers, must give the same bytes.
  const ts = 1700000000000 + i * 7919;
  const apiKey = i % 3 === 0;
  const tokenId = apiKey ? i % 255 : 255;
  const expiresAt = apiKey ? 0 : ts + 86400000;
  const nonce = `${ts}-${(0.5 + i / 1000).toString(36).substring(2, 15)}`.padEnd(32, '0');
  const generation = i % 5;
  const p = runToken(key, ['--provider', provider, '--timestamp-ms', String(ts), '--expires-at-ms', String(expiresAt),
    '--nonce', nonce, '--generation', String(generation), '--token-id', String(tokenId)]);
  check(`key ${i}: pinned exit code`, p.code === 0, p.err);
  if (p.code !== 0) continue;
  const refJson = JSON.stringify({ address: wallet.address, provider, timestamp: ts, expiresAt, nonce, generation, tokenId });
  const refSig = wallet.signingKey.sign(ethers.hashMessage(ethers.getBytes(ethers.keccak256(ethers.toUtf8Bytes(refJson))))).serialized;
  const refHeader = 'Bearer app-sk-' + Buffer.from(refJson + '|' + refSig, 'utf8').toString('base64');
  check(`key ${i}: pinned header byte-identical`, p.out.trim() === refHeader, `\n ours ${p.out.trim()}\n ref  ${refHeader}`);
}

// 3. Error paths: no key -> exit 1 with a clear message; bad key -> exit 1 without echoing it.
{
  const env = { ...process.env };
  delete env.ZG_PRIVATE_KEY;
  const r = spawnSync(cli, ['token', '--provider', ethers.ZeroAddress], { env, encoding: 'utf8' });
  check('missing key: exit 1', r.status === 1, `status ${r.status}`);
  check('missing key: message', r.stderr.includes('ZG_PRIVATE_KEY is not set'), r.stderr);
  const bad = '0x' + 'ab'.repeat(31) + 'zz';
  const b = runToken(bad, ['--provider', ethers.ZeroAddress]);
  check('bad key: exit 1', b.code === 1, `status ${b.code}`);
  check('bad key: not echoed', !b.err.includes('abab') && b.out === '', b.err);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
