output "cluster_name" {
  value = module.eks.cluster_name
}

output "github_deploy_role_arn" {
  description = "Set as the GitHub variable AWS_ROLE_ARN"
  value       = aws_iam_role.github_deploy.arn
}

output "ecr_repositories" {
  value = { for k, r in aws_ecr_repository.image : k => r.repository_url }
}

output "vpc_cidr" {
  description = "Patch the NetworkPolicies' API-server and ALB ipBlocks if you change it"
  value       = module.vpc.vpc_cidr_block
}

output "external_secrets_role_arn" {
  description = "Annotate the external-secrets ServiceAccount (k8s/components/external-secrets) with it"
  value       = aws_iam_role.external_secrets.arn
}
