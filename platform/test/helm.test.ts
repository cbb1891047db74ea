/**
 * charts/aiops-autoheal renders the same objects as the Kustomize base, passes helm lint, the
 * schemas and every policy, and each value does what it says. Helm is built from its Go module on
 * first use (scripts/helm.sh; minutes once, then reused from .tmp/tools/).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { formatFindings } from '../src/errors.js';
import { helmBinary, helmLint, helmTemplate } from '../src/helm.js';
import { kustomize, objectId, type KubeObject } from '../src/kube.js';
import { checkPolicies } from '../src/policy.js';
import { checkReferences } from '../src/references.js';
import { validateObjects } from '../src/schemas.js';
import { find, fixture, ingressPathsTo, render, secretEnv, VPC_CIDR } from './render.js';

const HELM_LABELS = ['app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'helm.sh/chart'];

/** An object as compared: Helm's own labels dropped, the healer config parsed, keys sorted. */
function comparable(o: KubeObject): unknown {
  const copy = structuredClone(o);
  for (const l of HELM_LABELS) delete copy.metadata.labels?.[l];
  if (copy.kind === 'ConfigMap' && copy.metadata.name === 'aiops-healer') {
    const data = copy.data as Record<string, string>;
    data['config.yaml'] = parse(data['config.yaml']!) as string;
  }
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, x]) => [k, sort(x)]),
          )
        : v;
  return sort(copy);
}
const byId = (objects: KubeObject[]): Map<string, unknown> =>
  new Map(objects.map((o) => [objectId(o), comparable(o)]));

beforeAll(() => {
  helmBinary();
}, 20 * 60_000);

describe('helm lint', () => {
  it('passes --strict with the default values', () => {
    const r = helmLint();
    expect(r.output).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.ok).toBe(true);
  });

  it('fails on a value the schema (values.schema.json) rejects, naming the field', () => {
    const r = helmLint({
      ingress: { className: 'traefik' },
      images: { healer: { repository: 'x', digest: 'latest' } },
    });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/\/ingress\/className': value must be one of 'alb', 'nginx', 'none'/);
    expect(r.output).toMatch(/\/images\/healer\/digest'/);
    expect(() => helmTemplate({ ingress: { className: 'traefik' } })).toThrow(/className/);
  });
});

describe('helm template with the default values', () => {
  it('renders exactly the objects of the Kustomize base (+ ALB) and the admission policy', () => {
    const chart = byId(helmTemplate());
    // The CRD as k8s/cluster renders it, plus the annotation that keeps it on `helm uninstall`.
    const crds = render('k8s/cluster')
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => {
        const copy = structuredClone(o);
        copy.metadata.annotations = { 'helm.sh/resource-policy': 'keep' };
        return copy;
      });
    const kustomized = byId([
      ...kustomize(fixture('k8s/chart-equivalent')),
      ...render('k8s/cluster').filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy')),
      ...crds,
    ]);
    expect(crds.map(objectId)).toEqual(['CustomResourceDefinition/healpolicies.aiops.io']);
    expect([...chart.keys()].sort()).toEqual([...kustomized.keys()].sort());
    for (const [id, object] of kustomized) expect([id, chart.get(id)]).toEqual([id, object]);
  });

  it('validates against the schemas, passes every policy and references', () => {
    const objects = helmTemplate();
    expect(formatFindings(validateObjects(objects))).toBe('');
    expect(formatFindings(checkPolicies(objects, { vpcCidr: VPC_CIDR }))).toBe('');
    expect(formatFindings(checkReferences(objects))).toBe('');
  });
});

