import type { ActionRecord, DeploymentStatus } from '@aiops/healer/api';

/** A small, valid DeploymentStatus for tests; override what the test is about. */
export function status(over: Partial<DeploymentStatus> = {}): DeploymentStatus {
  return {
    namespace: 'prod',
    name: 'checkout',
    risk: 0.1,
    level: 'low',
    state: 'healthy',
    step: 0,
    attempts: 0,
    dryRun: false,
    explanation: [],
    features: {},
    trend: [],
    updatedAt: '2026-01-01T12:00:00Z',
    ...over,
  };
}

export function action(over: Partial<ActionRecord> = {}): ActionRecord {
  return {
    at: '2026-01-01T12:00:00Z',
    step: 1,
    action: 'restart_scale',
    attempt: 1,
    dryRun: false,
    riskBefore: 0.93,
    outcome: 'pending',
    message: 'risk 0.93 ≥ 0.80 for 3/3 cycles → restart (attempt 1/3)',
    ...over,
  };
}
