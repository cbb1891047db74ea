import type { RiskPoint } from '@aiops/healer/api';
import { LEVEL_CUTS } from '@aiops/model/schema';
import { cleanSeries, riskPath, trendOf } from '../view/chart';

const W = 96;
const H = 28;

/** The recent risk trend on a fixed 0–1 scale (rows compare at a glance), with a text alternative. */
export function Sparkline({ points }: { points: readonly RiskPoint[] | undefined }) {
  const series = cleanSeries(points);
  const trend = trendOf(series);
  const last = series.at(-1);
  const y = (r: number): number => H - 2 - r * (H - 4);
  return (
    <span className="sparkline">
      <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} aria-hidden="true" focusable="false">
        <line className="spark-cut" x1={0} x2={W} y1={y(LEVEL_CUTS.high)} y2={y(LEVEL_CUTS.high)} />
        {series.length > 0 && (
          <path
            className="spark-line"
            d={riskPath(series, W - 4, H - 4)}
            transform="translate(1 2)"
            fill="none"
          />
        )}
        {last && (
          <circle
            className="spark-dot"
            cx={series.length > 1 ? W - 3 : W / 2}
            cy={y(last.risk)}
            r={2.5}
          />
        )}
      </svg>
      <span className="sr-only">
        {series.length ? `trend ${trend}, ${series.length} points` : 'no trend yet'}
      </span>
    </span>
  );
}
