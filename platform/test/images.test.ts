import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { checkCompose, lintCompose } from '../src/compose.js';
import { checkDockerfile, isExactImage, stageText } from '../src/dockerfiles.js';
import {
  checkRuntimeDependencies,
  packageOf,
  productionWorkspaces,
  runtimeImports,
} from '../src/runtimeDeps.js';
import { formatFindings } from '../src/errors.js';
import { kustomize, type KubeObject } from '../src/kube.js';
import { repoPath } from '../src/paths.js';

const read = (p: string): string => readFileSync(repoPath(p), 'utf8');
/** The one Dockerfile's targets: the image each builds and the user it runs as. */
const IMAGES: [target: string, name: string, user: string][] = [
  ['backend', 'aiops-backend', '1000:1000'],
  ['healer', 'aiops-healer', '1000:1000'],
  ['dashboard', 'aiops-dashboard', '101:101'],
  ['simulator', 'aiops-simulator', '1000:1000'],
];
const DOCKERFILE = read('Dockerfile');
const stageOf = (target: string): string => stageText(DOCKERFILE, target);

describe('Dockerfile (one build definition, a target per image)', () => {
  it.each(IMAGES)('target %s passes the syntax check and every image rule', (target) => {
    expect(
      formatFindings(checkDockerfile(DOCKERFILE, `Dockerfile --target ${target}`, target)),
    ).toBe('');
  });

  it('there is no other Dockerfile: compose, CI and people build the same targets', () => {
    const others = spawnSync('git', ['ls-files', '*Dockerfile*'], {
      cwd: repoPath(''),
      encoding: 'utf8',
    })
      .stdout.split('\n')
      .filter((f) => f && !f.startsWith('platform/test/fixtures/'));
    expect(others).toEqual(['Dockerfile']);
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<
        string,
        { build?: { context: string; dockerfile?: string; target: string } }
      >;
    };
    for (const [target] of IMAGES) {
      expect(compose.services[target]?.build).toMatchObject({ context: '.', target });
      expect(compose.services[target]?.build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    }
    const ci = read('.github/workflows/ci.yml');
    expect(ci).toContain('target: ${{ matrix.service }}');
  });

  it('reports a target that does not exist', () => {
    expect(checkDockerfile(DOCKERFILE, 'Dockerfile', 'nope').map((f) => f.rule)).toEqual([
      'target',
    ]);
  });

  it('a USER or LABEL missing from a target and its parents is reported for that target only', () => {
    const broken = DOCKERFILE.replace(
      /^FROM node-runtime AS healer\n/m,
      'FROM manifests AS healer\n',
    );
    const rules = checkDockerfile(broken, 'broken', 'healer').map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['oci-labels']));
    expect(checkDockerfile(broken, 'broken', 'backend')).toEqual([]);
  });

  it.each(IMAGES.filter(([, name]) => name !== 'aiops-simulator'))(
    'target %s runs as the UID the Kubernetes manifests declare',
    (target, name, user) => {
      const users = [...stageOf(target).matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
      expect(users.at(-1)).toBe(user);
      const deployment = kustomize(repoPath('k8s/overlays/dev')).find(
        (o: KubeObject) => o.kind === 'Deployment' && o.metadata.name === name,
      )!;
      const spec = (
        deployment.spec as { template: { spec: { securityContext: { runAsUser: number } } } }
      ).template.spec;
      expect(String(spec.securityContext.runAsUser)).toBe(user.split(':')[0]);
    },
  );

  it('the backend image installs @tensorflow/tfjs-node at the version of @tensorflow/tfjs', () => {
    const tfjs = (
      JSON.parse(read('model/package.json')) as { dependencies: Record<string, string> }
    ).dependencies['@tensorflow/tfjs']!.replace(/^[\^~]/, '');
    expect(DOCKERFILE).toContain(`@tensorflow/tfjs-node@${tfjs}`);
  });

  it('rejects the bad fixture on every rule', () => {
    const rules = new Set(
      checkDockerfile(read('platform/test/fixtures/docker/Dockerfile.bad'), 'bad').map(
        (f) => f.rule,
      ),
    );
    expect([...rules].sort()).toEqual(
      [
        'exec-form-cmd',
        'multi-stage',
        'no-remote-add',
        'non-root-user',
        'oci-labels',
        'pinned-base',
        'prod-deps-only',
      ].sort(),
    );
  });

  it('reports a syntax error through dockerfile-utils', () => {
    const findings = checkDockerfile(
      'FROM node:20.20.2 AS a\nFROM a\nEXPOSE http\nUSER 1000\n',
      'inline',
    );
    expect(findings.filter((f) => f.rule === 'syntax')).not.toHaveLength(0);
  });

  it.each([
    ['node:20.20.2-bookworm-slim', true],
    ['nginxinc/nginx-unprivileged:1.27.4-alpine', true],
    ['node@sha256:' + 'b'.repeat(64), true],
    ['node:lts', false],
    ['node:latest', false],
    ['node', false],
  ])('isExactImage(%j) is %s', (ref, exact) => {
    expect(isExactImage(ref)).toBe(exact);
  });

  it('.dockerignore keeps dependencies, build output and secrets out of the context', () => {
    const lines = read('.dockerignore').split('\n');
    for (const l of ['**/node_modules', '**/dist', '.git', '**/.env']) expect(lines).toContain(l);
  });
});