describe('values', () => {
  const digest = `sha256:${'d'.repeat(64)}`;
  const images = Object.fromEntries(
    ['backend', 'healer', 'dashboard'].map((s) => [s, { repository: `r.example/${s}`, digest }]),
  );

  it('images by digest: a production install passes the digest policy; by tag it fails it', () => {
    expect(
      formatFindings(
        checkPolicies(helmTemplate({ images }, 'prod'), {
          requireImageDigests: true,
          vpcCidr: VPC_CIDR,
        }),
      ),
    ).toBe('');
    expect(
      formatFindings(checkPolicies(helmTemplate({}, 'prod'), { requireImageDigests: true })),
    ).toMatch(/\[image-digest\]/);
  });

  it('ingress.className=nginx: the ingress-nginx objects, with the HTTP-01 solver admitted', () => {
    const objects = helmTemplate({ ingress: { className: 'nginx', host: 'aiops.test' } });
    const ingress = find(objects, 'Ingress', 'aiops');
    expect((ingress.spec as { ingressClassName: string }).ingressClassName).toBe('nginx');
    expect(JSON.stringify(ingress.spec)).toContain('aiops.test');
    expect(objects.some((o) => o.metadata.name === 'allow-acme-http01-solver')).toBe(true);
    expect(objects.some((o) => o.metadata.name === 'allow-alb-ingress')).toBe(false);
    expect(formatFindings(checkPolicies(objects, { vpcCidr: VPC_CIDR }))).toBe('');
  });

  it('healer.config is merged over the generated default; secret.name is what the healer reads', () => {
    const objects = helmTemplate({
      healer: { config: { dryRun: true, thresholds: { high: 0.9 } } },
      secret: { name: 'my-secret' },
    });
    const cm = find(objects, 'ConfigMap', 'aiops-healer');
    const config = parse((cm.data as Record<string, string>)['config.yaml']!) as {
      dryRun: boolean;
      thresholds: { high: number; low: number };
      ladder: string[];
    };
    expect(config).toMatchObject({ dryRun: true, thresholds: { high: 0.9, low: 0.5 } });
    expect(config.ladder).toEqual(['restart_scale', 'rollback', 'page']);
    expect(JSON.stringify(find(objects, 'Deployment', 'aiops-healer').spec)).toContain(
      '"name":"my-secret"',
    );
  });

  it('secret.create renders the Secret, and refuses a short token', () => {
    const objects = helmTemplate({
      secret: {
        create: true,
        apiToken: 'a-long-enough-token',
        slackWebhookUrl: 'https://hooks.slack.com/services/x',
      },
    });
    expect(
      Object.keys(find(objects, 'Secret', 'aiops-healer').stringData as object).sort(),
    ).toEqual(['HEALER_API_TOKEN', 'SLACK_WEBHOOK_URL']);
    expect(() => helmTemplate({ secret: { create: true, apiToken: 'short' } })).toThrow(
      /at least 16 characters/,
    );
  });

  it('the Slack app and the read token: every key the Deployment reads, set only when given', () => {
    const secret = {
      create: true,
      apiToken: 'a-long-enough-token',
      slackBotToken: 'xoxb-1-2-abc',
      slackSigningSecret: 'a-signing-secret',
      apiReadToken: 'a-long-enough-read-token',
    };
    const objects = helmTemplate({ secret, healer: { config: { slack: { channel: 'C0AIOPS' } } } });
    const data = find(objects, 'Secret', 'aiops-healer').stringData as Record<string, string>;
    const env = secretEnv(find(objects, 'Deployment', 'aiops-healer'));
    expect(Object.keys(data).sort()).toEqual(env.map((e) => e.key));
    expect(env.filter((e) => !e.optional).map((e) => e.name)).toEqual(['HEALER_API_TOKEN']);
    expect(data).toMatchObject({
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_SIGNING_SECRET: 'a-signing-secret',
      HEALER_API_READ_TOKEN: 'a-long-enough-read-token',
    });
    expect(ingressPathsTo(objects, 'aiops-healer')).toEqual([
      '/api (Prefix)',
      '/slack/interactions (Exact)',
    ]);
    // A bot token without a channel would silently fall back to the webhook: refused.
    expect(() => helmTemplate({ secret })).toThrow(/secret.slackBotToken: .*slack.channel/);
    const lint = helmLint({ secret: { slackBotToken: 'xoxp-user-token', apiReadToken: 'short' } });
    expect(lint.ok).toBe(false);
    expect(lint.output).toMatch(/\/secret\/slackBotToken'/);
    expect(lint.output).toMatch(/\/secret\/apiReadToken'/);
  });

  it('crds: the HealPolicy CRD by default, kept on uninstall; keep=false drops that; install=false drops it', () => {
    const crd = (values: object): KubeObject | undefined =>
      helmTemplate(values).find((o) => o.kind === 'CustomResourceDefinition');
    expect(crd({})?.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(crd({})?.metadata.namespace).toBeUndefined();
    expect(crd({ crds: { keep: false } })?.metadata.annotations).toBeUndefined();
    expect(crd({ crds: { install: false } })).toBeUndefined();
  });

  it('watchNamespaces: the healer Role in each, bound to the release namespace; exec only where cacheClear asks', () => {
    const objects = helmTemplate(
      { healer: { watchNamespaces: ['dev', 'team-a'] }, cacheClear: { namespaces: ['team-a'] } },
      'dev',
    );
    const roles = objects
      .filter((o) => o.kind === 'Role')
      .map(objectId)
      .sort();
    expect(roles).toEqual([
      'Role/dev/aiops-healer',
      'Role/team-a/aiops-healer',
      'Role/team-a/aiops-healer-cache-clear',
    ]);
    for (const rb of objects.filter((o) => o.kind === 'RoleBinding')) {
      expect((rb.subjects as { namespace: string }[])[0]!.namespace).toBe('dev');
    }
    const env = JSON.stringify(find(objects, 'Deployment', 'aiops-healer').spec);
    expect(env).toContain('{"name":"HEALER_NAMESPACES","value":"dev,team-a"}');
    // dev is watched without the cache clear: its Deployments keep the default ladder.
    expect(
      find(objects, 'Deployment', 'aiops-backend').metadata.annotations?.['aiops.io/ladder'],
    ).toBeUndefined();
    expect(formatFindings(checkPolicies(objects, { vpcCidr: VPC_CIDR }))).toBe('');
    expect(() => helmTemplate({ cacheClear: { namespaces: ['elsewhere'] } })).toThrow(
      /elsewhere is not watched/,
    );
  });

  it('the monitoring toggles render the same PrometheusRule and dashboards as k8s/monitoring', () => {
    const off = helmTemplate({
      serviceMonitor: { enabled: false },
      admissionPolicy: { enabled: false },
    });
    expect(off.filter((o) => /ServiceMonitor|ValidatingAdmissionPolicy/.test(o.kind))).toEqual([]);
    const on = byId(
      helmTemplate({ prometheusRule: { enabled: true }, grafanaDashboards: { enabled: true } }),
    );
    for (const o of render('k8s/monitoring')) expect(on.get(objectId(o))).toEqual(comparable(o));
  });

  it('network.slackEgress=false drops the public-443 policy; the subnets are values', () => {
    const objects = helmTemplate({
      network: { slackEgress: false, albSourceCidrs: ['10.9.0.0/24'] },
    });
    expect(objects.some((o) => o.metadata.name === 'aiops-healer-slack-egress')).toBe(false);
    expect(JSON.stringify(find(objects, 'NetworkPolicy', 'allow-alb-ingress').spec)).toContain(
      '10.9.0.0/24',
    );
  });
});
