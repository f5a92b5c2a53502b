#!/usr/bin/env node
// Compiles contracts/src with the pinned solc-js and writes contracts/build/.
//   node contracts/compile.js          write artifacts
//   node contracts/compile.js --check  exit 1 if committed artifacts differ from what the sources give
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const ROOT = path.resolve(__dirname, "..");
const SRC = path.join(__dirname, "src");
const BUILD = path.join(__dirname, "build");
const SETTINGS = {
  optimizer: { enabled: true, runs: 1000000 },
  evmVersion: "cancun",
  viaIR: true,
  metadata: { bytecodeHash: "ipfs" },
  outputSelection: {
    "*": {
      "*": [
        "abi",
        "evm.bytecode.object",
        "evm.deployedBytecode.object",
        "evm.deployedBytecode.immutableReferences",
        "metadata",
      ],
    },
  },
};

function listSources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listSources(full);
    return entry.name.endsWith(".sol") ? [full] : [];
  });
}

function findImports(importPath) {
  const candidate = path.join(ROOT, "node_modules", importPath);
  if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  return { error: `import not found: ${importPath}` };
}

function run(input, callbacks) {
  const output = JSON.parse(solc.compile(JSON.stringify(input), callbacks));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  // Our own diagnostics only: library warnings (OpenZeppelin's transient-storage note) are known.
  for (const e of output.errors || []) {
    const own = (e.sourceLocation?.file || "contracts/").startsWith("contracts/");
    if (e.severity === "error" || own) process.stderr.write(e.formattedMessage + "\n");
  }
  if (errors.length) process.exit(1);
  return output;
}

function compile() {
  const sources = {};
  for (const file of listSources(SRC).sort()) {
    const key = path.relative(ROOT, file).split(path.sep).join("/");
    sources[key] = { content: fs.readFileSync(file, "utf8") };
  }
  // First pass: find every source the compiler reads (ours and OpenZeppelin's).
  const parseOnly = { ...SETTINGS, outputSelection: { "*": { "": ["ast"] } } };
  const found = run({ language: "Solidity", sources, settings: parseOnly }, { import: findImports });
  // A self-contained standard-JSON input: every source the compiler read, inlined. The artifacts are
  // compiled from exactly this input, so anyone recompiling it gets the same bytecode (the via-IR
  // optimizer's output depends on the set and order of source units).
  const allSources = {};
  for (const key of Object.keys(found.sources).sort()) {
    allSources[key] = sources[key] || { content: findImports(key).contents };
  }
  const standardInput = { language: "Solidity", sources: allSources, settings: SETTINGS };
  const output = run(standardInput, {});
  const files = { "standard-input.json": standardInput };
  for (const [source, contracts] of Object.entries(output.contracts)) {
    if (!source.startsWith("contracts/")) continue;
    for (const [name, c] of Object.entries(contracts)) {
      if (!c.evm.bytecode.object) continue; // interfaces
      files[`${name}.json`] = {
        contractName: name,
        sourceName: source,
        compiler: { solc: solc.version(), settings: SETTINGS },
        abi: c.abi,
        bytecode: "0x" + c.evm.bytecode.object,
        deployedBytecode: "0x" + c.evm.deployedBytecode.object,
        immutableReferences: c.evm.deployedBytecode.immutableReferences || {},
        metadata: c.metadata,
      };
    }
  }
  const rendered = {};
  for (const [name, value] of Object.entries(files)) rendered[name] = JSON.stringify(value, null, 1) + "\n";
  return rendered;
}

function main() {
  const check = process.argv.includes("--check");
  const rendered = compile();
  if (check) {
    const stale = Object.keys(rendered).filter((name) => {
      const file = path.join(BUILD, name);
      return !fs.existsSync(file) || fs.readFileSync(file, "utf8") !== rendered[name];
    });
    const extra = fs.existsSync(BUILD)
      ? fs.readdirSync(BUILD).filter((name) => name.endsWith(".json") && !(name in rendered))
      : [];
    if (stale.length || extra.length) {
      process.stderr.write(
        `contracts/build is not what the sources compile to: ${[...stale, ...extra].join(", ")}\n` +
          "run `npm run build` and commit contracts/build\n",
      );
      process.exit(1);
    }
    process.stdout.write(`contracts/build matches sources (solc ${solc.version()})\n`);
    return;
  }
  fs.mkdirSync(BUILD, { recursive: true });
  for (const [name, text] of Object.entries(rendered)) fs.writeFileSync(path.join(BUILD, name), text);
  process.stdout.write(`wrote ${Object.keys(rendered).length} files to contracts/build (solc ${solc.version()})\n`);
}

main();
