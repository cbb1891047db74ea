import { describe, expect, it } from '@jest/globals';
import { NO_FLEET_HOLD } from '../gate/fleet.js';
import type { ActionGate, GateRequest } from '../gate/types.js';
import { MemoryList } from '../humans/memoryList.js';
import { HumanGate } from './humanGate.js';
import { Silences, type Silence } from './silences.js';

const T0 = Date.UTC(2026, 0, 1);
const allowAll: ActionGate = { check: () => ({ allowed: true }), record: () => undefined };
const ctx = { now: new Date(T0), fleet: NO_FLEET_HOLD };
const restart = (name: string): GateRequest => ({
  namespace: 'shop',
  name,
  action: 'restart_scale',
});

async function gateWithSilence(): Promise<{ gate: HumanGate; id: string }> {
  const silences = new Silences({
    now: () => T0,
    maxMs: 86_400_000,
    store: new MemoryList<Silence>('ConfigMap default/aiops-healer-silences key silences.json'),
  });
  await silences.sync();
  const { id } = await silences.create({
    namespace: 'shop',
    name: 'web',
    reason: 'migration',
    durationMs: 3_600_000,
  });
  return { gate: new HumanGate({ inner: allowAll, silences, now: () => T0 }), id };
}

const holding = (gate: HumanGate, id: string): string[] => [...(gate.held.get(id) ?? [])].sort();

describe('HumanGate: what each silence is holding', () => {
  it('a read mid-cycle, before the gate sees the deployment again, still shows the last hold', async () => {
    const { gate, id } = await gateWithSilence();
    await gate.ready(); // cycle 1 starts
    expect(gate.check(restart('web'), ctx)).toMatchObject({ allowed: false, rule: 'silenced' });
    expect(gate.check(restart('api'), ctx)).toEqual({ allowed: true });
    expect(holding(gate, id)).toEqual(['shop/web']);
    await gate.ready(); // cycle 2 starts: the silences are re-read, web not checked yet
    expect(holding(gate, id)).toEqual(['shop/web']);
    gate.check(restart('web'), ctx);
    expect(holding(gate, id)).toEqual(['shop/web']);
  });

  it('a deployment not held for a whole cycle is no longer shown', async () => {
    const { gate, id } = await gateWithSilence();
    await gate.ready();
    gate.check(restart('web'), ctx);
    await gate.ready(); // cycle 2: web recovered, nothing proposed for it
    await gate.ready(); // cycle 3 starts
    expect(holding(gate, id)).toEqual([]);
  });
});
