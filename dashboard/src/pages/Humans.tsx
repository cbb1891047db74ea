import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Approval, AutonomyRow, ControlState, HumansClient, SilenceRow } from '../api/humans';

const TOKEN_KEY = 'aiops.apiToken';
const DURATIONS = [
  ['1 h', 3_600_000],
  ['4 h', 4 * 3_600_000],
  ['1 day', 86_400_000],
] as const;

function readToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

/**
 * The humans' page: gated actions waiting for an approval (with their evidence), silences (create,
 * expire) and the kill switch. Polls the healer every `pollMs`.
 */
export function Humans({ client, pollMs = 2_000 }: { client: HumansClient; pollMs?: number }) {
  const [approvals, setApprovals] = useState<Approval[]>([]);
  const [silences, setSilences] = useState<SilenceRow[]>([]);
  const [control, setControl] = useState<ControlState | undefined>();
  const [autonomy, setAutonomy] = useState<AutonomyRow[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [token, setToken] = useState(readToken);
  const [form, setForm] = useState({
    namespace: '',
    name: '',
    selector: '',
    reason: '',
    duration: 0,
  });

  const refresh = useCallback(async () => {
    try {
      const [a, s, c, l] = await Promise.all([
        client.approvals(),
        client.silences(),
        client.control(),
        client.autonomy(),
      ]);
      setAutonomy(l);
      setApprovals(a);
      setSilences(s);
      setControl(c);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [client]);
  useEffect(() => {
    void refresh();
    const t = setInterval(() => void refresh(), pollMs);
    return () => clearInterval(t);
  }, [refresh, pollMs]);

  const act = async (fn: () => Promise<unknown>): Promise<void> => {
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError((err as Error).message);
    }
    await refresh();
  };
  const saveToken = (t: string): void => {
    setToken(t);
    try {
      sessionStorage.setItem(TOKEN_KEY, t);
    } catch {
      /* private mode: kept in memory only */
    }
  };
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void act(() =>
      client.createSilence(
        {
          ...(form.namespace ? { namespace: form.namespace } : {}),
          ...(form.name ? { name: form.name } : {}),
          ...(form.selector ? { selector: form.selector } : {}),
          reason: form.reason,
          durationMs: DURATIONS[form.duration]![1],
        },
        token,
      ),
    );
  };
  const waiting = approvals.filter((a) => a.state === 'pending' || a.state === 'approved');
  const decided = approvals.filter((a) => !waiting.includes(a));

  return (
    <section className="humans" aria-labelledby="humans-title">
      <h1 id="humans-title">Humans in the loop</h1>
      <p data-testid="kill-switch" className={control?.killSwitch.paused ? 'alert' : 'muted'}>
        {control === undefined
          ? 'Kill switch: …'
          : control.killSwitch.paused
            ? `Kill switch ON — every action is paused (${control.killSwitch.detail})`
            : `Kill switch off (${control.killSwitch.detail})`}
      </p>
      <label className="token">
        API token (kept for this browser session){' '}
        <input
          type="password"
          data-testid="api-token"
          value={token}
          onChange={(e) => saveToken(e.target.value)}
          autoComplete="off"
        />
      </label>
      {error && (
        <p className="alert" role="alert" data-testid="humans-error">
          {error}
        </p>
      )}

      <h2>Waiting for approval</h2>
      {waiting.length === 0 ? (
        <p className="muted" data-testid="no-approvals">
          Nothing waits for a human.
        </p>
      ) : (
        <ul className="approvals">
          {waiting.map((a) => (
            <li key={a.id} data-testid={`approval-${a.namespace}/${a.name}`}>
              <strong>
                {a.namespace}/{a.name}
              </strong>{' '}
              — {a.action} (step {a.step}) · risk {Math.round(a.risk * 100)} % ·{' '}
              <span data-testid="approval-state">{a.state}</span> · expires{' '}
              {new Date(a.expiresAt).toLocaleTimeString()}
              <p className="evidence">{a.reason}</p>
              {a.top && a.top.length > 0 && (
                <p className="muted">
                  Top signals:{' '}
                  {a.top.map((c) => `${c.feature} (+${c.contribution.toFixed(2)})`).join(', ')}
                </p>
              )}
              <code>
                kubectl annotate deploy/{a.name} -n {a.namespace} aiops.io/approve={a.id}
              </code>
              {a.state === 'pending' && (
                <span className="buttons">
                  <button
                    type="button"
                    onClick={() => void act(() => client.decide(a.id, true, token))}
                  >
                    Approve
                  </button>
                  <button
                    type="button"
                    onClick={() => void act(() => client.decide(a.id, false, token))}
                  >
                    Reject
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {decided.length > 0 && (
        <details>
          <summary>Decided ({decided.length})</summary>
          <ul data-testid="decided">
            {decided.map((a) => (
              <li key={a.id} data-testid={`decided-${a.id}`}>
                {a.namespace}/{a.name} — {a.action}: {a.state}
                {a.decidedBy ? ` by ${a.decidedBy} (${a.via})` : ''}
                {a.note ? ` — ${a.note}` : ''}
              </li>
            ))}
          </ul>
        </details>
      )}

      <h2>Silences</h2>
      <form onSubmit={submit} className="silence-form" aria-label="New silence">
        <input
          placeholder="namespace"
          aria-label="namespace"
          value={form.namespace}
          onChange={(e) => setForm({ ...form, namespace: e.target.value })}
        />
        <input
          placeholder="deployment (optional)"
          aria-label="deployment"
          value={form.name}
          onChange={(e) => setForm({ ...form, name: e.target.value })}
        />
        <input
          placeholder="label selector (optional)"
          aria-label="selector"
          value={form.selector}
          onChange={(e) => setForm({ ...form, selector: e.target.value })}
        />
        <input
          placeholder="reason"
          aria-label="reason"
          required
          value={form.reason}
          onChange={(e) => setForm({ ...form, reason: e.target.value })}
        />
        <select
          aria-label="duration"
          value={form.duration}
          onChange={(e) => setForm({ ...form, duration: Number(e.target.value) })}
        >
          {DURATIONS.map(([label], i) => (
            <option key={label} value={i}>
              {label}
            </option>
          ))}
        </select>
        <button type="submit">Silence</button>
      </form>
      {silences.length === 0 ? (
        <p className="muted" data-testid="no-silences">
          No silences.
        </p>
      ) : (
        <table className="silences">
          <thead>
            <tr>
              <th>Scope</th>
              <th>Reason</th>
              <th>By</th>
              <th>Until</th>
              <th>Holding</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {silences.map((s) => (
              <tr key={s.id} data-testid={`silence-${s.id}`} data-active={s.active}>
                <td>
                  {s.name
                    ? `${s.namespace}/${s.name}`
                    : [s.namespace, s.selector].filter(Boolean).join(' · ')}
                </td>
                <td>{s.reason}</td>
                <td>{s.createdBy}</td>
                <td data-testid="silence-until">
                  {s.active ? new Date(s.expiresAt).toLocaleString() : 'expired'}
                </td>
                <td>{s.holding.join(', ') || '—'}</td>
                <td>
                  {s.active && (
                    <button
                      type="button"
                      onClick={() => void act(() => client.expireSilence(s.id, token))}
                    >
                      Expire
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Autonomy earned from evidence (dry-run and approval decisions)</h2>
      {autonomy.length === 0 ? (
        <p className="muted" data-testid="no-autonomy">
          No judged would-be actions yet (dry-run deployments and decided approvals build the
          evidence).
        </p>
      ) : (
        <table className="autonomy" data-testid="autonomy">
          <thead>
            <tr>
              <th>Namespace</th>
              <th>Action</th>
              <th>Level</th>
              <th>Evidence</th>
            </tr>
          </thead>
          <tbody>
            {autonomy.map((r) => (
              <tr key={`${r.namespace}/${r.action}`}>
                <td>{r.namespace}</td>
                <td>{r.action}</td>
                <td>{r.level}</td>
                <td>
                  {r.needed}/{r.judged} needed — {r.reason}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
