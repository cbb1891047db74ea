import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEFAULT_FEATURE_QUERIES } from '@aiops/model';
import { formatFindings } from '../src/errors.js';
import { renderHealerConfigFile } from '../src/healerConfig.js';
import { kustomize, parseYamlDocuments, type KubeObject } from '../src/kube.js';
import { repoPath } from '../src/paths.js';
import { checkPolicies, isPinnedImage, RULES, type PolicyOptions } from '../src/policy.js';
import {
  CACHE_CLEAR_PERMISSIONS,
  permissionsGranted,
  permissionsUsed,
  permissionsUsedIn,
} from '../src/rbacUsage.js';
import { checkReferences } from '../src/references.js';
import { validateObjects } from '../src/schemas.js';
import {
  find,
  fixture,
  healerModule,
  ingressPathsTo,
  OVERLAYS,
  render,
  renderCopy,
  secretEnv,
  VPC_CIDR,
} from './render.js';

const CLUSTER_LEVEL = [
  'k8s/cluster',
  'k8s/cluster/cert-manager',
  'k8s/argocd',
  'k8s/monitoring',
] as const;
/** What each environment adds to the base policy: prod pins every image by digest. */
const optionsFor = (dir: string): PolicyOptions => ({
  vpcCidr: VPC_CIDR,
  requireImageDigests: dir.startsWith('k8s/overlays/prod'),
});

describe('kubectl kustomize', () => {
  it.each([...OVERLAYS, ...CLUSTER_LEVEL])('builds %s', (dir) => {
    expect(render(dir).length).toBeGreaterThan(0);
  });

  it('fails on a kustomization that references a missing file (fixture)', () => {
    expect(() => kustomize(fixture('k8s/broken-kustomization'))).toThrow(
      /deployment-that-does-not-exist\.yaml/,
    );
  });
});

describe('OpenAPI schemas (core and CRDs)', () => {
  it.each([...OVERLAYS, ...CLUSTER_LEVEL])('every object of %s validates', (dir) => {
    const findings = validateObjects(render(dir));
    expect(formatFindings(findings)).toBe('');
  });

  it('covers the CRDs we ship', () => {
    const kinds = new Set(
      [...OVERLAYS, ...CLUSTER_LEVEL].flatMap((d) => render(d).map((o) => o.kind)),
    );
    for (const k of [
      'ServiceMonitor',
      'PrometheusRule',
      'ClusterIssuer',
      'Rollout',
      'AnalysisTemplate',
      'Application',
      'ExternalSecret',
      'SecretStore',
      'Schedule',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'CustomResourceDefinition',
    ]) {
      expect(kinds).toContain(k);
    }
  });

  it('rejects each broken object of the fixture, naming the field', () => {
    const objects = parseYamlDocuments(
      readFileSync(fixture('k8s/schema-invalid.yaml'), 'utf8'),
      'fixture',
    );
    const text = formatFindings(validateObjects(objects));
    expect(text).toMatch(
      /Deployment\/replicas-as-text: \[schema\] \/spec\/replicas must be integer/,
    );
    expect(text).toMatch(
      /ServiceMonitor\/endpoints-not-a-list: \[schema\] \/spec\/endpoints must be array/,
    );
    expect(text).toMatch(
      /Rollout\/steps-not-a-list: .*\/spec\/strategy\/canary\/steps must be array/,
    );
    expect(text).toMatch(
      /ClusterIssuer\/acme-without-server: .*must have required property '?server'?/,
    );
    expect(text).toMatch(/Schedule\/no-cron: .*must have required property 'schedule'/);
    expect(text).toMatch(/Schedule\/no-cron: .*\/spec\/template\/ttl must match pattern/);
    expect(text).toMatch(
      /Unknown\/no-schema: \[schema\] no schema known for example.com\/v1 Unknown/,
    );
  });
});

