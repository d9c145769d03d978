#!/usr/bin/env node
// Runs every suite (static checks, vitest unit tests, node-tap netns tests) and ends with
// ONE summary line `N passed, N failed, N skipped` over all of them (CI reads it).
// Exit status is non-zero when anything failed or a runner died without reporting.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';

const totals = { passed: 0, failed: 0, skipped: 0 };
const only = process.argv.slice(2); // e.g. `npm test -- unit` runs one suite
const want = (name) => only.length === 0 || only.includes(name);

function run(cmd, args, { capture = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    let out = '';
    if (capture) child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, out }));
  });
}

async function staticCheck(name, cmd, args) {
  console.log(`\n=== ${name} ===`);
  const { code } = await run(cmd, args);
  if (code === 0) totals.passed++; else { totals.failed++; console.log(`${name}: FAILED`); }
}

mkdirSync('.test-results', { recursive: true });

if (want('static')) {
  await staticCheck('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  await staticCheck('lint', 'npx', ['eslint', '.']);
}

if (want('unit')) {
  console.log('\n=== unit (vitest) ===');
  const json = '.test-results/vitest.json';
  rmSync(json, { force: true });
  const { code } = await run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${json}`]);
  if (existsSync(json)) {
    const r = JSON.parse(readFileSync(json, 'utf8'));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    // A file that fails to load has no tests but is a failure.
    if (code !== 0 && r.numFailedTests === 0) totals.failed += Math.max(1, r.numFailedTestSuites ?? 1);
  } else if (code !== 0) {
    totals.failed++;
  }
}

if (want('netns')) {
  console.log('\n=== netns (node-tap, real kernel, needs root) ===');
  const { code, out } = await run('npx', ['tap', '-R', 'tap'], { capture: true });
  const m = [...out.matchAll(/^# (\{ total: .*\})$/gm)].pop();
  if (m) {
    const counts = Object.fromEntries([...m[1].matchAll(/(\w+): (\d+)/g)].map((x) => [x[1], Number(x[2])]));
    totals.passed += counts.pass ?? 0;
    totals.failed += counts.fail ?? 0;
    totals.skipped += (counts.skip ?? 0) + (counts.todo ?? 0);
    if (code !== 0 && !counts.fail) totals.failed++;
  } else if (code !== 0) {
    totals.failed++;
  }
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
