/**
 * The deployment guards of the EKS day-one review, each shown passing on the real overlays and
 * failing on a broken copy of one (the "fixture" is the real render with exactly one thing broken,
 * so the check is proven against the mistake a person would actually make).
 */
import { describe, expect, it } from '@jest/globals';
import { formatFindings } from '../src/errors.js';
import type { KubeObject } from '../src/kube.js';
import { ingressAllowed, HTTP01_SOLVER, INGRESS_CONTROLLERS } from '../src/networkPolicy.js';
import { checkPolicies } from '../src/policy.js';
import { find, OVERLAYS, render, renderCopy, VPC_CIDR } from './render.js';

const PROD = { requireImageDigests: true, vpcCidr: VPC_CIDR };
const rules = (objects: KubeObject[], options = PROD): string =>
  formatFindings(checkPolicies(objects, options));

describe('production images are pinned by digest', () => {
  it.each(['k8s/overlays/prod', 'k8s/overlays/prod-nginx'])(
    '%s: every image is image@sha256:…',
    (dir) => {
      expect(rules(render(dir))).not.toMatch(/image-digest/);
    },
  );

  it('fails on a prod image pinned by tag', () => {
    const prod = renderCopy('k8s/overlays/prod');
    const healer = find(prod, 'Deployment', 'aiops-healer') as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    healer.spec.template.spec.containers[0]!.image =
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/aiops-autoheal/healer:0.1.0';
    expect(rules(prod)).toMatch(
      /Deployment\/prod\/aiops-healer container healer: \[image-digest\] .*got .*healer:0\.1\.0/,
    );
  });
});

describe('current API versions', () => {
  it.each(OVERLAYS)('%s uses none that is deprecated', (dir) => {
    expect(rules(render(dir))).not.toMatch(/current-api-versions/);
  });

  it('fails on an ExternalSecret at external-secrets.io/v1beta1', () => {
    const prod = renderCopy('k8s/overlays/prod');
    find(prod, 'ExternalSecret', 'aiops-healer').apiVersion = 'external-secrets.io/v1beta1';
    expect(rules(prod)).toMatch(
      /ExternalSecret\/prod\/aiops-healer: \[current-api-versions\] external-secrets\.io\/v1beta1 .*use external-secrets\.io\/v1/,
    );
  });
});

describe('exec is opt-in', () => {
  it('fails on the base Role granting pods/exec without the cache-clear component', () => {
    const dev = renderCopy('k8s/overlays/dev');
    (find(dev, 'Role', 'aiops-healer') as unknown as { rules: unknown[] }).rules.push({
      apiGroups: [''],
      resources: ['pods/exec'],
      verbs: ['create'],
    });
    expect(rules(dev)).toMatch(/Role\/dev\/aiops-healer: \[exec-opt-in\] grants pods\/exec/);
  });

  it('fails on the cache-clear rung turned on where the component is missing', () => {
    const dev = renderCopy('k8s/overlays/dev');
    find(dev, 'Deployment', 'aiops-backend').metadata.annotations = {
      'aiops.io/ladder': 'restart_scale,cache_clear_restart,page',
    };
    expect(rules(dev)).toMatch(
      /Deployment\/dev\/aiops-backend: \[exec-opt-in\] .*no cache-clear Role/,
    );
  });
});

describe("cert-manager's HTTP-01 solver is admitted, and only it", () => {
  const solver = { namespace: 'prod', podLabels: { ...HTTP01_SOLVER.labels } };

  it('prod-nginx: the controller reaches the solver on 8089, not the app pods nor anyone else', () => {
    const objects = render('k8s/overlays/prod-nginx');
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const nginx = INGRESS_CONTROLLERS.nginx!;
    expect(ingressAllowed(policies, solver, nginx, 8089).allowed).toBe(true);
    expect(ingressAllowed(policies, solver, { ip: '198.51.100.7' }, 8089).allowed).toBe(false);
    const backend = { namespace: 'prod', podLabels: { 'app.kubernetes.io/name': 'aiops-backend' } };
    expect(ingressAllowed(policies, backend, nginx, 8089).allowed).toBe(false);
    expect(ingressAllowed(policies, backend, nginx, 5000).allowed).toBe(true);
    expect(rules(objects)).not.toMatch(/acme-http01-solver/);
  });

  it('fails when default-deny-all blocks the solver (the allow policy missing)', () => {
    const objects = renderCopy('k8s/overlays/prod-nginx').filter(
      (o) => o.metadata.name !== 'allow-acme-http01-solver',
    );
    expect(rules(objects)).toMatch(
      /Ingress\/prod\/aiops: \[acme-http01-solver\] .*blocked from the nginx controller/,
    );
  });

  it('fails when the allow policy opens the solver port to every pod', () => {
    const objects = renderCopy('k8s/overlays/prod-nginx');
    (
      find(objects, 'NetworkPolicy', 'allow-acme-http01-solver').spec as { podSelector: object }
    ).podSelector = {};
    expect(rules(objects)).toMatch(/allow-acme-http01-solver admits the solver port to more pods/);
  });
});

describe('no NetworkPolicy admits the whole VPC', () => {
  it.each(OVERLAYS)('%s admits the load balancer subnets only', (dir) => {
    expect(rules(render(dir))).not.toMatch(/networkpolicy-vpc-wide/);
  });

  it('fails when the ALB policy admits the VPC CIDR to the healer', () => {
    const prod = renderCopy('k8s/overlays/prod');
    (
      find(prod, 'NetworkPolicy', 'allow-alb-ingress').spec as {
        ingress: { from: unknown[] }[];
      }
    ).ingress[0]!.from = [{ ipBlock: { cidr: VPC_CIDR } }];
    expect(rules(prod)).toMatch(
      /NetworkPolicy\/prod\/allow-alb-ingress: \[networkpolicy-vpc-wide\] admits 10\.0\.0\.0\/16 .* to .*aiops-healer/,
    );
  });

  it('a node or pod address in the VPC does not reach the healer; an ALB address in a public subnet does', () => {
    const policies = render('k8s/overlays/prod').filter((o) => o.kind === 'NetworkPolicy');
    const healer = { namespace: 'prod', podLabels: { 'app.kubernetes.io/name': 'aiops-healer' } };
    expect(ingressAllowed(policies, healer, { ip: '10.0.5.20' }, 8081).allowed).toBe(false);
    expect(ingressAllowed(policies, healer, { ip: '10.0.48.20' }, 8081).allowed).toBe(true);
  });
});
