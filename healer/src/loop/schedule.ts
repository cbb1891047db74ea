/**
 * Runs cycles on the configured node-cron schedule; `shouldRun`, when given, is asked before each
 * tick. A failing cycle is logged; the schedule keeps going.
 */
import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export interface ScheduleOptions {
  expression: string;
  run: () => Promise<unknown>;
  /** e.g. `() => leader.isLeader()`; default: always. */
  shouldRun?: () => boolean;
  logger: Logger;
}

export interface RunningSchedule {
  stop(): Promise<void>;
}

export function scheduleCycles(opts: ScheduleOptions): RunningSchedule {
  const task: ScheduledTask = schedule(
    opts.expression,
    async () => {
      if (opts.shouldRun && !opts.shouldRun()) return;
      try {
        await opts.run();
      } catch (err) {
        opts.logger.error({ err: String(err) }, 'cycle failed');
      }
    },
    { name: 'healer-cycle', noOverlap: true },
  );
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
}
