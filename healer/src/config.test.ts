import { describe, expect, it } from '@jest/globals';
import { DEFAULT_FEATURE_QUERIES } from '@aiops/model';
import {
  advertisedUrl,
  ConfigError,
  configFromSources,
  EXPLAIN_DEFAULT,
  parseConfigText,
  redactConfig,
} from './config.js';

describe('config', () => {
  it('has defaults for everything', () => {
    const c = configFromSources({});
    expect(c).toMatchObject({
      labelSelector: 'aiops.io/autoheal=enabled',
      thresholds: { high: 0.8, low: 0.5 },
      enterCycles: 3,
      stabilisationMs: 120_000,
      ladder: ['restart_scale', 'cache_clear_restart', 'rollback', 'page'],
      port: 8081,
      dryRun: false,
      cacheClear: { method: 'exec' },
    });
    expect(c.prometheus).toMatchObject({
      featureRules: 'auto',
      maxConcurrentQueries: 4,
      contextRefreshesPerCycle: 20,
      contextWarmupPerCycle: 20,
    });
    expect(c.prometheus.queries).toEqual(DEFAULT_FEATURE_QUERIES);
  });

  it('merges the file, then env on top', () => {
    const file = parseConfigText(
      'namespaces: [prod]\nthresholds:\n  high: 0.9\nprometheus:\n  queries:\n    cpu_usage_pct: up\n',
    );
    const c = configFromSources(
      { HEALER_THRESHOLD_LOW: '0.4', HEALER_DRY_RUN: 'true', HEALER_NAMESPACES: 'a, b' },
      file,
    );
    expect(c.thresholds).toEqual({ high: 0.9, low: 0.4 });
    expect(c.dryRun).toBe(true);
    expect(c.namespaces).toEqual(['a', 'b']);
    expect(c.prometheus.queries.cpu_usage_pct).toBe('up');
    expect(c.prometheus.queries.http_5xx_error_rate).toBe(
      DEFAULT_FEATURE_QUERIES.http_5xx_error_rate,
    );
  });

  it.each([
    [{ HEALER_THRESHOLD_HIGH: 'abc' }, {}, 'HEALER_THRESHOLD_HIGH: must be a number'],
    [{ HEALER_DRY_RUN: 'maybe' }, {}, 'HEALER_DRY_RUN: must be true or false'],
    [{}, { thresholds: { high: 1.5 } }, 'thresholds.high'],
    [{}, { thresholds: { high: 0.5, low: 0.7 } }, 'thresholds.low: low must be ≤ high'],
    [{}, { schedule: 'every minute' }, 'schedule: must be a valid cron expression'],
    [{}, { prometheus: { window: '2 minutes' } }, 'prometheus.window: must be a PromQL duration'],
    [
      {},
      { prometheus: { queries: { nope: 'up' } } },
      'prometheus.queries.nope: unknown feature "nope"',
    ],
    [{}, { prometheus: { maxConcurrentQueries: 0 } }, 'prometheus.maxConcurrentQueries'],
    [{}, { prometheus: { contextRefreshesPerCycle: 0 } }, 'prometheus.contextRefreshesPerCycle'],
    [{}, { prometheus: { contextWarmupPerCycle: 0 } }, 'prometheus.contextWarmupPerCycle'],
    [{}, { prometheus: { contextWarmupPerCycle: 2.5 } }, 'prometheus.contextWarmupPerCycle'],
    [{}, { prometheus: { contextWarmupPerCycle: 1001 } }, 'prometheus.contextWarmupPerCycle'],
    [{}, { prometheus: { featureRules: 'sometimes' } }, 'prometheus.featureRules'],
    [{}, { ladder: ['restart_scale', 'reboot'] }, 'ladder.1'],
    [{}, { enterCycles: 0 }, 'enterCycles'],
    [{}, { unknownKey: 1 }, 'unknownKey: unknown key'],
    // The API server refused it on every cycle's list; now the start does, once.
    [
      { HEALER_LABEL_SELECTOR: 'a=b=c' },
      {},
      'labelSelector (HEALER_LABEL_SELECTOR): must be a label selector: label selector: "b=c" is not a label value',
    ],
    // Nested keys are checked too: a typo in the file was dropped without a word.
    [{}, { thresholds: { high: 0.9, hihg: 0.9 } }, 'thresholds.hihg: unknown key'],
    [{}, { slack: { webhookURL: 'https://hooks.example/x' } }, 'slack.webhookURL: unknown key'],
    [
      {},
      { budgets: { perDeployment: { maxActionPerHour: 1 } } },
      'budgets.perDeployment.maxActionPerHour: unknown key',
    ],
    [{}, { approvals: { gatez: {} } }, 'approvals.gatez: unknown key'],
    [
      { HEALER_API_TOKEN: 'short' },
      {},
      'api.token (HEALER_API_TOKEN): must be at least 16 characters',
    ],
    [{ HEALER_EXPLAIN: 'lots' }, {}, 'HEALER_EXPLAIN: must be "all" or a whole number 0–999'],
    [
      { HEALER_EXPLAIN: '2.5' },
      {},
      'backend.explain (HEALER_EXPLAIN): must be "all" or a whole number 0–999',
    ],
    // A variable's bad value names the variable beside the key; a file's names the key alone.
    [{ HEALER_STABILISATION_MS: '-5' }, {}, 'stabilisationMs (HEALER_STABILISATION_MS): Too small'],
    [{ HEALER_THRESHOLD_HIGH: '2' }, {}, 'thresholds.high (HEALER_THRESHOLD_HIGH): Too big'],
    [{}, { stabilisationMs: -5 }, 'invalid healer config: stabilisationMs: Too small'],
    // A URL the healer fetches is http(s): ftp:// or file: is a typo that would fail every cycle.
    [
      { PROMETHEUS_URL: 'ftp://prom:9090' },
      {},
      'prometheus.url (PROMETHEUS_URL): must be an http(s) URL',
    ],
    [{}, { backend: { url: 'file:///etc/hosts' } }, 'backend.url: must be an http(s) URL'],
    [
      { SIMULATOR_URL: 'localhost:8001' },
      {},
      'features.simulatorUrl (SIMULATOR_URL): must be an http(s) URL',
    ],
    [
      { DASHBOARD_URL: 'javascript:alert(1)' },
      {},
      'links.dashboard (DASHBOARD_URL): must be an http(s) URL',
    ],
    [{}, { backend: { explain: -1 } }, 'backend.explain: must be "all" or a whole number 0–999'],
    [{}, { backend: { explain: 1000 } }, 'backend.explain: must be "all" or a whole number 0–999'],
    [
      {},
      { backend: { explain: 'some' } },
      'backend.explain: must be "all" or a whole number 0–999',
    ],
  ])('rejects %j %j naming %s', (env, file, message) => {
    let err: unknown;
    try {
      configFromSources(env, file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(message);
  });

  it.each<[Record<string, string>, object, number | 'all']>([
    [{}, {}, EXPLAIN_DEFAULT],
    [{}, { backend: { explain: 0 } }, 0],
    [{}, { backend: { explain: 'all' } }, 'all'],
    [{ HEALER_EXPLAIN: 'all' }, { backend: { explain: 3 } }, 'all'],
    [{ HEALER_EXPLAIN: '999' }, {}, 999],
  ])('reads backend.explain from %j %j: %j', (env, file, explain) => {
    expect(configFromSources(env, file).backend.explain).toBe(explain);
  });

  it('rejects a file that is not YAML', () => {
    expect(() => parseConfigText('a: [', 'cm.yaml')).toThrow('cm.yaml: not YAML or JSON');
  });

  it('never shows secrets', () => {
    const c = configFromSources({
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/secret',
      HEALER_API_TOKEN: 'a-very-long-secret-token',
    });
    const shown = JSON.stringify(redactConfig(c));
    expect(shown).not.toContain('secret');
    expect(shown).toContain('<redacted>');
  });

  it('does not echo a secret when it is invalid', () => {
    expect(() => configFromSources({ SLACK_WEBHOOK_URL: 'not a url with secret' })).toThrow(
      ConfigError,
    );
    try {
      configFromSources({ SLACK_WEBHOOK_URL: 'not a url with secret' });
    } catch (e) {
      expect((e as Error).message).not.toContain('secret');
    }
  });
});

describe('advertisedUrl (where a standby forwards leader-only requests)', () => {
  it.each([
    ['no pod IP, no URL: none (a standby answers 503)', {}, {}, undefined],
    ['the pod IP and the port', { POD_IP: '10.0.1.7', PORT: '8081' }, {}, 'http://10.0.1.7:8081'],
    ['an IPv6 pod IP in brackets', { POD_IP: 'fd00::7' }, {}, 'http://[fd00::7]:8081'],
    [
      'leader.advertiseUrl wins',
      { POD_IP: '10.0.1.7' },
      { leader: { advertiseUrl: 'https://healer-0.healer:8443' } },
      'https://healer-0.healer:8443',
    ],
  ])('%s', (_t, env, file, want) => {
    expect(advertisedUrl(configFromSources(env, file))).toBe(want);
  });

  it('a pod IP that is not one names the field', () => {
    expect(() => configFromSources({ POD_IP: 'healer-0' })).toThrow(/leader\.podIP/);
  });
});
