import { describe, expect, it } from '@jest/globals';
import { formatReplayCsv, parseReplayCsv } from '../replay/csv.js';
import { datasetFromTable, splitByTimeAndGroup, SplitError } from './labelled.js';
import { FEATURE_NAMES } from '../schema.js';

function labelledFile(deployments: number, minutes: number): string {
  const rows: Parameters<typeof formatReplayCsv>[0][number][] = [];
  for (let m = 0; m < minutes; m++) {
    for (let d = 0; d < deployments; d++) {
      rows.push({
        t: 1_700_000_000 + m * 60,
        namespace: 'prod',
        deployment: `app-${d}`,
        values: {
          restart_count_last_5m: 0,
          cpu_usage_pct: 10,
          memory_usage_bytes: 1e8,
          ready_replica_ratio: 1,
          unavailable_replicas: 0,
          network_receive_bytes_per_s: 1e4,
          http_5xx_error_rate: m % 50 < 3 ? 0.2 : 0,
        },
      });
    }
  }
  const text = formatReplayCsv(rows, FEATURE_NAMES);
  const lines = text.trim().split('\n');
  return (
    [
      lines[0] + ',label',
      ...lines.slice(1).map((l, i) => `${l},${Math.floor(i / deployments) % 50 < 3 ? 1 : 0}`),
    ].join('\n') + '\n'
  );
}

describe('training from a labelled history', () => {
  it('replays each deployment through the tracker and splits by time and by deployment, with gaps', () => {
    const table = parseReplayCsv(labelledFile(10, 600), { label: true });
    const data = datasetFromTable(table);
    expect(data.rows).toBe(6000);
    const split = splitByTimeAndGroup(data);
    const s = split.split;
    expect(s.heldOutDeployments).toHaveLength(2);
    expect(s.rows.testGroup).toBe(1200);
    expect(s.rows.train + s.rows.validation + s.rows.testTime + s.rows.testGroup).toBeLessThan(
      6000,
    ); // the gaps
    expect(Date.parse(s.validationFrom) - Date.parse(s.trainUntil)).toBe(600_000);
    expect(Date.parse(s.testFrom) - Date.parse(s.validationUntil)).toBe(600_000);
    // Held-out deployments have no row in training.
    const held = new Set(
      s.heldOutDeployments.map((k) =>
        data.series.findIndex((x) => `${x.namespace}/${x.deployment}` === k),
      ),
    );
    expect([...split.train.group!].some((g) => held.has(g))).toBe(false);
  });

  it('refuses a labelled file that is too short to split by time', () => {
    const table = parseReplayCsv(labelledFile(1, 10), { label: true });
    expect(() => splitByTimeAndGroup(datasetFromTable(table))).toThrow(SplitError);
  });

  it('needs a 0/1 label column', () => {
    const text = labelledFile(1, 2).replace(/,1\n/g, ',yes\n').replace(/,0\n/, ',yes\n');
    expect(() => parseReplayCsv(text, { label: true })).toThrow(
      /line 2, column label: "yes" must be 0 or 1/,
    );
    expect(() =>
      parseReplayCsv('timestamp,namespace,deployment\n1,a,b\n', { label: true }),
    ).toThrow(/column label: required column is missing/);
  });
});
