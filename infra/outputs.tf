output "cluster_name" {
  value = module.eks.cluster_name
}

output "github_role_arns" {
  description = "GitHub variables: publish → repository AWS_PUBLISH_ROLE_ARN, plan → AWS_PLAN_ROLE_ARN, deploy-dev/deploy-prod → AWS_ROLE_ARN of the dev/prod environment"
  value       = { for k, r in aws_iam_role.github : k => r.arn }
}

output "ecr_repositories" {
  value = { for k, r in aws_ecr_repository.image : k => r.repository_url }
}

output "vpc_cidr" {
  description = "Patch the NetworkPolicies' API-server and ALB ipBlocks if you change it"
  value       = module.vpc.vpc_cidr_block
}

output "private_subnet_cidrs" {
  description = "The healer's API-server egress (k8s/base/network/healer.yaml)"
  value       = module.vpc.private_subnets_cidr_blocks
}

output "public_subnet_cidrs" {
  description = "The ALB's source addresses (k8s/components/alb-ingress/networkpolicy.yaml)"
  value       = module.vpc.public_subnets_cidr_blocks
}

output "velero_bucket" {
  description = "The Velero BackupStorageLocation bucket (Helm value configuration.backupStorageLocation[0].bucket)"
  value       = aws_s3_bucket.velero.bucket
}

output "external_secrets_role_arn" {
  description = "Annotate the external-secrets ServiceAccount (k8s/components/external-secrets) with it"
  value       = aws_iam_role.external_secrets.arn
}
