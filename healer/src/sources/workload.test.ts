import { describe, expect, it } from '@jest/globals';
import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import {
  RESTARTED_AT,
  derives,
  deploymentView,
  releaseOf,
  withoutEmptyAdditions,
} from './workload.js';

const template = (
  image: string,
  extra: Partial<V1PodTemplateSpec['metadata']> = {},
): V1PodTemplateSpec => ({
  metadata: { labels: { app: 'web' }, ...extra },
  spec: { containers: [{ name: 'web', image, env: [{ name: 'A', value: '1' }] }] },
});
const dep = (over: Partial<V1Deployment> = {}): V1Deployment => ({
  metadata: {
    name: 'web',
    namespace: 'shop',
    generation: 4,
    annotations: { 'deployment.kubernetes.io/revision': '3' },
  },
  spec: { replicas: 20, selector: { matchLabels: { app: 'web' } }, template: template('web:1') },
  status: {
    observedGeneration: 4,
    replicas: 22,
    updatedReplicas: 6,
    availableReplicas: 18,
    conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
  },
  ...over,
});

describe('deploymentView', () => {
  it('reads the rollout from the listed object (no API call)', () => {
    expect(deploymentView(dep())).toEqual({
      generation: 4,
      observedGeneration: 4,
      desired: 20,
      updated: 6,
      available: 18,
      total: 22,
      deadlineExceeded: false,
      progressDeadlineSeconds: 600,
      paused: false,
      deleting: false,
      revision: 3,
    });
  });

  it.each<[string, Partial<V1Deployment>, Record<string, unknown>]>([
    [
      'empty status: nothing observed yet',
      { status: {} },
      { observedGeneration: 0, updated: 0, total: 0 },
    ],
    [
      'no replicas field: the API default 1',
      { spec: { selector: {}, template: template('x') } },
      { desired: 1 },
    ],
    [
      'ProgressDeadlineExceeded',
      {
        status: {
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
          ],
        },
      },
      { deadlineExceeded: true },
    ],
    [
      'Progressing=False for another reason is not the deadline',
      { status: { conditions: [{ type: 'Progressing', status: 'False', reason: 'Other' }] } },
      { deadlineExceeded: false },
    ],
    ['paused', { spec: { paused: true, selector: {}, template: template('x') } }, { paused: true }],
    [
      'being deleted',
      { metadata: { name: 'web', deletionTimestamp: new Date(0) } },
      { deleting: true, revision: 0 },
    ],
  ])('%s', (_n, over, want) => {
    expect(deploymentView(dep(over))).toMatchObject(want);
  });

  it('computes the release only when asked', () => {
    expect(deploymentView(dep()).release).toBeUndefined();
    expect(deploymentView(dep(), { release: true }).release).toBe(releaseOf(template('web:1')));
  });
});

describe('releaseOf', () => {
  const base = releaseOf(template('web:1'));
  it.each<[string, V1PodTemplateSpec | undefined, boolean]>([
    ['same template', template('web:1'), true],
    [
      'a restart keeps the release',
      template('web:1', { annotations: { [RESTARTED_AT]: '2026-01-01T00:00:00Z' } }),
      true,
    ],
    [
      "the ReplicaSet's hash label keeps it",
      template('web:1', { labels: { app: 'web', 'pod-template-hash': 'abc' } }),
      true,
    ],
    [
      'key order does not matter',
      {
        spec: { containers: [{ env: [{ value: '1', name: 'A' }], image: 'web:1', name: 'web' }] },
        metadata: { labels: { app: 'web' } },
      },
      true,
    ],
    ['a new image is a new release', template('web:2'), false],
    [
      'a new annotation is a new release',
      template('web:1', { annotations: { 'x/y': '1' } }),
      false,
    ],
    ['no template', undefined, false],
  ])('%s', (_n, t, same) => {
    expect(releaseOf(t) === base).toBe(same);
    expect(releaseOf(t)).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('derives (a Rollout template against its defaulted ReplicaSet)', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['equal', { a: 1 }, { a: 1 }, true],
    ['b carries defaults', { a: 1 }, { a: 1, b: 'x' }, true],
    ['an empty object counts as unset', { s: {} }, { t: 1 }, true],
    ['a value differs', { a: 1 }, { a: 2 }, false],
    ['a field a sets is missing in b', { a: 1 }, {}, false],
    ['lists of other lengths', { l: [1] }, { l: [1, 2] }, false],
    ['lists element by element', { l: [{ n: 'x' }] }, { l: [{ n: 'x', p: 'TCP' }] }, true],
    ['undefined a', undefined, { a: 1 }, true],
  ])('%s', (_n, a, b, want) => {
    expect(derives(a, b)).toBe(want);
  });
});

describe('withoutEmptyAdditions', () => {
  it.each<[string, unknown, unknown, unknown]>([
    ['drops an empty object the base lacks', { s: {}, a: 1 }, { a: 2 }, { a: 1 }],
    ['keeps one the base has', { s: {} }, { s: { x: 1 } }, { s: {} }],
    [
      'recursively, through lists',
      { c: [{ r: {}, n: 'x' }] },
      { c: [{ n: 'x' }] },
      { c: [{ n: 'x' }] },
    ],
    ['keeps non-empty objects', { s: { u: 1 } }, {}, { s: { u: 1 } }],
  ])('%s', (_n, t, base, want) => {
    expect(withoutEmptyAdditions(t, base)).toEqual(want);
  });

  it('leaves the release fingerprint alone: an empty object is no release change', () => {
    expect(releaseOf(template('web:1'))).toBe(
      releaseOf({
        ...template('web:1'),
        spec: { ...template('web:1').spec, securityContext: {} },
      } as never),
    );
  });
});
