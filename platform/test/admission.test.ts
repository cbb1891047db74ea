import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { evaluateAdmission, strategicMerge } from '../src/admission.js';
import { formatFindings } from '../src/errors.js';
import { parseYamlDocuments, type KubeObject } from '../src/kube.js';
import { repoPath } from '../src/paths.js';
import { validateObjects } from '../src/schemas.js';
import { find, fixture, render } from './render.js';

interface Case {
  name: string;
  user?: string;
  expect: 'allow' | 'deny';
  setup?: unknown;
  patch: unknown;
}
const cases = parse(readFileSync(fixture('admission/healer-deployment-updates.yaml'), 'utf8')) as {
  healer: string;
  cases: Case[];
};
const [policy, binding] = parseYamlDocuments(
  readFileSync(repoPath('k8s/cluster/healer-admission-policy.yaml'), 'utf8'),
  'healer-admission-policy.yaml',
) as [KubeObject, KubeObject];

const backend = (): KubeObject =>
  structuredClone(find(render('k8s/overlays/dev'), 'Deployment', 'aiops-backend'));

function verdict(c: Case): ReturnType<typeof evaluateAdmission> {
  const oldObject = c.setup ? strategicMerge(backend(), c.setup) : backend();
  return evaluateAdmission(policy, 'apps', 'deployments', {
    operation: 'UPDATE',
    userInfo: { username: c.user ?? cases.healer },
    oldObject,
    object: strategicMerge(oldObject, c.patch),
  });
}

describe('ValidatingAdmissionPolicy: what the healer may change on a Deployment', () => {
  it('is a valid admissionregistration.k8s.io/v1 policy, bound with Deny', () => {
    expect(formatFindings(validateObjects([policy, binding]))).toBe('');
    expect(binding.spec).toMatchObject({
      policyName: policy.metadata.name,
      validationActions: expect.arrayContaining(['Deny']),
    });
    expect(
      find(render('k8s/cluster'), 'ValidatingAdmissionPolicy', policy.metadata.name),
    ).toBeDefined();
  });

  it.each(cases.cases.filter((c) => c.expect === 'allow').map((c) => [c.name, c] as const))(
    'allows: %s',
    (_name, c) => {
      expect(verdict(c).denials).toEqual([]);
    },
  );

  it.each(cases.cases.filter((c) => c.expect === 'deny').map((c) => [c.name, c] as const))(
    'denies: %s',
    (_name, c) => {
      const v = verdict(c);
      expect(v.matched).toBe(true);
      expect(v.denials.length).toBeGreaterThan(0);
      expect(v.denials.join('\n')).not.toMatch(/CEL error/);
    },
  );

  it('matches only the healer, only Deployment updates', () => {
    const base = { operation: 'UPDATE' as const, oldObject: backend(), object: backend() };
    const as = (username: string) => ({ ...base, userInfo: { username } });
    expect(evaluateAdmission(policy, 'apps', 'deployments', as(cases.healer)).matched).toBe(true);
    expect(
      evaluateAdmission(
        policy,
        'apps',
        'deployments',
        as('system:serviceaccount:prod:aiops-healer'),
      ).matched,
    ).toBe(true);
    expect(
      evaluateAdmission(
        policy,
        'apps',
        'deployments',
        as('system:serviceaccount:dev:aiops-healer-x'),
      ).matched,
    ).toBe(false);
    expect(evaluateAdmission(policy, 'apps', 'deployments', as('aiops-healer')).matched).toBe(
      false,
    );
    expect(evaluateAdmission(policy, 'apps', 'deployments/scale', as(cases.healer)).matched).toBe(
      false,
    );
  });

  it('names a CEL error as a denial instead of passing it', () => {
    const broken = structuredClone(policy);
    (broken.spec as { validations: { expression: string }[] }).validations.push({
      expression: 'object.spec.noSuchField.size() > 0',
    });
    const v = evaluateAdmission(broken, 'apps', 'deployments', {
      operation: 'UPDATE',
      userInfo: { username: cases.healer },
      oldObject: backend(),
      object: backend(),
    });
    expect(v.denials.join('\n')).toMatch(/CEL error/);
  });
});

describe("strategicMerge (the fixtures' patch format)", () => {
  it.each([
    [
      { a: 1, b: 2 },
      { b: null, c: 3 },
      { a: 1, c: 3 },
    ],
    [
      { l: [{ name: 'x', v: 1 }, { name: 'y' }] },
      { l: [{ name: 'x', v: 2 }, { name: 'z' }] },
      { l: [{ name: 'x', v: 2 }, { name: 'y' }, { name: 'z' }] },
    ],
    [{ l: ['a', 'b'] }, { l: ['c'] }, { l: ['c'] }],
    [{}, { m: { k: 'v' } }, { m: { k: 'v' } }],
  ])('%j + %j = %j', (target, patch, out) => {
    expect(strategicMerge(target, patch)).toEqual(out);
  });
});
