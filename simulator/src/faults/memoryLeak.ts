import type { FaultModel } from './types.js';

/** Working set grows linearly with container age until the memory limit OOM-kills it. */
export const memoryLeak: FaultModel<{ bytesPerSec: number; durationSec: number }> = {
  kind: 'memory_leak',
  scope: 'deployment',
  description:
    'working set grows with container age until the limit; the kernel OOM-kills the container',
  cures: ['restart'],
  cureNote:
    'a restart resets memory to baseline; it grows again at the same rate until the fault is removed',
  defaults: { bytesPerSec: 1_000_000, durationSec: 0 },
  // Leaks since the container started or the fault began, whichever is later.
  effect: (p, ctx) => ({
    memoryExtraBytes: p.bytesPerSec * Math.min(ctx.containerAgeSec, ctx.elapsedSec),
  }),
};
