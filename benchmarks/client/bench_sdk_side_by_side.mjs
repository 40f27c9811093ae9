// zerog ⇄ official TS SDK (@0gfoundation/0g-ts-sdk, pinned in tools/fixtures), side by side on ONE
// devnet, interleaved run by run, so both see the same host load:
//   upload:   sdk.Indexer.upload(ZgFile, rpc, signer)  vs  `zerog upload F --json` (a whole process)
//   download: sdk.Indexer.download(root, out, true)    vs  `zerog download ROOT --out F --json`
// Each run uploads fresh random files (a root already on chain costs no transaction, which would
// flatter whoever goes second) and downloads a file uploaded by the other side, so neither reads
// what it just wrote from a warm cache of its own. The SDK is timed in-process (no Node start-up
// counted against it); zerog as a process (start-up, config, database included).
//
//   node bench_sdk_side_by_side.mjs ZEROG_CLI [--sizes 1,10,100] [--runs 6] [--big-runs 3]
//   (sizes in MiB; sizes ≥ 50 MiB use --big-runs; ZEROG_BENCH_MAX_MIB caps the sizes)
// Prints one markdown table: p50/p95 per side and the ratios zerog/SDK (below 1: zerog faster).
// Starts `zerog devnet up` in a temp dir; always runs `zerog devnet down` and removes the dir.
import { createRequire } from 'module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire((process.env.ZEROG_FIXTURES_DIR || path.resolve('tools/fixtures')) + '/package.json');
const sdk = require('@0gfoundation/0g-ts-sdk');
const { ethers } = require('ethers');

const argv = process.argv.slice(2);
const cli = argv[0];
if (!cli) {
  console.error('usage: node bench_sdk_side_by_side.mjs ZEROG_CLI [--sizes 1,10,100] [--runs 6] [--big-runs 3]');
  process.exit(2);
}
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const cap = Number(process.env.ZEROG_BENCH_MAX_MIB || 1024);
const sizes = opt('sizes', '1,10,100').split(',').map(Number).filter((s) => s > 0 && s <= cap);
const runs = Math.max(1, Number(opt('runs', '6')));
const bigRuns = Math.max(1, Number(opt('big-runs', '3')));

