// Where the healer's benches write their results: bench/results/<BENCH_OUT or <date>-<name>.json>
// at the repository root, as indented JSON with the date, Node's version, the cores and the load
// beside the bench's own fields.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Writes `fields` to the results file named by BENCH_OUT, else `<today>-<name>.json`; its path. */
export async function writeResults(name, fields) {
  const date = new Date().toISOString();
  const out = resolve(
    ROOT,
    'bench',
    'results',
    process.env.BENCH_OUT ?? `${date.slice(0, 10)}-${name}.json`,
  );
  await mkdir(dirname(out), { recursive: true });
  const machine = { date, node: process.version, cpus: cpus().length, loadavg: loadavg() };
  await writeFile(out, `${JSON.stringify({ ...machine, ...fields }, null, 2)}\n`);
  console.log(`written: ${out}`);
  return out;
}
