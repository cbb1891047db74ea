import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { cidrsubnet } from '../src/cidr.js';
import { repoPath } from '../src/paths.js';
import {
  parseTerraform,
  parseTerraformDir,
  unpinnedModules,
  type TerraformJson,
} from '../src/terraform.js';
import { OVERLAYS, render, VPC_CIDR } from './render.js';

type Bodies = Record<string, unknown>[];
const first = (tf: TerraformJson, block: string, ...labels: string[]): Record<string, unknown> => {
  let node: unknown = tf[block];
  for (const l of labels) node = (node as Record<string, unknown>)[l];
  return (node as Bodies)[0]!;
};

describe('infra/ Terraform (parsed by the HCL parser)', () => {
  it('keeps state in S3 with DynamoDB locking, encrypted', async () => {
    const tf = await parseTerraformDir(repoPath('infra'));
    const terraform = (tf.terraform as unknown as { backend: { s3: Bodies } }[])[0]!;
    expect(terraform.backend.s3[0]).toMatchObject({
      dynamodb_table: expect.any(String),
      encrypt: true,
    });
    const boot = await parseTerraformDir(repoPath('infra/bootstrap'));
    expect(Object.keys(boot.resource!)).toEqual(
      expect.arrayContaining(['aws_s3_bucket', 'aws_s3_bucket_versioning', 'aws_dynamodb_table']),
    );
  });

  it('creates the VPC, EKS with a managed node group, ECR repositories and the GitHub OIDC role', async () => {
    const tf = await parseTerraformDir(repoPath('infra'));
    expect(Object.keys(tf.module!)).toEqual(expect.arrayContaining(['vpc', 'eks']));
    expect(first(tf, 'module', 'eks').eks_managed_node_groups).toBeDefined();
    expect(Object.keys(tf.resource!)).toEqual(
      expect.arrayContaining([
        'aws_ecr_repository',
        'aws_iam_openid_connect_provider',
        'aws_iam_role',
      ]),
    );
    expect(first(tf, 'resource', 'aws_ecr_repository', 'image').image_tag_mutability).toBe(
      'IMMUTABLE',
    );
    expect(readFileSync(repoPath('infra/github-oidc.tf'), 'utf8')).toContain(
      'token.actions.githubusercontent.com:sub',
    );
    expect(unpinnedModules(tf)).toEqual([]);
  });

  it('least privilege CI: one OIDC role per job kind, prod trusted only from the prod environment', async () => {
    const tf = await parseTerraformDir(repoPath('infra'));
    const locals = JSON.stringify(tf.locals);
    // The subjects each role trusts, exactly (StringEquals), by role key.
    expect(locals).toContain(
      '"deploy-${env}\\" => \\"repo:${var.github_repository}:environment:${env}',
    );
    expect(locals).toContain('publish = \\"repo:${var.github_repository}:ref:refs/heads/main');
    expect(locals).toContain('plan    = \\"repo:${var.github_repository}:pull_request');
    expect(locals).not.toMatch(/refs\/tags/);
    const trust = first(tf, 'data', 'aws_iam_policy_document', 'github_trust') as {
      statement: { condition: { test: string; variable: string; values: unknown }[] }[];
    };
    const sub = trust.statement[0]!.condition.find((c) => c.variable.endsWith(':sub'))!;
    expect(sub).toMatchObject({ test: 'StringEquals', values: ['${each.value}'] });
    // Each deploy role is an EKS admin of its own namespace only.
    const eks = first(tf, 'module', 'eks');
    expect(JSON.stringify(eks.access_entries)).toContain('namespaces = [env]');
    expect(JSON.stringify(eks.access_entries)).toContain(
      'aws_iam_role.github[\\"deploy-${env}\\"]',
    );
    // Only the publish role pushes layers.
    const deploy = JSON.stringify(first(tf, 'data', 'aws_iam_policy_document', 'github_deploy'));
    expect(deploy).not.toContain('UploadLayerPart');
    expect(
      JSON.stringify(first(tf, 'data', 'aws_iam_policy_document', 'github_publish')),
    ).toContain('UploadLayerPart');
  });

  it('EKS 1.33+, API endpoint private unless CIDRs are given, add-on IAM by Pod Identity', async () => {
    const tf = await parseTerraformDir(repoPath('infra'));
    const version = String(first(tf, 'variable', 'kubernetes_version').default);
    expect(Number(version.split('.')[1])).toBeGreaterThanOrEqual(33);
    const eks = first(tf, 'module', 'eks');
    expect(eks.cluster_endpoint_private_access).toBe(true);
    expect(eks.cluster_endpoint_public_access_cidrs).toBe('${var.api_public_cidrs}');
    expect(first(tf, 'variable', 'api_public_cidrs').default).toEqual([]);
    expect(JSON.stringify(eks.cluster_addons)).toContain('eks-pod-identity-agent');
    expect(first(tf, 'module', 'aws_lb_controller_pod_identity')).toMatchObject({
      attach_aws_lb_controller_policy: true,
    });
    expect(first(tf, 'module', 'velero_pod_identity')).toMatchObject({
      attach_velero_policy: true,
    });
  });

  it('rejects a syntax error (fixture)', async () => {
    const file = 'platform/test/fixtures/terraform/syntax-error.tf';
    await expect(
      parseTerraform('syntax-error.tf', readFileSync(repoPath(file), 'utf8')),
    ).rejects.toThrow(/syntax-error\.tf:3.*Invalid expression/);
  });

  it('flags a registry module without an exact version (fixture)', async () => {
    const file = 'platform/test/fixtures/terraform/unpinned.tf';
    expect(
      unpinnedModules(await parseTerraform('unpinned.tf', readFileSync(repoPath(file), 'utf8'))),
    ).toEqual(['vpc']);
  });
});

