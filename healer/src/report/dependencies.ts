/**
 * Shared dependencies (Kubernetes, Prometheus, `/predict`) as the healer announces them: one
 * warning when one starts failing ("no actions until it recovers"), a log line when it is back.
 */
import type { Logger } from 'pino';
import type { Reporter } from './reporter.js';

const HEALER_WARNING_KEY = '(healer)';

export class DependencyWarnings {
  private readonly down = new Set<string>();

  constructor(
    private readonly reporter: Reporter,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  isDown(what: string): boolean {
    return this.down.has(what);
  }

  /** Announces a failing dependency once, until it recovers. */
  async failing(what: string, title: string, detail: string): Promise<void> {
    if (this.down.has(what)) return;
    this.down.add(what);
    await this.reporter.warning({
      kind: 'warning',
      title,
      detail: `${detail}; no actions until it recovers`,
      dedupKey: `${HEALER_WARNING_KEY}:${what}:down:${this.now()}`,
    });
  }

  recovered(what: string): void {
    if (!this.down.delete(what)) return;
    this.logger.info({ dependency: what }, `${what} reachable again`);
  }
}
