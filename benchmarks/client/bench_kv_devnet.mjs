// 0G KV on the devnet (`zerog devnet up --kv`): put and read latency, zerog next to the official TS
// SDK on the same KV node.
//   * put: `zerog kv put` (a whole process: one paid batch, then the node's verdict) against the
//     SDK's Batcher.exec plus polling kv_getTransactionResult in-process;
//   * read of a 1 KiB value: `zerog kv get` (a whole process) and the SDK's KvClient.getValue
//     (in-process, one HTTP call) — the process start-up is in zerog's figure, not the SDK's;
//     with --reader, also zerog's library in-process (bench_kv_read: kv_reader::get_value with the
//     production policies), the like-for-like comparison;
//   * `zerog ns put` of a 1 MiB file (a whole process: namespace loaded and checked, file
//     encrypted while uploaded and paid, entry batch and its verdict) against the SDK doing the
//     nearest thing it can (no namespaces): Indexer.upload of the 1 MiB file, then a Batcher
//     entry, then its verdict.
//   node bench_kv_devnet.mjs ZEROG_CLI [--runs 20] [--reader BENCH_KV_READ]
// Prints one markdown table (p50, p95). Starts and stops its own devnet in a temp dir.
import { createRequire } from 'module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire((process.env.ZEROG_FIXTURES_DIR || path.resolve('tools/fixtures')) + '/package.json');
const sdk = require('@0gfoundation/0g-ts-sdk');
const { ethers } = require('ethers');

const argv = process.argv.slice(2);
const cli = argv[0];
if (!cli) {
  console.error('usage: node bench_kv_devnet.mjs ZEROG_CLI [--runs 20]');
  process.exit(2);
}
const ri = argv.indexOf('--runs');
const runs = Math.max(1, ri > 0 ? Number(argv[ri + 1]) : 20);
const rdi = argv.indexOf('--reader');
const reader = rdi > 0 ? argv[rdi + 1] : null;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const sleep = (t) => new Promise((r) => setTimeout(r, t));
const quiet = async (fn) => {
  const saved = [console.log, console.error, console.warn, console.info];
  console.log = console.error = console.warn = console.info = () => {};
  try { return await fn(); } finally { [console.log, console.error, console.warn, console.info] = saved; }
};

const tmp = mkdtempSync(path.join(tmpdir(), 'zerog-bench-kv-'));
const dir = path.join(tmp, 'devnet');
const env = { ...process.env, ZEROG_DEVNET_DIR: dir, ZEROG_PROFILE: 'devnet', ZEROG_DB: path.join(tmp, 'z.db') };
for (const k of ['ZG_PRIVATE_KEY', 'ZG_KEYSTORE', 'ZEROG_CONFIG', 'ZEROG_KV_URLS']) delete env[k];
const zerog = (args) => execFileSync(cli, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 }).toString();

