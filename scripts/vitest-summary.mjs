/* global console, process */
// Prints vitest's JSON report as one plain closing line ("N passed, N failed, N skipped"),
// the form CI reads, and exits non-zero when anything failed or nothing ran.
import { readFileSync } from 'node:fs';

const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
process.exit(r.numFailedTests > 0 || r.numPassedTests === 0 || !r.success ? 1 : 0);
