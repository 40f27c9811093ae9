// Cross-check of zerog's secp256k1 signers, EIP-191 and V3 keystores against ethers 6.13.1.
//
// Usage: node ethers_crosscheck.mjs <crypto_tool> [cases]   (env ZEROG_FIXTURES_DIR -> tools/fixtures)
// For each random key + message (empty, unicode, long, random bytes): our compressed public key
// equals ethers' (and decompresses to the address), our signature (libsecp256k1
// and Crypto++) equals ethers' signMessage, ethers.verifyMessage accepts ours, we recover ethers'
// signature to its address, and a one-byte tamper does not verify. Then keystores both ways.
// Requests are batched into one crypto_tool run per phase. Last line: "N passed, N failed".
import {createRequire} from 'module';
import {spawnSync} from 'child_process';
import crypto from 'crypto';

const require = createRequire((process.env.ZEROG_FIXTURES_DIR || 'tools/fixtures') + '/package.json');
const {ethers} = require('ethers');

const tool = process.argv[2];
const ncases = Number(process.argv[3] || 200);
let passed = 0, failed = 0;
function check(name, ok, detail) {
    if (ok) { passed++; return; }
    failed++;
    console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`);
}

function runTool(requests) {
    const input = requests.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const p = spawnSync(tool, [], {input, encoding: 'utf8', maxBuffer: 1 << 28});
    if (p.status !== 0) throw new Error(`crypto_tool exited ${p.status}: ${p.stderr}`);
    const lines = p.stdout.trim().split('\n');
    if (lines.length !== requests.length) throw new Error(`expected ${requests.length} answers, got ${lines.length}`);
    return lines.map((l) => JSON.parse(l));
}

// Deterministic PRNG so a failure is reproducible (seed printed).
const seed = Number(process.env.ZEROG_CROSSCHECK_SEED || Date.now() % 1e9);
let state = BigInt(seed) | 1n;
function rnd32() { state = (state * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n); return Number(state >> 32n); }
function randBytes(n) { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = rnd32() & 255; return b; }
function randKey() {
    for (;;) {
        const k = ethers.hexlify(randBytes(32));
        const v = BigInt(k);
        if (v > 0n && v < 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n) return k;
    }
}
const fixedMessages = [
    '', 'hello', 'Hello, world', '\u{1F600} ünïcödé ✓ 中文', 'x'.repeat(1000), 'line\nbreak\r\n\t', '\u0000\u0019',
];
function message(i) {
    if (i < fixedMessages.length) return ethers.toUtf8Bytes(fixedMessages[i]);
    switch (i % 4) {
    case 0: return randBytes(rnd32() % 64);
    case 1: return randBytes(32);  // like a session-token keccak
    case 2: return ethers.toUtf8Bytes('m' + i + ' ' + 'é'.repeat(rnd32() % 50));
    default: return randBytes(1000 + rnd32() % 5000);
    }
}

console.log(`seed ${seed}, ${ncases} signing cases`);
// ---------------------------------------------------------------------------------------------
// 1. signatures
const cases = [];
for (let i = 0; i < ncases; i++) {
    const key = i === 0 ? '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' : randKey();  // anvil #0, then random
    const wallet = new ethers.Wallet(key);
    const msg = message(i);
    cases.push({key, wallet, msg, theirs: wallet.signMessageSync(msg)});
}
const signAnswers = runTool(cases.map((c) => ({op: 'sign', key: c.key, msg: ethers.hexlify(c.msg)})));
// recover theirs, and a tampered copy of theirs (flip one bit of s)
const tampered = cases.map((c) => {
    const b = ethers.getBytes(c.theirs);
    b[40] ^= 0x10;
    return ethers.hexlify(b);
});
const recAnswers = runTool(cases.flatMap((c, i) => [
    {op: 'recover', msg: ethers.hexlify(c.msg), sig: c.theirs},
    {op: 'recover', msg: ethers.hexlify(c.msg), sig: tampered[i]},
]));
cases.forEach((c, i) => {
    const a = signAnswers[i], r = recAnswers[2 * i], t = recAnswers[2 * i + 1];
    const name = `case ${i} (msg ${c.msg.length} bytes)`;
    const problems = [];
    if (a.error) problems.push('sign error ' + a.error);
    else {
        if (a.address !== c.wallet.address || a.address_cryptopp !== c.wallet.address) problems.push(`address ${a.address}/${a.address_cryptopp} != ${c.wallet.address}`);
        if (a.publicKey !== c.wallet.signingKey.compressedPublicKey) problems.push(`compressed public key ${a.publicKey} != ${c.wallet.signingKey.compressedPublicKey}`);
        if (a.address_of_public_key !== c.wallet.address) problems.push(`decompressed public key gives ${a.address_of_public_key}`);
        if (a.sig !== c.theirs) problems.push(`libsecp sig ${a.sig} != ethers ${c.theirs}`);
        if (a.sig_cryptopp !== c.theirs) problems.push(`crypto++ sig ${a.sig_cryptopp} != ethers ${c.theirs}`);
        let v = null;
        try { v = ethers.verifyMessage(c.msg, a.sig); } catch (e) { v = 'throws ' + e.message; }
        if (v !== c.wallet.address) problems.push(`ethers.verifyMessage(ours) = ${v}`);
    }
    if (r.error || r.address !== c.wallet.address || r.address_cryptopp !== c.wallet.address)
        problems.push(`recover(theirs) = ${JSON.stringify(r)}`);
    if (!t.error && t.address === c.wallet.address) problems.push('tampered signature still recovers the signer');
    if (!t.error && t.address !== t.address_cryptopp) problems.push('libsecp/crypto++ disagree on a tampered signature');
    check(name, problems.length === 0, problems.join('; '));
});

// ---------------------------------------------------------------------------------------------
// 2. keystores: ethers -> zerog, zerog -> ethers, wrong password both ways
const ksCases = [];
const passwords = ['correct horse battery staple', '', 'pässwörd ✓', 'p'.repeat(100)];
for (let i = 0; i < 6; i++) {
    const key = i === 0 ? '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' : randKey();
    const wallet = new ethers.Wallet(key);
    const password = passwords[i % passwords.length];
    const json = await ethers.encryptKeystoreJson({address: wallet.address, privateKey: key}, password,
        {scrypt: {N: 1024, r: 8, p: 1}});
    ksCases.push({key, wallet, password, json});
}
const pbkdf2Json = (() => {  // ethers cannot write pbkdf2; build one with Node's OpenSSL
    const key = ksCases[1].key, password = 'pbkdf2 pw';
    const salt = crypto.randomBytes(32), iv = crypto.randomBytes(16);
    const dk = crypto.pbkdf2Sync(Buffer.from(password), salt, 4096, 32, 'sha256');
    const c = crypto.createCipheriv('aes-128-ctr', dk.subarray(0, 16), iv);
    const ct = Buffer.concat([c.update(Buffer.from(key.slice(2), 'hex')), c.final()]);
    const mac = ethers.keccak256(Buffer.concat([dk.subarray(16, 32), ct])).slice(2);
    return {key, password, json: JSON.stringify({version: 3, id: crypto.randomUUID(), crypto: {cipher: 'aes-128-ctr',
        cipherparams: {iv: iv.toString('hex')}, ciphertext: ct.toString('hex'), kdf: 'pbkdf2',
        kdfparams: {c: 4096, dklen: 32, prf: 'hmac-sha256', salt: salt.toString('hex')}, mac}})};
})();
const ksAnswers = runTool([
    ...ksCases.map((c) => ({op: 'decrypt', json: c.json, password: c.password})),
    ...ksCases.map((c) => ({op: 'decrypt', json: c.json, password: c.password + 'x'})),
    ...ksCases.map((c) => ({op: 'encrypt', key: c.key, password: c.password, n: 1024})),
    {op: 'decrypt', json: pbkdf2Json.json, password: pbkdf2Json.password},
]);
const K = ksCases.length;
for (let i = 0; i < K; i++) {
    const c = ksCases[i];
    const dec = ksAnswers[i];
    check(`ethers keystore ${i} decrypts here`, !dec.error && dec.key === c.key && dec.address === c.wallet.address, JSON.stringify(dec));
    const wrong = ksAnswers[K + i];
    check(`ethers keystore ${i} wrong password rejected`, wrong.error && /MAC mismatch/.test(wrong.code) &&
        !wrong.error.includes(c.key.slice(2, 10)), JSON.stringify(wrong));
    const enc = ksAnswers[2 * K + i];
    let ok = false, detail = '';
    try {
        const acct = await ethers.decryptKeystoreJson(enc.json, c.password);
        ok = acct.privateKey === c.key && acct.address === c.wallet.address;
        detail = acct.address;
        let rejected = false;
        try { await ethers.decryptKeystoreJson(enc.json, c.password + 'x'); } catch { rejected = true; }
        if (!rejected) { ok = false; detail = 'ethers accepted a wrong password'; }
    } catch (e) { detail = (enc.error || '') + ' ' + e.message; }
    check(`zerog keystore ${i} decrypts in ethers`, ok, detail);
}
const pb = ksAnswers[3 * K];
check('pbkdf2 keystore (Node OpenSSL) decrypts here', !pb.error && pb.key === pbkdf2Json.key, JSON.stringify(pb));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
