// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeatureInput, PredictResponse } from '@aiops/model/schema';
import { ApiError, type ApiClient } from '../api/client';
import { status } from '../testing/fixtures';
import { WhatIf } from './WhatIf';

afterEach(cleanup);

const PREDICTION: PredictResponse = {
  risk: 0.42,
  level: 'elevated',
  threshold: 0.5,
  explanation: [{ feature: 'http_5xx_error_rate', value: 0.1, contribution: 0.2 }],
  imputed: ['cpu_throttle_ratio'],
  model: { version: 'v7' },
  elapsed_ms: 1,
};

/** A small interface fake of the client: records bodies and answers what the test says. */
function fakeApi(answer: () => Promise<PredictResponse>) {
  const sent: Partial<FeatureInput>[] = [];
  const api: Pick<ApiClient, 'predict' | 'getModel'> = {
    predict: (body) => {
      sent.push(body);
      return answer();
    },
    getModel: async () => ({ version: 'v7', threshold: 0.5 }),
  };
  return { api, sent };
}

const deployment = status({
  name: 'payments',
  risk: 0.95,
  features: { restart_count_last_5m: 6, ready_replica_ratio: 0.33, http_5xx_error_rate: 0.31 },
});

describe('WhatIf', () => {
  it("starts from the deployment's current values, posts them, and shows risk, level and explanation", async () => {
    const { api, sent } = fakeApi(async () => PREDICTION);
    render(<WhatIf api={api} deployments={[deployment]} loaded namespace="prod" name="payments" />);
    expect((screen.getByLabelText(/restart count last 5m/) as HTMLInputElement).value).toBe('6');
    expect((await screen.findByTestId('model-info')).textContent).toBe(
      'Scored by model v7, decision threshold 50 %.',
    );
    expect((screen.getByLabelText(/cpu usage pct/) as HTMLInputElement).value).toBe('20'); // schema default
    fireEvent.click(screen.getByRole('button', { name: 'Predict risk' }));
    const result = await screen.findByTestId('whatif-result');
    expect(result.textContent).toContain('42 %');
    expect(result.textContent).toContain('elevated');
    expect(result.textContent).toContain('prod/payments is at 95 % now; with these values 42 %');
    expect(result.textContent).toContain('imputed from defaults: cpu throttle ratio');
    expect(result.textContent).toContain('+0.20');
    expect(sent[0]).toMatchObject({ restart_count_last_5m: 6, ready_replica_ratio: 0.33 });
    expect(sent[0]).not.toHaveProperty('cpu_throttle_ratio');
  });

  it('names the field and rule client-side and does not call the backend', () => {
    const { api, sent } = fakeApi(async () => PREDICTION);
    render(<WhatIf api={api} deployments={[deployment]} loaded namespace="prod" name="payments" />);
    const ready = screen.getByLabelText(/ready replica ratio/);
    fireEvent.change(ready, { target: { value: '1.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Predict risk' }));
    expect(screen.getByTestId('form-errors').textContent).toContain(
      'ready_replica_ratio must be between 0 and 1 ratio 0–1 (got 1.5)',
    );
    expect(ready.getAttribute('aria-invalid')).toBe('true');
    expect(sent).toEqual([]);
  });

  it("shows the backend's 400 details: field, rule, value", async () => {
    const { api } = fakeApi(async () => {
      throw new ApiError('POST /predict: the backend answered 400: invalid body', {
        kind: 'http',
        url: '/predict',
        status: 400,
        details: [
          {
            field: 'memory_usage_bytes',
            rule: 'finite',
            got: 'Infinity',
            message: 'must be a finite number',
          },
        ],
      });
    });
    render(<WhatIf api={api} deployments={[]} loaded />);
    fireEvent.click(screen.getByRole('button', { name: 'Predict risk' }));
    const err = await screen.findByTestId('predict-error');
    expect(err.textContent).toContain('answered 400: invalid body');
    expect(err.textContent).toContain(
      'memory_usage_bytes: must be a finite number (rule finite, got "Infinity")',
    );
  });

  it('says when the chosen deployment is not watched and starts from defaults', async () => {
    const { api } = fakeApi(async () => PREDICTION);
    render(<WhatIf api={api} deployments={[deployment]} loaded namespace="prod" name="gone" />);
    expect(screen.getByRole('alert').textContent).toContain('prod/gone is not watched');
    expect((screen.getByLabelText(/restart count last 5m/) as HTMLInputElement).value).toBe('0');
  });

  it('shows a network failure without crashing', async () => {
    const { api } = fakeApi(async () => {
      throw new ApiError('POST /predict: the backend unreachable', {
        kind: 'network',
        url: '/predict',
      });
    });
    render(<WhatIf api={api} deployments={[]} loaded />);
    fireEvent.click(screen.getByRole('button', { name: 'Predict risk' }));
    await waitFor(() =>
      expect(screen.getByTestId('predict-error').textContent).toContain('backend unreachable'),
    );
  });
});

it("marks the fields changed from the deployment's current values", () => {
  const { api } = fakeApi(async () => PREDICTION);
  render(<WhatIf api={api} deployments={[deployment]} loaded namespace="prod" name="payments" />);
  const ready = screen.getByLabelText(/ready replica ratio/);
  expect(document.querySelectorAll('.field-changed')).toHaveLength(0);
  fireEvent.change(ready, { target: { value: '1' } });
  expect(ready.closest('.field')?.textContent).toContain('changed');
  expect(document.querySelectorAll('.field-changed')).toHaveLength(1);
});