describe('policies over rendered overlays', () => {
  it.each(OVERLAYS)('%s passes every policy', (dir) => {
    expect(formatFindings(checkPolicies(render(dir), optionsFor(dir)))).toBe('');
  });

  it.each(OVERLAYS)('%s has no dangling references', (dir) => {
    expect(formatFindings(checkReferences(render(dir)))).toBe('');
  });

  it.each(RULES)('the insecure fixture breaks rule %s and it is reported', (rule) => {
    const findings = checkPolicies(kustomize(fixture('k8s/insecure')), {
      requireImageDigests: true,
      vpcCidr: VPC_CIDR,
    });
    expect(findings.filter((f) => f.rule === rule)).not.toHaveLength(0);
  });

  it('reports a Service whose selector matches nothing and an HPA aimed at nothing', () => {
    const objects = renderCopy('k8s/overlays/dev');
    (find(objects, 'Service', 'aiops-backend').spec as { selector: object }).selector = {
      'app.kubernetes.io/name': 'typo',
    };
    (
      find(objects, 'HorizontalPodAutoscaler', 'aiops-backend').spec as {
        scaleTargetRef: { name: string };
      }
    ).scaleTargetRef.name = 'missing';
    const text = formatFindings(checkReferences(objects));
    expect(text).toMatch(/Service\/dev\/aiops-backend: \[reference\] selector matches no workload/);
    expect(text).toMatch(/scaleTargetRef Deployment\/missing does not exist/);
  });

  it.each([
    ['repo/app:1.2.3', true],
    ['repo/app@sha256:' + 'a'.repeat(64), true],
    ['registry:5000/app:1', true],
    ['repo/app', false],
    ['registry:5000/app', false],
    ['repo/app:latest', false],
    ['', false],
  ])('isPinnedImage(%j) is %s', (image, pinned) => {
    expect(isPinnedImage(image)).toBe(pinned);
  });
});

