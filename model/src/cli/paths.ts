import path from 'node:path';

/**
 * A path given on the command line, resolved against the directory the command was typed in:
 * `npm run … -w model` runs scripts inside model/, but npm passes the caller's directory as
 * INIT_CWD, so `--csv data.csv` means the file the user sees.
 */
export function fromInvocation(
  p: string,
  env: Record<string, string | undefined> = process.env,
): string {
  return path.resolve(env.INIT_CWD ?? process.cwd(), p);
}

/** Every path option of `values` resolved with `fromInvocation` (others unchanged). */
export function resolvePaths<T extends Record<string, unknown>>(
  values: T,
  keys: readonly (keyof T)[],
): T {
  const out = { ...values };
  for (const k of keys) {
    const v = out[k];
    if (typeof v === 'string') (out as Record<keyof T, unknown>)[k] = fromInvocation(v);
  }
  return out;
}
