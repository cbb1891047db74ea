import { featureSpec, type FeatureSpec } from '@aiops/model/schema';

/** Shown wherever a value is unknown (null, NaN, missing). */
export const UNKNOWN = '—';

/** Formats a risk in [0, 1] as a whole percentage, or an em dash when unknown. */
export function formatRisk(risk: number | null | undefined): string {
  if (risk == null || !Number.isFinite(risk)) return UNKNOWN;
  return `${Math.round(risk * 100)} %`;
}

/** Parses an ISO time to epoch ms, or NaN when missing or malformed. */
export function parseTime(iso: string | null | undefined): number {
  if (!iso) return Number.NaN;
  return Date.parse(iso);
}

/**
 * "how long ago" for people under stress: `just now`, `42 s ago`, `12 min ago`, `3 h ago`, `2 d ago`.
 * A time slightly in the future (clock skew between healer and browser) reads as `just now`.
 */
export function formatAgo(iso: string | null | undefined, now: number): string {
  const t = parseTime(iso);
  if (!Number.isFinite(t) || !Number.isFinite(now)) return UNKNOWN;
  const s = Math.floor((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** An assessment older than this is flagged on the overview: the healer may be stuck or down. */
export const STALE_AFTER_MS = 5 * 60_000;

/** True when `iso` is a valid time more than `maxAgeMs` before `now`. */
export function isStale(
  iso: string | null | undefined,
  now: number,
  maxAgeMs = STALE_AFTER_MS,
): boolean {
  const t = parseTime(iso);
  return Number.isFinite(t) && Number.isFinite(now) && now - t > maxAgeMs;
}

/** Local wall-clock time `HH:MM:SS` (24 h), the way incident notes are written. */
export function formatClock(iso: string | number | null | undefined): string {
  const t = typeof iso === 'number' ? iso : parseTime(iso);
  if (!Number.isFinite(t)) return UNKNOWN;
  const d = new Date(t);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A number with at most `digits` significant digits, no exponent for everyday magnitudes. */
export function formatNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return UNKNOWN;
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e15 || abs < 1e-4) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

function formatBytes(v: number, suffix = ''): string {
  let i = 0;
  let x = v;
  while (Math.abs(x) >= 1024 && i < BINARY.length - 1) {
    x /= 1024;
    i += 1;
  }
  return `${formatNumber(x)} ${BINARY[i]}${suffix}`;
}

/** A feature value in the unit people read on their other dashboards (MiB, ms, %, req/s). */
export function formatFeatureValue(name: string, value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return UNKNOWN;
  const spec: FeatureSpec | undefined = featureSpec(name);
  switch (spec?.kind) {
    case 'bytes':
      return formatBytes(value);
    case 'bytes_per_second':
      return formatBytes(value, '/s');
    case 'percent':
      return `${formatNumber(value)} %`;
    case 'seconds':
      return Math.abs(value) < 1 ? `${formatNumber(value * 1000)} ms` : `${formatNumber(value)} s`;
    case 'per_second':
      return `${formatNumber(value)} ${spec.unit}`;
    case 'count':
      return `${formatNumber(value)} ${spec.unit}`;
    case 'ratio':
      return spec.unit.startsWith('ratio')
        ? formatNumber(value)
        : `${formatNumber(value)} ${spec.unit}`;
    default:
      return formatNumber(value);
  }
}

/** A signed contribution in risk points: `+0.42`, `−0.05` (true minus sign), `0.00`. */
export function formatContribution(c: number | null | undefined): string {
  if (c == null || !Number.isFinite(c)) return UNKNOWN;
  const r = Math.round(c * 100) / 100;
  if (r === 0) return '0.00';
  return `${r > 0 ? '+' : '−'}${Math.abs(r).toFixed(2)}`;
}

/** `http_5xx_error_rate` → `http 5xx error rate`: readable, and still greppable. */
export function featureLabel(name: string): string {
  return name.replace(/_/g, ' ');
}

/** [from, divisor, suffix]: thousands only from 10k, so 1000–9999 stay exact. */
const SI = [
  [1e12, 1e12, 'T'],
  [1e9, 1e9, 'G'],
  [1e6, 1e6, 'M'],
  [1e4, 1e3, 'k'],
] as const;

/** Large bounds people can read: 10000 → `10k`, 1e13 → `10T`. Small numbers as formatNumber. */
export function formatCompact(v: number): string {
  if (!Number.isFinite(v)) return UNKNOWN;
  for (const [from, divisor, suffix] of SI)
    if (Math.abs(v) >= from) return `${formatNumber(v / divisor)}${suffix}`;
  return formatNumber(v);
}

/** A feature's valid range for the what-if hint: `0 – 1`, `0 – 10k`, `0 B – 9.09 TiB`. */
export function formatRange(name: string): string {
  const spec = featureSpec(name);
  if (!spec) return UNKNOWN;
  if (spec.kind === 'bytes' || spec.kind === 'bytes_per_second')
    return `${formatFeatureValue(name, spec.min)} – ${formatFeatureValue(name, spec.max)}`;
  return `${formatCompact(spec.min)} – ${formatCompact(spec.max)}`;
}
