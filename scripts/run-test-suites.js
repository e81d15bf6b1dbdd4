// Runs every workspace's tests through turbo, one package at a time, passing the
// output through, then prints one summary line per suite so a reader of the CI log
// sees at a glance what ran: tests passed/failed/skipped per package (from node
// --test's closing counts, TAP or spec) and the Connect conformance cases.
// Exits with turbo's status.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

// turbo prefixes each line with "<package>:test: "; node --test closes with
// "# pass 12" (TAP) or "ℹ pass 12" (spec).
const countPattern = /^(\S+):test: (?:# |ℹ )(tests|pass|fail|skipped|todo|cancelled) (\d+)\s*$/;
const conformancePattern = /(conformance: \d+ cases, .*)$/;

const turbo = spawn("npx", ["turbo", "run", "test", "--concurrency=1"], {
  stdio: ["ignore", "pipe", "inherit"],
});
const counts = new Map();
const extraLines = [];
for await (const line of createInterface({ input: turbo.stdout })) {
  process.stdout.write(`${line}\n`);
  const count = countPattern.exec(line);
  if (count) {
    const [, suite, name, value] = count;
    counts.set(suite, { ...counts.get(suite), [name]: Number(value) });
  }
  const conformance = conformancePattern.exec(line);
  if (conformance) {
    extraLines.push(conformance[1]);
  }
}
const status = await new Promise((resolve) => turbo.once("close", (code) => resolve(code ?? 1)));

console.log("\nTest summary:");
for (const [suite, c] of counts) {
  const notRun = (c.skipped ?? 0) + (c.todo ?? 0) + (c.cancelled ?? 0);
  console.log(
    `  ${suite}: ${c.tests ?? "?"} tests, ${c.pass ?? 0} passed, ${c.fail ?? 0} failed` +
      (notRun > 0
        ? `, ${c.skipped ?? 0} skipped, ${c.todo ?? 0} todo, ${c.cancelled ?? 0} cancelled`
        : ""),
  );
}
for (const line of extraLines) {
  console.log(`  ${line}`);
}
process.exit(status);
