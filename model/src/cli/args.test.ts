import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseCommandLine } from './args.js';

const OPTIONS = { csv: { type: 'string' }, strict: { type: 'boolean', default: false } } as const;
const USAGE = 'usage: replay --csv FILE [--strict]';

describe('parseCommandLine', () => {
  it('reads the options', () => {
    expect(parseCommandLine(OPTIONS, USAGE, ['--csv', 'a.csv'])).toEqual({
      values: { csv: 'a.csv', strict: false },
    });
  });

  it.each<[string, string[], RegExp]>([
    ['an unknown option', ['--csvv', 'a.csv'], /^Unknown option '--csvv'/],
    ['a missing value', ['--csv'], /^Option '--csv <value>' argument missing/],
    ['a stray word', ['--csv', 'a.csv', 'b.csv'], /^Unexpected argument 'b.csv'/],
    ['a value given to a switch', ['--strict=yes'], /--strict/],
  ])('%s is a usage error (exit 2) naming it, with the usage', (_, argv, message) => {
    const read = parseCommandLine(OPTIONS, USAGE, argv);
    expect(read).toMatchObject({ exitCode: 2 });
    const text = 'text' in read ? read.text : '';
    expect(text).toMatch(message);
    expect(text.endsWith(`\n${USAGE}`)).toBe(true);
  });

  it.each([[['--help']], [['-h']], [['--csv', '--help']]])(
    '%p prints the usage (exit 0)',
    (argv) => {
      expect(parseCommandLine(OPTIONS, USAGE, argv)).toEqual({ exitCode: 0, text: USAGE });
    },
  );

  it('a model command given a mistyped option exits 2 with the usage, not a stack trace', async () => {
    const script = fileURLToPath(new URL('../../scripts/replay.ts', import.meta.url));
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', script, '--bogus']);
    const err = (await run.then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: number; stderr?: string } | undefined;
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(
      /^Unknown option '--bogus'.*\nusage: npm run replay -w model -- --csv FILE/s,
    );
    expect(err?.stderr).not.toMatch(/\bat .*parse_args/);
  });
});
