import type { ActionRecord, HealState } from '@aiops/healer/api';
import { formatClock } from '../view/format';
import { ACTION_LABELS, LADDER, OUTCOME_LABELS } from '../view/states';

/** The heal ladder with the rung the healer is on, and each rung's latest attempt. */
export function Ladder({
  step,
  state,
  actions,
}: {
  step: number;
  state: HealState;
  actions: readonly ActionRecord[];
}) {
  const active = state !== 'healthy' && state !== 'watching' && step >= 1;
  return (
    <ol className="ladder">
      {LADDER.map((action, i) => {
        const rung = i + 1;
        const status = !active
          ? 'upcoming'
          : rung < step
            ? 'done'
            : rung === step
              ? 'current'
              : 'upcoming';
        const latest = actions.filter((a) => a.step === rung).at(-1);
        return (
          <li
            key={action}
            className={`rung rung-${status}`}
            aria-current={status === 'current' ? 'step' : undefined}
          >
            <span className="rung-num" aria-hidden="true">
              {rung}
            </span>
            <span className="rung-body">
              <span className="rung-name">
                {ACTION_LABELS[action]}
                {status === 'current' && <span className="badge tone-warn">current</span>}
                {status === 'done' && <span className="sr-only"> (done)</span>}
              </span>
              {latest && (
                <span className="muted small">
                  {latest.dryRun ? 'dry-run · ' : ''}attempt {latest.attempt} ·{' '}
                  {OUTCOME_LABELS[latest.outcome] ?? latest.outcome} · {formatClock(latest.at)}
                </span>
              )}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
