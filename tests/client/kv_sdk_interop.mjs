// 0G KV: zerog ⇄ official TS SDK (@0gfoundation/0g-ts-sdk@1.2.8) on the local devnet with its KV
// node (`zerog devnet up --kv`), both ways:
//   (a) batches written with the SDK's Batcher (a small value, a multi-chunk value of 600,000
//       bytes, then a delete) are read by `zerog kv get` / `zerog kv ls`;
//   (b) batches written by `zerog kv put` (small, multi-chunk, then an overwrite) are read by the
//       SDK's KvClient. Values above 256 KiB are read with KvClient.get slice by slice: the SDK's
//       own getValue cannot assemble them (docs/protocol/kv.md §7.3.1, the base64-length offset).
//   node kv_sdk_interop.mjs ZEROG_CLI
// Starts `zerog devnet up --kv` in a temp dir, always runs `zerog devnet down`, removes the dir.
// Last line: "N passed, N failed"; exit 1 on any failure.
import { sdk, ethers, check, finish, withTimeout, quiet, content, errText } from '../support/interop.mjs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [cli] = process.argv.slice(2);
if (!cli) {
  console.error('usage: node kv_sdk_interop.mjs ZEROG_CLI');
  process.exit(2);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const tmp = mkdtempSync(path.join(tmpdir(), 'zerog-kv-interop-'));
const dir = path.join(tmp, 'devnet');
const env = { ...process.env, ZEROG_DEVNET_DIR: dir, ZEROG_DB: path.join(tmp, 'z.db') };
for (const k of ['ZG_PRIVATE_KEY', 'ZG_KEYSTORE', 'ZEROG_CONFIG', 'ZEROG_PROFILE', 'ZEROG_KV_URLS']) delete env[k];
// zerog with --json: the parsed last line, and the exit code (kv get exits 1 for "no value").
function zerog(args, timeout = 120000) {
  try {
    const out = execFileSync(cli, [...args, '--profile', 'devnet', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout });
    const lines = out.toString().trim().split('\n');
    return { code: 0, json: JSON.parse(lines[lines.length - 1]) };
  } catch (e) {
    if (e.status == null) throw e;
    const lines = (e.stdout?.toString() ?? '').trim().split('\n');
    return { code: e.status, json: lines[0] ? JSON.parse(lines[lines.length - 1]) : null, stderr: e.stderr?.toString() ?? '' };
  }
}

let upOk = false;
try {
  execFileSync(cli, ['devnet', 'up', '--dir', dir, '--nodes', '2', '--providers', '0', '--kv'],
    { stdio: ['ignore', 'pipe', 'inherit'], timeout: 120000 });
  upOk = true;
  const dn = JSON.parse(readFileSync(path.join(dir, 'devnet.json'), 'utf8'));
  check('devnet.json names the KV node', typeof dn.kv === 'string' || Array.isArray(dn.kv), JSON.stringify(dn.kv));
  const kvUrl = Array.isArray(dn.kv) ? dn.kv[0] : dn.kv;
  const provider = new ethers.JsonRpcProvider(dn.rpc);
  const signer = new ethers.Wallet(dn.faucetKey, provider);
  const flow = sdk.getFlowContract(dn.flow, signer);
  const nodes = dn.nodes.map((u) => new sdk.StorageNode(u));
  const kv = new sdk.KvClient(kvUrl);
  const noCheck = 2n ** 64n - 1n;  // the batch version that checks nothing (a BigInt works at run time)

  // The verdict, polled with a raw kv_getTransactionResult: the SDK's getTransactionResult sends
  // the seq as a string, which the node's u64 parameter refuses (docs/protocol/kv.md §7.3.3) —
  // checked here too, so that the emulator stays as strict as the node.
  async function rpc(method, params) {
    const r = await fetch(kvUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    return r.json();
  }
  async function sdkResult(seq) {
    for (let i = 0; i < 200; i++) {
      const r = await rpc('kv_getTransactionResult', [seq]);
      if (r.result != null) return r.result;
      await sleep(100);
    }
    return null;
  }
  {
    let refused = false;
    try { await kv.getTransactionResult(0); } catch (e) { refused = /Invalid params/.test(e.message ?? String(e)); }
    check('the SDK\'s string tx seq is refused as the node refuses it', refused);
  }
  async function batch(streamId, writes) {
    const b = new sdk.Batcher(noCheck, nodes, flow, dn.rpc);
    for (const [k, v] of writes) b.streamDataBuilder.set(streamId, Buffer.from(k), v);
    const [res, err] = await quiet(() => withTimeout(b.exec(), 90000, 'Batcher.exec'));
    if (err) throw err;
    return res.txSeq;
  }

  // (a) SDK Batcher → zerog.
  const sa = '0x' + 'a1'.repeat(32);
  const big = content(600000, 3);
  try {
    const s1 = await batch(sa, [['small', Buffer.from('from the sdk')], ['big', big]]);
    check('sdk batch 1 committed', (await sdkResult(s1)) === 'Commit');
    let g = zerog(['kv', 'get', sa, 'small']);
    check('zerog reads the sdk small value', g.code === 0 && Buffer.from(g.json.value, 'base64').toString() === 'from the sdk' && g.json.version === s1,
      JSON.stringify(g.json));
    const out = path.join(tmp, 'big.out');
    g = zerog(['kv', 'get', sa, 'big', '--out', out]);
    check('zerog reads the sdk multi-chunk value', g.code === 0 && g.json.size === big.length && Buffer.compare(readFileSync(out), big) === 0,
      JSON.stringify(g.json));
    const s2 = await batch(sa, [['small', Buffer.alloc(0)]]);  // a delete
    check('sdk delete committed', (await sdkResult(s2)) === 'Commit');
    g = zerog(['kv', 'get', sa, 'small']);
    check('zerog sees the sdk delete', g.code === 1 && g.json.found === false && g.json.version === s2, JSON.stringify(g.json));
    const ls = zerog(['kv', 'ls', sa]);
    check('zerog lists what the sdk wrote', ls.code === 0 && ls.json.keys.length === 1 && ls.json.keys[0].key === 'big' && ls.json.keys[0].size === big.length,
      JSON.stringify(ls.json));
  } catch (e) {
    check('sdk → zerog', false, `${errText(e)}\n${e.sdkLog ?? ''}`);
  }

  // (b) zerog → SDK KvClient.
  const sb = '0x' + 'b2'.repeat(32);
  try {
    let p = zerog(['kv', 'put', sb, 'greeting', 'hello from zerog']);
    check('zerog put committed', p.code === 0 && p.json.result === 'Commit', JSON.stringify(p.json));
    const v = await kv.getValue(sb, Buffer.from('greeting'));
    check('sdk reads the zerog value', v != null && Buffer.from(v.data, 'base64').toString() === 'hello from zerog' && v.version === p.json.txSeq,
      JSON.stringify(v));
    const bigFile = path.join(tmp, 'big.in');
    const big2 = content(700000, 5);
    writeFileSync(bigFile, big2);
    p = zerog(['kv', 'put', sb, 'big', '--file', bigFile]);
    check('zerog multi-chunk put committed', p.code === 0 && p.json.result === 'Commit', JSON.stringify(p.json));
    const parts = [];
    let size = -1, version = -1;
    for (let off = 0; size < 0 || off < size; ) {
      const seg = await kv.get(sb, Buffer.from('big'), off, 262144, version < 0 ? undefined : version);
      if (version < 0) { version = seg.version; size = seg.size; }
      const d = Buffer.from(seg.data, 'base64');
      if (d.length === 0) break;
      parts.push(d);
      off += d.length;
    }
    check('sdk reads the zerog multi-chunk value slice by slice', Buffer.compare(Buffer.concat(parts), big2) === 0 && version === p.json.txSeq,
      `${size} ${version}`);
    const del = zerog(['kv', 'put', sb, 'greeting', '--file', '/dev/null']);
    check('zerog refuses an empty put (it would delete)', del.code === 2 || del.code === 1);
    p = zerog(['kv', 'put', sb, 'greeting', 'overwritten']);
    const v2 = await kv.getValue(sb, Buffer.from('greeting'));
    check('sdk sees the zerog overwrite', p.code === 0 && v2 != null && Buffer.from(v2.data, 'base64').toString() === 'overwritten', JSON.stringify(v2));
    const first = await kv.getFirst(sb, 0, 0);
    check('sdk iterates the zerog keys', first != null && Buffer.from(first.key, 'base64').toString() === 'big', JSON.stringify(first));
  } catch (e) {
    check('zerog → sdk', false, `${errText(e)}\n${e.sdkLog ?? ''}`);
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
