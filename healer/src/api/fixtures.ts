import type { DeploymentStatus } from './types.js';

/** A healthy `DeploymentStatus` for tests, with `over` applied. */
export function deploymentStatus(over: Partial<DeploymentStatus> = {}): DeploymentStatus {
  return {
    namespace: 'shop',
    name: 'cart',
    risk: 0.1,
    level: 'low',
    state: 'healthy',
    step: 0,
    attempts: 0,
    dryRun: false,
    explanation: [],
    features: {},
    trend: [],
    updatedAt: '2026-11-21T12:00:00.000Z',
    ...over,
  };
}
