import { FEATURE_NAMES, type FeatureName } from '../schema.js';
import type { ReplayTable } from '../replay/csv.js';
import { median } from './events.js';

/**
 * What the data shows during a false-alarm episode, so a reader can tell a noisy detector from an
 * incident the fault list does not name: the signal that raised the risk most, its extreme while
 * the deployment was at risk, and its median on the same deployment's other rows of the
 * fault-free stretch (its normal there).
 */
export interface EpisodeEvidence {
  feature: FeatureName;
  /** The value furthest from `typical` among the episode's rows. */
  peak: number;
  /** Median of the deployment's fault-free rows outside the episode. */
  typical: number;
  /** Rows behind `typical`. */
  typicalRows: number;
}

export interface EvidenceQuery {
  deployment: string;
  /** Unix seconds, inclusive. */
  start: number;
  end: number;
  feature: FeatureName;
}

/**
 * The evidence for one episode, or `undefined` when the feature has no value in the episode's
 * rows or none on the deployment's other fault-free rows (nothing to compare with). Pure.
 */
export function episodeEvidence(
  table: Pick<ReplayTable, 't' | 'seriesOf' | 'series' | 'values' | 'rows'>,
  episode: EvidenceQuery,
  faultFree: { from: number; to: number },
): EpisodeEvidence | undefined {
  const n = FEATURE_NAMES.length;
  const f = FEATURE_NAMES.indexOf(episode.feature);
  if (f < 0) return undefined;
  const during: number[] = [];
  const normal: number[] = [];
  for (let r = 0; r < table.rows; r++) {
    if (table.series[table.seriesOf[r] as number]?.deployment !== episode.deployment) continue;
    const v = table.values[r * n + f] as number;
    if (!Number.isFinite(v)) continue;
    const t = table.t[r] as number;
    if (t >= episode.start && t <= episode.end) during.push(v);
    else if (t >= faultFree.from && t <= faultFree.to) normal.push(v);
  }
  if (during.length === 0 || normal.length === 0) return undefined;
  const typical = median(normal) as number;
  let peak = during[0] as number;
  for (const v of during) if (Math.abs(v - typical) > Math.abs(peak - typical)) peak = v;
  return { feature: episode.feature, peak, typical, typicalRows: normal.length };
}

/** `2.37 against 0.0400 typical (59×)`: three significant digits, the ratio when it means something. */
export function describeEvidence(e: EpisodeEvidence): string {
  const g = (x: number): string => Number(x.toPrecision(3)).toString();
  const ratio =
    e.typical > 0 && e.peak > 0
      ? e.peak >= e.typical
        ? ` (${g(e.peak / e.typical)}×)`
        : ` (1/${g(e.typical / e.peak)})`
      : '';
  return `${e.feature} ${g(e.peak)} against ${g(e.typical)} typical over ${e.typicalRows} fault-free rows${ratio}`;
}
