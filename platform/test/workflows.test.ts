import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatFindings } from '../src/errors.js';
import { kustomize } from '../src/kube.js';
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
      needs?: string | string[];
      with?: Record<string, string>;
      environment?: unknown;
      permissions?: Record<string, string>;
    }
  >;
  permissions: Record<string, string>;
};

describe('GitHub Actions workflows', () => {
  it('there are ci.yml, deploy.yml, heal-check.yml and release.yml', () => {
    expect(WORKFLOWS.sort()).toEqual(
      [
        '.github/workflows/ci.yml',
        '.github/workflows/deploy.yml',
        '.github/workflows/heal-check.yml',
        '.github/workflows/release.yml',
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

  it('ci.yml: tests and e2e on PR and main; each image built once with SBOM and provenance, scanned without a token, pushed as scanned and signed', () => {
    const ci = parse(read('.github/workflows/ci.yml')) as Wf;
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(ci.on.push).toEqual({ branches: ['main'] });
    const runs = ci.jobs.test!.steps!.map((s) => s.run ?? '').join('\n');
    for (const cmd of ['npm ci', 'npm test', 'npm run test:e2e']) expect(runs).toContain(cmd);
    const build = ci.jobs.build!.steps!.find((s) =>
      s.uses?.startsWith('docker/build-push-action@'),
    )!;
    expect(build.with).toMatchObject({
      file: 'Dockerfile',
      target: '${{ matrix.service }}',
      push: false,
      provenance: 'mode=max',
      sbom: true,
    });
    expect(build.with!.outputs).toMatch(/^type=oci,dest=/);
    expect(ci.jobs.build!.permissions).toBeUndefined(); // the workflow's contents: read
    // Trivy scans the built archive in a job that holds no OIDC token, at a current pinned version.
    const scan = ci.jobs.scan!;
    expect(scan.permissions).toEqual({ contents: 'read' });
    const trivy = scan.steps!.find((s) => s.uses?.startsWith('aquasecurity/trivy-action@'))!;
    expect(trivy.uses).toBe('aquasecurity/trivy-action@ed142fd0673e97e23eac54620cfb913e5ce36c25');
    expect(trivy.with).toMatchObject({
      input: expect.stringContaining('image.tar'),
      severity: 'HIGH,CRITICAL',
      'ignore-unfixed': true,
      'exit-code': '1',
    });
    // Only jobs that talk to AWS or Sigstore get id-token.
    const withToken = Object.entries(ci.jobs)
      .filter(([, j]) => j.permissions?.['id-token'] === 'write')
      .map(([n]) => n)
      .sort();
    expect(withToken).toEqual(['deploy-dev', 'publish', 'terraform-plan']);
    const publish = ci.jobs.publish!;
    expect(publish.needs).toEqual(['test', 'terraform', 'scan']);
    expect(publish.if).toContain("github.ref == 'refs/heads/main'");
    expect(publish.steps!.map((s) => s.run ?? '').join('\n')).toContain('publish-image.sh');
    expect(read('.github/scripts/publish-image.sh')).toMatch(
      /skopeo copy --all --preserve-digests/,
    );
    expect(read('.github/scripts/publish-image.sh')).toMatch(
      /cosign sign --yes "\$repository@\$digest"/,
    );
    expect(ci.jobs['deploy-dev']).toMatchObject({
      needs: 'publish',
      uses: './.github/workflows/deploy.yml',
      with: { environment: 'dev' },
    });
    expect(ci.jobs['terraform-plan']!.if).toContain("github.event_name == 'pull_request'");
    expect(ci.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(ci)).not.toMatch(/AWS_SECRET_ACCESS_KEY|aws-access-key-id/);
  });

  it('release.yml: a v* tag promotes the digest main built, to prod, with no build of its own', () => {
    const text = read('.github/workflows/release.yml');
    const release = parse(text) as Wf;
    expect(release.on).toEqual({ push: { tags: ['v*'] } });
    expect(Object.keys(release.jobs)).toEqual(['deploy-prod']);
    expect(release.jobs['deploy-prod']).toMatchObject({
      uses: './.github/workflows/deploy.yml',
      with: { environment: 'prod', namespace: 'prod', release_tag: '${{ github.ref_name }}' },
      permissions: { contents: 'read', 'id-token': 'write' },
    });
    // Neither the release nor the deploy it calls can build an image.
    for (const file of ['.github/workflows/release.yml', '.github/workflows/deploy.yml']) {
      expect(read(file)).not.toMatch(
        /build-push-action|docker build|buildx build|buildx bake|setup-buildx/,
      );
    }
  });

  it('deploy.yml: OIDC, environment, digests resolved and verified, rendered by digest, dry run, rollout status, smoke test, then the risk gate', () => {
    const deploy = parse(read('.github/workflows/deploy.yml')) as Wf;
    const job = deploy.jobs.deploy!;
    expect(job.environment).toMatchObject({ name: '${{ inputs.environment }}' });
    const steps = job.steps!.map((s) => s.uses ?? s.run ?? '');
    const order = [
      /configure-aws-credentials/,
      /resolve-digests\.sh "\$REGISTRY" "\$\(git rev-parse HEAD\)"/,
      /verify-images\.sh digests\.txt "\$SIGNER"/,
      /render-release\.sh "\$ENVIRONMENT" digests\.txt/,
      /--dry-run=server/,
      /kubectl apply -l \S+ -f release\.yaml/,
      /wait-healthy\.sh/,
      /smoke-test\.sh/,
      /risk-gate\.sh/,
    ].map((re) => steps.findIndex((s) => re.test(s)));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(deploy.permissions['id-token']).toBe('write');
    expect(JSON.stringify(job)).toContain(
      'https://github.com/${{ github.repository }}/.github/workflows/ci.yml@refs/heads/main',
    );
    expect(read('.github/scripts/verify-images.sh')).toMatch(
      /cosign verify "\$ref" \\\n\s+--certificate-identity "\$identity" \\\n\s+--certificate-oidc-issuer https:\/\/token\.actions\.githubusercontent\.com/,
    );
  });

  describe('render-release.sh renders by digest and refuses anything else', () => {
    const digest = (c: string): string => `sha256:${c.repeat(64)}`;
    const registry = '999999999999.dkr.ecr.us-east-1.amazonaws.com';
    const run = (
      env: string,
      lines: string[],
    ): { status: number | null; stdout: string; stderr: string } => {
      const dir = mkdtempSync(join(tmpdir(), 'render-release-'));
      const file = join(dir, 'digests.txt');
      writeFileSync(file, lines.join('\n') + '\n');
      const r = spawnSync('bash', ['.github/scripts/render-release.sh', env, file], {
        cwd: repoPath(''),
        encoding: 'utf8',
      });
      rmSync(dir, { recursive: true });
      return r;
    };
    const lines = ['backend', 'healer', 'dashboard'].map(
      (svc, i) => `${svc} ${registry}/aiops-autoheal/${svc}@${digest('abc'[i]!)}`,
    );

    it.each(['dev', 'prod'])(
      '%s: every image is the released digest in the real registry',
      (env) => {
        const r = run(env, lines);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        const images = kustomize(repoPath(r.stdout.trim()))
          .flatMap((o) => JSON.stringify(o).match(/"image":"[^"]+"/g) ?? [])
          .sort();
        expect(images).toEqual(
          [
            `"image":"${registry}/aiops-autoheal/backend@${digest('a')}"`,
            `"image":"${registry}/aiops-autoheal/dashboard@${digest('c')}"`,
            `"image":"${registry}/aiops-autoheal/healer@${digest('b')}"`,
          ].sort(),
        );
      },
    );

    it('refuses a tag', () => {
      const r = run('prod', [
        ...lines.slice(0, 2),
        `dashboard ${registry}/aiops-autoheal/dashboard:v1.2.3`,
      ]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/dashboard: .* is not pinned by digest/);
    });

    it('refuses a release that misses an image', () => {
      const r = run('prod', lines.slice(0, 2));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/no digest for dashboard/);
    });
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
