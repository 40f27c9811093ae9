// A real peer client against the local devnet: the official TS SDK @0gfoundation/0g-ts-sdk@1.2.8
// uploads files through the devnet indexer + storage nodes (Flow submit on anvil, segment upload,
// finality) and downloads them again; the bytes must match.
//   node sdk_interop.mjs ZEROG_CLI
// Starts `zerog devnet up` in a temp dir and always runs `zerog devnet down` (also on failure).
// Last line: "N passed, N failed"; exit 1 on any failure.
import { sdk, ethers, check, finish, withTimeout, quiet } from '../support/interop.mjs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [cli] = process.argv.slice(2);
if (!cli) {
  console.error('usage: node sdk_interop.mjs ZEROG_CLI');
  process.exit(2);
}

const tmp = mkdtempSync(path.join(tmpdir(), 'zerog-interop-'));
const dir = path.join(tmp, 'devnet');
let upOk = false;
try {
  execFileSync(cli, ['devnet', 'up', '--dir', dir, '--nodes', '2'], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 120000 });
  upOk = true;
  const dn = JSON.parse(readFileSync(path.join(dir, 'devnet.json'), 'utf8'));
  check('devnet.json fields', ['chainId', 'rpc', 'flow', 'market', 'ledger', 'inference', 'indexer', 'nodes', 'providers', 'faucetKey']
    .every((k) => k in dn) && dn.chainId === 16602);
  const provider = new ethers.JsonRpcProvider(dn.rpc);
  const signer = new ethers.Wallet(dn.faucetKey, provider);
  const indexer = new sdk.Indexer(dn.indexer);

  for (const size of [1000, 262144, 600000]) {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + 7 + size) % 256;
    const src = path.join(tmp, `in-${size}.bin`);
    writeFileSync(src, data);
    try {
      const file = await sdk.ZgFile.fromFilePath(src);
      const [tree, terr] = await file.merkleTree();
      if (terr) throw terr;
      const [res, err] = await quiet(() => withTimeout(indexer.upload(file, dn.rpc, signer), 90000, 'upload'));
      await file.close();
      check(`upload ${size}`, err == null && res.rootHash === tree.rootHash(), `${err?.message ?? ''} ${JSON.stringify(res)}`);
      const out = path.join(tmp, `out-${size}.bin`);
      const derr = await quiet(() => withTimeout(indexer.download(tree.rootHash(), out, true), 60000, 'download'));
      check(`download ${size}`, derr == null, derr?.message ?? '');
      if (derr == null) check(`bytes match ${size}`, Buffer.compare(readFileSync(out), data) === 0);
    } catch (e) {
      check(`round trip ${size}`, false, `${e.message}\n${e.sdkLog ?? ''}`);
    }
  }
  // Re-uploading a finalized file is recognised by the SDK (skipIfFinalized): no new tx.
  try {
    const file = await sdk.ZgFile.fromFilePath(path.join(tmp, 'in-1000.bin'));
    const [res, err] = await quiet(() => withTimeout(indexer.upload(file, dn.rpc, signer), 30000, 're-upload'));
    await file.close();
    check('re-upload of a finalized file is skipped', err == null && res.txHash === '', `${err?.message ?? ''} ${JSON.stringify(res)}`);
  } catch (e) {
    check('re-upload of a finalized file is skipped', false, e.message);
  }
} catch (e) {
  check('devnet', false, e.message);
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
