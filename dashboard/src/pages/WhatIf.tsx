import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { FEATURES, type FeatureName, type PredictResponse } from '@aiops/model/schema';
import type { DeploymentStatus } from '@aiops/healer/api';
import { ApiError, type ApiClient, type ErrorDetail } from '../api/client';
import { ContributionBars } from '../components/ContributionBars';
import { RiskBar } from '../components/RiskBar';
import { hrefWhatIf } from '../route';
import {
  featureLabel,
  formatFeatureValue,
  formatNumber,
  formatRange,
  formatRisk,
} from '../view/format';
import { deploymentKey } from '../view/overview';
import {
  draftFrom,
  stepFor,
  validateDraft,
  type FieldError,
  type WhatIfDraft,
} from '../view/whatIf';

export interface WhatIfProps {
  api: Pick<ApiClient, 'predict' | 'getModel'>;
  deployments: readonly DeploymentStatus[];
  /** Whether the deployment list has arrived (so "not found" is not shown while loading). */
  loaded: boolean;
  namespace?: string;
  name?: string;
}

type Result =
  | { status: 'idle' }
  | { status: 'pending' }
  | { status: 'ok'; prediction: PredictResponse }
  | { status: 'error'; message: string; details: readonly ErrorDetail[] };

function gotText(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : (JSON.stringify(v) ?? String(v));
}

