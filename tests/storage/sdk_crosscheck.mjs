// Cross-check zerog's storage protocol core against the official SDK @0gfoundation/0g-ts-sdk@1.2.8.
//   node sdk_crosscheck.mjs ZEROG_CLI STORAGE_TOOL [N_SIZES]
// * roots and flow submissions: `zerog root --json FILE` == SDK ZgFile.merkleTree()/createSubmission()
//   for N random sizes (default 32) from 1 B to 12 MiB with random content, plus edge sizes;
// * encryption v1 and v2: SDK-encrypted files decrypt with zerog (storage_tool) and vice versa;
//   the root of the SDK's EncryptedFile equals `zerog root` of the encrypted bytes.
// Last line: "N passed, N failed"; exit 1 on any failure. Temp files live in a mkdtemp dir.
import { createRequire } from 'module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';

const require = createRequire((process.env.ZEROG_FIXTURES_DIR || path.resolve('tools/fixtures')) + '/package.json');
const sdk = require('@0gfoundation/0g-ts-sdk');

const [cli, tool, nArg] = process.argv.slice(2);
if (!cli || !tool) {
  console.error('usage: node sdk_crosscheck.mjs ZEROG_CLI STORAGE_TOOL [N_SIZES]');
  process.exit(2);
}
const N = Number(nArg || 32);
let passed = 0, failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}
const SUBMITTER = '0x1111111111111111111111111111111111111111';
const dir = mkdtempSync(path.join(tmpdir(), 'zerog-sdk-'));

async function sdkFacts(file) {
  const [tree, err] = await file.merkleTree();
  if (err || !tree) throw new Error(`SDK merkleTree failed: ${err}`);
  const [sub, serr] = await file.createSubmission('0x', SUBMITTER);
  if (serr) throw serr;
  const [paddedChunks] = sdk.computePaddedSize(file.numChunks());
  return {
    root: tree.rootHash(), size: file.size(), chunks: file.numChunks(), segments: file.numSegments(), paddedChunks,
    submission: { length: Number(sub.data.length), tags: sub.data.tags,
      nodes: sub.data.nodes.map((n) => ({ root: n.root, height: Number(n.height) })) },
  };
}
function zerogRoot(p, threads) {
  const args = ['root', '--json', p];
  if (threads) args.push('--threads', String(threads));
  return JSON.parse(execFileSync(cli, args, { encoding: 'utf8' }));
}

try {
  // ---- roots and submissions -------------------------------------------------------------------
  const edge = [1, 255, 256, 257, 4096 * 256 + 1, 262144, 262145, 16385 * 256 + 123];
  const sizes = [...edge];
  while (sizes.length < edge.length + N) {
    // log-uniform over 1 B .. 12 MiB so small and large files are both well covered
    sizes.push(Math.max(1, Math.floor(Math.exp(Math.random() * Math.log(12 * 1024 * 1024)))));
  }
  for (const [i, size] of sizes.entries()) {
    const p = path.join(dir, `f${i}.bin`);
    writeFileSync(p, crypto.randomBytes(size));
    const file = await sdk.ZgFile.fromFilePath(p);
    try {
      const want = await sdkFacts(file);
      const got = zerogRoot(p, i % 2 ? 2 : undefined);
      const same = JSON.stringify(got) === JSON.stringify(want);
      check(`root size=${size}`, same, same ? '' : `\n  zerog ${JSON.stringify(got)}\n  sdk   ${JSON.stringify(want)}`);
    } finally {
      await file.close();
    }
    rmSync(p);
  }
  // ---- error handling: empty and missing files --------------------------------------------------
  const empty = path.join(dir, 'empty.bin');
  writeFileSync(empty, Buffer.alloc(0));
  for (const p of [empty, path.join(dir, 'missing.bin')]) {
    let code = 0, stderr = '';
    try { execFileSync(cli, ['root', '--json', p], { stdio: ['ignore', 'pipe', 'pipe'] }); } catch (e) { code = e.status; stderr = String(e.stderr); }
    check(`root rejects ${path.basename(p)}`, code !== 0 && stderr.includes('zerog root:'), `code=${code} stderr=${stderr}`);
  }

  // ---- encryption ------------------------------------------------------------------------------
  const ecdh = crypto.createECDH('secp256k1');
  ecdh.generateKeys();
  const privHex = ecdh.getPrivateKey('hex').padStart(64, '0');
  const pubHex = ecdh.getPublicKey('hex', 'compressed');
  for (const size of [1, 1000, 262144 + 17, 3 * 1024 * 1024 + 5]) {
    const plain = crypto.randomBytes(size);
    const plainPath = path.join(dir, 'plain.bin');
    writeFileSync(plainPath, plain);
    const key = crypto.randomBytes(32);
    for (const ver of ['v1', 'v2']) {
      // SDK encrypts → zerog decrypts (and computes the same root over the encrypted bytes).
      const ef = ver === 'v1' ? sdk.newSymmetricEncryptedFile(new sdk.MemData(plain), key)
                              : sdk.newEciesEncryptedFile(new sdk.MemData(plain), '0x' + pubHex);
      const { buffer } = await ef.readFromFile(0, ef.size());
      const encPath = path.join(dir, `enc_${ver}.bin`);
      writeFileSync(encPath, buffer);
      const outPath = path.join(dir, `dec_${ver}.bin`);
      try {
        execFileSync(tool, ['decrypt', ver, ver === 'v1' ? key.toString('hex') : privHex, encPath, outPath], { stdio: ['ignore', 'pipe', 'pipe'] });
        check(`sdk→zerog ${ver} size=${size}`, Buffer.compare(readFileSync(outPath), plain) === 0);
      } catch (e) {
        check(`sdk→zerog ${ver} size=${size}`, false, String(e.stderr));
      }
      const [etree] = await ef.merkleTree();
      check(`encrypted root ${ver} size=${size}`, zerogRoot(encPath).root === etree.rootHash());
      // zerog encrypts → SDK decrypts.
      const ourPath = path.join(dir, `ours_${ver}.bin`);
      execFileSync(tool, ['encrypt', ver, ver === 'v1' ? key.toString('hex') : pubHex, plainPath, ourPath]);
      const ours = new Uint8Array(readFileSync(ourPath));
      const header = sdk.parseEncryptionHeader(ours);
      const k = sdk.resolveDecryptionKey(ver === 'v1' ? new Uint8Array(key) : undefined, ver === 'v2' ? '0x' + privHex : undefined, header);
      const dec = sdk.decryptFile(k, ours);
      check(`zerog→sdk ${ver} size=${size}`, header.version === (ver === 'v1' ? 1 : 2) && Buffer.compare(Buffer.from(dec), plain) === 0);
    }
  }
} catch (e) {
  check('unexpected exception', false, e && e.stack ? e.stack : String(e));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
