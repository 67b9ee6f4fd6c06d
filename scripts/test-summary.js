#!/usr/bin/env node
'use strict';
// Prints "N passed, N failed[, N skipped]" from vitest's JSON report (the runner's own counts).
const fs = require('node:fs');
const file = process.argv[2] || '.vitest-report.json';
let report;
try {
  report = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`test report ${file} missing or unreadable: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const suitesFailed = report.numFailedTestSuites ?? 0;
if (suitesFailed > 0 && failed === 0) console.log(`${suitesFailed} test file(s) failed to load`);
console.log(`${passed} passed, ${failed + (failed === 0 ? suitesFailed : 0)} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed + suitesFailed > 0 || report.success === false ? 1 : 0);
