import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, waitForHttp, type ManagedProcess } from './process.js';

export interface PrometheusOptions {
  /** `host:port` targets to scrape at `/metrics`, e.g. the simulator. */
  targets?: string[];
  /** Scrape and evaluation interval, e.g. `1s` in tests. */
  scrapeInterval?: string;
  /** Scrape timeout (≤ the interval); Prometheus' default (10 s, or the interval) when unset. */
  scrapeTimeout?: string;
  /** Rule evaluation interval; the scrape interval when unset. */
  evaluationInterval?: string;
  /** Rule files to load (absolute paths), e.g. deploy/prometheus/recording.yml. */
  ruleFiles?: string[];
  /**
   * Drop the `job` and `instance` labels Prometheus attaches to every scraped series, so series a
   * generator exposes pre-recorded look like a recording rule's output (which carries only its
   * `by` labels). Extra YAML under `scrape_configs` is not supported on purpose: keep tests simple.
   */
  dropTargetLabels?: boolean;
  port?: number;
}

export interface RunningPrometheus {
  readonly url: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts the real `prometheus` binary (Debian package `prometheus`) on loopback with a generated
 * config and a throwaway TSDB; `stop()` ends it by PID and removes its files.
 */
export async function startPrometheus(opts: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'aiops-prom-'));
  const interval = opts.scrapeInterval ?? '1s';
  const targets = opts.targets ?? [];
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${opts.evaluationInterval ?? interval}`,
    ...(opts.scrapeTimeout ? [`  scrape_timeout: ${opts.scrapeTimeout}`] : []),
    ...(opts.ruleFiles?.length ? ['rule_files:', ...opts.ruleFiles.map((f) => `  - '${f}'`)] : []),
    'scrape_configs:',
    '  - job_name: simulator',
    '    honor_labels: true',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    ...(opts.dropTargetLabels
      ? [
          '    metric_relabel_configs:',
          '      - action: labeldrop',
          "        regex: 'job|instance'",
        ]
      : []),
    '',
  ].join('\n');
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const port = opts.port ?? (await freePort());
  const proc = startProcess('prometheus', [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/-/ready`, 30_000);
  } catch (err) {
    await proc.stop();
    throw new Error(`prometheus did not start: ${proc.output()}`, { cause: err });
  }
  return {
    url,
    process: proc,
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