let code = 0;
try {
  execFileSync(cli, ['devnet', 'up', '--dir', dir, '--nodes', '2', '--providers', '0', '--kv'], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 120000 });
  const dn = JSON.parse(readFileSync(path.join(dir, 'devnet.json'), 'utf8'));
  const kvUrl = Array.isArray(dn.kv) ? dn.kv[0] : dn.kv;
  const provider = new ethers.JsonRpcProvider(dn.rpc);
  const signer = new ethers.Wallet(dn.faucetKey, provider);
  const flow = sdk.getFlowContract(dn.flow, signer);
  const nodes = dn.nodes.map((u) => new sdk.StorageNode(u));
  const kv = new sdk.KvClient(kvUrl);
  const result = async (seq) => {
    for (let i = 0; i < 600; i++) {
      const r = await (await fetch(kvUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'kv_getTransactionResult', params: [seq] }) })).json();
      if (r.result != null) return r.result;
      await sleep(20);
    }
    throw new Error(`no result for seq ${seq}`);
  };
  const stream = '0x' + 'c3'.repeat(32);
  const value = 'v'.repeat(1024);
  const t = { zput: [], sput: [], zget: [], sget: [] };
  for (let i = 0; i < runs; i++) {
    let t0 = process.hrtime.bigint();
    const out = JSON.parse(zerog(['kv', 'put', stream, `z${i}`, value + i, '--json']));
    t.zput.push(ms(t0));
    if (out.result !== 'Commit') throw new Error(`zerog put: ${JSON.stringify(out)}`);
    t0 = process.hrtime.bigint();
    const b = new sdk.Batcher(2n ** 64n - 1n, nodes, flow, dn.rpc);
    b.streamDataBuilder.set(stream, Buffer.from(`s${i}`), Buffer.from(value + i));
    const [res, err] = await quiet(() => b.exec());
    if (err) throw err;
    const verdict = await result(res.txSeq);
    t.sput.push(ms(t0));
    if (verdict !== 'Commit') throw new Error(`sdk put: ${verdict}`);
  }
  for (let i = 0; i < runs; i++) {
    let t0 = process.hrtime.bigint();
    const got = zerog(['kv', 'get', stream, `s${i}`]);
    t.zget.push(ms(t0));
    if (got !== value + i) throw new Error('zerog get: wrong value');
    t0 = process.hrtime.bigint();
    const v = await kv.getValue(stream, Buffer.from(`z${i}`));
    t.sget.push(ms(t0));
    if (Buffer.from(v.data, 'base64').toString() !== value + i) throw new Error('sdk get: wrong value');
  }
  // In-process reads: zerog's library (a separate program on the same keys) after the SDK's.
  let inproc = null;
  if (reader) {
    const keys = Array.from({ length: runs }, (_, i) => `s${i}`);
    inproc = JSON.parse(execFileSync(reader, [kvUrl, stream, String(runs * 5), ...keys], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 120000 }).toString());
    t.sget5 = [];
    for (let i = 0; i < runs * 5; i++) {
      const t0 = process.hrtime.bigint();
      await kv.getValue(stream, Buffer.from(`z${i % runs}`));
      t.sget5.push(ms(t0));
    }
  }
  // ns put of 1 MiB, and the SDK's nearest equivalent (upload + entry batch + verdict).
  const indexer = new sdk.Indexer(dn.indexer);
  zerog(['ns', 'create', 'bench', '--json']);
  t.nsput = [];
  t.sdkfile = [];
  for (let i = 0; i < runs; i++) {
    const a = path.join(tmp, `ns-${i}.bin`), b = path.join(tmp, `sdk-${i}.bin`);
    writeFileSync(a, randomBytes(1 << 20));
    writeFileSync(b, randomBytes(1 << 20));
    let t0 = process.hrtime.bigint();
    const out = JSON.parse(zerog(['ns', 'put', 'bench', a, '--as', `f${i}`, '--json']));
    t.nsput.push(ms(t0));
    if (out.result !== 'Commit') throw new Error(`zerog ns put: ${JSON.stringify(out)}`);
    const file = await sdk.ZgFile.fromFilePath(b);
    t0 = process.hrtime.bigint();
    const [up, uerr] = await quiet(() => indexer.upload(file, dn.rpc, signer));
    if (uerr) throw new Error(`sdk upload: ${uerr.message ?? uerr}`);
    const batch = new sdk.Batcher(2n ** 64n - 1n, nodes, flow, dn.rpc);
    batch.streamDataBuilder.set(stream, Buffer.from(`file${i}`), Buffer.from(JSON.stringify({ root: up.rootHash, size: 1 << 20 })));
    const [res, err] = await quiet(() => batch.exec());
    if (err) throw err;
    const verdict = await result(res.txSeq);
    t.sdkfile.push(ms(t0));
    await file.close();
    if (verdict !== 'Commit') throw new Error(`sdk entry: ${verdict}`);
  }
  const row = (what, z, s, note) =>
    `| ${what} | ${runs} | ${pct(s, 50).toFixed(0)} ms | ${pct(s, 95).toFixed(0)} ms | ${pct(z, 50).toFixed(0)} ms | ${pct(z, 95).toFixed(0)} ms | **${(pct(z, 50) / pct(s, 50)).toFixed(2)}** | ${note} |`;
  console.log('| operation | runs | SDK p50 | SDK p95 | zerog p50 | zerog p95 | ratio p50 | note |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(row('put 1 KiB (paid batch + verdict)', t.zput, t.sput, 'zerog: a whole CLI process'));
  console.log(row('read 1 KiB', t.zget, t.sget, 'zerog: a whole CLI process; SDK: one in-process call'));
  if (inproc) {
    const s = t.sget5;
    console.log(`| read 1 KiB in-process | ${runs * 5} | ${pct(s, 50).toFixed(2)} ms | ${pct(s, 95).toFixed(2)} ms | ${inproc.p50_ms.toFixed(2)} ms | ${inproc.p95_ms.toFixed(2)} ms | **${(inproc.p50_ms / pct(s, 50)).toFixed(2)}** | both in-process: kv_reader::get_value (production policies) vs KvClient.getValue |`);
  }
  console.log(row('ns put 1 MiB / SDK upload + entry', t.nsput, t.sdkfile, 'zerog: `zerog ns put` (checks, encrypted upload, entry batch, verdict) as a whole process; SDK: Indexer.upload then Batcher.exec of an entry, verdict polled'));
} catch (e) {
  console.error(e.message ?? e);
  code = 1;
} finally {
  try { execFileSync(cli, ['devnet', 'down', '--dir', dir], { stdio: 'ignore', timeout: 30000 }); } catch { /* already down */ }
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
