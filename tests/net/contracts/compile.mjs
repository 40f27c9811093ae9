// Compile a Solidity file with the npm solc (solcjs) from the fixtures directory.
//   node compile.mjs <fixtures_dir> <source.sol> <ContractName> <out.json>
// Writes {"abi": [...], "bytecode": "0x..."} (creation code). Exit code 1 with the compiler's
// errors on stderr when compilation fails.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { basename, resolve } from "node:path";

const [fixtures, source, name, out] = process.argv.slice(2);
if (!fixtures || !source || !name || !out) {
  console.error("usage: node compile.mjs <fixtures_dir> <source.sol> <ContractName> <out.json>");
  process.exit(2);
}
const require = createRequire(resolve(fixtures, "package.json"));
const solc = require("solc");
const file = basename(source);
const input = {
  language: "Solidity",
  sources: { [file]: { content: readFileSync(source, "utf8") } },
  settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const c = output.contracts[file][name];
if (!c) {
  console.error(`contract ${name} not found in ${file}`);
  process.exit(1);
}
const tmp = out + ".tmp" + process.pid;
writeFileSync(tmp, JSON.stringify({ abi: c.abi, bytecode: "0x" + c.evm.bytecode.object, solc: solc.version() }));
renameSync(tmp, out);  // atomic: a concurrent reader never sees half a file
