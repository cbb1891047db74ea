import type { RiskPoint } from '@aiops/healer/api';
import { parseTime } from './format';

/** A linear map from a domain to a range, clamped to the range (chart coordinates). */
export function linearScale(
  [d0, d1]: readonly [number, number],
  [r0, r1]: readonly [number, number],
): (v: number) => number {
  const span = d1 - d0;
  const lo = Math.min(r0, r1);
  const hi = Math.max(r0, r1);
  return (v) => {
    const x = span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0);
    return Math.min(hi, Math.max(lo, x));
  };
}

/** Points with a valid time and a finite risk, in time order. NaN and garbage are dropped, not drawn as 0. */
export function cleanSeries(
  points: readonly RiskPoint[] | undefined,
): { t: number; risk: number }[] {
  return (points ?? [])
    .map((p) => ({ t: parseTime(p.t), risk: p.risk }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.risk))
    .sort((a, b) => a.t - b.t);
}

/**
 * An SVG path for a risk series in a `width`×`height` box, y = 0 at the bottom and 1 at the top.
 * With a single point it draws a short flat line so the value still shows.
 */
export function riskPath(
  series: readonly { t: number; risk: number }[],
  width: number,
  height: number,
  domain?: readonly [number, number],
): string {
  if (series.length === 0) return '';
  const first = series[0]!;
  const last = series.at(-1)!;
  const x = linearScale(domain ?? [first.t, last.t], [0, width]);
  const y = linearScale([0, 1], [height, 0]);
  const f = (n: number): string => String(Math.round(n * 10) / 10);
  if (series.length === 1) return `M0 ${f(y(first.risk))}H${f(width)}`;
  return series.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x(p.t))} ${f(y(p.risk))}`).join('');
}

export type Trend = 'rising' | 'falling' | 'steady' | 'unknown';

/** Direction of a series for the text alternative of a sparkline; moves under 5 points are steady. */
export function trendOf(series: readonly { risk: number }[]): Trend {
  if (series.length < 2) return 'unknown';
  const delta = series.at(-1)!.risk - series[0]!.risk;
  if (delta >= 0.05) return 'rising';
  if (delta <= -0.05) return 'falling';
  return 'steady';
}

/** Evenly spaced "nice" time ticks (1, 2, 5, 10, 15, 30 min, 1 h, ...) within [t0, t1]. */
export function timeTicks(t0: number, t1: number, maxTicks = 5): number[] {
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 <= t0 || maxTicks < 1) return [];
  const steps = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400,
  ].map((s) => s * 1000);
  const step = steps.find((s) => (t1 - t0) / s <= maxTicks) ?? steps.at(-1)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) ticks.push(t);
  return ticks;
}
