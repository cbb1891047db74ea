import { describe, expect, it } from '@jest/globals';
import type { V1ReplicaSet } from '@kubernetes/client-node';
import { previousRevision } from '../actions/rollback.js';
import { rolloutState } from '../policy/rollout.js';
import { releaseOf } from '../sources/workload.js';
import { ROLLOUT_HASH, RolloutKind, rolloutView, type ArgoRollout } from './rollout.js';

const template = (image: string) => ({
  metadata: { labels: { app: 'orders' } },
  spec: { containers: [{ name: 'orders', image }] },
});

/** A fully promoted, healthy Rollout at generation 3; `over` replaces parts. */
function rollout(over: { spec?: object; status?: object; metadata?: object } = {}): ArgoRollout {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: 'orders',
      namespace: 'prod',
      generation: 3,
      annotations: { 'rollout.argoproj.io/revision': '2' },
      ...over.metadata,
    },
    spec: { replicas: 3, template: template('orders:2'), ...over.spec },
    status: {
      observedGeneration: '3',
      replicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
      currentPodHash: 'bbb',
      stableRS: 'bbb',
      phase: 'Healthy',
      ...over.status,
    },
  };
}

const rs = (hash: string, revision: number, image: string): V1ReplicaSet => ({
  metadata: {
    name: `orders-${hash}`,
    labels: { app: 'orders', [ROLLOUT_HASH]: hash },
    annotations: { 'rollout.argoproj.io/revision': String(revision) },
  },
  spec: {
    selector: { matchLabels: { app: 'orders' } },
    template: {
      ...template(image),
      metadata: { labels: { app: 'orders', [ROLLOUT_HASH]: hash } },
    },
  },
});

describe('rolloutView', () => {
  it('reads a promoted Rollout like a finished Deployment (observedGeneration is a string)', () => {
    expect(rolloutView(rollout(), { release: true })).toEqual({
      generation: 3,
      observedGeneration: 3,
      desired: 3,
      updated: 3,
      available: 3,
      total: 3,
      deadlineExceeded: false,
      progressDeadlineSeconds: 600,
      paused: false,
      deleting: false,
      revision: 2,
      release: releaseOf(template('orders:2')),
    });
  });

  it.each<[string, Parameters<typeof rollout>[0], Partial<ReturnType<typeof rolloutView>>]>([
    [
      'empty status',
      {
        status: {
          observedGeneration: undefined,
          replicas: undefined,
          updatedReplicas: undefined,
          availableReplicas: undefined,
          currentPodHash: undefined,
          stableRS: undefined,
        },
      },
      { observedGeneration: 0, updated: 0, available: 0, total: 0, paused: false },
    ],
    [
      'observedGeneration not a number',
      { status: { observedGeneration: 'x' } },
      { observedGeneration: 0 },
    ],
    [
      'spec.paused',
      { spec: { paused: true } },
      { paused: true, pausedBy: expect.stringContaining('spec.paused=true') as unknown as string },
    ],
    [
      'a canary pause step',
      {
        status: {
          pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2026-01-01T00:00:00Z' }],
        },
      },
      {
        paused: true,
        pausedBy: expect.stringContaining(
          'CanaryPauseStep since 2026-01-01T00:00:00Z',
        ) as unknown as string,
      },
    ],
    [
      'controller pause',
      { status: { controllerPause: true } },
      { paused: true, pausedBy: expect.stringContaining('controllerPause') as unknown as string },
    ],
    [
      'new release not promoted yet',
      { status: { currentPodHash: 'ccc', stableRS: 'bbb', phase: 'Progressing' } },
      {
        unfinished:
          'release ccc not promoted to stable yet (status.stableRS=bbb, phase Progressing)',
      },
    ],
    [
      'aborted: pods back on stable, nothing more to wait for',
      { status: { currentPodHash: 'ccc', stableRS: 'bbb', abort: true } },
      { unfinished: undefined },
    ],
    [
      'restart still replacing pods',
      {
        spec: { restartAt: '2026-01-01T00:10:00Z' },
        status: { restartedAt: '2026-01-01T00:00:00Z' },
      },
      {
        unfinished: expect.stringContaining(
          'restart at 2026-01-01T00:10:00Z still replacing pods',
        ) as unknown as string,
      },
    ],
    [
      'restart done',
      {
        spec: { restartAt: '2026-01-01T00:10:00Z' },
        status: { restartedAt: '2026-01-01T00:10:00Z' },
      },
      { unfinished: undefined },
    ],
    [
      'progress deadline exceeded',
      {
        status: {
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
          ],
        },
      },
      { deadlineExceeded: true },
    ],
    ['being deleted', { metadata: { deletionTimestamp: new Date(0) } }, { deleting: true }],
  ])('%s', (_n, over, want) => {
    const v = rolloutView(rollout(over));
    const { unfinished, ...rest } = want;
    expect(v).toMatchObject(rest);
    // `unfinished: undefined` in a row means "must be absent".
    if ('unfinished' in want) expect(v.unfinished).toEqual(unfinished);
  });

  it('a step on a Rollout is judged only once the new release is promoted', () => {
    expect(rolloutState(rolloutView(rollout({ status: { currentPodHash: 'ccc' } })))).toEqual({
      kind: 'progressing',
      detail: 'release ccc not promoted to stable yet (status.stableRS=bbb, phase Healthy)',
    });
    expect(rolloutState(rolloutView(rollout()))).toEqual({ kind: 'complete' });
  });
});

