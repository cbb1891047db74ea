import { parseArgs } from 'node:util';

const USAGE = `usage: npm run faults -w simulator -- <command> [options]

commands:
  kinds                                   fault kinds, their params and cures
  list                                    injected faults and their state
  inject --namespace NS --deployment D --kind KIND [--param name=value ...]
  delete ID                               remove a fault (a node_loss node comes back)
  state                                   deployments, pods and live signals (JSON)

options:
  --url URL   simulator base URL (default $SIM_URL or http://127.0.0.1:8001)`;

/** The fault CLI: a thin client of the simulator's /sim API. Exit codes: 0 ok, 1 refused, 2 usage. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (s: string) => void,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        deployment: { type: 'string', short: 'd' },
        kind: { type: 'string', short: 'k' },
        param: { type: 'string', short: 'p', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    out(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const base = (values.url ?? env.SIM_URL ?? 'http://127.0.0.1:8001').replace(/\/+$/, '');
  const [command, arg] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return values.help ? 0 : 2;
  }
  // Only delete takes a word after the command: another one is a mistake, not something to drop.
  const stray = positionals[command === 'delete' ? 2 : 1];
  if (stray !== undefined) {
    out(`${command}: unexpected argument "${stray}"\n${USAGE}`);
    return 2;
  }
  const request = async (method: string, path: string, body?: unknown): Promise<number> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      out(`cannot reach the simulator at ${base}: ${(err as Error).message}`);
      return 1;
    }
    const text = await res.text();
    out(text);
    return res.ok ? 0 : 1;
  };
  switch (command) {
    case 'kinds':
      return request('GET', '/sim/fault-kinds');
    case 'list':
      return request('GET', '/sim/faults');
    case 'state':
      return request('GET', '/sim/state');
    case 'delete':
      if (!arg) {
        out(`delete: fault id required\n${USAGE}`);
        return 2;
      }
      return request('DELETE', `/sim/faults/${encodeURIComponent(arg)}`);
    case 'inject': {
      const params: Record<string, number> = {};
      for (const p of values.param ?? []) {
        const m = /^([A-Za-z]+)=(.+)$/.exec(p);
        if (!m || !Number.isFinite(Number(m[2]))) {
          out(`--param ${p}: must be name=number`);
          return 2;
        }
        params[m[1]!] = Number(m[2]);
      }
      return request('POST', '/sim/faults', {
        namespace: values.namespace,
        deployment: values.deployment,
        kind: values.kind,
        params,
      });
    }
    default:
      out(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}
