# EKS with a managed node group spread over three AZs, IRSA, and access entries instead of the
# aws-auth ConfigMap. The GitHub deploy role gets namespace-scoped access only (dev, prod): the
# `admin` policy there, because the release includes the healer's Role and RoleBinding (`edit`
# may not create RBAC objects). Cluster-scoped objects (the Namespaces, ClusterIssuers) are the
# platform team's, applied once (docs/configuration.md).
module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "20.31.0"

  cluster_name    = var.cluster_name
  cluster_version = var.kubernetes_version

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets

  cluster_endpoint_public_access = true
  enable_irsa                    = true
  cluster_enabled_log_types      = ["api", "audit", "authenticator"]

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
    github_deploy = {
      principal_arn = aws_iam_role.github_deploy.arn
      policy_associations = {
        apps = {
          policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
          access_scope = {
            type       = "namespace"
            namespaces = ["dev", "prod"]
          }
        }
      }
    }
  }
}
