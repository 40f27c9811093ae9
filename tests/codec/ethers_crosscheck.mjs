// Cross-check zerog's ABI codec and transaction signing/decoding against ethers 6.
//
//   node ethers_crosscheck.mjs <path to codec_tool>
//
// * ABI: random nested types and values; ethers.AbiCoder encodes, zerog must produce the same
//   bytes and decode ethers' bytes back to the same values (and ethers decodes ours).
// * Transactions: random legacy (EIP-155), EIP-2930 and EIP-1559 transactions with freshly
//   generated keys. zerog signs → ethers Transaction.from(raw) must give the same fields and
//   sender, and the raw bytes must equal ethers' own signature (RFC 6979 is deterministic); ethers
//   signs → zerog decodes the same fields, sender and hash.
// * Sender public keys (chain/sender_key.hpp): every ethers-signed transaction above, plus
//   pre-EIP-155 legacy ones, presented as a node's eth_getTransactionByHash object; zerog's
//   recovered compressed key must equal the one ethers recovers (Transaction.fromPublicKey) and
//   the wallet's own; a tampered field must not yield a key.
// Deterministic PRNG (seed below) so a failure reproduces. Last line: "N passed, N failed".
import { createRequire } from 'module';
import { spawnSync } from 'child_process';

const require = createRequire((process.env.ZEROG_FIXTURES_DIR || 'tools/fixtures') + '/package.json');
const { ethers } = require('ethers');

const tool = process.argv[2];
if (!tool) { console.error('usage: ethers_crosscheck.mjs <codec_tool>'); process.exit(2); }

// --- deterministic randomness (xorshift128+) ---
let s0 = 0x9e3779b97f4a7c15n, s1 = 0xbf58476d1ce4e5b9n;
const M64 = (1n << 64n) - 1n;
function next64() {
  let x = s0; const y = s1; s0 = y;
  x ^= (x << 23n) & M64; x ^= x >> 17n; x ^= y ^ (y >> 26n); s1 = x;
  return (s0 + s1) & M64;
}
const rnd = (n) => Number(next64() % BigInt(n));
const rbytes = (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; ++i) b[i] = rnd(256); return b; };
const rhex = (n) => ethers.hexlify(rbytes(n));
const rbig = (bits) => { if (bits === 0) return 0n; let v = 0n; for (let i = 0; i < bits; i += 64) v = (v << 64n) | next64(); return v & ((1n << BigInt(bits)) - 1n); };

// --- random ABI types and values ---
function randType(depth) {
  const leafs = ['uint', 'int', 'address', 'bool', 'bytesN', 'bytes', 'string'];
  const pick = depth >= 3 ? rnd(7) : rnd(10);
  if (pick < 7) {
    const k = leafs[pick];
    if (k === 'uint' || k === 'int') return { k, bits: 8 * (1 + rnd(32)) };
    if (k === 'bytesN') return { k, n: 1 + rnd(32) };
    return { k };
  }
  if (pick === 7) return { k: 'array', elem: randType(depth + 1) };
  if (pick === 8) return { k: 'fixed', elem: randType(depth + 1), len: rnd(4) };
  const members = []; const n = 1 + rnd(4);
  for (let i = 0; i < n; ++i) members.push(randType(depth + 1));
  return { k: 'tuple', members };
}
function typeStr(t) {
  switch (t.k) {
    case 'uint': return 'uint' + t.bits;
    case 'int': return 'int' + t.bits;
    case 'bytesN': return 'bytes' + t.n;
    case 'array': return typeStr(t.elem) + '[]';
    case 'fixed': return typeStr(t.elem) + '[' + t.len + ']';
    case 'tuple': return '(' + t.members.map(typeStr).join(',') + ')';
    default: return t.k;
  }
}
const strings = ['', 'a', 'héllo ✓ 0G', 'x'.repeat(33), 'the quick brown fox jumps over the lazy dog, twice: the quick brown fox'];
function randValue(t) {
  switch (t.k) {
    case 'uint': { const e = rnd(4); return e === 0 ? 0n : e === 1 ? (1n << BigInt(t.bits)) - 1n : rbig(t.bits); }
    case 'int': {
      const e = rnd(4); const half = 1n << BigInt(t.bits - 1);
      if (e === 0) return -half; if (e === 1) return half - 1n;
      return rbig(t.bits) - half;
    }
    case 'address': return ethers.getAddress(rhex(20));
    case 'bool': return rnd(2) === 1;
    case 'bytesN': return rhex(t.n);
    case 'bytes': return rhex(rnd(70));
    case 'string': return strings[rnd(strings.length)];
    case 'array': { const n = rnd(4); const a = []; for (let i = 0; i < n; ++i) a.push(randValue(t.elem)); return a; }
    case 'fixed': { const a = []; for (let i = 0; i < t.len; ++i) a.push(randValue(t.elem)); return a; }
    case 'tuple': return t.members.map(randValue);
  }
}
// JSON form for codec_tool, and a normalized form for comparisons.
function toTool(t, v) {
  switch (t.k) {
    case 'uint': case 'int': return v.toString();
    case 'array': case 'fixed': return v.map((e) => toTool(t.elem, e));
    case 'tuple': return v.map((e, i) => toTool(t.members[i], e));
    default: return v;
  }
}
function norm(t, v) {
  switch (t.k) {
    case 'uint': case 'int': return BigInt(v).toString();
    case 'address': case 'bytesN': case 'bytes': return String(v).toLowerCase();
    case 'bool': return v === true;
    case 'string': return v;
    case 'array': case 'fixed': return Array.from(v).map((e) => norm(t.elem, e));
    case 'tuple': return Array.from(v).map((e, i) => norm(t.members[i], e));
  }
}

