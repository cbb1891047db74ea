import { describe, expect, it } from '@jest/globals';
import { parseConfig } from './config.js';

describe('parseConfig', () => {
  it('defaults', () => {
    expect(parseConfig({})).toEqual({
      port: 8001,
      host: '127.0.0.1',
      seed: 1,
      kubeconfigOut: '.run/simulator.kubeconfig',
      scenario: 'demo',
      speed: 1,
      scenarioIntervalMs: 180_000,
    });
  });
  it('reads every variable; REAL_TIME wins over SPEED', () => {
    expect(
      parseConfig({
        PORT: '0',
        SEED: '7',
        SCENARIO: 'none',
        SPEED: '60',
        SCENARIO_INTERVAL_SEC: '30',
        KUBECONFIG_OUT: '/tmp/k',
      }),
    ).toMatchObject({
      port: 0,
      seed: 7,
      scenario: 'none',
      speed: 60,
      scenarioIntervalMs: 30_000,
      kubeconfigOut: '/tmp/k',
    });
    expect(parseConfig({ SPEED: '60', REAL_TIME: 'true' }).speed).toBe(1);
  });
  it.each([
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: 'abc' }, 'PORT'],
    [{ SEED: '-1' }, 'SEED'],
    [{ SCENARIO: 'chaos' }, 'SCENARIO: must be demo or none'],
    [{ SPEED: '0' }, 'SPEED'],
    [{ REAL_TIME: 'maybe' }, 'REAL_TIME: must be true or false'],
  ])('%j is refused naming %s', (env, field) => {
    expect(() => parseConfig(env)).toThrow(field);
  });
});
