/**
 * Risk history for the dashboard's charts. It must survive a healer restart, so its source of
 * truth is Prometheus: the healer exports `aiops_deployment_risk{namespace, deployment}` every
 * cycle, Prometheus scrapes and keeps it, and the history is read back with a range query. The
 * status store's in-memory ring fills the gap Prometheus has not scraped yet, and serves alone
 * when Prometheus cannot be reached.
 */
import type { RiskPoint } from '../api/types.js';
import type { HistoryRange } from '../api/server.js';

export interface RiskHistory {
  history(namespace: string, name: string, range: HistoryRange): Promise<RiskPoint[]>;
}
