import type { RiskLevel } from '@aiops/model/schema';
import { formatRisk } from '../view/format';
import { LEVEL_GLYPHS, levelLabel } from '../view/states';

/** A level as text plus a glyph, coloured: it reads the same without colour. */
export function LevelBadge({ level }: { level: RiskLevel | null | undefined }) {
  const l = level ?? 'unknown';
  return (
    <span className={`level lvl-${l}`}>
      <span aria-hidden="true">{LEVEL_GLYPHS[l]}</span> {levelLabel(level)}
    </span>
  );
}

/** Risk as a number, a bar coloured by level, and the level in words. */
export function RiskBar({
  risk,
  level,
  size = 'md',
}: {
  risk: number | null | undefined;
  level: RiskLevel | null | undefined;
  size?: 'md' | 'lg';
}) {
  const known = risk != null && Number.isFinite(risk);
  const pct = known ? Math.min(100, Math.max(0, risk * 100)) : 0;
  return (
    <span className={`risk risk-${size} lvl-${level ?? 'unknown'}`}>
      <span className="risk-value">{formatRisk(risk)}</span>
      <span className="risk-track" aria-hidden="true">
        <span className="risk-fill" style={{ width: `${pct}%` }} />
      </span>
      <LevelBadge level={level} />
    </span>
  );
}
