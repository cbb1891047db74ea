import { describe, expect, it } from '@jest/globals';
import { NO_FLEET_HOLD, type FleetVerdict } from './fleet.js';
import { FleetEpisode } from './fleetEpisode.js';

const hold = (atRisk: string[]): FleetVerdict => ({
  cluster: true,
  namespaces: [],
  atRisk,
  reason: `fleet guard: ${atRisk.length} of 6 at risk > maxAtRisk 3 cluster-wide: holding every action`,
});
const dependency: FleetVerdict = {
  ...hold([]),
  reason: 'fleet guard: shared dependency degraded (predict: down): holding every action',
  dependency: true,
};

describe('FleetEpisode', () => {
  it.each<
    [
      string,
      FleetVerdict[],
      { started: boolean; newlyHeld: string[]; released: boolean; held: boolean },
    ]
  >([
    [
      'nothing held',
      [NO_FLEET_HOLD],
      { started: false, newlyHeld: [], released: false, held: false },
    ],
    [
      'a hold starts an episode',
      [hold(['a', 'b', 'c', 'd'])],
      { started: true, newlyHeld: ['a', 'b', 'c', 'd'], released: false, held: true },
    ],
    [
      'the same hold again: no message, no new Event',
      [hold(['a', 'b', 'c', 'd']), hold(['a', 'b', 'c', 'd'])],
      { started: false, newlyHeld: [], released: false, held: true },
    ],
    [
      'a fifth deployment joins: one more Event, no message',
      [hold(['a', 'b', 'c', 'd']), hold(['a', 'b', 'c', 'd', 'e'])],
      { started: false, newlyHeld: ['e'], released: false, held: true },
    ],
    [
      'one calm cycle: still held (grace)',
      [hold(['a', 'b', 'c', 'd']), NO_FLEET_HOLD],
      { started: false, newlyHeld: [], released: false, held: true },
    ],
    [
      'a gap, then the hold again: the same episode',
      [hold(['a', 'b', 'c', 'd']), NO_FLEET_HOLD, hold(['a', 'b', 'c', 'd'])],
      { started: false, newlyHeld: [], released: false, held: true },
    ],
    [
      'releaseCycles calm cycles: released',
      [hold(['a', 'b', 'c', 'd']), NO_FLEET_HOLD, NO_FLEET_HOLD],
      { started: false, newlyHeld: [], released: true, held: false },
    ],
    [
      'a degraded dependency holds without an episode',
      [dependency],
      { started: false, newlyHeld: [], released: false, held: true },
    ],
  ])('%s', (_n, verdicts, want) => {
    const ep = new FleetEpisode(2);
    let last = ep.update(verdicts[0]!, 0);
    verdicts.slice(1).forEach((v, i) => (last = ep.update(v, (i + 1) * 30_000)));
    expect({
      started: last.started,
      newlyHeld: last.newlyHeld,
      released: last.released,
      held: last.verdict.reason !== '',
    }).toEqual(want);
  });

  it('a grace cycle names the release count; a new episode after release sends a new message', () => {
    const ep = new FleetEpisode(2);
    ep.update(hold(['a', 'b', 'c', 'd']), 0);
    expect(ep.update(NO_FLEET_HOLD, 30_000).verdict.reason).toMatch(
      /\(releasing: 1\/2 calm cycles\)$/,
    );
    ep.update(NO_FLEET_HOLD, 60_000);
    const again = ep.update(hold(['a', 'b', 'c', 'd']), 90_000);
    expect(again).toMatchObject({ started: true, newlyHeld: ['a', 'b', 'c', 'd'] });
    expect(ep.startedAt()).toBe(90_000);
  });

  it('writes at most eventsPerCycle Events a cycle, the rest on the next cycles', () => {
    const ep = new FleetEpisode(2, 2);
    const all = ['a', 'b', 'c', 'd', 'e'];
    expect(ep.update(hold(all), 0).newlyHeld).toEqual(['a', 'b']);
    expect(ep.update(hold(all), 30_000).newlyHeld).toEqual(['c', 'd']);
    expect(ep.update(hold(all), 60_000).newlyHeld).toEqual(['e']);
    expect(ep.update(hold(all), 90_000).newlyHeld).toEqual([]);
  });
});
