import type { Contribution } from '@aiops/model/schema';
import { featureLabel, formatContribution, formatFeatureValue } from '../view/format';

/**
 * What drives the risk: one diverging bar per feature, right (warm) raises the risk, left (cool)
 * lowers it, the signed number beside it. Largest effect first.
 */
export function ContributionBars({
  explanation,
  limit,
}: {
  explanation: readonly Contribution[] | undefined;
  limit?: number;
}) {
  const rows = [...(explanation ?? [])]
    .filter((c) => Number.isFinite(c.contribution))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, limit ?? Infinity);
  if (rows.length === 0) return <p className="muted">No explanation yet.</p>;
  const scale = Math.max(0.05, ...rows.map((r) => Math.abs(r.contribution)));
  return (
    <table className="contrib">
      <caption className="sr-only">
        Feature contributions to the risk, largest first; positive raises the risk
      </caption>
      <thead>
        <tr>
          <th scope="col">Signal</th>
          <th scope="col">Value</th>
          <th scope="col">
            Contribution <span className="muted">(◀ lowers · raises ▶)</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => {
          const w = (Math.abs(c.contribution) / scale) * 50;
          const up = c.contribution > 0;
          const text = formatContribution(c.contribution);
          const dir = text === '0.00' ? 'zero' : up ? 'up' : 'down';
          return (
            <tr key={c.feature} className={dir === 'zero' ? 'contrib-zero' : undefined}>
              <th scope="row" title={c.feature}>
                {featureLabel(c.feature)}
              </th>
              <td className="num">{formatFeatureValue(c.feature, c.value)}</td>
              <td>
                <span className="contrib-cell">
                  <span className="contrib-track" aria-hidden="true">
                    <span
                      className={`contrib-bar ${up ? 'up' : 'down'}`}
                      style={
                        up ? { left: '50%', width: `${w}%` } : { right: '50%', width: `${w}%` }
                      }
                    />
                  </span>
                  <span className={`contrib-num ${dir}`}>{text}</span>
                </span>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
