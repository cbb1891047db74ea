// Reports the production bundle's JavaScript size (gzip) and fails the build above the budget.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 250;
const dir = new URL('../dist/assets/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
if (files.length === 0) {
  console.error(`bundle size: no .js files in ${dir}; run vite build first`);
  process.exit(1);
}
let raw = 0;
let gz = 0;
for (const f of files) {
  const buf = readFileSync(join(dir, f));
  raw += buf.length;
  gz += gzipSync(buf, { level: 9 }).length;
}
const kb = (n) => (n / 1024).toFixed(1);
const line = `bundle size: ${files.length} JS file(s), ${kb(raw)} KB raw, ${kb(gz)} KB gzip (budget ${BUDGET_KB} KB gzip)`;
if (gz > BUDGET_KB * 1024) {
  console.error(`${line}: OVER BUDGET`);
  process.exit(1);
}
console.log(line);