describe('infra/ and k8s/ agree', () => {
  /** The subnets infra/vpc.tf creates, by evaluating its `cidrsubnet(var.vpc_cidr, n, k + i)`. */
  async function subnets(kind: 'private_subnets' | 'public_subnets'): Promise<string[]> {
    const tf = await parseTerraformDir(repoPath('infra'));
    const vpcCidr = first(tf, 'variable', 'vpc_cidr').default as string;
    const azs = /slice\(data\.aws_availability_zones\.available\.names, 0, (\d+)\)/.exec(
      JSON.stringify(tf.locals),
    );
    const expr = String(first(tf, 'module', 'vpc')[kind]);
    const m = /cidrsubnet\(var\.vpc_cidr, (\d+), (?:(\d+) \+ )?i\)/.exec(expr);
    if (!azs || !m) throw new Error(`cannot read ${kind} from infra/vpc.tf: ${expr}`);
    return Array.from({ length: Number(azs[1]) }, (_, i) =>
      cidrsubnet(vpcCidr, Number(m[1]), Number(m[2] ?? 0) + i),
    );
  }
  const ipBlocks = (dir: string, policy: string): string[] => {
    const p = render(dir).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === policy);
    return [...JSON.stringify(p?.spec).matchAll(/"cidr":"([^"]+)"/g)].map((m) => m[1]!);
  };

  it('the VPC CIDR the policy tests assume is the one Terraform creates', async () => {
    const tf = await parseTerraformDir(repoPath('infra'));
    expect(first(tf, 'variable', 'vpc_cidr').default).toBe(VPC_CIDR);
  });

  it.each(OVERLAYS)(
    '%s: the healer reaches the API server in the private subnets (where EKS puts its ENIs), not the VPC',
    async (dir) => {
      expect(ipBlocks(dir, 'aiops-healer')).toEqual(await subnets('private_subnets'));
      const tf = await parseTerraformDir(repoPath('infra'));
      expect(first(tf, 'module', 'eks').subnet_ids).toBe('${module.vpc.private_subnets}');
    },
  );

  it.each(['k8s/overlays/dev', 'k8s/overlays/prod'])(
    '%s: the ALB is admitted from the public subnets (where its ENIs live) only',
    async (dir) => {
      expect(ipBlocks(dir, 'allow-alb-ingress')).toEqual(await subnets('public_subnets'));
    },
  );

  it.each([
    ['10.0.0.0/16', 4, 0, '10.0.0.0/20'],
    ['10.0.0.0/16', 4, 2, '10.0.32.0/20'],
    ['10.0.0.0/16', 8, 48, '10.0.48.0/24'],
    ['192.168.0.0/24', 2, 3, '192.168.0.192/26'],
  ])('cidrsubnet(%s, %i, %i) is %s, as in Terraform', (prefix, bits, num, out) => {
    expect(cidrsubnet(prefix, bits, num)).toBe(out);
  });
});
