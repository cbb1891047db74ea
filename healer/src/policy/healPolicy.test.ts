import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configFromSources } from '../config.js';
import { applyPolicy, crdManifest, parsePolicies, policyFor, policyGates } from './healPolicy.js';
import { defaultRules, resolveRules } from './rules.js';

const base = defaultRules(configFromSources({}, { cacheClear: { method: 'proxy' } }));
const obj = (
  name: string,
  spec: unknown,
  createdAt = '2026-01-01T00:00:00Z',
  namespace = 'shop',
) => ({
  metadata: { name, namespace, creationTimestamp: createdAt },
  spec,
});

describe('HealPolicy', () => {
  it('the CRD in healer/crds is the one generated from the config schema, read as kubectl reads it', () => {
    // kubectl and the API server read YAML 1.1, where a bare `off` is the boolean false.
    const file = parse(
      readFileSync(new URL('../../crds/healpolicies.aiops.io.yaml', import.meta.url), 'utf8'),
      { version: '1.1' },
    );
    expect(file).toEqual(crdManifest());
  });

  it('the CRD schema is structural: every property typed, no defaults, no $schema', () => {
    const walk = (s: Record<string, unknown>, path: string): void => {
      expect({ path, type: typeof s.type }).toEqual({ path, type: 'string' });
      expect(s).not.toHaveProperty('default');
      expect(s).not.toHaveProperty('$schema');
      if (s.properties) expect(s).not.toHaveProperty('additionalProperties');
      for (const [k, v] of Object.entries(
        (s.properties ?? {}) as Record<string, Record<string, unknown>>,
      ))
        walk(v, `${path}.${k}`);
      if (s.items) walk(s.items as Record<string, unknown>, `${path}[]`);
    };
    const crd = crdManifest() as {
      spec: { versions: Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }> };
    };
    walk(crd.spec.versions[0]!.schema.openAPIV3Schema, '');
  });

  it('bad specs are reported naming the field and rule, and ignored', () => {
    const { policies, problems } = parsePolicies([
      obj('ok', { thresholds: { high: 0.9, low: 0.4 } }),
      obj('bad', { thresholds: { high: 2 }, ladder: ['reboot'] }),
      obj('extra', { exec: true }),
      obj('typos', { thresholds: { high: 0.9, low: 0.4, hihg: 1 }, dryrun: true }),
      obj('string', 'strict'),
    ]);
    expect(policies.map((p) => p.name)).toEqual(['ok']);
    expect(problems).toEqual([
      expect.stringMatching(
        /^HealPolicy shop\/bad: spec\.thresholds\.high: .*; spec\.ladder\.0: .*; ignored$/,
      ),
      // The unknown key named where it is (it was "spec.: Unrecognized key").
      'HealPolicy shop/extra: spec.exec: unknown key; ignored',
      'HealPolicy shop/typos: spec.thresholds.hihg: unknown key; spec.dryrun: unknown key; ignored',
      'HealPolicy shop/string: spec: Invalid input: expected object, received string; ignored',
    ]);
  });

  it('the oldest matching policy of the namespace applies', () => {
    const { policies } = parsePolicies([
      obj('new', {}, '2026-02-01T00:00:00Z'),
      obj('old-web', { selector: { matchLabels: { app: 'web' } } }, '2026-01-01T00:00:00Z'),
      obj('other-ns', {}, '2025-01-01T00:00:00Z', 'prod'),
    ]);
    expect(policyFor(policies, 'shop', { app: 'web' })?.name).toBe('old-web');
    expect(policyFor(policies, 'shop', { app: 'api' })?.name).toBe('new');
    expect(policyFor(policies, 'dev', { app: 'web' })).toBeUndefined();
  });

  it('replaces what it sets; gates layer over the config', () => {
    const [p] = parsePolicies([
      obj('p', {
        thresholds: { high: 0.9, low: 0.6 },
        ladder: ['restart_scale', 'page'],
        cacheClear: { method: 'none' },
        gates: { restart_scale: 'approve' },
      }),
    ]).policies;
    const r = applyPolicy(base, p!.spec);
    expect(r).toMatchObject({
      high: 0.9,
      low: 0.6,
      ladder: ['restart_scale', 'page'],
      cacheClear: { method: 'none' },
    });
    expect(policyGates({ rollback: 'approve' }, p!.spec)).toEqual({
      rollback: 'approve',
      restart_scale: 'approve',
    });
  });

  it('an annotation cannot enable exec that the policy disables', () => {
    const [p] = parsePolicies([
      obj('p', { cacheClear: { method: 'proxy', path: '/flush' } }),
    ]).policies;
    const { rules, problems } = resolveRules(applyPolicy(base, p!.spec), {
      'aiops.io/cache-clear-method': 'exec',
      'aiops.io/cache-clear-command': 'rm -rf /',
    });
    expect(rules.cacheClear).toEqual({ method: 'proxy', path: '/flush' });
    expect(problems).toEqual([
      'aiops.io/cache-clear-method: "exec" may not enable exec: the policy\'s cache clear is proxy (annotations only tighten); using proxy',
      'aiops.io/cache-clear-command: ignored: the cache clear is proxy, not exec (annotations cannot enable exec)',
    ]);
  });
});
