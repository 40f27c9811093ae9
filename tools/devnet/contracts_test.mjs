#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Tests the devnet dev contracts (tools/devnet/contracts) on a private anvil.
//
// Starts anvil on a free 127.0.0.1 port (chain id 16602, hardfork cancun), deploys with ethers and
// exercises every rule: both Flow submit ABIs, the Submit event, flow placement (storage.md §6.4), submissions
// built by the official TS SDK, the validity rule, fees; LedgerManager/InferenceServing through the
// *real* 0.9.0 ABIs (tests/vectors/compute-abis-0.9.0.json): ledger lifecycle, sub-accounts, refunds with
// lock time, services, TEE acknowledgements, token revocation, TEE settlement.
// Compiles the contracts first when build/contracts.json is missing or older than a source.
// Last line of output: "N passed, N failed"; exit status 1 on any failure.
//
// Env: ZEROG_FIXTURES_DIR (npm fixtures), ZEROG_VECTORS_DIR (tests/vectors).
import { createRequire } from 'module';
import { spawn } from 'child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { fileURLToPath } from 'url';
import { compile, CONTRACTS_DIR, DEFAULT_OUT, fixturesDir } from './compile.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = fixturesDir();
const VECTORS = process.env.ZEROG_VECTORS_DIR || resolve(HERE, '..', '..', 'tests', 'vectors');
const require = createRequire(join(FIXTURES, 'package.json'));
const { ethers } = require('ethers');
const sdk = require('@0gfoundation/0g-ts-sdk');

const CHAIN_ID = 16602;
const SUBMIT_TOPIC = '0x167ce04d2aa1981994d3a31695da0d785373335b1078cec239a1a3a2c7675555';
const TURBO_PRICE = 30733644962n;
const E = (x) => ethers.parseEther(String(x));
const KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
];

// ---------------------------------------------------------------- tiny harness
let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    const where = (e?.stack || '').split('\n').filter((l) => l.includes('contracts_test.mjs')).slice(0, 2).map((l) => l.trim());
    console.log(`FAIL ${name}: ${e?.shortMessage || e?.message || e} ${where.join(' | ')}`);
  }
}
function eq(a, b, what = '') {
  const norm = (x) => (typeof x === 'bigint' ? x.toString() : typeof x === 'string' ? x.toLowerCase() : JSON.stringify(x, (k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  if (norm(a) !== norm(b)) throw new Error(`${what}: got ${norm(a)}, want ${norm(b)}`);
}
function ok(c, what) {
  if (!c) throw new Error(what);
}
function withTimeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => (t = setTimeout(() => rej(new Error(`timeout: ${what}`)), ms)))]).finally(() => clearTimeout(t));
}

// ---------------------------------------------------------------- artefact
function artefactStale() {
  if (!existsSync(DEFAULT_OUT)) return true;
  const t = statSync(DEFAULT_OUT).mtimeMs;
  return readdirSync(CONTRACTS_DIR).some((f) => f.endsWith('.sol') && statSync(join(CONTRACTS_DIR, f)).mtimeMs > t);
}
const ART = artefactStale() ? compile({ quiet: true }) : JSON.parse(readFileSync(DEFAULT_OUT, 'utf8'));
const REAL = JSON.parse(readFileSync(join(VECTORS, 'compute-abis-0.9.0.json'), 'utf8'));
const STORAGE = JSON.parse(readFileSync(join(VECTORS, 'storage.json'), 'utf8'));
const COMPUTE = JSON.parse(readFileSync(join(VECTORS, 'compute.json'), 'utf8'));

// ---------------------------------------------------------------- anvil
let anvil = null;
function stopAnvil() {
  if (anvil && anvil.exitCode === null && anvil.signalCode === null) {
    try {
      anvil.kill('SIGKILL');
    } catch {}
  }
}
process.on('exit', stopAnvil);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopAnvil(); process.exit(2); });

