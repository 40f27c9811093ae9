// The official TS SDK's KV batch encoder (StreamDataBuilder.build(true).encode(), sorted) on the
// batches of bench_kv.cpp's bm_encode_small/N: N writes of a 16-byte key and a 64-byte value.
//   node benchmarks/kv/bench_kv_sdk.mjs      (from the repository root; the SDK is in tools/fixtures)
import { createRequire } from 'module';
import path from 'node:path';

const require = createRequire((process.env.ZEROG_FIXTURES_DIR || path.resolve('tools/fixtures')) + '/package.json');
const sdk = require('@0gfoundation/0g-ts-sdk');
const stream = '0x42' + '00'.repeat(30) + '01';
for (const n of [1, 16, 256, 4096]) {
  const b = new sdk.StreamDataBuilder(2n ** 64n - 1n);
  for (let i = 0; i < n; i++) {
    const key = Buffer.alloc(16), value = Buffer.alloc(64);
    for (let j = 0; j < 16; j++) key[j] = (i * 7 + j * 13 + 1) & 255;
    key[0] = (i >> 8) & 255;
    key[1] = i & 255;
    for (let j = 0; j < 64; j++) value[j] = (i + j + 1) & 255;
    b.set(stream, key, value);
  }
  let iters = 0;
  const t0 = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - t0) < 1e9 || iters < 3) {
    b.build(true).encode();
    iters++;
  }
  const us = Number(process.hrtime.bigint() - t0) / iters / 1000;
  console.log(`bm_encode_small/${n}: ${us.toFixed(2)} us per batch`);
}
