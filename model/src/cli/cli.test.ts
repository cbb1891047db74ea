import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main as replayCli } from './replayCli.js';
import { main as evalCli, DEFAULT_NEZHA_DIR, REPO_ROOT } from './evalCli.js';
import { main as nezhaCli } from './nezhaCli.js';
import { fromInvocation } from './paths.js';
import { writeNezhaFixture } from '../nezha/fixture.js';
import { DEFAULT_ARTIFACT_DIR } from '../predictor.js';
import { CURRENT_FILE } from '../artifact.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'model-cli-'));
  await writeNezhaFixture(path.join(dir, 'nezha'), {
    name: 'shop_2024-01-01',
    minutes: 150,
    faults: [{ minute: 80, pod: 'cart-5c4d3b2a1-fghij', type: 'cpu_contention' }],
  });
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const io = () => {
  const lines: string[] = [];
  const warnings: string[] = [];
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  return {
    lines,
    warnings,
    io: {
      log: (l: string) => void lines.push(l),
      stdout,
      warn: (l: string) => void warnings.push(l),
    },
    output: () => out,
  };
};

describe('nezha → replay', () => {
  it('converts a day and replays it: one output row per input row, episodes printed', async () => {
    const lines: string[] = [];
    const csv = path.join(dir, 'day.csv');
    expect(
      await nezhaCli(
        {
          day: path.join(dir, 'nezha', 'shop_2024-01-01'),
          out: csv,
          faults: path.join(dir, 'faults.json'),
        },
        (l) => lines.push(l),
      ),
    ).toBe(0);
    expect(lines[0]).toMatch(
      /wrote .*day\.csv \(450 rows, 3 series\) and .*faults\.json \(1 faults\)/,
    );
    const r = io();
    expect(await replayCli({ csv, out: path.join(dir, 'risk.csv') }, r.io)).toBe(0);
    const out = (await readFile(path.join(dir, 'risk.csv'), 'utf8')).trim().split('\n');
    expect(out).toHaveLength(451);
    expect(out[0]).toBe('timestamp,namespace,deployment,risk,at_risk');
    const text = r.lines.join('\n');
    expect(text).toMatch(
      /replayed 450 rows of 3 deployments .* \(entry: risk ≥ 0\.8 for 3 cycles, exit: < 0\.5 for 3; a cycle every 30 s; SLO layer: no objective given\): \d+ rows at risk, 1 episodes/,
    );
    expect(text).toMatch(
      // The fixture's fault takes the cart's p95 from 50 ms to 1.5 s: far from its own normal.
      /episode shop\/cart 2024-01-01T01:2\d:10Z → .* by the own_normal layer; top: (cpu_usage_pct|http_p95_latency_seconds)/,
    );
  });

  it('writes the output to stdout without --out', async () => {
    const r = io();
    expect(await replayCli({ csv: path.join(dir, 'day.csv') }, r.io)).toBe(0);
    expect(r.output().split('\n')).toHaveLength(452);
  });

  it("ignores another tool's extra columns with one note on stderr, and refuses them with --strict", async () => {
    const day = (await readFile(path.join(dir, 'day.csv'), 'utf8')).trim().split('\n');
    const file = path.join(dir, 'extra.csv');
    await writeFile(
      file,
      day.map((l, i) => (i === 0 ? `${l},pod,cpu_usage` : `${l},x-1,3`)).join('\n') + '\n',
    );
    const r = io();
    expect(await replayCli({ csv: file }, r.io)).toBe(0);
    expect(r.output().trim().split('\n')).toHaveLength(451);
    expect(r.warnings).toEqual([
      `${file}: note: ignored 2 columns that are neither a key column nor a feature name: pod, cpu_usage (--strict refuses them)`,
    ]);
    const strict = io();
    expect(await replayCli({ csv: file, strict: true }, strict.io)).toBe(1);
    expect(strict.lines.join('\n')).toMatch(/extra\.csv: line 1, column pod: unknown column/);
    expect(strict.output()).toBe('');
    // A file with nothing beyond the format gets no note.
    const plain = io();
    expect(await replayCli({ csv: path.join(dir, 'day.csv') }, plain.io)).toBe(0);
    expect(plain.warnings).toEqual([]);
  });

  /** `risk,at_risk` of each output row. */
  const verdicts = (csv: string): string[] =>
    csv
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').slice(-2).join(','));
  /** The day's lines with every data row's cells passed through `cell(text, column name)`. */
  const rewrite = (lines: string[], cell: (text: string, column: string) => string): string[] => {
    const head = lines[0]!.split(',');
    return [
      lines[0]!,
      ...lines.slice(1).map((l) =>
        l
          .split(',')
          .map((c, i) => cell(c, head[i]!))
          .join(','),
      ),
    ];
  };
  const SHUFFLE = (i: number, n: number): number => (i * 7) % n; // 7 and 450 are coprime

  it.each<[string, (lines: string[]) => string, (base: string[]) => string[]]>([
    [
      'CRLF, a BOM and trailing blank lines',
      (l) => '\uFEFF' + l.join('\r\n') + '\r\n\r\n\r\n',
      (b) => b,
    ],
    [
      'semicolons and decimal commas',
      (l) =>
        l.map((x) => x.replaceAll('.', '#').replaceAll(',', ';').replaceAll('#', ',')).join('\n'),
      (b) => b,
    ],
    [
      'epoch milliseconds',
      (l) => rewrite(l, (c, col) => (col === 'timestamp' ? String(Date.parse(c)) : c)).join('\n'),
      (b) => b,
    ],
    [
      'NaN, null and NA for empty cells',
      (l) => rewrite(l, (c, col) => (c === '' ? (col.length % 2 ? 'NaN' : 'null') : c)).join('\n'),
      (b) => b,
    ],
    [
      'extra columns and an upper-case header',
      (l) => l.map((x, i) => (i === 0 ? `POD,${x.toUpperCase()},LABEL` : `p-1,${x},0`)).join('\n'),
      (b) => b,
    ],
    [
      'rows in another order',
      (l) => [l[0]!, ...l.slice(1).map((_, i, rows) => rows[SHUFFLE(i, rows.length)]!)].join('\n'),
      (b) => b.map((_, i) => b[SHUFFLE(i, b.length)]!),
    ],
    [
      'every row twice',
      (l) => [l[0]!, ...l.slice(1).flatMap((x) => [x, x])].join('\n'),
      (b) => b.flatMap((x) => [x, x]),
    ],
  ])("a stranger's file — %s — gets the same verdicts as ours", async (_n, variant, expected) => {
    const lines = (await readFile(path.join(dir, 'day.csv'), 'utf8')).trim().split('\n');
    const base = io();
    expect(await replayCli({ csv: path.join(dir, 'day.csv') }, base.io)).toBe(0);
    const file = path.join(dir, 'stranger.csv');
    await writeFile(file, variant(lines));
    const r = io();
    expect(await replayCli({ csv: file }, r.io)).toBe(0);
    expect(verdicts(r.output())).toEqual(expected(verdicts(base.output())));
    expect(verdicts(r.output()).filter((v) => v.endsWith(',1')).length).toBeGreaterThan(0);
  });

  it('reads a value outside its valid range as missing with a note, and refuses it with --strict', async () => {
    const lines = (await readFile(path.join(dir, 'day.csv'), 'utf8')).trim().split('\n');
    const file = path.join(dir, 'range.csv');
    const bad = rewrite([lines[0]!, lines[3]!], (c, col) => (col === 'cpu_usage_pct' ? '1500' : c));
    await writeFile(file, [...lines.slice(0, 3), bad[1], ...lines.slice(4)].join('\n'));
    const r = io();
    expect(await replayCli({ csv: file }, r.io)).toBe(0);
    expect(r.warnings).toEqual([
      `${file}: note: 1 cell outside the valid range read as missing, as the healer omits such a sample (first: line 4, column cpu_usage_pct: 1500 is outside the valid range [0, 1000] (% of CPU limit)) (--strict refuses them)`,
    ]);
    const strict = io();
    expect(await replayCli({ csv: file, strict: true }, strict.io)).toBe(1);
    expect(strict.lines.join('\n')).toMatch(
      /range\.csv: line 4, column cpu_usage_pct: 1500 is outside/,
    );
  });

  it('notes rows repeated for one deployment and time, merged into one observation', async () => {
    const lines = (await readFile(path.join(dir, 'day.csv'), 'utf8')).trim().split('\n');
    const file = path.join(dir, 'repeated.csv');
    await writeFile(
      file,
      [
        ...lines,
        lines[1],
        rewrite([lines[0]!, lines[2]!], (c, col) => (col === 'cpu_usage_pct' ? '1' : c))[1],
      ].join('\n'),
    );
    const r = io();
    expect(await replayCli({ csv: file }, r.io)).toBe(0);
    expect(r.warnings).toEqual([
      `${file}: note: 2 rows repeat the timestamp, namespace and deployment of an earlier row: merged with it into one observation (1 cells differed; the later row's value kept)`,
    ]);
  });

  it.each<[string, Record<string, string | boolean>, string, number, RegExp]>([
    [
      'a bad cell names the line and column',
      {},
      'timestamp,namespace,deployment,cpu_usage_pct\n2024-01-01T00:00:00Z,prod,web,12\n2024-01-01T00:01:00Z,prod,web,twelve\n',
      1,
      /bad\.csv: line 3, column cpu_usage_pct: "twelve" is not a number, nor a missing value \(empty, NaN, NA, null, None, ±Inf\)/,
    ],
    [
      'a bad rule is a usage error',
      { high: '0.4', low: '0.6' },
      'x',
      2,
      /low \(0\.6\) must be ≤ high \(0\.4\)/,
    ],
    ['a missing file', { csv: '/nonexistent.csv' }, 'x', 1, /cannot read \/nonexistent\.csv/],
    ['an empty file', {}, '', 1, /bad\.csv: line 1: the file is empty; expected a header row/],
    [
      'a header only',
      {},
      '\uFEFFtimestamp;namespace;deployment;cpu_usage_pct\r\n\r\n',
      1,
      /bad\.csv: line 2: the file has a header but no data rows/,
    ],
    [
      'a key column missing',
      {},
      'time,namespace,deployment,cpu_usage_pct\n1700000000,prod,web,1\n',
      1,
      /bad\.csv: line 1, column timestamp: required column is missing from the header \(ignored: time\)$/,
    ],
  ])('%s', async (_n, opts, text, code, message) => {
    await writeFile(path.join(dir, 'bad.csv'), text);
    const r = io();
    expect(await replayCli({ csv: path.join(dir, 'bad.csv'), ...opts }, r.io)).toBe(code);
    expect(r.lines.join('\n')).toMatch(message);
  });
});