// --- random transactions ---
function randTx() {
  const type = [0, 1, 2][rnd(3)];
  const chainIds = [1n, 16602n, 16661n, 31337n, BigInt(1 + rnd(2 ** 31))];
  const tx = {
    type, chainId: chainIds[rnd(chainIds.length)], nonce: rnd(3) === 0 ? 0 : rnd(2 ** 31),
    gasLimit: BigInt(21000 + rnd(10000000)), to: rnd(5) === 0 ? null : ethers.getAddress(rhex(20)),
    value: rnd(3) === 0 ? 0n : rbig(1 + rnd(100)), data: rhex(rnd(3) === 0 ? 0 : rnd(200)),
  };
  if (type !== 2) tx.gasPrice = rbig(1 + rnd(60));
  else { tx.maxFeePerGas = rbig(1 + rnd(60)); tx.maxPriorityFeePerGas = tx.maxFeePerGas === 0n ? 0n : rbig(64) % (tx.maxFeePerGas + 1n); }
  if (type !== 0) {
    tx.accessList = [];
    for (let i = rnd(3); i > 0; --i) {
      const keys = []; for (let j = rnd(3); j > 0; --j) keys.push(rhex(32));
      tx.accessList.push({ address: ethers.getAddress(rhex(20)), storageKeys: keys });
    }
  }
  return tx;
}
const txToTool = (tx) => {
  const o = {};
  for (const [k, v] of Object.entries(tx)) o[k] = typeof v === 'bigint' || typeof v === 'number' ? v.toString() : v;
  o.type = tx.type;
  return o;
};
function txNorm(tx) {  // from an ethers Transaction or codec_tool's tx JSON
  const big = (v) => (v === null || v === undefined ? '0' : BigInt(v).toString());
  const o = {
    type: Number(tx.type), chainId: big(tx.chainId), nonce: big(tx.nonce), gasLimit: big(tx.gasLimit),
    to: tx.to ? tx.to.toLowerCase() : null, value: big(tx.value), data: String(tx.data).toLowerCase(),
  };
  if (o.type !== 2) o.gasPrice = big(tx.gasPrice);
  else { o.maxFeePerGas = big(tx.maxFeePerGas); o.maxPriorityFeePerGas = big(tx.maxPriorityFeePerGas); }
  if (o.type !== 0) {
    o.accessList = (tx.accessList || []).map((e) => ({ address: e.address.toLowerCase(), storageKeys: e.storageKeys.map((k) => k.toLowerCase()) }));
  }
  return JSON.stringify(o);
}