describe('environment specifics', () => {
  const workload = (objects: KubeObject[]): KubeObject =>
    objects.find(
      (o) => /^(Deployment|Rollout)$/.test(o.kind) && o.metadata.name === 'aiops-backend',
    )!;

  it('prod runs at least 2 backend replicas with an HPA floor to match; dev and prod namespaces are PSS restricted', () => {
    const prod = render('k8s/overlays/prod');
    expect((workload(prod).spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
    expect(
      (find(prod, 'HorizontalPodAutoscaler', 'aiops-backend').spec as { minReplicas: number })
        .minReplicas,
    ).toBeGreaterThanOrEqual(2);
    for (const [dir, ns] of [
      ['k8s/overlays/dev', 'dev'],
      ['k8s/overlays/prod', 'prod'],
    ] as const) {
      const namespace = find(render(dir), 'Namespace', ns);
      expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      expect(render(dir).every((o) => o.kind === 'Namespace' || o.metadata.namespace === ns)).toBe(
        true,
      );
    }
  });

  it('prod releases the backend as a canary Rollout whose HPA follows it', () => {
    const prod = render('k8s/overlays/prod');
    expect(workload(prod).kind).toBe('Rollout');
    expect(
      (
        find(prod, 'HorizontalPodAutoscaler', 'aiops-backend').spec as {
          scaleTargetRef: { kind: string };
        }
      ).scaleTargetRef.kind,
    ).toBe('Rollout');
  });

  it('runs the healer with 2 replicas and the backend CORS origin equals the ingress host', () => {
    for (const dir of OVERLAYS) {
      const objects = render(dir);
      expect(
        (find(objects, 'Deployment', 'aiops-healer').spec as { replicas: number }).replicas,
      ).toBe(2);
      const ingress = objects.find((o) => o.kind === 'Ingress')!;
      const host = (ingress.spec as { rules: { host: string }[] }).rules[0]!.host;
      const env = (
        workload(objects).spec as {
          template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
        }
      ).template.spec.containers[0]!.env;
      expect(env.find((e) => e.name === 'CORS_ORIGIN')?.value).toBe(`https://${host}`);
    }
  });

  it.each(OVERLAYS)('%s ships no Secret, so an apply never overwrites real values', (dir) => {
    expect(render(dir).filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('the Secret template is a valid Secret with the keys the healer reads', () => {
    const [secret] = parseYamlDocuments(
      readFileSync(repoPath('k8s/base/healer/secret.template.yaml'), 'utf8'),
      'secret template',
    );
    expect(formatFindings(validateObjects([secret!]))).toBe('');
    expect(Object.keys(secret!.stringData as object).sort()).toEqual(
      secretEnv(find(render('k8s/overlays/dev'), 'Deployment', 'aiops-healer')).map((e) => e.key),
    );
  });

  it('prod gets the healer Secret from an ExternalSecret', () => {
    const prod = render('k8s/overlays/prod');
    const es = find(prod, 'ExternalSecret', 'aiops-healer');
    expect((es.spec as { target: { name: string } }).target.name).toBe('aiops-healer');
  });
});

/** The healer's env wiring, as healer/src/config.ts declares it. */
type EnvKeys = ReadonlyArray<[string, string[], unknown]>;
const envOf = (workload: KubeObject): { name: string }[] =>
  (workload.spec as { template: { spec: { containers: { env: { name: string }[] }[] } } }).template
    .spec.containers[0]!.env;
const configAt = (config: unknown, path: string[]): unknown =>
  path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], config);

describe('the healer Secret: API tokens and Slack (webhook or app)', () => {
  const OPTIONAL = [
    'HEALER_API_READ_TOKEN',
    'SLACK_BOT_TOKEN',
    'SLACK_SIGNING_SECRET',
    'SLACK_WEBHOOK_URL',
  ];

  it.each(OVERLAYS)(
    '%s: HEALER_API_TOKEN is required, every other key optional, all from the Secret aiops-healer',
    (dir) => {
      const env = secretEnv(find(render(dir), 'Deployment', 'aiops-healer'));
      expect(env).toEqual(
        ['HEALER_API_TOKEN', ...OPTIONAL].sort().map((name) => ({
          name,
          secret: 'aiops-healer',
          key: name,
          optional: name !== 'HEALER_API_TOKEN',
        })),
      );
    },
  );

  it('each variable sets the config key the healer reads, and empty leaves it unset', async () => {
    const { ENV_KEYS, configFromSources } = await healerModule<{
      ENV_KEYS: EnvKeys;
      configFromSources: (env: Record<string, string>, file?: unknown) => unknown;
    }>('config.ts');
    const token = 'a-token-of-24-characters';
    const sample: Record<string, string> = {
      HEALER_API_TOKEN: token,
      HEALER_API_READ_TOKEN: `${token}-read`,
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/x',
      SLACK_BOT_TOKEN: 'xoxb-0-0-x',
      SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5',
    };
    const env = secretEnv(find(render('k8s/overlays/dev'), 'Deployment', 'aiops-healer'));
    for (const { name } of env) {
      const entry = ENV_KEYS.find(([k]) => k === name);
      expect([name, entry !== undefined]).toEqual([name, true]);
      const path = entry![1];
      expect([name, configAt(configFromSources({ [name]: sample[name]! }), path)]).toEqual([
        name,
        sample[name],
      ]);
      if (OPTIONAL.includes(name))
        expect([name, configAt(configFromSources({ [name]: '' }), path)]).toEqual([
          name,
          undefined,
        ]);
    }
  });

  it.each(OVERLAYS)(
    '%s: every env var of the healer is one it reads; a misspelt one is reported',
    async (dir) => {
      const { ENV_KEYS } = await healerModule<{ ENV_KEYS: EnvKeys }>('config.ts');
      // HEALER_CONFIG_FILE is read by loadConfig itself: the file the rest comes from;
      // NODE_OPTIONS by the runtime (the heap cap), MALLOC_* by glibc's allocator.
      const read = new Set([
        'HEALER_CONFIG_FILE',
        'NODE_OPTIONS',
        'MALLOC_ARENA_MAX',
        'MALLOC_MMAP_THRESHOLD_',
        ...ENV_KEYS.map(([k]) => k),
      ]);
      const unread = (objects: KubeObject[]): string[] =>
        envOf(find(objects, 'Deployment', 'aiops-healer'))
          .map((e) => e.name)
          .filter((n) => !read.has(n));
      expect(unread(render(dir))).toEqual([]);
      const broken = renderCopy(dir);
      envOf(find(broken, 'Deployment', 'aiops-healer')).find(
        (e) => e.name === 'SLACK_BOT_TOKEN',
      )!.name = 'SLACK_BOT_TOKN';
      expect(unread(broken)).toEqual(['SLACK_BOT_TOKN']);
    },
  );

  it('the ExternalSecret writes exactly those keys: api_token required, the rest optional', () => {
    const es = find(render('k8s/overlays/prod'), 'ExternalSecret', 'aiops-healer');
    const spec = es.spec as {
      target: {
        name: string;
        template: { engineVersion: string; mergePolicy: string; data: Record<string, string> };
      };
      dataFrom: { extract: { key: string } }[];
    };
    expect(spec.dataFrom).toEqual([{ extract: { key: 'aiops-autoheal/healer' } }]);
    expect(spec.target.template).toMatchObject({ engineVersion: 'v2', mergePolicy: 'Replace' });
    const data = spec.target.template.data;
    expect(Object.keys(data).sort()).toEqual(['HEALER_API_TOKEN', ...OPTIONAL].sort());
    // ESO runs templates with missingkey=error: `.x` fails the sync when x is missing (required),
    // `index . "x"` is empty (optional; the healer reads empty as unset).
    expect(data.HEALER_API_TOKEN).toBe('{{ .api_token }}');
    for (const k of OPTIONAL) expect(data[k]).toMatch(/^\{\{ index \. "[a-z_]+" \}\}$/);
  });

  it.each(OVERLAYS)(
    '%s: from the internet the healer serves /api and exactly /slack/interactions, the route it has',
    async (dir) => {
      expect(ingressPathsTo(render(dir), 'aiops-healer')).toEqual([
        '/api (Prefix)',
        '/slack/interactions (Exact)',
      ]);
      const routes = readFileSync(repoPath('healer/src/api/humans.ts'), 'utf8');
      expect(routes).toMatch(/app\.post\(\s*'\/slack\/interactions'/);
    },
  );
});

describe('the HealPolicy CRD ships from its one generated file', () => {
  it('k8s/cluster renders the CRD the healer generates from its config schema', async () => {
    const { crdManifest } = await healerModule<{ crdManifest: () => KubeObject }>(
      'policy/healPolicy.ts',
    );
    const crd = structuredClone(
      find(render('k8s/cluster'), 'CustomResourceDefinition', 'healpolicies.aiops.io'),
    );
    expect(crd.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'aiops-autoheal' });
    delete crd.metadata.labels;
    expect(crd).toEqual(crdManifest());
  });

  it('Argo CD may sync it: the aiops-cluster Application is k8s/cluster, its project allows CRDs', () => {
    const argo = render('k8s/argocd');
    const app = find(argo, 'Application', 'aiops-cluster');
    expect((app.spec as { source: { path: string } }).source.path).toBe('k8s/cluster');
    const project = find(argo, 'AppProject', 'aiops-autoheal');
    expect(
      (project.spec as { clusterResourceWhitelist: { group: string; kind: string }[] })
        .clusterResourceWhitelist,
    ).toContainEqual({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' });
  });

  it('no other file in the repository holds a copy of it', () => {
    const r = spawnSync(
      'git',
      ['grep', '-l', '-e', 'name: healpolicies.aiops.io', '--', '*.yaml', '*.yml', '*.json'],
      {
        cwd: repoPath('.'),
        encoding: 'utf8',
      },
    );
    expect(r.stdout.trim().split('\n')).toEqual(['healer/crds/healpolicies.aiops.io.yaml']);
  });
});

describe('what the CI deploy applies', () => {
  const SELECTOR = 'app.kubernetes.io/part-of=aiops-autoheal';

  it('deploy.yml applies by the part-of label', () => {
    const deploy = readFileSync(repoPath('.github/workflows/deploy.yml'), 'utf8');
    expect(deploy).toContain(`kubectl apply -l ${SELECTOR} -f release.yaml`);
    expect(deploy).toContain(`--validate=strict -l ${SELECTOR} -f release.yaml`);
  });

  it.each(OVERLAYS)(
    '%s: every namespaced object carries the label (else CI would skip it); the Namespace does not',
    (dir) => {
      const [key, value] = SELECTOR.split('=') as [string, string];
      const unlabelled = render(dir)
        .filter((o) => o.metadata.labels?.[key] !== value)
        .map((o) => o.kind);
      expect(unlabelled).toEqual(['Namespace']);
    },
  );
});

describe('healer ConfigMap', () => {
  const configText = (): string => {
    const cm = find(render('k8s/overlays/dev'), 'ConfigMap', 'aiops-healer');
    return (cm.data as Record<string, string>)['config.yaml']!;
  };

  it('carries exactly the model default feature queries (run `npm run sync:generated -w platform` on drift)', () => {
    expect(parse(configText())).toEqual(parse(renderHealerConfigFile(DEFAULT_FEATURE_QUERIES)));
  });

  it("is accepted by the healer's own config schema", async () => {
    const { configFromSources } = await healerModule<{
      configFromSources: (
        env: Record<string, string>,
        file: unknown,
      ) => { thresholds: { high: number } };
    }>('config.ts');
    const config = configFromSources({}, parse(configText()));
    expect(config.thresholds.high).toBe(0.8);
    expect(() =>
      configFromSources({}, { ...parse(configText()), thresholds: { high: 2 } }),
    ).toThrow(/thresholds\.high/);
  });
});

describe("the Role names the healer's own ConfigMaps", () => {
  type Rule = { resources: string[]; resourceNames?: string[]; verbs: string[] };
  const namedFor = (verb: string): string[] =>
    (find(render('k8s/overlays/dev'), 'Role', 'aiops-healer') as unknown as { rules: Rule[] }).rules
      .filter((r) => r.resources.includes('configmaps') && r.verbs.includes(verb))
      .flatMap((r) => r.resourceNames ?? []);

  it('get on the kill switch and every store, update on every store, by the names the config defaults to', async () => {
    const { configFromSources } = await healerModule<{
      configFromSources: (env: Record<string, string>) => { control: Record<string, unknown> };
    }>('config.ts');
    const { control } = configFromSources({});
    // Every `control.*ConfigMap` key: a ConfigMap the healer reads (and, but the kill switch, writes).
    const stores = Object.entries(control)
      .filter(([k]) => /ConfigMap$/.test(k))
      .map(([, v]) => String(v));
    expect(stores).toEqual(
      expect.arrayContaining([
        'aiops-healer-silences',
        'aiops-healer-approvals',
        'aiops-healer-evidence',
      ]),
    );
    expect(namedFor('get').sort()).toEqual([String(control.configMap), ...stores].sort());
    expect(namedFor('update').sort()).toEqual([...stores].sort());
  });
});

/** A memory quantity (`256Mi`, `1Gi`, `512M`) in MiB. */
function mebibytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
  if (!m) throw new Error(`memory quantity ${q}: not understood`);
  const unit = {
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    K: 1e3 / 2 ** 20,
    M: 1e6 / 2 ** 20,
    G: 1e9 / 2 ** 20,
  };
  return Number(m[1]) * (m[2] ? unit[m[2] as keyof typeof unit] : 1 / 2 ** 20);
}

describe('Node heap caps match the container memory limit', () => {
  type Env = { name: string; value?: string }[];
  type Spec = {
    template: {
      spec: {
        containers: { name: string; env?: Env; resources: { limits: { memory: string } } }[];
      };
    };
  };
  // V8 sizes its heap from the node's memory, not the container's: without a cap a pod grows
  // garbage past its limit and is OOM-killed instead of collecting. The cap leaves a quarter of
  // the limit to what lives outside the old space (code, new space, buffers, sockets).
  it.each(OVERLAYS.flatMap((dir) => ['aiops-healer', 'aiops-backend'].map((name) => [dir, name])))(
    '%s %s: --max-old-space-size between 1/2 and 3/4 of the memory limit',
    (dir, name) => {
      const objects = render(dir);
      // prod runs the backend as an Argo Rollout
      const workload =
        objects.find((o) => o.kind === 'Rollout' && o.metadata.name === name) ??
        find(objects, 'Deployment', name);
      const c = (workload.spec as Spec).template.spec.containers[0]!;
      const options = c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
      const cap = /--max-old-space-size=(\d+)/.exec(options);
      expect(cap).not.toBeNull();
      const limit = mebibytes(c.resources.limits.memory);
      expect(Number(cap![1])).toBeLessThanOrEqual(limit * 0.75);
      expect(Number(cap![1])).toBeGreaterThanOrEqual(limit * 0.5);
    },
  );

  // V8 grows the young generation to 2 × 16 MB by default; capped at 2 × 8 MB the healer's peak
  // RSS at 10,000 deployments was 14–46 MB lower for no measurable CPU (docs/scaling.md, scale18).
  it.each(OVERLAYS)('%s aiops-healer: the young generation capped at 8 MB a semi-space', (dir) => {
    const c = (find(render(dir), 'Deployment', 'aiops-healer').spec as Spec).template.spec
      .containers[0]!;
    const options = c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
    expect(/--max-semi-space-size=(\d+)/.exec(options)?.[1]).toBe('8');
  });

  it.each([
    ['256Mi', 256],
    ['1Gi', 1024],
    ['512M', 488.28125],
  ])('reads %s as %d MiB', (q, mib) => expect(mebibytes(q)).toBeCloseTo(mib));
  it('refuses a quantity it does not understand', () =>
    expect(() => mebibytes('lots')).toThrow(/lots/));
});

describe('healer RBAC equals what the healer calls', () => {
  type Rules = { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
  const granted = (objects: KubeObject[], name: string): string[] =>
    [...permissionsGranted((find(objects, 'Role', name) as unknown as Rules).rules)].sort();
  const withCacheClear = (): KubeObject[] => kustomize(fixture('k8s/cache-clear'));

  it('the base Role and the cache-clear Role together grant exactly what healer/src calls', () => {
    const { used, unknown } = permissionsUsedIn(repoPath('healer/src'));
    expect(unknown).toEqual([]);
    const objects = withCacheClear();
    const union = new Set([
      ...granted(objects, 'aiops-healer'),
      ...granted(objects, 'aiops-healer-cache-clear'),
    ]);
    expect([...union].sort()).toEqual([...used].sort());
  });

  it('exec is opt-in: the base Role grants none of the cache-clear permissions, the component exactly those', () => {
    const { used } = permissionsUsedIn(repoPath('healer/src'));
    for (const p of CACHE_CLEAR_PERMISSIONS) expect(used).toContain(p);
    for (const dir of OVERLAYS) {
      const base = granted(render(dir), 'aiops-healer');
      expect(base.filter((p) => CACHE_CLEAR_PERMISSIONS.includes(p))).toEqual([]);
      expect(
        render(dir)
          .filter((o) => o.kind === 'Role')
          .map((o) => o.metadata.name),
      ).toEqual(['aiops-healer']);
    }
    expect(granted(withCacheClear(), 'aiops-healer-cache-clear')).toEqual(
      [...CACHE_CLEAR_PERMISSIONS].sort(),
    );
  });

  it('the component turns the rung on for the opted-in Deployments of its namespace and passes every policy', () => {
    const objects = withCacheClear();
    expect(formatFindings(checkPolicies(objects, { vpcCidr: VPC_CIDR }))).toBe('');
    const backend = find(objects, 'Deployment', 'aiops-backend');
    expect(backend.metadata.annotations?.['aiops.io/ladder']).toBe(
      'restart_scale,cache_clear_restart,rollback,page',
    );
    const binding = find(objects, 'RoleBinding', 'aiops-healer-cache-clear') as unknown as {
      subjects: { kind: string; name: string; namespace: string }[];
    };
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'aiops-healer', namespace: 'dev' },
    ]);
    // The base ConfigMap leaves the rung out, so namespaces without the component never exec.
    const cm = find(render('k8s/overlays/dev'), 'ConfigMap', 'aiops-healer');
    expect(
      (parse((cm.data as Record<string, string>)['config.yaml']!) as { ladder: string[] }).ladder,
    ).toEqual(['restart_scale', 'rollback', 'page']);
  });

  it('tells a missing and an extra permission apart', () => {
    const { used } = permissionsUsed(
      'await core.listNamespacedPod(); const e = new Exec(kc); await apps.readNamespacedDeploymentScale();',
    );
    const granted = permissionsGranted([
      { apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['list'] },
    ]);
    expect([...used].filter((p) => !granted.has(p)).sort()).toEqual([
      '/pods/exec create',
      'apps/deployments/scale get',
    ]);
    expect([...granted].filter((p) => !used.has(p))).toEqual(['/secrets list']);
  });

  it('a heal kind that declares its watch path needs watch on that collection (kube.watchTargets)', () => {
    const deployment = permissionsUsed(
      "path(namespace) { return namespace === undefined ? '/apis/apps/v1/deployments' : `/apis/apps/v1/namespaces/${namespace}/deployments`; }",
    );
    expect([...deployment.used]).toEqual(['apps/deployments watch']);
    const rollout = permissionsUsed(
      "const R = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' }; path(namespace) { return `/apis/${group}/${version}/${plural}`; }",
    );
    expect([...rollout.used]).toEqual(['argoproj.io/rollouts watch']);
    expect(permissionsUsed('path(namespace) { return base + namespace; }').unknown).toHaveLength(1);
  });

  it('every overlay grants list and watch on each kind the informers watch, as they are on by default', async () => {
    const { configFromSources } = await healerModule<{
      configFromSources: (
        env: Record<string, string>,
        file: unknown,
      ) => {
        kube: { watchTargets: boolean };
      };
    }>('config.ts');
    expect(configFromSources({}, {}).kube.watchTargets).toBe(true);
    const watched = [...permissionsUsedIn(repoPath('healer/src')).used].filter((p) =>
      p.endsWith(' watch'),
    );
    expect(watched.sort()).toEqual(['apps/deployments watch', 'argoproj.io/rollouts watch']);
    for (const dir of OVERLAYS) {
      const role = granted(render(dir), 'aiops-healer');
      for (const p of watched) {
        expect(role).toContain(p);
        expect(role).toContain(p.replace(/ watch$/, ' list'));
      }
    }
  });

  it('reads a …WithHttpInfo call as the same request', () => {
    const { used, unknown } = permissionsUsed(
      'super.listNamespacedDeploymentWithHttpInfo(r); super.listDeploymentForAllNamespacesWithHttpInfo(r);',
    );
    expect(unknown).toEqual([]);
    expect([...used]).toEqual(['apps/deployments list']);
  });

  it('reports a call on a kind it does not know', () => {
    expect(permissionsUsed('await core.readNamespacedSecret({ name })').unknown).toEqual([
      '.readNamespacedSecret(',
    ]);
  });

  it('knows custom-object calls by the one { group, version, plural } literal of their file', () => {
    const src = `const R = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' };
      await custom.listClusterCustomObject({ ...R }); await custom.getNamespacedCustomObject({ ...R });
      await custom.patchNamespacedCustomObject({ ...R }); await custom.getNamespacedCustomObjectScale({ ...R });
      await custom.patchNamespacedCustomObjectScale({ ...R });`;
    expect([...permissionsUsed(src).used].sort()).toEqual([
      'argoproj.io/rollouts get',
      'argoproj.io/rollouts list',
      'argoproj.io/rollouts patch',
      'argoproj.io/rollouts/scale get',
      'argoproj.io/rollouts/scale patch',
    ]);
    expect(permissionsUsed(src).unknown).toEqual([]);
  });

  it.each([
    ['no literal', 'await custom.listNamespacedCustomObject(p)', 0],
    [
      'two literals',
      `const A = { group: 'a.io', version: 'v1', plural: 'as' }; const B = { group: 'b.io', version: 'v1', plural: 'bs' };
       await custom.listNamespacedCustomObject(A)`,
      2,
    ],
  ])('a custom-object call with %s is unknown, not guessed', (_n, src, found) => {
    expect(permissionsUsed(src).unknown).toEqual([
      `.listNamespacedCustomObject( (a file with custom-object calls declares exactly one { group, version, plural } literal; found ${found})`,
    ]);
  });
});
