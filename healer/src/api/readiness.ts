import type { Readiness } from './server.js';

/** One dependency check: resolves with a detail when reachable, throws when not. */
export type Probe = () => Promise<string | void>;

export interface ReadinessTrackerOptions {
  /** Whether this replica leads (the elector's `isLeader`); always leader when omitted. */
  isLeader?: () => boolean;
  /** Active probes run by `refresh()`, e.g. Prometheus `/-/ready` and the backend `/readyz`. */
  probes?: Record<string, Probe>;
  /** A probe slower than this counts as failed ("slow" is "down" for the healer). Default 2 s. */
  probeTimeoutMs?: number;
}

/**
 * What `/readyz` answers: the role, and one check per dependency. Checks come from two places —
 * active probes (`refresh()`) and what the loop saw in its last cycle (`report()`, e.g.
 * `prometheus` failing during feature queries) — and the latest word wins. Ready means every check
 * passed; followers are ready too (they serve status).
 */
export class ReadinessTracker {
  private readonly checks = new Map<string, { ok: boolean; detail?: string }>();

  constructor(private readonly opts: ReadinessTrackerOptions = {}) {
    for (const name of Object.keys(opts.probes ?? {})) {
      this.checks.set(name, { ok: false, detail: 'not checked yet' });
    }
  }

  report(check: string, ok: boolean, detail?: string): void {
    this.checks.set(check, detail === undefined ? { ok } : { ok, detail });
  }

  /** Runs every probe at once, each bounded by the probe timeout. Never throws. */
  async refresh(): Promise<Readiness> {
    const timeoutMs = this.opts.probeTimeoutMs ?? 2_000;
    await Promise.all(
      Object.entries(this.opts.probes ?? {}).map(async ([name, probe]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const detail = await Promise.race([
            probe(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`no answer within ${timeoutMs} ms`)),
                timeoutMs,
              );
              timer.unref();
            }),
          ]);
          this.report(name, true, detail ?? undefined);
        } catch (err) {
          this.report(name, false, err instanceof Error ? err.message : String(err));
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return this.readiness();
  }

  readiness(): Readiness {
    const checks = Object.fromEntries(this.checks);
    return {
      ready: [...this.checks.values()].every((c) => c.ok),
      role: (this.opts.isLeader?.() ?? true) ? 'leader' : 'follower',
      checks,
    };
  }
}

/**
 * A probe that GETs `url` and passes on 2xx. Uses the global fetch (no retries: readiness should
 * show what is true now).
 */
export function httpProbe(url: string): Probe {
  return async () => {
    let res: Response;
    try {
      res = await fetch(url);
    } catch (err) {
      throw new Error(`${new URL(url).host} unreachable`, { cause: err });
    }
    await res.body?.cancel();
    if (!res.ok) throw new Error(`${new URL(url).host} answered HTTP ${res.status}`);
  };
}