// --- build all requests, run codec_tool once ---
const coder = ethers.AbiCoder.defaultAbiCoder();
const abiCases = [];
for (let i = 0; i < 60; ++i) {
  const n = 1 + rnd(4); const types = [];
  for (let j = 0; j < n; ++j) types.push(randType(0));
  const tuple = { k: 'tuple', members: types };
  const values = types.map(randValue);
  const strs = types.map(typeStr);
  abiCases.push({ tuple, values, strs, encoded: coder.encode(strs, values) });
}
const wallets = [];
for (let i = 0; i < 4; ++i) wallets.push(new ethers.Wallet(ethers.hexlify(ethers.randomBytes(32))));  // generated test keys
const txCases = [];
for (let i = 0; i < 50; ++i) {
  const w = wallets[i % wallets.length]; const tx = randTx();
  txCases.push({ w, tx, ethersRaw: await w.signTransaction(tx) });
}

const requests = [];
for (const c of abiCases) {
  const types = typeStr(c.tuple);
  requests.push({ op: 'abi_encode', types, values: toTool(c.tuple, c.values) });
  requests.push({ op: 'abi_decode', types, hex: c.encoded });
}
for (const c of txCases) {
  requests.push({ op: 'sign_tx', key: c.w.privateKey, tx: txToTool(c.tx) });
  requests.push({ op: 'decode_tx', raw: c.ethersRaw });
}
const run = spawnSync(tool, [], { input: requests.map((r) => JSON.stringify(r)).join('\n') + '\n', maxBuffer: 1 << 28 });
if (run.status !== 0) { console.error('codec_tool failed', run.status, String(run.stderr)); console.log('0 passed, 1 failed'); process.exit(1); }
const responses = String(run.stdout).trim().split('\n').map((l) => JSON.parse(l));

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) { ++passed; return; }
  ++failed; console.error('FAIL', name, detail || '');
}

let r = 0;
for (const [i, c] of abiCases.entries()) {
  const enc = responses[r++]; const dec = responses[r++];
  const want = JSON.stringify(norm(c.tuple, c.values));
  const types = typeStr(c.tuple);
  check(`abi ${i} encode ${types}`, enc.ok && enc.hex === c.encoded, enc.ok ? `\n ours   ${enc.hex}\n ethers ${c.encoded}` : enc.error);
  check(`abi ${i} decode ${types}`, dec.ok && JSON.stringify(norm(c.tuple, dec.values)) === want, dec.ok ? JSON.stringify(dec.values) : dec.error);
  if (enc.ok) {
    let back;
    try { back = JSON.stringify(norm(c.tuple, coder.decode(c.strs, enc.hex))); } catch (e) { back = String(e); }
    check(`abi ${i} ethers decodes ours`, back === want, back);
  }
}
for (const [i, c] of txCases.entries()) {
  const signed = responses[r++]; const dec = responses[r++];
  const want = txNorm({ ...c.tx, data: c.tx.data });
  if (!signed.ok) check(`tx ${i} sign (type ${c.tx.type})`, false, signed.error);
  else {
    let parsed = null;
    try { parsed = ethers.Transaction.from(signed.raw); } catch (e) { check(`tx ${i} ethers parses ours`, false, String(e)); }
    if (parsed) {
      check(`tx ${i} ethers parses ours (type ${c.tx.type})`, txNorm(parsed) === want && parsed.from === c.w.address && parsed.hash === signed.hash &&
        signed.from === c.w.address, `\n ${txNorm(parsed)}\n ${want}\n from ${parsed.from} vs ${c.w.address} / ${signed.from}`);
      check(`tx ${i} same bytes as ethers' signature`, signed.raw === c.ethersRaw, `\n ours   ${signed.raw}\n ethers ${c.ethersRaw}`);
    }
  }
  check(`tx ${i} we decode ethers' (type ${c.tx.type})`, dec.ok && txNorm(dec.tx) === want && dec.from === c.w.address && dec.hash === ethers.keccak256(c.ethersRaw),
    dec.ok ? `\n ${txNorm(dec.tx)}\n ${want}` : dec.error);
}

