import { describe, expect, it } from '@jest/globals';
import { evaluateFleet, fleetHoldFor, tripReason, type FleetMember } from './fleet.js';

const LIMITS = { maxAtRisk: 3, maxFraction: 0.3, minAtRisk: 2 };
const fleet = (spec: Record<string, [watched: number, atRisk: number]>): FleetMember[] =>
  Object.entries(spec).flatMap(([ns, [watched, atRisk]]) =>
    Array.from({ length: watched }, (_, i) => ({
      namespace: ns,
      name: `d${i}`,
      atRisk: i < atRisk,
    })),
  );

describe('tripReason', () => {
  it.each<[number, number, string | undefined]>([
    [0, 0, undefined],
    [0, 10, undefined],
    [1, 1, undefined], // one deployment alone is never a fleet event
    [1, 2, undefined],
    [2, 7, undefined], // 29 %
    [2, 6, '2 of 6 at risk (33 %) > maxFraction 30 %'],
    [3, 10, undefined], // boundary: 30 % is not > 30 %
    [3, 100, undefined], // boundary: 3 is not > 3
    [4, 100, '4 of 100 at risk > maxAtRisk 3'],
    [5000, 5000, '5000 of 5000 at risk > maxAtRisk 3'],
  ])('%i of %i', (atRisk, watched, want) => {
    expect(tripReason(atRisk, watched, LIMITS)).toBe(want);
  });
});

describe('evaluateFleet', () => {
  it.each<
    [
      string,
      FleetMember[],
      string[],
      { cluster: boolean; namespaces: string[]; atRisk: number; reason: RegExp | '' },
    ]
  >([
    ['empty fleet', [], [], { cluster: false, namespaces: [], atRisk: 0, reason: '' }],
    [
      'nothing at risk',
      fleet({ a: [10, 0] }),
      [],
      { cluster: false, namespaces: [], atRisk: 0, reason: '' },
    ],
    [
      'one deployment at risk: its own problem',
      fleet({ a: [3, 1], b: [3, 0] }),
      [],
      { cluster: false, namespaces: [], atRisk: 0, reason: '' },
    ],
    [
      'crash loop in 4 deployments at once: cluster-wide hold',
      fleet({ a: [20, 2], b: [20, 2] }),
      [],
      {
        cluster: true,
        namespaces: [],
        atRisk: 4,
        reason: /4 of 40 at risk > maxAtRisk 3 cluster-wide/,
      },
    ],
    [
      'a namespace trips on its own fraction; the others act',
      fleet({ small: [4, 2], big: [30, 0] }),
      [],
      {
        cluster: false,
        namespaces: ['small'],
        atRisk: 2,
        reason: /2 of 4 at risk \(50 %\) > maxFraction 30 % in namespace small/,
      },
    ],
    [
      'a degraded dependency holds everything, even with nobody at risk',
      fleet({ a: [5, 0] }),
      ['prometheus: query failed'],
      {
        cluster: true,
        namespaces: [],
        atRisk: 0,
        reason: /shared dependency degraded \(prometheus: query failed\)/,
      },
    ],
  ])('%s', (_n, members, degraded, want) => {
    const v = evaluateFleet(members, LIMITS, degraded);
    expect(v.cluster).toBe(want.cluster);
    expect(v.namespaces).toEqual(want.namespaces);
    expect(v.atRisk).toHaveLength(want.atRisk);
    expect(v.dependency ?? false).toBe(degraded.length > 0);
    if (want.reason === '') expect(v.reason).toBe('');
    else expect(v.reason).toMatch(want.reason);
  });

  it('fleetHoldFor covers the held namespaces or everything', () => {
    const ns = evaluateFleet(fleet({ small: [4, 2], big: [30, 0] }), LIMITS);
    expect(fleetHoldFor(ns, 'small')).toMatch(/fleet guard/);
    expect(fleetHoldFor(ns, 'big')).toBeUndefined();
    const all = evaluateFleet(fleet({ a: [10, 5] }), LIMITS);
    expect(fleetHoldFor(all, 'anything')).toMatch(/cluster-wide/);
  });
});
