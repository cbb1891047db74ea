/**
 * Metric names the services really export (read from their prom-client registries) and the names
 * alerts, dashboards and the canary analysis query, so neither can drift from the other silently.
 */

/** What `Registry.getMetricsAsJSON()` lists per family. */
export interface MetricFamily {
  name: string;
  type: string;
}

/** Series names of the families: histograms and summaries add `_bucket`, `_count`, `_sum`. */
export function seriesNames(families: readonly MetricFamily[]): Set<string> {
  const out = new Set<string>();
  for (const f of families) {
    out.add(f.name);
    if (f.type === 'histogram' || f.type === 'summary') {
      for (const s of ['_bucket', '_count', '_sum']) out.add(f.name + s);
    }
  }
  return out;
}

/** Our application metric names used in a PromQL text (aiops_*, the backend's RED and model metrics). */
export function referencedMetrics(promql: string): Set<string> {
  const re = /\b(aiops_[a-z0-9_]+|http_requests?_[a-z0-9_]+|model_[a-z0-9_]+|predictions_total)\b/g;
  return new Set([...promql.matchAll(re)].map((m) => m[1] as string));
}
