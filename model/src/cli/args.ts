/**
 * The model commands' command lines: `node:util`'s parseArgs, but a mistyped option, a missing
 * value or a stray word is a usage error (exit 2, the option named, the usage printed) instead of
 * a stack trace, and `--help`/`-h` prints the usage (exit 0).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<T extends Options> = ReturnType<
  typeof parseArgs<{ options: T; args: string[] }>
>['values'];

/** What a command line asks for: its options' values, or to stop with this text and exit code. */
export type CommandLine<T extends Options> =
  { values: Values<T> } | { exitCode: 0 | 2; text: string };

const HELP = new Set(['--help', '-h']);

/** Reads `argv` (no positionals allowed); pure: the caller prints and exits. */
export function parseCommandLine<T extends Options>(
  options: T,
  usage: string,
  argv: readonly string[],
): CommandLine<T> {
  // Before the options: `--help` is not one of them, and `--csv --help` means help too.
  if (argv.some((a) => HELP.has(a))) return { exitCode: 0, text: usage };
  try {
    const { values } = parseArgs({
      options,
      args: [...argv],
      strict: true,
      allowPositionals: false,
    });
    return { values };
  } catch (err) {
    // parseArgs's messages name the option ("Unknown option '--csvv'", "Option '--csv <value>'
    // argument missing", "Unexpected argument 'x'"); anything else is not a usage error.
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw err;
    return { exitCode: 2, text: `${(err as Error).message}\n${usage}` };
  }
}

/** A script's command line: its values, or the usage printed and the process ended (0 or 2). */
export function commandLine<T extends Options>(options: T, usage: string): Values<T> {
  const read = parseCommandLine(options, usage, process.argv.slice(2));
  if ('values' in read) return read.values;
  if (read.exitCode === 0) console.log(read.text);
  else console.error(read.text);
  process.exit(read.exitCode);
}
