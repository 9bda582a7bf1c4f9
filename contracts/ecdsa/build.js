// Compiles ECDSAStakeRegistry.sol with the pinned solc (package.json) and writes its ABI and
// deployment bytecode beside it. With --check it writes nothing and exits 1 when the committed
// files differ from what the source compiles to.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const dir = __dirname;
const name = 'ECDSAStakeRegistry';
const input = {
  language: 'Solidity',
  sources: { [`${name}.sol`]: { content: fs.readFileSync(path.join(dir, `${name}.sol`), 'utf8') } },
  settings: {
    evmVersion: 'paris',
    optimizer: { enabled: true, runs: 200 },
    // No metadata hash: the bytecode depends on the source and the compiler alone.
    metadata: { bytecodeHash: 'none', appendCBOR: false },
    outputSelection: { '*': { [name]: ['abi', 'evm.bytecode.object'] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === 'error');
if (errors.length > 0) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const c = out.contracts[`${name}.sol`][name];
const files = {
  [`${name}.abi.json`]: JSON.stringify(c.abi, null, 2) + '\n',
  [`${name}.bin`]: c.evm.bytecode.object + '\n',
};
const check = process.argv.includes('--check');
let stale = false;
for (const [f, want] of Object.entries(files)) {
  const p = path.join(dir, f);
  if (check) {
    const have = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
    if (have !== want) {
      console.error(`${f} differs from what ${name}.sol compiles to with solc ${solc.version()}: run make contracts`);
      stale = true;
    }
  } else {
    fs.writeFileSync(p, want);
  }
}
process.exit(stale ? 1 : 0);
