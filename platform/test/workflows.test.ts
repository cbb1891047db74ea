import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { formatFindings } from '../src/errors.js';
import { repoPath } from '../src/paths.js';
import { actionlint, checkWorkflow } from '../src/workflows.js';

const WORKFLOWS = readdirSync(repoPath('.github/workflows')).map((f) => `.github/workflows/${f}`);
const read = (p: string): string => readFileSync(repoPath(p), 'utf8');
type Wf = {
  on: Record<
    string,
    { inputs?: Record<string, unknown>; branches?: string[]; tags?: string[] } | null
  >;
  jobs: Record<
    string,
    {
      steps?: { uses?: string; run?: string; with?: Record<string, string> }[];
      uses?: string;
      if?: string;
      with?: Record<string, string>;
      environment?: unknown;
      permissions?: Record<string, string>;
    }
  >;
  permissions: Record<string, string>;
};

describe('GitHub Actions workflows', () => {
  it('there are ci.yml, deploy.yml and heal-check.yml', () => {
    expect(WORKFLOWS.sort()).toEqual(
      [
        '.github/workflows/ci.yml',
        '.github/workflows/deploy.yml',
        '.github/workflows/heal-check.yml',
      ].sort(),
    );
  });

  it('pass actionlint', () => {
    expect(formatFindings(actionlint(WORKFLOWS, repoPath('')))).toBe('');
  }, 60_000);

  it.each(WORKFLOWS)(
    '%s pins actions by SHA, sets minimal permissions, timeouts and concurrency',
    (file) => {
      expect(formatFindings(checkWorkflow(read(file), file))).toBe('');
    },
  );

  it('ci.yml: tests and e2e on PR and push, images scanned by Trivy, dev on main, prod on a tag', () => {
    const ci = parse(read('.github/workflows/ci.yml')) as Wf;
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
    expect(ci.on.push?.tags).toEqual(['v*']);
    const runs = ci.jobs.test!.steps!.map((s) => s.run ?? '').join('\n');
    for (const cmd of ['npm ci', 'npm test', 'npm run test:e2e']) expect(runs).toContain(cmd);
    const trivy = ci.jobs.images!.steps!.find((s) =>
      s.uses?.startsWith('aquasecurity/trivy-action@'),
    )!;
    expect(trivy.with).toMatchObject({
      severity: 'HIGH,CRITICAL',
      'ignore-unfixed': true,
      'exit-code': '1',
    });
    expect(ci.jobs['deploy-dev']!.if).toContain("github.ref == 'refs/heads/main'");
    expect(ci.jobs['deploy-prod']!.if).toContain("startsWith(github.ref, 'refs/tags/v')");
    expect(ci.jobs['deploy-prod']!.with).toMatchObject({ environment: 'prod' });
    expect(ci.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(ci)).not.toMatch(/AWS_SECRET_ACCESS_KEY|aws-access-key-id/);
  });

  it('deploy.yml: OIDC, environment, dry run, rollout status, smoke test, then the risk gate', () => {
    const deploy = parse(read('.github/workflows/deploy.yml')) as Wf;
    const job = deploy.jobs.deploy!;
    expect(job.environment).toMatchObject({ name: '${{ inputs.environment }}' });
    const steps = job.steps!.map((s) => s.uses ?? s.run ?? '');
    const order = [
      /configure-aws-credentials/,
      /render-release\.sh/,
      /--dry-run=server/,
      /kubectl apply -l \S+ -f release\.yaml/,
      /wait-healthy\.sh/,
      /smoke-test\.sh/,
      /risk-gate\.sh/,
    ].map((re) => steps.findIndex((s) => re.test(s)));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(deploy.permissions['id-token']).toBe('write');
  });

  it('heal-check.yml: workflow_dispatch with environment, namespace, selector and dry_run', () => {
    const hc = parse(read('.github/workflows/heal-check.yml')) as Wf;
    expect(Object.keys(hc.on.workflow_dispatch!.inputs!)).toEqual([
      'environment',
      'namespace',
      'selector',
      'dry_run',
    ]);
    const text = read('.github/workflows/heal-check.yml');
    expect(text).toContain('GITHUB_STEP_SUMMARY');
    expect(text).toContain('SLACK_WEBHOOK_URL');
    expect(read('.github/scripts/healer-check.sh')).toMatch(
      /kubectl -n "\$ns" exec .* -- healer check --markdown/,
    );
  });

  it.each(readdirSync(repoPath('.github/scripts')))(
    'script %s is valid bash (bash -n)',
    (script) => {
      const r = spawnSync('bash', ['-n', repoPath(`.github/scripts/${script}`)], {
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );

  it('actionlint and our rules reject the broken fixture', () => {
    const file = 'platform/test/fixtures/workflows/bad.yml';
    const lint = formatFindings(actionlint([file], repoPath('')));
    expect(lint).toMatch(/property "missing" is not defined/);
    expect(lint).toMatch(/needs job "biuld" which does not exist/);
    expect(
      checkWorkflow(read(file), file)
        .map((f) => f.rule)
        .sort(),
    ).toEqual(['concurrency', 'permissions', 'pinned-actions', 'pinned-actions', 'timeout'].sort());
  }, 60_000);
});
