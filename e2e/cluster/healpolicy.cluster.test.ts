import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ROOT } from '../stack/index.js';
import { startControlPlane, type ControlPlane } from './controlPlane.js';
import { kubectl, kubectlOk } from './kubectl.js';

// The HealPolicy CRD (healer/crds, generated from the healer's config schema) on the real API
// server: it installs, `kubectl explain` reads its schema, and the API server's structural-schema
// validation accepts a policy the healer accepts and refuses one it refuses, naming the field.

const CRD = join(ROOT, 'healer', 'crds', 'healpolicies.aiops.io.yaml');

const policy = (name: string, spec: unknown): string =>
  JSON.stringify({
    apiVersion: 'aiops.io/v1alpha1',
    kind: 'HealPolicy',
    metadata: { name, namespace: 'default' },
    spec,
  });

describe('HealPolicy CRD on the real API server', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane();
    await kubectlOk(plane, ['apply', '--server-side', '-f', CRD]);
    await kubectlOk(plane, [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/healpolicies.aiops.io',
    ]);
  }, 180_000);
  afterAll(async () => {
    await plane?.stop();
  });

  it('kubectl explain describes the spec from the generated schema', async () => {
    // The API server publishes a new CRD's OpenAPI a few seconds after it is Established.
    const explain = async (field: string): Promise<string> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const r = await kubectl(plane, ['explain', field]);
        if (r.code === 0) return r.stdout;
        if (Date.now() > deadline) throw new Error(`kubectl explain ${field}: ${r.stderr}`);
        await new Promise((done) => setTimeout(done, 1_000));
      }
    };
    const out = await explain('healpolicy.spec');
    for (const field of ['selector', 'thresholds', 'ladder', 'gates']) expect(out).toContain(field);
    expect(await explain('healpolicy.spec.gates.rollback')).toContain('string');
  }, 90_000);

  it('accepts every gate mode, "off" included (a YAML 1.1 boolean unless quoted)', async () => {
    for (const mode of ['auto', 'approve', 'off']) {
      const r = await kubectl(plane, ['create', '--dry-run=server', '-f', '-'], {
        input: policy(`gate-${mode}`, {
          selector: { matchLabels: { app: 'web' } },
          gates: { rollback: mode, cache_clear_restart: mode },
          ladder: ['restart_scale', 'rollback', 'page'],
        }),
      });
      expect(`${mode}: ${r.code} ${r.stderr}`).toBe(`${mode}: 0 `);
    }
  });

  it('refuses what the config schema refuses, naming the field', async () => {
    const bad = await kubectl(plane, ['create', '--dry-run=server', '-f', '-'], {
      input: policy('bad', { gates: { rollback: 'sometimes' }, thresholds: { high: 2 } }),
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.gates.rollback');
    expect(bad.stderr).toContain('spec.thresholds.high');
    const ladder = await kubectl(plane, ['create', '--dry-run=server', '-f', '-'], {
      input: policy('bad-ladder', { ladder: ['reboot_node'] }),
    });
    expect(ladder.code).not.toBe(0);
    expect(ladder.stderr).toContain('spec.ladder[0]');
  });
});