describe('runtime dependencies of the Node images', () => {
  it.each(['backend', 'healer', 'simulator'])(
    '%s: every package its shipped code imports is installed by `npm ci --omit=dev`',
    (service) => {
      const workspaces = productionWorkspaces(DOCKERFILE, service);
      expect(workspaces).toEqual(['model', service]);
      expect(formatFindings(checkRuntimeDependencies(repoPath(''), workspaces, service))).toBe('');
    },
  );

  it('reports an import that the installed workspaces do not declare', () => {
    const findings = checkRuntimeDependencies(repoPath(''), ['backend'], 'backend-without-model');
    expect(formatFindings(findings)).toMatch(
      /imports @aiops\/model, which is not a dependency of backend/,
    );
  });

  it.each([
    ["import { z } from 'zod';", ['zod']],
    ["import type { X } from '@aiops/model';", []],
    ["export { a } from './a.js';", ['./a.js']],
    ["const m = await import('@tensorflow/tfjs-node');", ['@tensorflow/tfjs-node']],
  ])('runtimeImports(%j)', (src, imports) => {
    expect(runtimeImports(src)).toEqual(imports);
  });

  it.each([
    ['@aiops/model/schema', '@aiops/model'],
    ['express', 'express'],
    ['node:fs', undefined],
    ['fs', undefined],
    ['./x.js', undefined],
  ])('packageOf(%j) is %j', (spec, pkg) => {
    expect(packageOf(spec)).toBe(pkg);
  });
});

describe('docker-compose.yml', () => {
  const REQUIRED = [
    'simulator',
    'backend',
    'healer',
    'dashboard',
    'prometheus',
    'grafana',
    'alertmanager',
    'loki',
  ];

  it('passes dclint (compose-spec schema and lint rules)', () => {
    expect(formatFindings(lintCompose(repoPath('docker-compose.yml')))).toBe('');
  });

  it('has every service, hardened, with existing bind mounts', () => {
    expect(
      formatFindings(
        checkCompose(read('docker-compose.yml'), repoPath('docker-compose.yml'), REQUIRED),
      ),
    ).toBe('');
  });

  it('Prometheus scrapes every service of the stack and loads the shared alert rules', () => {
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = prom.scrape_configs
      .flatMap((s) => s.static_configs.flatMap((c) => c.targets))
      .join(' ');
    for (const t of [
      'simulator:8001',
      'backend:5000',
      'healer:8081',
      'alertmanager:9093',
      'loki:3100',
    ]) {
      expect(targets).toContain(t);
    }
    expect(read('docker-compose.yml')).toContain(
      './deploy/prometheus/alerts.yml:/etc/prometheus/rules/alerts.yml',
    );
  });

  it('Grafana gets the same dashboards as the cluster', () => {
    expect(read('docker-compose.yml')).toContain(
      './k8s/monitoring/dashboards:/var/lib/grafana/dashboards',
    );
  });

  it('rejects a schema violation (fixture)', () => {
    const findings = lintCompose(repoPath('platform/test/fixtures/compose/bad-compose-schema.yml'));
    expect(findings.map((f) => f.rule)).toContain('dclint/invalid-schema');
  });

  it('rejects a floating image, build+image, an unhardened service and a missing bind mount (fixture)', () => {
    const path = repoPath('platform/test/fixtures/compose/bad-compose.yml');
    const lint = lintCompose(path).map((f) => f.rule);
    expect(lint).toEqual(
      expect.arrayContaining([
        'dclint/service-image-require-explicit-tag',
        'dclint/no-build-and-image',
      ]),
    );
    const own = checkCompose(readFileSync(path, 'utf8'), path, REQUIRED).map((f) => f.rule);
    expect(own).toEqual(
      expect.arrayContaining(['services', 'hardening', 'healthcheck', 'bind-mount']),
    );
  });
});

describe('dashboard nginx.conf', () => {
  const conf = read('dashboard/nginx.conf');

  it('proxies to the Services by the names and ports the manifests and compose use', () => {
    const upstreams = [...conf.matchAll(/^\s*server ([\w-]+):(\d+);/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(upstreams).toEqual([
      ['aiops-healer', 8081],
      ['aiops-backend', 5000],
    ]);
    const services = kustomize(repoPath('k8s/overlays/dev')).filter((o) => o.kind === 'Service');
    for (const [name, port] of upstreams) {
      const svc = services.find((s) => s.metadata.name === name)!;
      expect((svc.spec as { ports: { port: number }[] }).ports.map((p) => p.port)).toContain(port);
    }
    const compose = read('docker-compose.yml');
    for (const [name] of upstreams) expect(compose).toContain(`- ${name}\n`);
  });

  it('listens on the container port and streams SSE on /api/ unbuffered', () => {
    expect(conf).toMatch(/^\s*listen 8080;/m);
    const api = /location \/api\/ \{([^}]*)\}/.exec(conf)?.[1] ?? '';
    expect(api).toContain('proxy_pass http://aiops_healer;');
    expect(api).toContain('proxy_buffering off;');
    expect(conf).toMatch(/location \/predict \{[^}]*proxy_pass http:\/\/aiops_backend;/);
    expect(conf).toMatch(/location = \/healthz/);
  });
});
