# EKS with a managed node group spread over three AZs, IRSA and EKS Pod Identity, and access
# entries instead of the aws-auth ConfigMap. Each GitHub deploy role gets its own namespace only
# (deploy-dev → dev, deploy-prod → prod): the `admin` policy there, because the release includes
# the healer's Role and RoleBinding (`edit` may not create RBAC objects). Cluster-scoped objects
# (the Namespaces, the healer's admission policy) are the platform team's, applied once
# (docs/configuration.md).
#
# The API endpoint is private, plus public only from `api_public_cidrs` (empty by default: no
# public endpoint). GitHub-hosted runners have no fixed addresses, so the deploy jobs run on
# runners that reach the VPC (self-hosted, e.g. actions-runner-controller in the cluster's VPC, or
# larger runners with static egress IPs listed in api_public_cidrs); see docs/configuration.md.
module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "20.31.0"

  cluster_name    = var.cluster_name
  cluster_version = var.kubernetes_version

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets

  cluster_endpoint_private_access      = true
  cluster_endpoint_public_access       = length(var.api_public_cidrs) > 0
  cluster_endpoint_public_access_cidrs = var.api_public_cidrs
  enable_irsa                          = true
  cluster_enabled_log_types            = ["api", "audit", "authenticator"]

  cluster_addons = {
    coredns                = {}
    kube-proxy             = {}
    vpc-cni                = { before_compute = true, configuration_values = jsonencode({ enableNetworkPolicy = "true" }) }
    eks-pod-identity-agent = {}
  }

  eks_managed_node_groups = {
    default = {
      instance_types = var.node_instance_types
      capacity_type  = "ON_DEMAND"
      min_size       = var.node_min_size
      max_size       = var.node_max_size
      desired_size   = var.node_min_size
      labels = {
        workload = "general"
      }
      # Cluster Autoscaler discovers the group by these tags (docs/scaling.md).
      tags = {
        "k8s.io/cluster-autoscaler/enabled"             = "true"
        "k8s.io/cluster-autoscaler/${var.cluster_name}" = "owned"
      }
    }
  }

  access_entries = {
    for env in local.github_environments : "github_deploy_${env}" => {
      principal_arn = aws_iam_role.github["deploy-${env}"].arn
      policy_associations = {
        apps = {
          policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
          access_scope = {
            type       = "namespace"
            namespaces = [env]
          }
        }
      }
    }
  }
}
