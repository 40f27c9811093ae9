#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Compiles tools/devnet/contracts/*.sol with solcjs (npm `solc`, standard JSON, optimizer on,
// evmVersion cancun) and writes tools/devnet/build/contracts.json.
//
// Artefact shape (all deployable contracts; interfaces and libraries are left out):
//   {
//     "Flow":             { "abi": [ ...standard Solidity JSON ABI... ], "bytecode": "0x…" },
//     "FixedPrice":       { "abi": [...], "bytecode": "0x…" },   // deployed by Flow's constructor
//     "LedgerManager":    { "abi": [...], "bytecode": "0x…" },
//     "InferenceServing": { "abi": [...], "bytecode": "0x…" }
//   }
// "bytecode" is the creation code. To deploy, append the ABI-encoded constructor arguments:
//   Flow(uint256 pricePerSector)                       0 = default 30733644962 wei/sector
//   LedgerManager()
//   InferenceServing(uint256 lockTime, address ledger) lockTime in [3600, 604800]
// then, as the LedgerManager owner: registerService("inference", "v1.0", serving, "…").
//
// Usage: node tools/devnet/compile.mjs [--out FILE]
// Env:   ZEROG_FIXTURES_DIR (default: tools/fixtures next to this directory), SOLC_EVM (default cancun).
import { createRequire } from 'module';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { fileURLToPath } from 'url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CONTRACTS_DIR = join(HERE, 'contracts');
export const DEFAULT_OUT = join(HERE, 'build', 'contracts.json');

export function fixturesDir() {
  return process.env.ZEROG_FIXTURES_DIR || resolve(HERE, '..', 'fixtures');
}

export function compile({ out = DEFAULT_OUT, evmVersion = process.env.SOLC_EVM || 'cancun', quiet = false } = {}) {
  const require = createRequire(join(fixturesDir(), 'package.json'));
  const solc = require('solc');
  const sources = {};
  for (const f of readdirSync(CONTRACTS_DIR).filter((f) => f.endsWith('.sol')).sort()) {
    sources[f] = { content: readFileSync(join(CONTRACTS_DIR, f), 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const t0 = Date.now();
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import: (p) => {
        try {
          return { contents: readFileSync(join(CONTRACTS_DIR, p), 'utf8') };
        } catch {
          return { error: `not found: ${p}` };
        }
      },
    }),
  );
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) {
    if (e.severity === 'error' || !quiet) process.stderr.write((e.formattedMessage || e.message) + '\n');
  }
  if (errors.length) throw new Error(`solc: ${errors.length} error(s)`);
  const result = {};
  for (const [file, contracts] of Object.entries(output.contracts)) {
    for (const [name, c] of Object.entries(contracts)) {
      const code = c.evm?.bytecode?.object;
      if (!code || c.abi.length === 0) continue; // interfaces, abstract contracts, internal libraries
      if (result[name]) throw new Error(`duplicate contract name ${name} (${file})`);
      if (code.length / 2 > 49152) throw new Error(`${name}: init code exceeds EIP-3860 limit`);
      result[name] = { abi: c.abi, bytecode: '0x' + code };
    }
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
  if (!quiet) {
    process.stderr.write(
      `compiled ${Object.keys(result).join(', ')} with solc ${solc.version()} (${evmVersion}) in ${Date.now() - t0} ms -> ${out}\n`,
    );
  }
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  try {
    compile({ out: i > 0 ? resolve(process.argv[i + 1]) : DEFAULT_OUT });
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
