import { describe, expect, it } from '@jest/globals';
import { ConfigError, DEFAULT_POOL_MIN_ROWS, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('has defaults for everything', () => {
    expect(parseConfig({})).toEqual({
      port: 5000,
      host: '0.0.0.0',
      modelDir: undefined,
      modelEngine: 'cpu',
      corsOrigins: ['http://localhost:8080'],
      batchLimit: 10_000,
      bodyLimit: '32mb',
      logLevel: 'info',
      shutdownTimeoutMs: 8_000,
      scoringThreads: 1,
      scoringPoolMinRows: DEFAULT_POOL_MIN_ROWS,
      scoringSliceTimeoutMs: 10_000,
    });
  });

  it('reads SCORING_THREADS as auto or 1–64 and SCORING_POOL_MIN_ROWS as a whole number', () => {
    expect(parseConfig({ SCORING_THREADS: '1' }).scoringThreads).toBe(1);
    expect(parseConfig({ SCORING_THREADS: '4' }).scoringThreads).toBe(4);
    expect(parseConfig({ SCORING_THREADS: 'auto' }).scoringThreads).toBe('auto');
    expect(parseConfig({ SCORING_POOL_MIN_ROWS: '500' }).scoringPoolMinRows).toBe(500);
    for (const bad of ['0', '65', '1.5', 'two', '-1'])
      expect(() => parseConfig({ SCORING_THREADS: bad })).toThrow(/SCORING_THREADS/);
    expect(() => parseConfig({ SCORING_POOL_MIN_ROWS: '0' })).toThrow(/SCORING_POOL_MIN_ROWS/);
    expect(parseConfig({ SCORING_SLICE_TIMEOUT_MS: '2500' }).scoringSliceTimeoutMs).toBe(2500);
    for (const bad of ['99', '600001', '1.5', 'soon'])
      expect(() => parseConfig({ SCORING_SLICE_TIMEOUT_MS: bad })).toThrow(
        /SCORING_SLICE_TIMEOUT_MS/,
      );
  });

  it('takes a shadow model from SHADOW_MODEL_DIR or --shadow (the flag wins)', () => {
    expect(parseConfig({ SHADOW_MODEL_DIR: '/models/candidate' }).shadowModelDir).toBe(
      '/models/candidate',
    );
    expect(parseConfig({ SHADOW_MODEL_DIR: '/a' }, ['--shadow', '/b']).shadowModelDir).toBe('/b');
    expect(() => parseConfig({}, ['--shadow'])).toThrow(/--shadow needs a model directory/);
    expect(parseConfig({}).shadowModelDir).toBeUndefined();
  });

  it('reads every variable', () => {
    const c = parseConfig({
      PORT: '8000',
      HOST: '127.0.0.1',
      MODEL_DIR: '/models/risk',
      MODEL_ENGINE: 'wasm',
      CORS_ORIGIN: 'https://a.example, https://b.example',
      BATCH_LIMIT: '500',
      BODY_LIMIT: '512kb',
      LOG_LEVEL: 'debug',
      SHUTDOWN_TIMEOUT_MS: '2000',
      SCORING_THREADS: '2',
      SCORING_POOL_MIN_ROWS: '4000',
      SCORING_SLICE_TIMEOUT_MS: '5000',
    });
    expect(c).toEqual({
      port: 8000,
      host: '127.0.0.1',
      modelDir: '/models/risk',
      modelEngine: 'wasm',
      corsOrigins: ['https://a.example', 'https://b.example'],
      batchLimit: 500,
      bodyLimit: '512kb',
      logLevel: 'debug',
      shutdownTimeoutMs: 2000,
      scoringThreads: 2,
      scoringPoolMinRows: 4000,
      scoringSliceTimeoutMs: 5000,
    });
  });

  it.each([
    ['*', '*'],
    ['', []],
    ['http://x, *', '*'],
  ])('CORS_ORIGIN=%j → %j', (value, expected) => {
    expect(parseConfig({ CORS_ORIGIN: value }).corsOrigins).toEqual(expected);
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ PORT: '', BATCH_LIMIT: '' })).toMatchObject({
      port: 5000,
      batchLimit: 10_000,
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['BATCH_LIMIT', '0'],
    ['BATCH_LIMIT', '1.5'],
    ['BODY_LIMIT', 'huge'],
    ['LOG_LEVEL', 'verbose'],
    ['MODEL_ENGINE', 'gpu'],
    ['SHUTDOWN_TIMEOUT_MS', '-1'],
  ])('rejects %s=%s, naming it', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(name);
  });
});