describe('RolloutKind (pure parts)', () => {
  const kind = new RolloutKind(undefined as never);

  it('restarts through spec.restartAt, to the second, as kubectl argo rollouts restart', () => {
    expect(kind.restartPatch(new Date(Date.UTC(2026, 0, 1, 0, 0, 5, 678)))).toEqual({
      spec: { restartAt: '2026-01-01T00:00:05Z' },
    });
  });

  it.each<[string, Parameters<typeof rollout>[0], RegExp | undefined]>([
    ['running', {}, undefined],
    ['paused by a human', { spec: { paused: true } }, /^rollout is paused: spec\.paused=true/],
    [
      'paused by a canary step',
      { status: { pauseConditions: [{ reason: 'CanaryPauseStep' }] } },
      /paused by its strategy/,
    ],
    ['being deleted', { metadata: { deletionTimestamp: new Date(0) } }, /being deleted/],
  ])('holdReason: %s', (_n, over, want) => {
    const r = kind.holdReason(rollout(over));
    if (want) expect(r).toMatch(want);
    else expect(r).toBeUndefined();
  });

  it('refuses to roll back a Rollout whose template lives in a Deployment (workloadRef)', () => {
    expect(
      kind.rollbackUnsupported(
        rollout({ spec: { template: undefined, workloadRef: { name: 'orders' } } }),
      ),
    ).toMatch(/spec\.workloadRef/);
    expect(kind.rollbackUnsupported(rollout())).toBeUndefined();
  });

  const sets = [rs('aaa', 1, 'orders:1'), rs('bbb', 2, 'orders:2'), rs('ccc', 3, 'orders:3')];
  const mid = rollout({
    metadata: { annotations: { 'rollout.argoproj.io/revision': '3' } },
    spec: { template: template('orders:3') },
    status: { currentPodHash: 'ccc', stableRS: 'bbb' },
  });

  it('rolls back to the stable ReplicaSet while a newer release rolls out (abort + undo)', () => {
    const stable = kind.preferredRollbackTarget(mid, sets);
    expect(stable?.metadata?.name).toBe('orders-bbb');
    expect(previousRevision(sets, mid.spec?.template, 3, [], stable).target?.metadata?.name).toBe(
      'orders-bbb',
    );
  });

  it('once promoted the stable ReplicaSet is the current release: back to the revision before it', () => {
    const promoted = rollout({
      metadata: { annotations: { 'rollout.argoproj.io/revision': '3' } },
      spec: { template: template('orders:3') },
      status: { currentPodHash: 'ccc', stableRS: 'ccc' },
    });
    const stable = kind.preferredRollbackTarget(promoted, sets);
    expect(stable?.metadata?.name).toBe('orders-ccc');
    expect(
      previousRevision(sets, promoted.spec?.template, 3, [], stable).target?.metadata?.name,
    ).toBe('orders-bbb');
  });

  it('never back to a stable release the healer rolled back from (release-scoped)', () => {
    const stable = kind.preferredRollbackTarget(mid, sets);
    const bad = [releaseOf(sets[1]!.spec?.template)];
    const r = previousRevision(sets, mid.spec?.template, 3, bad, stable);
    expect(r.target?.metadata?.name).toBe('orders-aaa');
    expect(r.knownBad.map((s) => s.metadata?.name)).toEqual(['orders-bbb']);
  });

  it('a ReplicaSet the API server defaulted is still the current release (the Rollout is not defaulted)', () => {
    const defaulted = (hash: string, revision: number, image: string): V1ReplicaSet => {
      const x = rs(hash, revision, image);
      const spec = x.spec!.template!.spec!;
      spec.securityContext = {};
      spec.restartPolicy = 'Always';
      spec.containers[0]!.terminationMessagePath = '/dev/termination-log';
      return x;
    };
    const sets2 = [defaulted('aaa', 1, 'orders:1'), defaulted('bbb', 2, 'orders:2')];
    const promoted = rollout({ status: { currentPodHash: 'bbb', stableRS: 'bbb' } });
    const stable = kind.preferredRollbackTarget(promoted, sets2);
    // The stable ReplicaSet is the current release: back to revision 1, not "back" to itself.
    expect(
      previousRevision(sets2, promoted.spec?.template, 2, [], stable).target?.metadata?.name,
    ).toBe('orders-aaa');
  });

  it('no stableRS, or none of the sets carries its hash: no preference', () => {
    expect(
      kind.preferredRollbackTarget(rollout({ status: { stableRS: undefined } }), sets),
    ).toBeUndefined();
    expect(
      kind.preferredRollbackTarget(rollout({ status: { stableRS: 'zzz' } }), sets),
    ).toBeUndefined();
  });
});
