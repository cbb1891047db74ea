import { Counter, type Registry } from 'prom-client';
import type { BudgetGate, BudgetRequest, BudgetVerdict } from './types.js';

/**
 * Wraps a gate so every denial is counted as `aiops_healer_budget_denials_total{rule, action}`
 * (each denial, repeated or not: the metric is the rate, Slack is the once-per-streak message).
 */
export function withBudgetMetrics(gate: BudgetGate, registry: Registry): BudgetGate {
  const denials = new Counter({
    name: 'aiops_healer_budget_denials_total',
    help: 'Actions the budgets stopped, by rule and action.',
    labelNames: ['rule', 'action'],
    registers: [registry],
  });
  return {
    check(request: BudgetRequest, now: Date): BudgetVerdict {
      const verdict = gate.check(request, now);
      if (!verdict.allowed) denials.inc({ rule: verdict.rule, action: request.action });
      return verdict;
    },
    record: (request, now, outcome) => gate.record(request, now, outcome),
    ...(gate.ready ? { ready: () => gate.ready!() } : {}),
    ...(gate.forget ? { forget: (ns: string, name: string) => gate.forget!(ns, name) } : {}),
  };
}