/** Change the signals, ask the model: "would this deployment still be at risk if…". */
export function WhatIf({ api, deployments, loaded, namespace, name }: WhatIfProps) {
  const uid = useId();
  const source =
    namespace && name
      ? deployments.find((d) => d.namespace === namespace && d.name === name)
      : undefined;
  const sourceKey = source ? deploymentKey(source) : '';
  const [draft, setDraft] = useState<WhatIfDraft>(() => draftFrom(source?.features));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [result, setResult] = useState<Result>({ status: 'idle' });
  const summaryRef = useRef<HTMLDivElement>(null);
  const abortRef = useRef<AbortController | null>(null);
  const [model, setModel] = useState<string>('');

  useEffect(() => {
    const ac = new AbortController();
    api.getModel(ac.signal).then(
      (m) =>
        setModel(
          `Scored by model ${m.version}` +
            (Number.isFinite(m.threshold)
              ? `, decision threshold ${formatRisk(m.threshold)}.`
              : '.'),
        ),
      (err: unknown) => {
        if (!ac.signal.aborted)
          setModel(
            `Model metadata unavailable: ${err instanceof Error ? err.message : String(err)}.`,
          );
      },
    );
    return () => ac.abort();
  }, [api]);

  // Start over from the chosen deployment when it changes (not on every live update of it).
  const startedFrom = useRef(sourceKey);
  useEffect(() => {
    if (startedFrom.current === sourceKey) return;
    startedFrom.current = sourceKey;
    setDraft(draftFrom(source?.features));
    setErrors([]);
    setResult({ status: 'idle' });
  }, [sourceKey, source]);
  useEffect(() => () => abortRef.current?.abort(), []);

  const errorFor = (f: FeatureName): string | undefined =>
    errors.find((e) => e.field === f)?.message;

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const v = validateDraft(draft);
    if (!v.ok) {
      setErrors(v.errors);
      setResult({ status: 'idle' });
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    setErrors([]);
    setResult({ status: 'pending' });
    abortRef.current?.abort();
    const ac = new AbortController();
    abortRef.current = ac;
    api.predict(v.body, ac.signal).then(
      (prediction) => setResult({ status: 'ok', prediction }),
      (err: unknown) => {
        if (ac.signal.aborted) return;
        if (err instanceof ApiError)
          setResult({ status: 'error', message: err.message, details: err.details });
        else setResult({ status: 'error', message: String(err), details: [] });
      },
    );
  };

  const required = FEATURES.filter((f) => f.required);
  const optional = FEATURES.filter((f) => !f.required);
  const field = (f: (typeof FEATURES)[number]) => {
    const id = `${uid}-${f.name}`;
    const err = errorFor(f.name);
    const current = source?.features[f.name];
    const typed = draft[f.name].trim();
    const changed = current != null && typed !== '' && Number(typed) !== current;
    return (
      <div
        key={f.name}
        className={`field ${err ? 'field-error' : ''} ${changed ? 'field-changed' : ''}`}
      >
        <label htmlFor={id}>
          {featureLabel(f.name)}
          {f.required && <span aria-hidden="true"> *</span>}
        </label>
        <span className="field-input">
          <input
            id={id}
            name={f.name}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            value={draft[f.name]}
            placeholder={f.required ? '' : `default ${formatNumber(f.default)}`}
            aria-invalid={err ? true : undefined}
            aria-describedby={`${id}-hint${err ? ` ${id}-err` : ''}`}
            aria-required={f.required}
            data-step={stepFor(f)}
            onChange={(e) => setDraft((d) => ({ ...d, [f.name]: e.target.value }))}
          />
          <span className="unit">{f.unit}</span>
        </span>
        <span id={`${id}-hint`} className="muted small" title={f.description}>
          {formatRange(f.name)}
          {current != null && ` · now ${formatFeatureValue(f.name, current)}`}
          {!f.required && ' · optional'}
          {changed && <strong className="changed-mark"> · changed</strong>}
        </span>
        {err && (
          <span id={`${id}-err`} className="error-text">
            {err}
          </span>
        )}
      </div>
    );
  };

  return (
    <div className="whatif">
      <section className="card">
        <h1>What-if</h1>
        <p className="muted">
          Change the signals and ask the model for the risk. Starts from a deployment&apos;s current
          values; empty optional signals are filled with healthy defaults by the backend.
        </p>
        {model && (
          <p className="muted small" data-testid="model-info">
            {model}
          </p>
        )}
        <label className="from">
          <span>Start from</span>
          <select
            value={sourceKey}
            onChange={(e) => {
              const [ns, ...rest] = e.target.value.split('/');
              window.location.hash = e.target.value ? hrefWhatIf(ns, rest.join('/')) : hrefWhatIf();
            }}
          >
            <option value="">schema defaults</option>
            {[...deployments]
              .sort((a, b) => deploymentKey(a).localeCompare(deploymentKey(b)))
              .map((d) => (
                <option key={deploymentKey(d)} value={deploymentKey(d)}>
                  {deploymentKey(d)} ({formatRisk(d.risk)})
                </option>
              ))}
          </select>
        </label>
        {namespace && name && loaded && !source && (
          <p className="alert" role="alert">
            {namespace}/{name} is not watched; starting from the schema defaults.
          </p>
        )}

        <form onSubmit={submit} noValidate aria-label="What-if signals">
          {errors.length > 0 && (
            <div
              className="alert"
              role="alert"
              tabIndex={-1}
              ref={summaryRef}
              data-testid="form-errors"
            >
              <strong>
                Fix {errors.length === 1 ? 'this field' : `these ${errors.length} fields`}:
              </strong>
              <ul>
                {errors.map((e) => (
                  <li key={e.field}>
                    <a
                      href={`#${uid}-${e.field}`}
                      onClick={(ev) => {
                        ev.preventDefault();
                        document.getElementById(`${uid}-${e.field}`)?.focus();
                      }}
                    >
                      {e.message}
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          )}
          <fieldset>
            <legend>Required signals</legend>
            <div className="fields">{required.map(field)}</div>
          </fieldset>
          <fieldset>
            <legend>Optional signals</legend>
            <div className="fields">{optional.map(field)}</div>
          </fieldset>
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={result.status === 'pending'}>
              {result.status === 'pending' ? 'Predicting…' : 'Predict risk'}
            </button>
            <button
              type="button"
              className="button"
              onClick={() => {
                setDraft(draftFrom(source?.features));
                setErrors([]);
              }}
            >
              Reset to {source ? 'current values' : 'defaults'}
            </button>
          </div>
        </form>
      </section>

      <section className="card whatif-result" aria-labelledby={`${uid}-result`} aria-live="polite">
        <h2 id={`${uid}-result`}>Result</h2>
        {result.status === 'idle' && (
          <p className="muted">Press “Predict risk” to score these values.</p>
        )}
        {result.status === 'pending' && <p className="muted">Asking the model…</p>}
        {result.status === 'error' && (
          <div className="alert" role="alert" data-testid="predict-error">
            <p>{result.message}</p>
            {result.details.length > 0 && (
              <ul>
                {result.details.map((d, i) => (
                  <li key={`${d.field}-${i}`}>
                    <code>{d.field}</code>: {d.message ?? d.rule} (rule {d.rule}, got{' '}
                    {gotText(d.got)})
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {result.status === 'ok' && (
          <div data-testid="whatif-result">
            <RiskBar risk={result.prediction.risk} level={result.prediction.level} size="lg" />
            {source && (
              <p className="muted">
                {deploymentKey(source)} is at {formatRisk(source.risk)} now; with these values{' '}
                {formatRisk(result.prediction.risk)}.
              </p>
            )}
            <p className="muted small">
              Model {result.prediction.model?.version ?? '?'} · decision threshold{' '}
              {formatRisk(result.prediction.threshold)}
              {result.prediction.imputed?.length
                ? ` · imputed from defaults: ${result.prediction.imputed.map(featureLabel).join(', ')}`
                : ''}
            </p>
            <ContributionBars explanation={result.prediction.explanation} />
          </div>
        )}
      </section>
    </div>
  );
}
