// Storage client ⇄ official TS SDK (@0gfoundation/0g-ts-sdk@1.2.8) interop on the local devnet,
// both ways:
//   (a) the SDK uploads (Indexer.upload) → `zerog download ROOT --out F --profile devnet --json`
//       must write identical bytes (sizes: padded sub-chunk, exactly one segment, multi-segment
//       padded, multi-segment chunk-aligned);
//   (b) `zerog upload F --profile devnet --json` → the SDK's Indexer.download must get identical
//       bytes (and the roots both sides compute must agree).
//   node sdk_interop_client.mjs ZEROG_CLI
// Starts `zerog devnet up` in a temp dir, always runs `zerog devnet down`, removes the temp dir.
// Last line: "N passed, N failed"; exit 1 on any failure.
import { sdk, ethers, check, finish, withTimeout, quiet, content, errText } from '../support/interop.mjs';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [cli] = process.argv.slice(2);
if (!cli) {
  console.error('usage: node sdk_interop_client.mjs ZEROG_CLI');
  process.exit(2);
}

const tmp = mkdtempSync(path.join(tmpdir(), 'zerog-sc-interop-'));
const dir = path.join(tmp, 'devnet');
// Our CLI on the devnet profile; the key defaults to devnet.json's faucet key.
const env = { ...process.env, ZEROG_DEVNET_DIR: dir };
for (const k of ['ZG_PRIVATE_KEY', 'ZG_KEYSTORE', 'ZEROG_CONFIG', 'ZEROG_PROFILE']) delete env[k];
function zerog(args, timeout = 120000) {
  const out = execFileSync(cli, [...args, '--profile', 'devnet', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout });
  const lines = out.toString().trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

let upOk = false;
try {
  execFileSync(cli, ['devnet', 'up', '--dir', dir, '--nodes', '2', '--providers', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'], timeout: 120000 });
  upOk = true;
  const dn = JSON.parse(readFileSync(path.join(dir, 'devnet.json'), 'utf8'));
  const provider = new ethers.JsonRpcProvider(dn.rpc);
  const signer = new ethers.Wallet(dn.faucetKey, provider);
  const indexer = new sdk.Indexer(dn.indexer);

  // (a) SDK upload → zerog download.
  for (const size of [1000, 262144, 600000, 3 * 262144 + 512]) {
    const data = content(size, 1);
    const src = path.join(tmp, `sdk-in-${size}.bin`);
    writeFileSync(src, data);
    try {
      const file = await sdk.ZgFile.fromFilePath(src);
      const [tree, terr] = await file.merkleTree();
      if (terr) throw terr;
      const [res, err] = await quiet(() => withTimeout(indexer.upload(file, dn.rpc, signer), 90000, 'sdk upload'));
      await file.close();
      const root = tree.rootHash();
      check(`sdk upload ${size}`, err == null && res.rootHash === root, `${err?.message ?? ''} ${JSON.stringify(res)}`);
      if (err != null) continue;
      const out = path.join(tmp, `zerog-out-${size}.bin`);
      const r = zerog(['download', root, '--out', out]);
      check(`zerog download of sdk upload ${size}: json`, r.root === root && r.size === size, JSON.stringify(r));
      check(`zerog download of sdk upload ${size}: bytes match`, existsSync(out) && Buffer.compare(readFileSync(out), data) === 0);
      check(`zerog download ${size}: no part file left`, !existsSync(out + '.zerog-part') && !existsSync(out + '.zerog-part.json'));
    } catch (e) {
      check(`sdk → zerog ${size}`, false, `${errText(e)}\n${e.sdkLog ?? ''}`);
    }
  }

  // (b) zerog upload → SDK download.
  for (const size of [777, 262145, 1200000]) {
    const data = content(size, 2);
    const src = path.join(tmp, `zerog-in-${size}.bin`);
    writeFileSync(src, data);
    try {
      const r = zerog(['upload', src]);
      const file = await sdk.ZgFile.fromFilePath(src);
      const [tree, terr] = await file.merkleTree();
      await file.close();
      if (terr) throw terr;
      check(`zerog upload ${size}: root agrees with the SDK`, r.root === tree.rootHash() && r.verified === true, JSON.stringify(r));
      const out = path.join(tmp, `sdk-out-${size}.bin`);
      const derr = await quiet(() => withTimeout(indexer.download(r.root, out, true), 60000, 'sdk download'));
      check(`sdk download of zerog upload ${size}`, derr == null, derr?.message ?? '');
      if (derr == null) check(`sdk download of zerog upload ${size}: bytes match`, Buffer.compare(readFileSync(out), data) === 0);
    } catch (e) {
      check(`zerog → sdk ${size}`, false, `${errText(e)}\n${e.sdkLog ?? ''}`);
    }
  }
} catch (e) {
  check('devnet', false, errText(e));
} finally {
  try {
    execFileSync(cli, ['devnet', 'down', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 30000 });
    if (upOk) check('devnet down', true);
  } catch (e) {
    check('devnet down', false, e.message);
  }
  rmSync(tmp, { recursive: true, force: true });
}
finish();
