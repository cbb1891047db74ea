import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { kustomize } from '../src/kube.js';
import { repoPath } from '../src/paths.js';
import {
  parseTerraform,
  parseTerraformDir,
  unpinnedModules,
  type TerraformJson,
} from '../src/terraform.js';

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
  it("the NetworkPolicies' private ipBlocks are the VPC CIDR Terraform creates", async () => {
    const tf = await parseTerraformDir(repoPath('infra'));
    const vpcCidr = first(tf, 'variable', 'vpc_cidr').default;
    const cidrs = new Set<string>();
    for (const dir of ['k8s/overlays/prod', 'k8s/overlays/prod-alb']) {
      for (const o of kustomize(repoPath(dir)).filter((x) => x.kind === 'NetworkPolicy')) {
        const text = JSON.stringify(o.spec);
        for (const m of text.matchAll(/"cidr":"([^"]+)"/g)) cidrs.add(m[1]!);
      }
    }
    cidrs.delete('0.0.0.0/0');
    expect([...cidrs]).toEqual([vpcCidr]);
  });
});
