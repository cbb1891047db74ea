import { writeFile } from 'node:fs/promises';
import { readNezhaDay, NezhaFormatError } from '../nezha/convert.js';
import { formatReplayCsv } from '../replay/csv.js';

export interface NezhaCliOptions {
  day?: string;
  out?: string;
  faults?: string;
}

export const NEZHA_USAGE =
  'usage: npm run nezha -w model -- --day DIR --out FILE.csv [--faults FILE.json]';

/** `nezha`: converts one Nezha day folder to a replay file (and its labelled faults). */
export async function main(
  opts: NezhaCliOptions,
  log: (line: string) => void = console.log,
): Promise<number> {
  if (!opts.day || !opts.out) {
    log(NEZHA_USAGE);
    return 2;
  }
  try {
    const day = await readNezhaDay(opts.day);
    await writeFile(opts.out, formatReplayCsv(day.rows));
    if (opts.faults) {
      await writeFile(
        opts.faults,
        JSON.stringify(
          day.faults.map((f) => ({ ...f, time: new Date(f.t * 1000).toISOString() })),
          null,
          2,
        ) + '\n',
      );
    }
    const series = new Set(day.rows.map((r) => r.deployment)).size;
    log(
      `${day.name}: wrote ${opts.out} (${day.rows.length} rows, ${series} series)${opts.faults ? ` and ${opts.faults} (${day.faults.length} faults)` : ''}`,
    );
    for (const n of day.notes) log(`note: ${n}`);
    return 0;
  } catch (err) {
    if (err instanceof NezhaFormatError) {
      log(err.message);
      return 1;
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      log(`cannot read ${(err as NodeJS.ErrnoException).path}`);
      return 1;
    }
    throw err;
  }
}