describe('model:eval', () => {
  it('evaluates every day folder found under --nezha and the synthetic runs, and writes the report beside the model', async () => {
    const models = path.join(dir, 'models');
    await cp(DEFAULT_ARTIFACT_DIR, models, { recursive: true });
    const version = (await readFile(path.join(models, CURRENT_FILE), 'utf8')).trim();
    await rm(path.join(models, version, 'report.json'));
    const lines: string[] = [];
    const code = await evalCli(
      { dir: models, nezha: path.join(dir, 'nezha'), runs: '1' },
      {},
      (l) => lines.push(l),
    );
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^shop_2024-01-01: model 1\/1 /);
    const report = JSON.parse(await readFile(path.join(models, version, 'report.json'), 'utf8'));
    expect(report.model.version).toBe(version);
    expect(report.realData.days.map((d: { day: string }) => d.day)).toEqual(['shop_2024-01-01']);
    expect(report.realData.days[0].replayMs).toBeUndefined(); // timings stay out of the committed file
    const md = await readFile(path.join(models, version, 'report.md'), 'utf8');
    expect(md).toContain('### shop_2024-01-01');
    expect(md).toContain('## Synthetic held-out runs');
    expect(md).toContain('on any single row'); // the rules' any-row figures beside the entry-rule ones
    expect(report.syntheticVerdict).toEqual(
      expect.objectContaining({ events: expect.any(Boolean), eventsAnyRow: expect.any(Boolean) }),
    );
    // The whole pipeline (a day's replay and 22 synthetic runs): about 4 s alone, twice that on a
    // loaded shared machine, past jest's default 5 s.
  }, 60_000);

  it('evaluates the days it can and names the one it cannot, with why, in the log and the report', async () => {
    const models = path.join(dir, 'models-skip');
    await cp(DEFAULT_ARTIFACT_DIR, models, { recursive: true });
    const version = (await readFile(path.join(models, CURRENT_FILE), 'utf8')).trim();
    const nezha = path.join(dir, 'nezha-skip');
    await cp(path.join(dir, 'nezha'), nezha, { recursive: true });
    // A second day whose fault list is empty: nothing to score it against.
    await writeNezhaFixture(nezha, { name: 'quiet_2024-01-09', minutes: 30, faults: [] });
    const lines: string[] = [];
    const code = await evalCli({ dir: models, nezha, runs: '1' }, {}, (l) => lines.push(l));
    expect(code).toBe(0);
    expect(lines).toContainEqual(
      expect.stringMatching(/^quiet_2024-01-09: not evaluated: .*no faults listed/),
    );
    const report = JSON.parse(await readFile(path.join(models, version, 'report.json'), 'utf8'));
    expect(report.realData.days.map((d: { day: string }) => d.day)).toEqual(['shop_2024-01-01']);
    expect(report.realData.skipped).toEqual([
      { day: 'quiet_2024-01-09', reason: expect.stringMatching(/no faults listed/) },
    ]);
    const md = await readFile(path.join(models, version, 'report.md'), 'utf8');
    expect(md).toMatch(/\*\*quiet_2024-01-09 not evaluated\*\*: .*no faults listed/);

    // No day it can evaluate: a usage failure, nothing written.
    await rm(path.join(nezha, 'shop_2024-01-01'), { recursive: true });
    await rm(path.join(models, version, 'report.json'));
    expect(await evalCli({ dir: models, nezha, runs: '1' }, {}, (l) => lines.push(l))).toBe(2);
    expect(lines.at(-1)).toMatch(/no day under .*nezha-skip could be evaluated/);
    expect(existsSync(path.join(models, version, 'report.json'))).toBe(false);
  }, 60_000);

  it('says where it looked when there is no Nezha data, and honours NEZHA_DIR', async () => {
    const lines: string[] = [];
    expect(await evalCli({}, { NEZHA_DIR: '/nonexistent/nezha' }, (l) => lines.push(l))).toBe(2);
    expect(lines[0]).toMatch(
      /no Nezha data at \/nonexistent\/nezha: pass --nezha DIR \(or NEZHA_DIR\), or --synthetic-only/,
    );
    expect(DEFAULT_NEZHA_DIR).toBe(path.resolve(REPO_ROOT, '..', 'shared', 'data', 'nezha'));
  });
});

