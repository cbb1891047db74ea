/**
 * PredictClient against the real backend (backend/src/main.ts under tsx, the committed model, a
 * free loopback port): the columnar answer it asks for decodes to the predictions the default
 * answer carries — risks, levels, layers and imputed features exactly, contributions to 1e-6 and
 * values to 6 significant digits.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CRASH_LOOP_EXAMPLE,
  ORIGINAL_HEALTHY_EXAMPLE,
  type BatchPredictResponse,
  type FeatureInput,
} from '@aiops/model';
import { PredictClient } from './predict.js';

const backendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../backend');
let backend: ChildProcess | undefined;
let url = '';

beforeAll(async () => {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: backendDir,
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: 'test/tsconfig.tsx.json',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  backend = proc;
  let out = '';
  url = await new Promise<string>((resolve, reject) => {
    let port: number | undefined;
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      for (const raw of out.split('\n')) {
        let line: { msg?: string; port?: number };
        try {
          line = JSON.parse(raw) as typeof line;
        } catch {
          continue;
        }
        if (line.port !== undefined) port = line.port;
        if (port !== undefined && line.msg?.startsWith('model ready')) {
          resolve(`http://127.0.0.1:${port}`);
        }
      }
    });
    proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    proc.once('exit', () => reject(new Error(`the backend exited before ready:\n${out}`)));
  });
}, 120_000);

afterAll(() => {
  if (backend?.pid !== undefined && backend.exitCode === null) process.kill(backend.pid, 'SIGKILL');
});

describe('PredictClient against the real backend', () => {
  it('decodes the columnar answer to the default answer’s predictions', async () => {
    const withContext: FeatureInput = {
      ...ORIGINAL_HEALTHY_EXAMPLE,
      cpu_usage_pct: 88.123456789,
      http_p95_latency_seconds: 0.4,
      baseline: {
        cpu_usage_pct: { p10: 80, p50: 86.1234567, p90: 91 },
        http_p95_latency_seconds: { p10: 0.09, p50: 0.11, p90: 0.14 },
      },
    };
    const burning: FeatureInput = {
      ...ORIGINAL_HEALTHY_EXAMPLE,
      slo: {
        availability: 0.999,
        windows: {
          '5m': { error_ratio: 0.5, requests: 1200 },
          '1h': { error_ratio: 0.5, requests: 14400 },
        },
      },
    };
    const instances = [ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE, withContext, burning];
    const client = new PredictClient({ url, timeoutMs: 10_000, retries: 0 });
    const got = await client.predict(instances);
    const res = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances }),
    });
    const want = ((await res.json()) as BatchPredictResponse).predictions;
    expect(client.requestForm).toBe('columns');
    expect(got).toHaveLength(want.length);
    for (let r = 0; r < want.length; r++) {
      const [g, w] = [got[r]!, want[r]!];
      expect(g.risk).toBe(w.risk);
      expect(g.level).toBe(w.level);
      expect(g.layer).toBe(w.layer);
      expect(g.imputed).toEqual(w.imputed);
      expect(g.inconclusive).toBe(w.inconclusive);
      expect(g.layers?.model.risk).toBe(w.layers?.model.risk);
      expect(g.layers?.model.reference_risk).toBe(w.layers?.model.reference_risk);
      if (w.layer === 'slo') expect(g.layers?.slo).toEqual(w.layers?.slo);
      if (w.layer === 'own_normal') expect(g.layers?.own_normal).toEqual(w.layers?.own_normal);
      expect(g.explanation.map((c) => c.feature)).toEqual(w.explanation.map((c) => c.feature));
      g.explanation.forEach((c, k) => {
        const e = w.explanation[k]!;
        expect(Math.abs(c.contribution - e.contribution)).toBeLessThanOrEqual(5e-7);
        expect(Math.abs(c.value - e.value)).toBeLessThanOrEqual(5e-6 * Math.abs(e.value));
        expect(Math.abs(c.reference! - e.reference!)).toBeLessThanOrEqual(
          5e-6 * Math.abs(e.reference!),
        );
      });
    }
    // The rounding is visible where it applies: 88.123456789 is sent back as 88.1235.
    const cpu = got[2]!.explanation.find((c) => c.feature === 'cpu_usage_pct')!;
    expect(cpu.value).toBe(88.1235);
    expect(got[3]!.layer).toBe('slo');
  });

  it('gets the top contributions it asks for, the same as the whole explanation starts with', async () => {
    const instances = [ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE];
    const whole = await new PredictClient({ url, timeoutMs: 10_000, retries: 0 }).predict(
      instances,
    );
    const top = await new PredictClient({ url, timeoutMs: 10_000, retries: 0, explain: 3 }).predict(
      instances,
    );
    expect(whole[1]!.explanation.length).toBeGreaterThan(3);
    expect(top.map((p) => p.explanation)).toEqual(whole.map((p) => p.explanation.slice(0, 3)));
    expect(top.map((p) => p.risk)).toEqual(whole.map((p) => p.risk));
  });
});
