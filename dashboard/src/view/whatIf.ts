import { FEATURES, type FeatureInput, type FeatureName } from '@aiops/model/schema';
import type { DeploymentStatus } from '@aiops/healer/api';

/** The form's raw text per feature: what the person typed, validated only on submit/blur. */
export type WhatIfDraft = Record<FeatureName, string>;

export interface FieldError {
  field: FeatureName;
  message: string;
}

/**
 * Starts the form from a deployment's current features. Required features the deployment lacks start
 * at the schema default; optional ones start empty (the backend then imputes them and says so).
 */
export function draftFrom(features: DeploymentStatus['features'] | undefined): WhatIfDraft {
  const draft = {} as WhatIfDraft;
  for (const f of FEATURES) {
    const v = features?.[f.name];
    draft[f.name] =
      v != null && Number.isFinite(v) ? String(v) : f.required ? String(f.default) : '';
  }
  return draft;
}

/**
 * Client-side check against the schema, one message per broken field naming the field and the rule,
 * as the backend would. Returns the body to POST when there is nothing to report.
 */
export function validateDraft(
  draft: Partial<WhatIfDraft>,
): { ok: true; body: FeatureInput } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const body: Partial<Record<FeatureName, number>> = {};
  for (const f of FEATURES) {
    const raw = (draft[f.name] ?? '').trim();
    if (raw === '') {
      if (f.required) errors.push({ field: f.name, message: `${f.name} is required` });
      continue;
    }
    const v = Number(raw);
    if (!Number.isFinite(v)) {
      errors.push({ field: f.name, message: `${f.name} must be a finite number (got "${raw}")` });
      continue;
    }
    if (v < f.min || v > f.max) {
      errors.push({
        field: f.name,
        message: `${f.name} must be between ${f.min} and ${f.max} ${f.unit} (got ${raw})`,
      });
      continue;
    }
    body[f.name] = v;
  }
  return errors.length ? { ok: false, errors } : { ok: true, body: body as FeatureInput };
}

/** A sensible input step for a feature's range, so arrow keys move by a useful amount. */
export function stepFor(f: { min: number; max: number; integer: boolean }): string {
  if (f.integer) return '1';
  const span = f.max - f.min;
  if (span <= 2) return '0.01';
  if (span <= 20) return '0.1';
  return 'any';
}