function startAnvil() {
  const bin = join(FIXTURES, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');
  anvil = spawn(bin, ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(CHAIN_ID), '--hardfork', 'cancun', '--accounts', '10'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return withTimeout(
    new Promise((res, rej) => {
      let buf = '';
      anvil.stdout.on('data', (d) => {
        buf += d;
        const m = buf.match(/Listening on 127\.0\.0\.1:(\d+)/);
        if (m) res(Number(m[1]));
      });
      anvil.stderr.on('data', (d) => (buf += d));
      anvil.on('exit', (c) => rej(new Error(`anvil exited (${c}): ${buf.slice(-400)}`)));
      anvil.on('error', rej);
    }),
    20000,
    'anvil start',
  );
}

// ---------------------------------------------------------------- helpers
let provider;
let W; // wallets
const ifaces = [];
function revertOf(e) {
  const cands = [e?.data, e?.info?.error?.data, e?.error?.data, e?.revert && null];
  for (const d of cands) {
    if (typeof d === 'string' && d.startsWith('0x') && d.length >= 10) {
      for (const i of ifaces) {
        try {
          const p = i.parseError(d);
          if (p) return { name: p.name, args: [...p.args] };
        } catch {}
      }
      return { name: `unknown(${d.slice(0, 10)})`, args: [] };
    }
  }
  if (e?.revert) return { name: e.revert.name, args: [...e.revert.args] };
  return null;
}
async function expectRevert(p, name, args) {
  let r;
  try {
    const tx = await p;
    if (tx && tx.wait) await tx.wait();
  } catch (e) {
    r = revertOf(e);
    if (!r) throw new Error(`expected ${name}, got non-revert error: ${e.shortMessage || e.message}`);
  }
  if (!r) throw new Error(`expected revert ${name}, but it succeeded`);
  eq(r.name, name, 'revert name');
  if (args) eq(r.args.map((x) => (typeof x === 'bigint' ? x.toString() : x)), args.map((x) => (typeof x === 'bigint' ? x.toString() : typeof x === 'number' ? String(x) : x)), `${name} args`);
}
async function send(p) {
  const tx = await p;
  const rc = await withTimeout(tx.wait(), 20000, 'receipt');
  if (rc.status !== 1) throw new Error('tx failed');
  return rc;
}
const gasCost = (rc) => rc.gasUsed * rc.gasPrice;
const bal = (a) => provider.getBalance(a);
function content(size) {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}
async function sdkSubmission(size, submitter) {
  const [s, err] = await new sdk.MemData(content(size)).createSubmission('0x', submitter);
  if (err) throw err;
  return {
    data: { length: BigInt(s.data.length), tags: s.data.tags, nodes: s.data.nodes.map((n) => ({ root: n.root, height: BigInt(n.height) })) },
    submitter: s.submitter,
  };
}
const sectorsOf = (nodes) => nodes.reduce((a, n) => a + (1n << BigInt(n.height)), 0n);
const identityOf = (nodes) => ethers.keccak256(ethers.concat(nodes.map((n) => n.root)));

// Independent model of FlowTreeLib.pad + insertNode (docs/protocol/storage.md §6.4).
const flowModel = {
  len: 1n,
  nextAlign(l, e) {
    return l === 0n ? 0n : (((l - 1n) >> e) + 1n) << e;
  },
  place(nodes) {
    const sectors = sectorsOf(nodes);
    let cur = this.len;
    const s = this.nextAlign(cur, BigInt(nodes[0].height));
    if (s % 1024n !== 0n && s / 1024n !== (s + sectors - 1n) / 1024n) cur = s + 1024n - (s % 1024n);
    let start = null;
    for (const n of nodes) {
      const p = this.nextAlign(cur, BigInt(n.height));
      if (start === null) start = p;
      cur = p + (1n << BigInt(n.height));
    }
    this.len = cur;
    return start;
  },
};

function submitEvents(rc, flowAddr, iface) {
  return rc.logs
    .filter((l) => l.address.toLowerCase() === flowAddr.toLowerCase() && l.topics[0] === SUBMIT_TOPIC)
    .map((l) => ({ log: l, ev: iface.parseLog(l) }));
}

// ---------------------------------------------------------------- main
async function main() {
  const port = await startAnvil();
  provider = new ethers.JsonRpcProvider(`http://127.0.0.1:${port}`, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  // Gas estimates run against the latest block's timestamp; a call that stores block.timestamp over
  // the same value (e.g. two service updates within one second) is then estimated ~2.8k gas too low
  // and runs out of gas when mined one second later. Real clients add a margin too; so do we.
  const estimate = provider.estimateGas.bind(provider);
  provider.estimateGas = async (tx) => ((await estimate(tx)) * 13n) / 10n + 10000n;
  W = KEYS.map((k) => new ethers.Wallet(k, provider));
  const [owner, user, user2, prov, tee, prov2] = W;
  for (const n of Object.keys(ART)) ifaces.push(new ethers.Interface(ART[n].abi));
  for (const n of Object.keys(REAL)) ifaces.push(new ethers.Interface(REAL[n].abi));

  await check('chain id is 16602', async () => eq((await provider.getNetwork()).chainId, BigInt(CHAIN_ID), 'chainId'));

  // ====================================================== Flow
  const flowIface = new ethers.Interface(ART.Flow.abi);
  const marketIface = new ethers.Interface(ART.FixedPrice.abi);
  let flow, flowAddr, market, marketAddr;
  await check('deploy Flow(0): deterministic address, FixedPrice market at CREATE(flow, 1), default turbo price', async () => {
    const f = await new ethers.ContractFactory(ART.Flow.abi, ART.Flow.bytecode, owner).deploy(0);
    await withTimeout(f.waitForDeployment(), 20000, 'deploy');
    flowAddr = await f.getAddress();
    eq(flowAddr, '0x5FbDB2315678afecb367f032d93F642f64180aa3', 'flow address (deployer #0, nonce 0)');
    flow = f;
    marketAddr = await flow.market();
    eq(marketAddr, ethers.getCreateAddress({ from: flowAddr, nonce: 1 }), 'market address');
    market = new ethers.Contract(marketAddr, ART.FixedPrice.abi, owner);
    eq(await market.pricePerSector(), TURBO_PRICE, 'pricePerSector');
    eq(await market.flow(), flowAddr, 'market.flow');
    eq(await flow.numSubmissions(), 0n, 'numSubmissions');
    eq(await flow.flowLength(), 1n, 'initial flow length');
  });

  await check('selectors: current submit 0xbc8c11f8, legacy 0xef3e12dc, batchSubmit 0x49aa3395, market/pricePerSector, Submit topic0', async () => {
    eq(flowIface.getFunction('submit(((uint256,bytes,(bytes32,uint256)[]),address))').selector, '0xbc8c11f8', 'current');
    eq(flowIface.getFunction('submit((uint256,bytes,(bytes32,uint256)[]))').selector, '0xef3e12dc', 'legacy');
    eq(flowIface.getFunction('batchSubmit(((uint256,bytes,(bytes32,uint256)[]),address)[])').selector, '0x49aa3395', 'batch');
    eq(flowIface.getFunction('market').selector, '0x80f55605', 'market');
    eq(marketIface.getFunction('pricePerSector').selector, '0x61ec5082', 'pricePerSector');
    eq(flowIface.getEvent('Submit').topicHash, SUBMIT_TOPIC, 'topic0');
    // The SDK's own FixedPriceFlow ABI agrees on submit, Submit and NotEnoughFee.
    const sdkIface = new ethers.Interface(sdk.FixedPriceFlow__factory.abi);
    eq(sdkIface.getFunction('submit').selector, '0xbc8c11f8', 'SDK submit');
    eq(sdkIface.getEvent('Submit').topicHash, SUBMIT_TOPIC, 'SDK topic0');
    eq(sdkIface.getError('NotEnoughFee').selector, flowIface.getError('NotEnoughFee').selector, 'NotEnoughFee selector');
  });

  // SDK-built submissions through the SDK's FixedPriceFlow ABI.
  const sdkFlow = sdk.getFlowContract(flowAddr, user);
  const sizes = [1, 255, 256, 257, 1023, 262144, 262145, 1048576, 4194427];
  const expectedStarts = [1n, 2n, 3n, 4n, 8n, 1024n, 2048n, 4096n, 16384n];
  let nextIndex = 0n;
  const subs = {};
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i];
    await check(`SDK submission ${size} B: nodes match vectors, accepted, Submit event (index, startPos §6.4, sectors, identity, sender)`, async () => {
      const s = await sdkSubmission(size, user.address);
      subs[size] = s;
      const v = STORAGE.vectors.find((x) => x.size === size);
      eq(s.data.nodes.map((n) => [n.root, n.height]), v.submission.nodes.map((n) => [n.root, BigInt(n.height)]), 'nodes vs storage.json');
      const sectors = sectorsOf(s.data.nodes);
      eq(sectors, BigInt(v.feeSectors), 'sectors');
      const fee = sectors * TURBO_PRICE;
      const ret = await sdkFlow.submit.staticCall(s, { value: fee });
      const mb = await bal(marketAddr);
      const rc = await send(sdkFlow.submit(s, { value: fee }));
      eq((await bal(marketAddr)) - mb, fee, 'fee forwarded to market');
      const evs = submitEvents(rc, flowAddr, flowIface);
      eq(evs.length, 1, 'one Submit log');
      const { log, ev } = evs[0];
      const start = flowModel.place(s.data.nodes);
      eq(start, expectedStarts[i], 'model startPos vs hand-computed');
      eq(log.topics[1], ethers.zeroPadValue(user.address, 32), 'topic1 = submitter');
      eq(log.topics[2], v.submitIdentityDigest, 'topic2 = identity (vector)');
      eq(log.topics[2], identityOf(s.data.nodes), 'identity = keccak(roots)');
      eq(ev.args[2], nextIndex, 'submissionIndex');
      eq(ev.args[3], start, 'startPos');
      eq(ev.args[4], sectors, 'length in sectors');
      const tup = ev.args[5];
      eq(tup[0], BigInt(size), 'tuple.length (bytes)');
      eq(tup[1], '0x', 'tuple.tags');
      eq(tup[2].map((n) => [n[0], n[1]]), s.data.nodes.map((n) => [n.root, n.height]), 'tuple.nodes');
      eq([ret[0], ret[1], ret[2], ret[3]], [nextIndex, identityOf(s.data.nodes), start, sectors], 'return values');
      nextIndex++;
      eq(await flow.numSubmissions(), nextIndex, 'numSubmissions');
      eq(await flow.submissionIndex(), nextIndex, 'submissionIndex()');
    });
  }

  await check('placement: small file inside a segment, then a 768-sector file that would straddle moves to the next segment', async () => {
    // After the 4194427-byte file (h14 at 16384, h11 at 32768) the flow length is 34816 (= 34 * 1024).
    eq(await flow.flowLength(), 34816n, 'flow length');
    eq(flowModel.len, 34816n, 'model flow length');
    const a = await sdkSubmission(1, user.address); // h0 at 34816
    const b = await sdkSubmission(16 * 256, user.address); // h4: nextAlign(34817,4)=34832, same segment
    const c = { data: { length: 705n * 256n, tags: '0x', nodes: [{ root: ethers.id('n9'), height: 9n }, { root: ethers.id('n8'), height: 8n }] }, submitter: user.address };
    // c: nextAlign(34848,9)=35328, 35328%1024=512 and 35328+767 crosses -> moves to 35840
    const want = [34816n, 34832n, 35840n];
    for (const [k, s] of [a, b, c].entries()) {
      const rc = await send(flow['submit(((uint256,bytes,(bytes32,uint256)[]),address))'](s, { value: sectorsOf(s.data.nodes) * TURBO_PRICE }));
      const { ev } = submitEvents(rc, flowAddr, flowIface)[0];
      eq(ev.args[3], flowModel.place(s.data.nodes), `startPos ${k} vs model`);
      eq(ev.args[3], want[k], `startPos ${k}`);
      nextIndex++;
    }
    eq(await flow.flowLength(), 35840n + 768n, 'flow length after');
  });

  await check('legacy submit (0xef3e12dc): submitter = msg.sender in topic1, same event shape', async () => {
    const s = await sdkSubmission(257, user2.address);
    const fee = 2n * TURBO_PRICE;
    const legacy = flow.connect(user2).getFunction('submit((uint256,bytes,(bytes32,uint256)[]))');
    const data = flowIface.encodeFunctionData('submit((uint256,bytes,(bytes32,uint256)[]))', [s.data]);
    eq(data.slice(0, 10), '0xef3e12dc', 'calldata selector');
    const rc = await send(legacy(s.data, { value: fee }));
    const { log, ev } = submitEvents(rc, flowAddr, flowIface)[0];
    eq(log.topics[1], ethers.zeroPadValue(user2.address, 32), 'topic1 = msg.sender');
    eq(ev.args[2], nextIndex++, 'index');
    eq(ev.args[3], flowModel.place(s.data.nodes), 'startPos');
  });

  await check('raw calldata from storage.json (submitter 0x1111…) sent as a signed transaction is accepted', async () => {
    const v = STORAGE.vectors.find((x) => x.size === 262145);
    const rc = await send(user.sendTransaction({ to: flowAddr, data: v.submitCalldata, value: BigInt(v.feeSectors) * TURBO_PRICE }));
    const { log, ev } = submitEvents(rc, flowAddr, flowIface)[0];
    eq(log.topics[1], ethers.zeroPadValue('0x1111111111111111111111111111111111111111', 32), 'topic1');
    eq(ev.args[3], flowModel.place(v.submission.nodes), 'startPos');
    eq(ev.args[4], BigInt(v.feeSectors), 'sectors');
    nextIndex++;
    // eth_getLogs sees it too
    const logs = await provider.getLogs({ address: flowAddr, topics: [SUBMIT_TOPIC], fromBlock: rc.blockNumber, toBlock: rc.blockNumber });
    eq(logs.length, 1, 'getLogs');
  });

  await check('batchSubmit (current ABI): three submissions, one Submit log each, exact total fee forwarded', async () => {
    const list = [await sdkSubmission(1, user.address), await sdkSubmission(1023, user2.address), await sdkSubmission(262145, user.address)];
    const total = list.reduce((a, s) => a + sectorsOf(s.data.nodes), 0n) * TURBO_PRICE;
    const mb = await bal(marketAddr);
    const rc = await send(flow.getFunction('batchSubmit(((uint256,bytes,(bytes32,uint256)[]),address)[])')(list, { value: total }));
    eq((await bal(marketAddr)) - mb, total, 'market received');
    const evs = submitEvents(rc, flowAddr, flowIface);
    eq(evs.length, 3, 'logs');
    evs.forEach(({ log, ev }, k) => {
      eq(ev.args[2], nextIndex++, 'index');
      eq(ev.args[3], flowModel.place(list[k].data.nodes), 'startPos');
      eq(log.topics[1], ethers.zeroPadValue(list[k].submitter, 32), 'submitter');
    });
    await expectRevert(
      flow.getFunction('batchSubmit(((uint256,bytes,(bytes32,uint256)[]),address)[])')(list, { value: total - 1n }),
      'NotEnoughFee',
      [TURBO_PRICE, sectorsOf(list[2].data.nodes), sectorsOf(list[2].data.nodes) * TURBO_PRICE - 1n],
    );
  });

  await check('legacy batchSubmit: submitter = msg.sender', async () => {
    const list = [(await sdkSubmission(256, user.address)).data, (await sdkSubmission(255, user.address)).data];
    const rc = await send(flow.connect(user2).getFunction('batchSubmit((uint256,bytes,(bytes32,uint256)[])[])')(list, { value: 2n * TURBO_PRICE }));
    const evs = submitEvents(rc, flowAddr, flowIface);
    eq(evs.length, 2, 'logs');
    for (const [k, { log, ev }] of evs.entries()) {
      eq(log.topics[1], ethers.zeroPadValue(user2.address, 32), 'submitter');
      eq(ev.args[3], flowModel.place(list[k].nodes), 'startPos');
      nextIndex++;
    }
  });

  const submitCur = (s, v, w = user) => flow.connect(w).getFunction('submit(((uint256,bytes,(bytes32,uint256)[]),address))')(s, { value: v });
  const mk = (length, heights, submitter = user.address) => ({
    data: { length: BigInt(length), tags: '0x', nodes: heights.map((h, i) => ({ root: ethers.id(`r${i}`), height: BigInt(h) })) },
    submitter,
  });
  const BIG = E(1); // plenty for the small invalid ones
  await check('invalid: empty node list -> EmptySubmission', () => expectRevert(submitCur(mk(1, []), BIG), 'EmptySubmission', []));
  await check('invalid: five nodes -> TooManyNodes(5, 4)', () => expectRevert(submitCur(mk(31 * 256, [4, 3, 2, 1, 0]), BIG), 'TooManyNodes', [5n, 4n]));
  await check('invalid: equal heights -> HeightsNotDecreasing(1, 3, 3)', () => expectRevert(submitCur(mk(9 * 256, [3, 3]), BIG), 'HeightsNotDecreasing', [1n, 3n, 3n]));
  await check('invalid: increasing heights -> HeightsNotDecreasing(1, 1, 2)', () => expectRevert(submitCur(mk(5 * 256, [1, 2]), BIG), 'HeightsNotDecreasing', [1n, 1n, 2n]));
  await check('invalid: height span >= 4 -> HeightSpanTooLarge(5, 1)', () => expectRevert(submitCur(mk(33 * 256, [5, 1]), BIG), 'HeightSpanTooLarge', [5n, 1n]));
  await check('invalid: height 64 -> HeightTooLarge(64, 64)', () => expectRevert(submitCur(mk(1, [64]), BIG), 'HeightTooLarge', [64n, 64n]));
  await check('invalid: length above capacity -> LengthExceedsCapacity', async () => {
    const s = subs[257]; // one h1 node: capacity 512 bytes
    await expectRevert(submitCur({ data: { ...s.data, length: 513n }, submitter: user.address }, BIG), 'LengthExceedsCapacity', [513n, 512n]);
  });
  await check('invalid: length too small for the nodes -> LengthBelowMinimum (cap<16, 1 node, many nodes)', async () => {
    await expectRevert(submitCur(mk(256, [1]), BIG), 'LengthBelowMinimum', [256n, 256n]); // cap 2 -> lastCap 1
    await expectRevert(submitCur(mk(15 * 1024 * 256, [14]), BIG), 'LengthBelowMinimum', [15n * 1024n * 256n, 15n * 1024n * 256n]); // cap 16384, lastCap 15360
    await expectRevert(submitCur(mk(1024 * 256, [10, 7]), BIG), 'LengthBelowMinimum', [1024n * 256n, 1024n * 256n]); // cap 1152, lastCap 1152-128
    await expectRevert(submitCur({ data: { ...subs[262145].data, length: 262144n }, submitter: user.address }, BIG), 'LengthBelowMinimum', [262144n, 262144n]);
  });
  await check('boundaries: lastCap*256+1 and cap*256 are accepted', async () => {
    for (const [len, hs] of [[257, [1]], [512, [1]], [15 * 1024 * 256 + 1, [14]], [1024 * 256 + 1, [10, 7]], [1152 * 256, [10, 7]], [16 * 256 + 1, [4, 1]], [18 * 256, [4, 1]]]) {
      const s = mk(len, hs);
      const rc = await send(submitCur(s, sectorsOf(s.data.nodes) * TURBO_PRICE));
      eq(submitEvents(rc, flowAddr, flowIface)[0].ev.args[3], flowModel.place(s.data.nodes), `startPos ${len}`);
      nextIndex++;
    }
  });
  await check('invalid: zero submitter (current ABI, single and batch) -> ZeroSubmitter', async () => {
    const s = await sdkSubmission(257, ethers.ZeroAddress); // the SDK default submitter
    eq(s.submitter, ethers.ZeroAddress, 'SDK default');
    await expectRevert(submitCur(s, BIG), 'ZeroSubmitter', []);
    await expectRevert(flow.getFunction('batchSubmit(((uint256,bytes,(bytes32,uint256)[]),address)[])')([subs[1], s], { value: BIG }), 'ZeroSubmitter', []);
  });
  await check('underpayment: fee-1 -> NotEnoughFee(price, sectors, paid); zero value too', async () => {
    const s = subs[1048576];
    const fee = 4096n * TURBO_PRICE;
    await expectRevert(submitCur(s, fee - 1n), 'NotEnoughFee', [TURBO_PRICE, 4096n, fee - 1n]);
    await expectRevert(submitCur(s, 0n), 'NotEnoughFee', [TURBO_PRICE, 4096n, 0n]);
    await expectRevert(flow.connect(user).getFunction('submit((uint256,bytes,(bytes32,uint256)[]))')(s.data, { value: fee - 1n }), 'NotEnoughFee', [TURBO_PRICE, 4096n, fee - 1n]);
  });
  await check('overpayment: market gets exactly the fee, surplus stays in Flow, sender pays value + gas', async () => {
    const s = subs[262145];
    const fee = 1152n * TURBO_PRICE;
    const extra = 12345n;
    const [mb, fb, ub] = [await bal(marketAddr), await bal(flowAddr), await bal(user.address)];
    const rc = await send(submitCur(s, fee + extra));
    flowModel.place(s.data.nodes);
    nextIndex++;
    eq((await bal(marketAddr)) - mb, fee, 'market delta');
    eq((await bal(flowAddr)) - fb, extra, 'flow delta');
    eq(ub - (await bal(user.address)), fee + extra + gasCost(rc), 'sender delta');
    eq(await market.totalFeeReceived(), await bal(marketAddr), 'market book-keeping');
  });
  await check('price: owner can change pricePerSector (fee follows), others get CallerNotOwner', async () => {
    await expectRevert(market.connect(user).setPricePerSector(1n), 'CallerNotOwner', [user.address]);
    await send(market.setPricePerSector(1000n));
    const s = subs[1023];
    await expectRevert(submitCur(s, 3999n), 'NotEnoughFee', [1000n, 4n, 3999n]);
    const mb = await bal(marketAddr);
    await send(submitCur(s, 4000n));
    flowModel.place(s.data.nodes);
    nextIndex++;
    eq((await bal(marketAddr)) - mb, 4000n, 'market delta');
    await send(market.setPricePerSector(TURBO_PRICE));
    eq(await market.pricePerSector(), TURBO_PRICE, 'restored');
    eq(await flow.numSubmissions(), nextIndex, 'numSubmissions');
    eq(await flow.flowLength(), flowModel.len, 'flow length');
  });
  await check('Flow(pricePerSector) constructor argument sets the market price', async () => {
    const f = await new ethers.ContractFactory(ART.Flow.abi, ART.Flow.bytecode, owner).deploy(777);
    await f.waitForDeployment();
    const m = new ethers.Contract(await f.market(), ART.FixedPrice.abi, provider);
    eq(await m.pricePerSector(), 777n, 'price');
  });

  // ====================================================== compute
  const SVC = 'inference-v1.0';
  let ledger, serving, ledgerAddr, servingAddr;
  const L = (w) => new ethers.Contract(ledgerAddr, REAL.LedgerManager.abi, w);
  const S = (w) => new ethers.Contract(servingAddr, REAL.InferenceServing.abi, w);
  const SM = (w) => new ethers.Contract(servingAddr, ART.InferenceServing.abi, w); // + devnet helpers

  await check('ABI parity with compute-abis-0.9.0.json (every real function/event/error present with identical types)', async () => {
    const t = (x) => (x.type.startsWith('tuple') ? '(' + x.components.map(t).join(',') + ')' + x.type.slice(5) : x.type);
    const sig = (e) => `${e.type} ${e.name}(${(e.inputs || []).map((i) => t(i) + (i.indexed ? ' indexed' : '')).join(',')})` + (e.outputs ? `->(${e.outputs.map(t).join(',')})` : '') + (e.stateMutability === 'payable' ? ' payable' : e.stateMutability === 'view' || e.stateMutability === 'pure' ? ' view' : '');
    const problems = [];
    for (const n of ['LedgerManager', 'InferenceServing']) {
      const mine = new Map(ART[n].abi.filter((e) => e.name).map((e) => [e.type + e.name, sig(e)]));
      for (const e of REAL[n].abi.filter((e) => e.name)) {
        const m = mine.get(e.type + e.name);
        const want = sig(e);
        // initialize() only reverts here (constructor-initialised), so it is declared pure.
        const ok2 = m === want || (e.name === 'initialize' && m === want + ' view');
        if (!ok2) problems.push(`${n}: ${want} vs ${m}`);
      }
      const mi = new ethers.Interface(ART[n].abi);
      for (const s of REAL[n].summary) {
        let got;
        let what;
        try {
          if (s.sig) [what, got] = [s.sig, mi.getFunction(s.sig)?.selector];
          else if (s.event) [what, got] = [s.event, mi.getEvent(ethers.EventFragment.from(s.event).format())?.topicHash];
          else if (s.error) [what, got] = [s.error, mi.getError(ethers.ErrorFragment.from(s.error).format())?.selector];
        } catch (e) {
          got = `missing (${e.shortMessage || e.message})`;
        }
        const want = s.selector || s.topic;
        if (got !== want) problems.push(`${n}: ${what} ${got} != ${want}`);
      }
    }
    ok(problems.length === 0, problems.join('; '));
  });

  await check('deploy LedgerManager + InferenceServing(lockTime 3600), register "inference"/"v1.0"', async () => {
    const lf = await new ethers.ContractFactory(ART.LedgerManager.abi, ART.LedgerManager.bytecode, owner).deploy();
    await lf.waitForDeployment();
    ledgerAddr = await lf.getAddress();
    await expectRevert(new ethers.ContractFactory(ART.InferenceServing.abi, ART.InferenceServing.bytecode, owner).deploy(3599, ledgerAddr), 'LockTimeOutOfRange', [3599n, 3600n, 604800n]);
    const sf = await new ethers.ContractFactory(ART.InferenceServing.abi, ART.InferenceServing.bytecode, owner).deploy(3600, ledgerAddr);
    await sf.waitForDeployment();
    servingAddr = await sf.getAddress();
    ledger = L(owner);
    serving = S(owner);
    await expectRevert(ledger.connect(user).registerService('inference', 'v1.0', servingAddr, 'x'), 'OwnableUnauthorizedAccount', [user.address]);
    await expectRevert(ledger.registerService('inference', 'v9', flowAddr, 'not a serving contract'), 'ServiceMustImplementIServing', [flowAddr]);
    await send(ledger.registerService('inference', 'v1.0', servingAddr, 'devnet inference'));
    await expectRevert(ledger.registerService('inference', 'v1.0', servingAddr, 'again'), 'ServiceAlreadyRegistered', [servingAddr]);
    const info = await ledger.getServiceInfo(servingAddr);
    eq([info.serviceAddress, info.serviceContract, info.serviceType, info.version, info.fullName, info.isRecommended], [servingAddr, servingAddr, 'inference', 'v1.0', SVC, false], 'ServiceInfo');
    eq(await ledger.getServiceAddressByName(SVC), servingAddr, 'by name');
    await send(ledger.setRecommendedService('inference', 'v1.0'));
    const [ver, addr] = await ledger.getRecommendedService('inference');
    eq([ver, addr], ['v1.0', servingAddr], 'recommended');
    eq((await ledger.getAllActiveServices()).length, 1, 'active services');
    eq(await serving.ledgerAddress(), ledgerAddr, 'ledgerAddress');
    eq(await serving.lockTime(), 3600n, 'lockTime');
    eq(await serving.owner(), owner.address, 'owner');
    eq(await serving.initialized(), true, 'initialized');
    await expectRevert(serving.initialize(3600, ledgerAddr, owner.address), 'AlreadyInitialized', []);
    eq([await ledger.MIN_ACCOUNT_BALANCE(), await ledger.MIN_TRANSFER_AMOUNT(), await serving.MIN_PROVIDER_STAKE(), await serving.MIN_LOCKTIME(), await serving.MAX_LOCKTIME()], [E(3), E(1), E(100), 3600n, 604800n], 'minimums');
  });

  const params = (o = {}) => ({
    serviceType: 'chatbot', url: 'http://127.0.0.1:18080', model: 'dev-model', verifiability: 'TeeML',
    inputPrice: 50000000000n, outputPrice: 100000000000n, additionalInfo: '{"ProviderType":"decentralized"}', teeSignerAddress: tee.address, ...o,
  });
  await check('addOrUpdateService: stake >= 100 0G, stored exactly, updates without value, ack reset on critical change only', async () => {
    await expectRevert(serving.connect(prov).addOrUpdateService(params(), { value: E(99) }), 'InsufficientStake', [E(99), E(100)]);
    const sb = await bal(servingAddr);
    const rc = await send(serving.connect(prov).addOrUpdateService(params(), { value: E(100) }));
    eq((await bal(servingAddr)) - sb, E(100), 'stake held');
    const ts = BigInt((await provider.getBlock(rc.blockNumber)).timestamp);
    const s = await serving.getService(prov.address);
    const p = params();
    eq([s.provider, s.serviceType, s.url, s.inputPrice, s.outputPrice, s.updatedAt, s.model, s.verifiability, s.additionalInfo, s.teeSignerAddress, s.teeSignerAcknowledged],
      [prov.address, p.serviceType, p.url, p.inputPrice, p.outputPrice, ts, p.model, p.verifiability, p.additionalInfo, p.teeSignerAddress, false], 'Service');
    await expectRevert(serving.connect(prov).addOrUpdateService(params(), { value: 1n }), 'CannotAddStakeWhenUpdating', []);
    await expectRevert(serving.getService(user.address), 'ServiceNotExist', [user.address]);
    // owner acknowledgement
    await expectRevert(serving.connect(user).acknowledgeTEESignerByOwner(prov.address), 'OwnableUnauthorizedAccount', [user.address]);
    const rc2 = await send(serving.acknowledgeTEESignerByOwner(prov.address));
    const ev = rc2.logs.map((l) => serving.interface.parseLog(l)).find((x) => x?.name === 'ProviderTEESignerAcknowledged');
    eq([ev.args[0], ev.args[1], ev.args[2]], [prov.address, tee.address, true], 'ack event');
    eq((await serving.getService(prov.address)).teeSignerAcknowledged, true, 'acked');
    await send(serving.connect(prov).addOrUpdateService(params({ url: 'http://127.0.0.1:18081', inputPrice: 1n })));
    eq((await serving.getService(prov.address)).teeSignerAcknowledged, true, 'url/price change keeps ack');
    await send(serving.connect(prov).addOrUpdateService(params({ url: 'http://127.0.0.1:18081', inputPrice: 1n, model: 'other' })));
    eq((await serving.getService(prov.address)).teeSignerAcknowledged, false, 'model change clears ack');
    await send(serving.connect(prov).addOrUpdateService(params()));
    await send(serving.revokeTEESignerAcknowledgement(prov.address));
    eq((await serving.getService(prov.address)).teeSignerAcknowledged, false, 'revoked');
    await send(serving.acknowledgeTEESignerByOwner(prov.address));
  });
  await check('getAllServices(offset, limit): paginated, total, limit > 50 -> LimitTooLarge', async () => {
    await send(serving.connect(prov2).addOrUpdateService(params({ model: 'm2', teeSignerAddress: prov2.address }), { value: E(150) }));
    const [all, total] = await serving.getAllServices(0, 50);
    eq(total, 2n, 'total');
    eq(all.map((s) => s.provider), [prov.address, prov2.address], 'providers');
    const [page] = await serving.getAllServices(1, 1);
    eq(page.map((s) => s.model), ['m2'], 'page');
    eq((await serving.getAllServices(5, 10))[0].length, 0, 'past end');
    eq((await serving.getAllServices(0, 0))[0].length, 2, 'limit 0 = 50');
    await expectRevert(serving.getAllServices(0, 51), 'LimitTooLarge', [51n, 50n]);
    eq(await serving.serviceExists(prov2.address), true, 'exists');
  });

  const ledgerOf = async (a) => {
    const l = await ledger.getLedger(a);
    return [l.availableBalance, l.totalBalance];
  };
  await check('ledger: addLedger minimum 3 0G, exact balances, LedgerExists, depositFund, depositFundFor, LedgerNotExists', async () => {
    const lu = ledger.connect(user);
    await expectRevert(lu.addLedger('', { value: E('2.9') }), 'MinimumDepositRequired', [E('2.9'), E(3)]);
    await expectRevert(lu.getLedger(user.address), 'LedgerNotExists', [user.address]);
    const ub = await bal(user.address);
    const rc = await send(lu.addLedger('', { value: E(5) }));
    eq(ub - (await bal(user.address)), E(5) + gasCost(rc), 'wallet debited');
    eq(await ledgerOf(user.address), [E(5), E(5)], 'after add');
    const l = await ledger.getLedger(user.address);
    eq([l.user, l.additionalInfo], [user.address, ''], 'ledger fields');
    await expectRevert(lu.addLedger('', { value: E(5) }), 'LedgerExists', [user.address]);
    await send(lu.depositFund({ value: E(1) }));
    eq(await ledgerOf(user.address), [E(6), E(6)], 'after deposit');
    await expectRevert(lu.depositFund({ value: 0 }), 'ZeroAmountNotAllowed', []);
    await send(ledger.connect(user2).depositFundFor(user.address, { value: E('0.5') }));
    eq(await ledgerOf(user.address), [E('6.5'), E('6.5')], 'after depositFor');
    await expectRevert(ledger.connect(user2).depositFund({ value: E(2) }), 'MinimumDepositRequired', [E(2), E(3)]);
    eq(await bal(ledgerAddr), E('6.5'), 'ledger contract ETH');
    const [ls, total] = await ledger.getAllLedgers(0, 0);
    eq([ls.length, total], [1, 1n], 'getAllLedgers');
  });

  const acct = (u = user.address, p = prov.address) => serving.getAccount(u, p);
  await check('transferFund: minimum 1 0G for a new sub-account, creates it (auto-acknowledged), moves ETH, errors', async () => {
    const lu = ledger.connect(user);
    await expectRevert(lu.transferFund(prov.address, SVC, E('0.5')), 'MinimumDepositRequired', [E('0.5'), E(1)]);
    await expectRevert(lu.transferFund(prov.address, 'inference-v9', E(2)), 'ServiceNotFound', [ethers.ZeroAddress]);
    await expectRevert(lu.transferFund(prov.address, SVC, E(7)), 'InsufficientAvailableBalance', [E('6.5'), E(7)]);
    await expectRevert(serving.connect(user).acknowledgeTEESigner(prov.address, true), 'AccountNotExists', [user.address, prov.address]);
    eq(await serving.accountExists(user.address, prov.address), false, 'no account yet');
    const sb = await bal(servingAddr);
    await send(lu.transferFund(prov.address, SVC, E(2)));
    eq(await ledgerOf(user.address), [E('4.5'), E('6.5')], 'ledger after transfer');
    eq((await bal(servingAddr)) - sb, E(2), 'serving ETH');
    eq(await bal(ledgerAddr), E('4.5'), 'ledger ETH');
    const a = await acct();
    eq([a.user, a.provider, a.nonce, a.balance, a.pendingRefund, a.refunds.length, a.acknowledged, a.validRefundsLength, a.generation, a.revokedBitmap],
      [user.address, prov.address, 0n, E(2), 0n, 0, true, 0n, 0n, 0n], 'Account');
    eq(await ledger.getLedgerProviders(user.address, SVC), [prov.address], 'ledger providers');
    await expectRevert(ledger.getLedgerProviders(user.address, 'nope'), 'ServiceNotFound', [ethers.ZeroAddress]);
    await expectRevert(serving.connect(user).addAccount(user.address, prov.address, '', { value: 1 }), 'CallerNotLedger', [user.address]);
    const [byUser, tu] = await serving.getAccountsByUser(user.address, 0, 50);
    const [byProv, tp] = await serving.getAccountsByProvider(prov.address, 0, 50);
    eq([byUser.length, tu, byProv.length, tp], [1, 1n, 1, 1n], 'account listings');
    await expectRevert(serving.getAccountsByUser(user.address, 0, 51), 'LimitTooLarge', [51n, 50n]);
    const batch = await serving.connect(prov).getBatchAccountsByUsers([user.address, user2.address]);
    eq([batch[0].balance, batch[1].user], [E(2), ethers.ZeroAddress], 'batch accounts');
  });

  await check('acknowledgeTEESigner: user can re-acknowledge; revoking with balance -> CannotRevokeWithNonZeroBalance', async () => {
    await send(serving.connect(user).acknowledgeTEESigner(prov.address, true));
    await expectRevert(serving.connect(user).acknowledgeTEESigner(prov.address, false), 'CannotRevokeWithNonZeroBalance', [user.address, prov.address, E(2)]);
    eq((await acct()).acknowledged, true, 'still acknowledged');
  });

  await check('token revocation: revokeToken/revokeTokens set bits, isTokenRevoked, revokeAllTokens bumps generation and clears bitmap', async () => {
    const su = serving.connect(user);
    await send(su.revokeToken(prov.address, 3));
    eq((await acct()).revokedBitmap, 8n, 'bit 3');
    eq(await serving.isTokenRevoked(user.address, prov.address, 3), true, 'revoked 3');
    eq(await serving.isTokenRevoked(user.address, prov.address, 4), false, 'not 4');
    const rc = await send(su.revokeTokens(prov.address, [0, 254]));
    eq((await acct()).revokedBitmap, 8n + 1n + (1n << 254n), 'bits 0,3,254');
    const ev1 = rc.logs.map((l) => serving.interface.parseLog(l)).find((x) => x?.name === 'TokensRevoked');
    eq([...ev1.args[2]].map(Number), [0, 254], 'TokensRevoked ids');
    const rc2 = await send(su.revokeAllTokens(prov.address));
    const a = await acct();
    eq([a.generation, a.revokedBitmap], [1n, 0n], 'generation 1, bitmap cleared');
    const ev = rc2.logs.map((l) => serving.interface.parseLog(l)).find((x) => x?.name === 'AllTokensRevoked');
    eq([ev.args[0], ev.args[1], ev.args[2]], [user.address, prov.address, 1n], 'AllTokensRevoked');
    await expectRevert(su.revokeToken(prov2.address, 1), 'AccountNotExists', [user.address, prov2.address]);
    await expectRevert(serving.isTokenRevoked(user2.address, prov.address, 1), 'AccountNotExists', [user2.address, prov.address]);
  });

  // EIP-712 TEE settlement
  const types = { TEESettlement: [
    { name: 'requestsHash', type: 'bytes32' }, { name: 'nonce', type: 'uint256' }, { name: 'provider', type: 'address' },
    { name: 'user', type: 'address' }, { name: 'totalFee', type: 'uint256' }] };
  const domain = () => ({ name: '0G Inference Serving', version: '1', chainId: CHAIN_ID, verifyingContract: servingAddr });
  const settlement = async (o, signer = tee) => {
    const v = { requestsHash: ethers.id('reqs'), nonce: 1n, provider: prov.address, user: user.address, totalFee: E('0.3'), ...o };
    return { user: v.user, provider: v.provider, totalFee: v.totalFee, requestsHash: v.requestsHash, nonce: v.nonce, signature: await signer.signTypedData(domain(), types, v) };
  };
  await check('EIP-712: vector domain separator/struct hash reproduced; contract digest equals ethers TypedDataEncoder', async () => {
    const vec = COMPUTE.eip712_tee_settlement_informative;
    eq(ethers.TypedDataEncoder.hashDomain(vec.domain), vec.domain_separator, 'vector domain');
    eq(ethers.TypedDataEncoder.hashStruct('TEESettlement', types, vec.value), vec.struct_hash, 'vector struct');
    eq(ethers.TypedDataEncoder.hash(vec.domain, types, vec.value), vec.digest, 'vector digest');
    const s = await settlement({});
    const v = { requestsHash: s.requestsHash, nonce: s.nonce, provider: s.provider, user: s.user, totalFee: s.totalFee };
    eq(await SM(owner).settlementDigest(s), ethers.TypedDataEncoder.hash(domain(), types, v), 'contract digest');
  });
  await check('settleFeesWithTEE: success moves fee to provider, ledger total drops; replay/bad sig/mismatch statuses; preview', async () => {
    const sp = serving.connect(prov);
    const good = await settlement({});
    const [failed0, reasons0, partial0] = await sp.previewSettlementResults([good]);
    eq([failed0.length, reasons0.length, partial0.length], [0, 0, 0], 'preview clean');
    const [pb, sb] = [await bal(prov.address), await bal(servingAddr)];
    const statuses = await sp.settleFeesWithTEE.staticCall([good]);
    eq([...statuses].map(Number), [0], 'static status');
    const rc = await send(sp.settleFeesWithTEE([good]));
    eq((await bal(prov.address)) - pb + gasCost(rc), E('0.3'), 'provider paid');
    eq(sb - (await bal(servingAddr)), E('0.3'), 'serving paid out');
    const a = await acct();
    eq([a.balance, a.nonce], [E('1.7'), 1n], 'account after settle');
    eq(await ledgerOf(user.address), [E('4.5'), E('6.2')], 'ledger after settle');
    const evs = rc.logs.map((l) => serving.interface.parseLog(l)).filter((x) => x?.name === 'TEESettlementResult');
    eq([evs[0].args[0], evs[0].args[1], evs[0].args[2]], [user.address, 0n, 0n], 'TEESettlementResult');
    const replay = good;
    const badSig = await settlement({ nonce: 2n }, user);
    const mismatch = await settlement({ nonce: 3n, provider: prov2.address });
    eq([...(await sp.settleFeesWithTEE.staticCall([replay, badSig, mismatch]))].map(Number), [4, 5, 2], 'statuses');
    const [failed, reasons] = await sp.previewSettlementResults([replay, badSig, mismatch]);
    eq([failed.length, [...reasons].map(Number)], [3, [4, 5, 2]], 'preview failures');
    await expectRevert(sp.settleFeesWithTEE([]), 'NoSettlementsProvided', []);
    // provider without owner acknowledgement -> NO_TEE_SIGNER (3)
    await send(serving.revokeTEESignerAcknowledgement(prov.address));
    eq([...(await sp.settleFeesWithTEE.staticCall([await settlement({ nonce: 5n })]))].map(Number), [3], 'no tee signer');
    await send(serving.acknowledgeTEESignerByOwner(prov.address));
  });

  await check('retrieveFund: opens a refund for the spendable balance; transferFund during lock cancels it first; matured after lockTime', async () => {
    const lu = ledger.connect(user);
    await send(lu.retrieveFund([prov.address], SVC));
    let a = await acct();
    eq([a.balance, a.pendingRefund, a.refunds.length, a.validRefundsLength, a.refunds[0].amount, a.refunds[0].processed], [E('1.7'), E('1.7'), 1, 1n, E('1.7'), false], 'refund opened');
    eq(await ledgerOf(user.address), [E('4.5'), E('6.2')], 'ledger unchanged');
    // transfer 0.5 while locked: cancels 0.5 of the pending refund, takes nothing from the ledger
    await send(lu.transferFund(prov.address, SVC, E('0.5')));
    a = await acct();
    eq([a.balance, a.pendingRefund, a.refunds[0].amount], [E('1.7'), E('1.2'), E('1.2')], 'cancelled 0.5');
    eq(await ledgerOf(user.address), [E('4.5'), E('6.2')], 'ledger still unchanged');
    // transfer 2 more: cancels the remaining 1.2, takes 0.8 from the ledger
    await send(lu.transferFund(prov.address, SVC, E(2)));
    a = await acct();
    eq([a.balance, a.pendingRefund, a.refunds.length], [E('2.5'), 0n, 0], 'all cancelled, 0.8 added');
    eq(await ledgerOf(user.address), [E('3.7'), E('6.2')], 'ledger after');
    // open a refund, try again immediately: nothing matured, a second refund is not opened (nothing spendable)
    await send(lu.retrieveFund([prov.address, prov2.address], SVC));
    await send(lu.retrieveFund([prov.address], SVC));
    a = await acct();
    eq([a.pendingRefund, a.refunds.length], [E('2.5'), 1], 'one pending refund');
    eq(await ledgerOf(user.address), [E('3.7'), E('6.2')], 'nothing matured');
    // a settlement may consume pending refunds (spendable is 0)
    const rc = await send(serving.connect(prov).settleFeesWithTEE([await settlement({ nonce: 10n, totalFee: E('0.5') })]));
    ok(rc.status === 1, 'settled');
    a = await acct();
    eq([a.balance, a.pendingRefund, a.refunds[0].amount], [E(2), E(2), E(2)], 'settle ate into the refund');
    eq(await ledgerOf(user.address), [E('3.7'), E('5.7')], 'ledger total');
    // lock time passes
    await provider.send('evm_increaseTime', [3601]);
    await provider.send('evm_mine', []);
    const lb = await bal(ledgerAddr);
    await send(lu.retrieveFund([prov.address], SVC));
    a = await acct();
    eq([a.balance, a.pendingRefund, a.refunds.length, a.validRefundsLength], [0n, 0n, 0, 0n], 'refund paid out');
    eq(await ledgerOf(user.address), [E('5.7'), E('5.7')], 'ledger available back');
    eq((await bal(ledgerAddr)) - lb, E(2), 'ETH back in ledger');
    eq(await bal(servingAddr), E(250), 'serving holds only the stakes');
    await expectRevert(lu.retrieveFund(Array(21).fill(prov.address), SVC), 'TooManyProviders', [21n, 20n]);
    // now the user may revoke the acknowledgement (balance 0)
    await send(serving.connect(user).acknowledgeTEESigner(prov.address, false));
    eq((await acct()).acknowledged, false, 'ack revoked');
  });

  await check('settlement PARTIAL: fee above the balance settles what is there', async () => {
    await send(ledger.connect(user).transferFund(prov.address, SVC, E(1))); // re-acknowledges
    eq((await acct()).acknowledged, true, 'deposit re-acknowledged');
    const s = await settlement({ nonce: 20n, totalFee: E('1.25') });
    const [, , pu, pa] = await serving.connect(prov).previewSettlementResults([s]);
    eq([pu, pa], [[user.address], [E('0.25')]], 'preview partial');
    const rc = await send(serving.connect(prov).settleFeesWithTEE([s]));
    const ev = rc.logs.map((l) => serving.interface.parseLog(l)).find((x) => x?.name === 'TEESettlementResult');
    eq([ev.args[1], ev.args[2]], [1n, E('0.25')], 'PARTIAL 0.25 unsettled');
    eq((await acct()).balance, 0n, 'drained');
    eq(await ledgerOf(user.address), [E('4.7'), E('4.7')], 'ledger');
  });

  await check('refund: keep >= 3 0G or go to zero; exact wallet credit; zero total deletes ledger and sub-accounts (generation kept)', async () => {
    const lu = ledger.connect(user);
    await expectRevert(lu.refund(E(2)), 'MinimumDepositRequired', [E('2.7'), E(3)]);
    await expectRevert(lu.refund(E(5)), 'InsufficientBalance', [user.address]);
    let ub = await bal(user.address);
    let rc = await send(lu.refund(E('1.7')));
    eq((await bal(user.address)) - ub + gasCost(rc), E('1.7'), 'wallet credit');
    eq(await ledgerOf(user.address), [E(3), E(3)], 'ledger');
    ub = await bal(user.address);
    rc = await send(lu.refund(E(3)));
    eq((await bal(user.address)) - ub + gasCost(rc), E(3), 'wallet credit 2');
    await expectRevert(lu.getLedger(user.address), 'LedgerNotExists', [user.address]);
    eq(await serving.accountExists(user.address, prov.address), false, 'sub-account deleted');
    await expectRevert(serving.getAccount(user.address, prov.address), 'AccountNotExists', [user.address, prov.address]);
    eq(await bal(ledgerAddr), 0n, 'ledger ETH');
    // re-create: generation and settlement nonce survive
    await send(lu.addLedger('info', { value: E(3) }));
    await send(lu.transferFund(prov.address, SVC, E(1)));
    const a = await acct();
    eq([a.generation, a.nonce, a.balance, a.revokedBitmap, a.additionalInfo], [1n, 20n, E(1), 0n, 'info'], 'recreated account');
  });

  await check('deleteLedger needs zero total; direct ETH to ledger/serving rejected (DirectDepositsDisabled)', async () => {
    await expectRevert(ledger.connect(user).deleteLedger(), 'MustWithdrawAllFundsFirst', [E(3)]);
    await expectRevert(user.sendTransaction({ to: ledgerAddr, value: 1n }), 'DirectDepositsDisabled', []);
    await expectRevert(user.sendTransaction({ to: servingAddr, value: 1n }), 'DirectDepositsDisabled', []);
    await expectRevert(serving.connect(user).updateLockTime(7200), 'OwnableUnauthorizedAccount', [user.address]);
    await expectRevert(serving.updateLockTime(8 * 86400), 'LockTimeOutOfRange', [691200n, 3600n, 604800n]);
    await send(serving.updateLockTime(7200));
    eq(await serving.lockTime(), 7200n, 'lockTime');
  });

  await check('removeService returns the stake', async () => {
    const pb = await bal(prov2.address);
    const rc = await send(serving.connect(prov2).removeService());
    eq((await bal(prov2.address)) - pb + gasCost(rc), E(150), 'stake back');
    eq(await serving.serviceExists(prov2.address), false, 'gone');
    await expectRevert(serving.connect(prov2).removeService(), 'ServiceNotExist', [prov2.address]);
    eq((await serving.getAllServices(0, 50))[1], 1n, 'total');
  });
}

const t0 = Date.now();
try {
  await withTimeout(main(), 240000, 'whole test');
} catch (e) {
  failed++;
  console.log(`FAIL harness: ${e && e.stack ? e.stack.split('\n').slice(0, 4).join(' | ') : e}`);
} finally {
  stopAnvil();
}
console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
