import { describe, expect, it } from '@jest/globals';
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { orphanHpas, type ScaleOwner } from './scale.js';

const hpa = (name: string, target: string, original?: string, kind = 'Deployment') =>
  ({
    metadata: {
      name,
      namespace: 'shop',
      ...(original !== undefined
        ? { annotations: { 'aiops.io/original-min-replicas': original } }
        : {}),
    },
    spec: { scaleTargetRef: { kind, name: target, apiVersion: 'apps/v1' }, maxReplicas: 5 },
  }) as V2HorizontalPodAutoscaler;
const idle = (key: string, recorded?: string): ScaleOwner => ({
  key,
  idle: true,
  ...(recorded ? { recorded } : {}),
});

describe('orphanHpas', () => {
  it.each<[string, V2HorizontalPodAutoscaler[], ScaleOwner[], string[]]>([
    ['nothing raised', [], [idle('shop/web')], []],
    [
      'raised, heal state gone, deployment idle: restore',
      [hpa('web', 'web', '2')],
      [idle('shop/web')],
      ['shop/web:web→2'],
    ],
    [
      'raised and recorded: the episode owns it',
      [hpa('web', 'web', '2')],
      [idle('shop/web', 'web')],
      [],
    ],
    [
      'in an episode: left for the recovery',
      [hpa('web', 'web', '2')],
      [{ key: 'shop/web', idle: false }],
      [],
    ],
    [
      'not a watched deployment: not ours to touch',
      [hpa('web', 'web', '2')],
      [idle('shop/api')],
      [],
    ],
    ['targets a StatefulSet', [hpa('db', 'db', '2', 'StatefulSet')], [idle('shop/db')], []],
    ['a broken original value is left alone', [hpa('web', 'web', 'two')], [idle('shop/web')], []],
    [
      'boundary: original 0 is not a valid minReplicas',
      [hpa('web', 'web', '0')],
      [idle('shop/web')],
      [],
    ],
    [
      'an HPA named unlike its target',
      [hpa('web-hpa', 'web', '3')],
      [idle('shop/web', 'other')],
      ['shop/web:web-hpa→3'],
    ],
  ])('%s', (_n, raised, owners, want) => {
    expect(
      orphanHpas(raised, owners).map((o) => `${o.key}:${o.hpa.name}→${o.hpa.originalMinReplicas}`),
    ).toEqual(want);
  });
});
