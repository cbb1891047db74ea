import { useEffect, useRef, useState, type RefObject } from 'react';
import type { ActionRecord, RiskPoint } from '@aiops/healer/api';
import { LEVEL_CUTS } from '@aiops/model/schema';
import { cleanSeries, linearScale, riskPath, timeTicks } from '../view/chart';
import { formatClock, formatRisk, parseTime } from '../view/format';
import { actionVerb, OUTCOME_LABELS } from '../view/states';

const H = 260;
const M = { top: 14, right: 16, bottom: 26, left: 44 };

/** Tracks an element's width so the SVG draws at real pixels (text stays readable on a phone). */
function useWidth(fallback: number): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return undefined;
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w && w > 0) setWidth(Math.round(w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

/**
 * Risk over time with the level bands, the healer's thresholds and a marker per action. The caption
 * says the same in words.
 */
export function RiskChart({
  history,
  thresholds,
  actions,
}: {
  history: readonly RiskPoint[];
  thresholds: { high: number; low: number };
  actions: readonly ActionRecord[];
}) {
  const [ref, width] = useWidth(640);
  const series = cleanSeries(history);
  const marks = actions.map((a) => ({ a, t: parseTime(a.at) })).filter((m) => Number.isFinite(m.t));
  const times = [...series.map((p) => p.t), ...marks.map((m) => m.t)];
  const t0 = times.length ? Math.min(...times) : 0;
  const t1 = times.length ? Math.max(...times) : 1;
  const iw = Math.max(50, width - M.left - M.right);
  const ih = H - M.top - M.bottom;
  const x = linearScale([t0, t1 === t0 ? t0 + 60_000 : t1], [0, iw]);
  const y = linearScale([0, 1], [ih, 0]);
  const first = series[0];
  const last = series.at(-1);
  const line = riskPath(series, iw, ih, [t0, t1 === t0 ? t0 + 60_000 : t1]);
  const minutes = Math.round((t1 - t0) / 60_000);

  const caption = series.length
    ? `Risk ${formatRisk(first?.risk)} → ${formatRisk(last?.risk)} over ${minutes} min ` +
      `(${series.length} assessments); heals at ≥ ${formatRisk(thresholds.high)}, clears below ` +
      `${formatRisk(thresholds.low)}; ${marks.length} action${marks.length === 1 ? '' : 's'} marked.`
    : 'No risk history yet.';
  const bands = [
    { from: LEVEL_CUTS.elevated, to: LEVEL_CUTS.high, l: 'elevated' },
    { from: LEVEL_CUTS.high, to: LEVEL_CUTS.critical, l: 'high' },
    { from: LEVEL_CUTS.critical, to: 1, l: 'critical' },
  ];

  return (
    <figure className="chart" data-testid="risk-chart">
      <div ref={ref} className="chart-box">
        <svg width={width} height={H} role="img" aria-label={caption}>
          <g transform={`translate(${M.left} ${M.top})`}>
            {bands.map((b) => (
              <rect
                key={b.l}
                className={`band lvl-${b.l}`}
                x={0}
                width={iw}
                y={y(b.to)}
                height={y(b.from) - y(b.to)}
              />
            ))}
            {[0, 0.25, 0.5, 0.75, 1].map((v) => (
              <g key={v}>
                <line className="grid" x1={0} x2={iw} y1={y(v)} y2={y(v)} />
                <text className="axis" x={-8} y={y(v)} dy="0.32em" textAnchor="end">
                  {Math.round(v * 100)} %
                </text>
              </g>
            ))}
            {timeTicks(t0, t1, Math.max(2, Math.floor(iw / 90))).map((t) => (
              <text key={t} className="axis" x={x(t)} y={ih + 18} textAnchor="middle">
                {formatClock(t).slice(0, 5)}
              </text>
            ))}
            {[
              {
                kind: 'high',
                at: thresholds.high,
                label: `heal ≥ ${formatRisk(thresholds.high)}`,
                dy: -5,
              },
              {
                kind: 'low',
                at: thresholds.low,
                label: `clear < ${formatRisk(thresholds.low)}`,
                dy: 14,
              },
            ].map((thr) => (
              <g key={thr.kind}>
                <line
                  className={`thr thr-${thr.kind}`}
                  x1={0}
                  x2={iw}
                  y1={y(thr.at)}
                  y2={y(thr.at)}
                />
                <text
                  className={`thr-label thr-${thr.kind}`}
                  x={iw - 4}
                  y={y(thr.at) + thr.dy}
                  textAnchor="end"
                >
                  {thr.label}
                </text>
              </g>
            ))}
            {line && (
              <>
                <path
                  className="area"
                  d={`${line}V${ih}H${series.length > 1 ? x(series[0]!.t) : 0}Z`}
                />
                <path className="line" d={line} fill="none" />
              </>
            )}
            {last && (
              <circle
                className="last"
                cx={series.length > 1 ? x(last.t) : iw}
                cy={y(last.risk)}
                r={4}
              />
            )}
            {marks.map(({ a, t }) => (
              <g
                key={`${a.at}-${a.step}-${a.attempt}`}
                className={`mark outcome-${a.outcome}`}
                transform={`translate(${x(t)} 0)`}
              >
                <title>{`${formatClock(a.at)} ${actionVerb(a)}, ${OUTCOME_LABELS[a.outcome] ?? a.outcome}: ${a.message}`}</title>
                <line y1={0} y2={ih} />
                <circle cy={0} r={9} />
                <text y={0} dy="0.35em" textAnchor="middle">
                  {a.step}
                </text>
              </g>
            ))}
          </g>
        </svg>
      </div>
      <figcaption className="muted small">{caption} Numbered markers are heal steps.</figcaption>
    </figure>
  );
}
