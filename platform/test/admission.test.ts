import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  applyJsonPatch,
  evaluateAdmission,
  strategicMerge,
  type JsonPatchOp,
} from '../src/admission.js';
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
const [policy, binding, rolloutPolicy, rolloutBinding] = parseYamlDocuments(
  readFileSync(repoPath('k8s/cluster/healer-admission-policy.yaml'), 'utf8'),
  'healer-admission-policy.yaml',
) as [KubeObject, KubeObject, KubeObject, KubeObject];

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

interface RolloutCase {
  name: string;
  user?: string;
  expect: 'allow' | 'deny';
  setup?: JsonPatchOp[];
  patch: JsonPatchOp[];
}
const rolloutCases = parse(
  readFileSync(fixture('admission/healer-rollout-updates.yaml'), 'utf8'),
) as { healer: string; cases: RolloutCase[] };
const prodRollout = (): KubeObject =>
  structuredClone(find(render('k8s/overlays/prod'), 'Rollout', 'aiops-backend'));

function rolloutVerdict(c: RolloutCase): ReturnType<typeof evaluateAdmission> {
  const oldObject = c.setup ? applyJsonPatch(prodRollout(), c.setup) : prodRollout();
  return evaluateAdmission(rolloutPolicy, 'argoproj.io', 'rollouts', {
    operation: 'UPDATE',
    userInfo: { username: c.user ?? rolloutCases.healer },
    oldObject,
    object: applyJsonPatch(oldObject, c.patch),
  });
}

describe('ValidatingAdmissionPolicy: what the healer may change on an Argo Rollout', () => {
  it('is a valid policy for argoproj.io rollouts, bound with Deny', () => {
    expect(formatFindings(validateObjects([rolloutPolicy, rolloutBinding]))).toBe('');
    expect(rolloutBinding.spec).toMatchObject({
      policyName: rolloutPolicy.metadata.name,
      validationActions: expect.arrayContaining(['Deny']),
    });
  });

  it.each(rolloutCases.cases.filter((c) => c.expect === 'allow').map((c) => [c.name, c] as const))(
    'allows: %s',
    (_name, c) => {
      expect(rolloutVerdict(c).denials).toEqual([]);
    },
  );

  it.each(rolloutCases.cases.filter((c) => c.expect === 'deny').map((c) => [c.name, c] as const))(
    'denies: %s',
    (_name, c) => {
      const v = rolloutVerdict(c);
      expect(v.matched).toBe(true);
      expect(v.denials.length).toBeGreaterThan(0);
      expect(v.denials.join('\n')).not.toMatch(/CEL error/);
    },
  );

  it('matches only the healer, only Rollout updates (not Deployments, not the scale subresource)', () => {
    const base = { operation: 'UPDATE' as const, oldObject: prodRollout(), object: prodRollout() };
    const as = (username: string) => ({ ...base, userInfo: { username } });
    expect(
      evaluateAdmission(rolloutPolicy, 'argoproj.io', 'rollouts', as(rolloutCases.healer)).matched,
    ).toBe(true);
    expect(
      evaluateAdmission(rolloutPolicy, 'argoproj.io', 'rollouts/scale', as(rolloutCases.healer))
        .matched,
    ).toBe(false);
    expect(
      evaluateAdmission(rolloutPolicy, 'apps', 'deployments', as(rolloutCases.healer)).matched,
    ).toBe(false);
    expect(
      evaluateAdmission(policy, 'argoproj.io', 'rollouts', as(rolloutCases.healer)).matched,
    ).toBe(false);
  });
});

describe("applyJsonPatch (the Rollout fixtures' patch format)", () => {
  it.each<[string, unknown, JsonPatchOp[], unknown]>([
    ['add a member', { a: 1 }, [{ op: 'add', path: '/b', value: 2 }], { a: 1, b: 2 }],
    [
      'replace in a list',
      { l: [1, 2] },
      [{ op: 'replace', path: '/l/1', value: 3 }],
      { l: [1, 3] },
    ],
    ['remove', { a: 1, b: 2 }, [{ op: 'remove', path: '/a' }], { b: 2 }],
    ['escaped key', { m: {} }, [{ op: 'add', path: '/m/a~1b', value: 'x' }], { m: { 'a/b': 'x' } }],
    ['append', { l: [1] }, [{ op: 'add', path: '/l/-', value: 2 }], { l: [1, 2] }],
  ])('%s', (_n, doc, ops, want) => {
    expect(applyJsonPatch(doc, ops)).toEqual(want);
  });

  it.each<[string, JsonPatchOp]>([
    ['replace of a missing member', { op: 'replace', path: '/nope', value: 1 }],
    ['remove of a missing member', { op: 'remove', path: '/nope' }],
    ['a path through nothing', { op: 'add', path: '/x/y', value: 1 }],
    ['an index past the end', { op: 'replace', path: '/l/5', value: 1 }],
  ])('refuses %s, naming it', (_n, op) => {
    expect(() => applyJsonPatch({ l: [] }, [op])).toThrow(`json patch [0] ${op.op} ${op.path}`);
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