// The SDK logs every step; silence it while timing (its own logging is part of its cost, kept).
const quiet = async (fn) => {
  const saved = [console.log, console.error, console.warn, console.info];
  console.log = console.error = console.warn = console.info = () => {};
  try { return await fn(); } finally { [console.log, console.error, console.warn, console.info] = saved; }
};
const withTimeout = (p, ms, what) => {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: timeout after ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const tmp = mkdtempSync(path.join(tmpdir(), 'zerog-bench-sdk-'));
const dir = path.join(tmp, 'devnet');
const env = { ...process.env, ZEROG_DEVNET_DIR: dir, ZEROG_PROFILE: 'devnet' };
for (const k of ['ZG_PRIVATE_KEY', 'ZG_KEYSTORE', 'ZEROG_CONFIG', 'ZEROG_DB']) delete env[k];
env.ZEROG_MAX_FILE_SIZE = `${Math.max(10, ...sizes)}MiB`;  // the default limit is 10 MiB (checklist §1)
const zerog = (args, timeout) => {
  const out = execFileSync(cli, [...args, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout });
  const lines = out.toString().trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
};

let code = 0;
try {
  execFileSync(cli, ['devnet', 'up', '--dir', dir, '--nodes', '2', '--providers', '0'], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 120000 });
  const dn = JSON.parse(readFileSync(path.join(dir, 'devnet.json'), 'utf8'));
  const provider = new ethers.JsonRpcProvider(dn.rpc);
  const signer = new ethers.Wallet(dn.faucetKey, provider);
  const indexer = new sdk.Indexer(dn.indexer);
  const rows = [];
  for (const mib of sizes) {
    const size = mib * 1024 * 1024;
    const n = mib >= 50 ? bigRuns : runs;
    const limit = 120000 + mib * 6000;
    const t = { sdkUp: [], zUp: [], sdkDown: [], zDown: [] };
    for (let i = 0; i < n; i++) {
      const a = path.join(tmp, `sdk-${mib}-${i}.bin`), b = path.join(tmp, `zerog-${mib}-${i}.bin`);
      writeFileSync(a, randomBytes(size));
      writeFileSync(b, randomBytes(size));
      // upload: the SDK, then zerog (the order alternates run by run)
      const sdkUpload = async () => {
        const file = await sdk.ZgFile.fromFilePath(a);
        const t0 = process.hrtime.bigint();
        const [res, err] = await quiet(() => withTimeout(indexer.upload(file, dn.rpc, signer), limit, 'sdk upload'));
        const took = ms(t0);
        await file.close();
        if (err) throw new Error(`sdk upload: ${err.message ?? err}`);
        t.sdkUp.push(took);
        return res.rootHash;
      };
      const zerogUpload = () => {
        const t0 = process.hrtime.bigint();
        const r = zerog(['upload', b], limit);
        t.zUp.push(ms(t0));
        return r.root;
      };
      let sdkRoot, zRoot;
      if (i % 2 === 0) { sdkRoot = await sdkUpload(); zRoot = zerogUpload(); } else { zRoot = zerogUpload(); sdkRoot = await sdkUpload(); }
      // download: each side fetches what the OTHER side uploaded, with proofs
      const sdkDownload = async () => {
        const out = path.join(tmp, `sdk-out-${mib}-${i}.bin`);
        const t0 = process.hrtime.bigint();
        const err = await quiet(() => withTimeout(indexer.download(zRoot, out, true), limit, 'sdk download'));
        const took = ms(t0);
        if (err) throw new Error(`sdk download: ${err.message ?? err}`);
        t.sdkDown.push(took);
        unlinkSync(out);
      };
      const zerogDownload = () => {
        const out = path.join(tmp, `zerog-out-${mib}-${i}.bin`);
        const t0 = process.hrtime.bigint();
        zerog(['download', sdkRoot, '--out', out], limit);
        t.zDown.push(ms(t0));
        unlinkSync(out);
      };
      if (i % 2 === 0) { await sdkDownload(); zerogDownload(); } else { zerogDownload(); await sdkDownload(); }
      unlinkSync(a);
      unlinkSync(b);
      console.error(`${mib} MiB run ${i + 1}/${n}: up sdk ${t.sdkUp.at(-1).toFixed(0)} ms, zerog ${t.zUp.at(-1).toFixed(0)} ms; ` +
                    `down sdk ${t.sdkDown.at(-1).toFixed(0)} ms, zerog ${t.zDown.at(-1).toFixed(0)} ms`);
    }
    for (const [op, s, z] of [['upload', t.sdkUp, t.zUp], ['download (proofs)', t.sdkDown, t.zDown]]) {
      rows.push({ mib, op, n, sdk50: pct(s, 50), sdk95: pct(s, 95), z50: pct(z, 50), z95: pct(z, 95) });
    }
  }
  console.log('| size | operation | runs | SDK p50 | SDK p95 | zerog p50 | zerog p95 | ratio p50 | ratio p95 | zerog MiB/s (p50) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.mib} MiB | ${r.op} | ${r.n} | ${r.sdk50.toFixed(0)} ms | ${r.sdk95.toFixed(0)} ms | ${r.z50.toFixed(0)} ms | ` +
                `${r.z95.toFixed(0)} ms | **${(r.z50 / r.sdk50).toFixed(2)}** | ${(r.z95 / r.sdk95).toFixed(2)} | ${(r.mib / (r.z50 / 1000)).toFixed(0)} |`);
} catch (e) {
  console.error(`bench_sdk_side_by_side: ${e.message} ${e.stdout?.toString() ?? ''} ${e.stderr?.toString() ?? ''}`.slice(0, 1200));
  code = 1;
} finally {
  try { execFileSync(cli, ['devnet', 'down', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 30000 }); } catch { code = 1; }
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