// --- sender public keys from eth_getTransactionByHash-shaped objects ---
const q = (v) => ethers.toQuantity(v);
function rpcJson(t, i) {  // what a geth-like node answers for the signed ethers Transaction `t`
  const o = {
    type: q(t.type), nonce: q(t.nonce), gas: q(t.gasLimit), to: t.to ? t.to.toLowerCase() : null, value: q(t.value), input: t.data,
    r: q(t.signature.r), s: q(t.signature.s), hash: t.hash, from: i % 2 ? t.from : t.from.toLowerCase(),
    blockHash: null, blockNumber: null, transactionIndex: null,
  };
  if (t.type === 0) {
    o.gasPrice = q(t.gasPrice);
    o.v = q(t.chainId === 0n ? t.signature.v : t.signature.networkV);
    if (t.chainId !== 0n) o.chainId = q(t.chainId);
  } else {
    o.chainId = q(t.chainId);
    o.accessList = t.accessList.map((e) => ({ address: e.address.toLowerCase(), storageKeys: e.storageKeys }));
    o.yParity = q(t.signature.yParity);
    if (i % 3) o.v = o.yParity;  // most nodes send v too; some only v
    if (i % 5 === 1) { o.v = o.yParity; delete o.yParity; }
    if (t.type === 1) o.gasPrice = q(t.gasPrice);
    else { o.maxPriorityFeePerGas = q(t.maxPriorityFeePerGas); o.maxFeePerGas = q(t.maxFeePerGas); o.gasPrice = q(t.maxFeePerGas); }
  }
  return o;
}
const keyCases = txCases.map((c) => ({ w: c.w, raw: c.ethersRaw }));
for (let i = 0; i < 6; ++i) {  // pre-EIP-155 legacy: v = 27/28, no chain id signed
  const w = wallets[i % wallets.length];
  const tx = { ...randTx(), type: 0, chainId: 0n, gasPrice: rbig(40) };
  delete tx.accessList; delete tx.maxFeePerGas; delete tx.maxPriorityFeePerGas;
  keyCases.push({ w, raw: await w.signTransaction(tx) });
}
const keyReqs = keyCases.map((c, i) => ({ op: 'sender_key', tx: rpcJson(ethers.Transaction.from(c.raw), i) }));
const tampered = keyReqs.slice(0, 6).map((r) => ({ op: 'sender_key', tx: { ...r.tx, value: q(BigInt(r.tx.value) + 1n) } }));
const kr = spawnSync(tool, [], { input: keyReqs.concat(tampered).map((x) => JSON.stringify(x)).join('\n') + '\n', maxBuffer: 1 << 28 });
const keyAnswers = String(kr.stdout).trim().split('\n').map((l) => JSON.parse(l));
check('sender_key answers', kr.status === 0 && keyAnswers.length === keyReqs.length + tampered.length, String(kr.stderr));
for (const [i, c] of keyCases.entries()) {
  const t = ethers.Transaction.from(c.raw);
  const theirs = ethers.SigningKey.computePublicKey(t.fromPublicKey, true);
  const ours = keyAnswers[i] || {};
  check(`sender key ${i} (type ${t.type}${t.type === 0 && t.chainId === 0n ? ', pre-EIP-155' : ''})`,
    ours.ok && ours.publicKey === theirs && theirs === c.w.signingKey.compressedPublicKey,
    ours.ok ? `\n ours   ${ours.publicKey}\n ethers ${theirs}\n wallet ${c.w.signingKey.compressedPublicKey}` : ours.error);
}
for (const [i, a] of keyAnswers.slice(keyReqs.length).entries())
  check(`sender key of a tampered answer ${i} refused`, a.ok === false && /recovers to/.test(a.error), JSON.stringify(a));

// A few hostile inputs that both sides must reject (ethers is laxer on some; we only require ours).
const hostile = [
  { op: 'abi_decode', types: '(bytes)', hex: '0x' + (0x40).toString(16).padStart(64, '0') + '0'.repeat(64) },
  { op: 'abi_decode', types: '(bool)', hex: '0x' + '2'.padStart(64, '0') },
  { op: 'decode_tx', raw: txCases[0].ethersRaw + '00' },
];
const hr = spawnSync(tool, [], { input: hostile.map((x) => JSON.stringify(x)).join('\n') + '\n' });
String(hr.stdout).trim().split('\n').forEach((l, i) => check(`hostile ${i} rejected`, JSON.parse(l).ok === false, l));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
