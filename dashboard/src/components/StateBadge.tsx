import type { DeploymentStatus } from '@aiops/healer/api';
import { describeState } from '../view/states';

/** The heal state in words (e.g. "healing step 2") with the rung's action underneath. */
export function StateBadge({
  status,
}: {
  status: Pick<DeploymentStatus, 'state' | 'step' | 'dryRun'>;
}) {
  const v = describeState(status);
  return (
    <span className="state-cell">
      <span className={`badge tone-${v.tone}`}>{v.label}</span>
      {v.detail && <span className="muted small">{v.detail}</span>}
    </span>
  );
}
