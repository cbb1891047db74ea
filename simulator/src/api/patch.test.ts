import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../cluster/errors.js';
import { applyPatch, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';

const deployment = {
  metadata: { name: 'web', annotations: { a: '1' } },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'web:1', env: [{ name: 'A', value: '1' }] },
          { name: 'sidecar', image: 'side:1' },
        ],
      },
    },
  },
};

describe('mergePatch (RFC 7386)', () => {
  it.each([
    [
      'sets a nested field',
      { spec: { replicas: 5 } },
      (o: typeof deployment) => o.spec.replicas === 5,
    ],
    [
      'null deletes',
      { metadata: { annotations: { a: null } } },
      (o: typeof deployment) => !('a' in o.metadata.annotations),
    ],
    [
      'lists are replaced whole',
      { spec: { template: { spec: { containers: [{ name: 'x', image: 'x:1' }] } } } },
      (o: typeof deployment) => o.spec.template.spec.containers.length === 1,
    ],
    [
      'empty patch is a no-op',
      {},
      (o: typeof deployment) => JSON.stringify(o) === JSON.stringify(deployment),
    ],
  ])('%s', (_name, patch, check) => {
    expect(check(mergePatch(deployment, patch) as typeof deployment)).toBe(true);
  });
  it('does not mutate its input', () => {
    const before = JSON.stringify(deployment);
    mergePatch(deployment, { spec: { replicas: 9 } });
    expect(JSON.stringify(deployment)).toBe(before);
  });
});

describe('strategicMergePatch', () => {
  type D = typeof deployment;
  const containers = (o: unknown): { name: string; image: string; env?: unknown[] }[] =>
    (o as D).spec.template.spec.containers;
  it('merges containers by name, keeping the others', () => {
    const out = strategicMergePatch(deployment, {
      spec: { template: { spec: { containers: [{ name: 'web', image: 'web:2' }] } } },
    });
    expect(containers(out).map((c) => `${c.name}=${c.image}`)).toEqual([
      'web=web:2',
      'sidecar=side:1',
    ]);
    expect(containers(out)[0]!.env).toEqual([{ name: 'A', value: '1' }]);
  });
  it('appends unknown keys and honours $patch: delete', () => {
    const out = strategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'new', image: 'n:1' },
              { name: 'sidecar', $patch: 'delete' },
            ],
          },
        },
      },
    });
    expect(containers(out).map((c) => c.name)).toEqual(['web', 'new']);
  });
  it('ignores $setElementOrder and adds annotations (kubectl rollout restart)', () => {
    const out = strategicMergePatch(deployment, {
      spec: {
        template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 't' } } },
      },
      $setElementOrder: [],
    }) as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    expect(out.spec.template.metadata.annotations).toEqual({
      'kubectl.kubernetes.io/restartedAt': 't',
    });
  });
  it('$patch: replace replaces a map', () => {
    const out = strategicMergePatch(deployment, {
      metadata: { annotations: { $patch: 'replace', b: '2' } },
    }) as D;
    expect(out.metadata.annotations).toEqual({ b: '2' });
  });
});

describe('jsonPatch (RFC 6902)', () => {
  it.each([
    [
      'replace',
      [{ op: 'replace', path: '/spec/replicas', value: 4 }],
      (o: typeof deployment) => o.spec.replicas === 4,
    ],
    [
      'add to a list end',
      [{ op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'z', image: 'z' } }],
      (o: typeof deployment) => o.spec.template.spec.containers.length === 3,
    ],
    [
      'remove',
      [{ op: 'remove', path: '/metadata/annotations/a' }],
      (o: typeof deployment) => !('a' in o.metadata.annotations),
    ],
    [
      'escaped keys',
      [{ op: 'add', path: '/metadata/annotations/x~1y', value: 'v' }],
      (o: typeof deployment) => (o.metadata.annotations as Record<string, string>)['x/y'] === 'v',
    ],
    ['test passes', [{ op: 'test', path: '/spec/replicas', value: 2 }], () => true],
  ])('%s', (_name, ops, check) => {
    expect(check(jsonPatch(deployment, ops) as typeof deployment)).toBe(true);
  });
  it.each([
    ['not an array', 400, { op: 'replace' }],
    ['missing path on replace', 422, [{ op: 'replace', path: '/nope/x', value: 1 }]],
    ['failed test', 422, [{ op: 'test', path: '/spec/replicas', value: 3 }]],
    ['unknown op', 400, [{ op: 'frobnicate', path: '/a' }]],
  ])('%s → %d', (_name, code, ops) => {
    expect(() => jsonPatch(deployment, ops)).toThrow(ApiError);
    try {
      jsonPatch(deployment, ops);
    } catch (err) {
      expect((err as ApiError).code).toBe(code);
    }
  });
});

describe('applyPatch', () => {
  it('dispatches on the content type and refuses unknown ones with 415', () => {
    expect(
      (
        applyPatch(deployment, 'application/merge-patch+json; charset=utf-8', {
          spec: { replicas: 1 },
        }) as typeof deployment
      ).spec.replicas,
    ).toBe(1);
    expect(() => applyPatch(deployment, 'application/json', {})).toThrow(/unknown format/);
  });
});