describe('paths', () => {
  it('resolves command-line paths against the directory the command was typed in (INIT_CWD)', () => {
    expect(fromInvocation('data.csv', { INIT_CWD: '/home/me' })).toBe('/home/me/data.csv');
    expect(fromInvocation('/abs.csv', { INIT_CWD: '/home/me' })).toBe('/abs.csv');
  });
});

describe('the committed report', () => {
  it('belongs to the committed model: same version and weights digest', async () => {
    const version = (await readFile(path.join(DEFAULT_ARTIFACT_DIR, CURRENT_FILE), 'utf8')).trim();
    const metadata = JSON.parse(
      await readFile(path.join(DEFAULT_ARTIFACT_DIR, version, 'metadata.json'), 'utf8'),
    );
    const file = path.join(DEFAULT_ARTIFACT_DIR, version, 'report.json');
    expect(existsSync(file)).toBe(true);
    const report = JSON.parse(await readFile(file, 'utf8'));
    expect(report.model).toEqual({
      version,
      weightsDigest: metadata.weightsDigest,
      threshold: metadata.threshold,
    });
    expect(report.realData?.days.length ?? 0).toBeGreaterThanOrEqual(3);
    expect(await readFile(path.join(DEFAULT_ARTIFACT_DIR, version, 'report.md'), 'utf8')).toContain(
      `# Risk model evaluation — ${version}`,
    );
  });
});
