variable "region" {
  description = "AWS region for the VPC, EKS and ECR"
  type        = string
  default     = "eu-west-1"
}

variable "cluster_name" {
  description = "EKS cluster name (also the GitHub variable EKS_CLUSTER_NAME)"
  type        = string
  default     = "aiops-autoheal"
}

variable "kubernetes_version" {
  description = "EKS control plane version (1.33 or later: ValidatingAdmissionPolicy GA, sidecar containers)"
  type        = string
  default     = "1.33"
  validation {
    condition     = tonumber(split(".", var.kubernetes_version)[1]) >= 33
    error_message = "kubernetes_version must be 1.33 or later."
  }
}

variable "api_public_cidrs" {
  description = "CIDRs allowed to reach the EKS API endpoint from the internet; empty = private endpoint only"
  type        = list(string)
  default     = []
}

variable "vpc_cidr" {
  description = "VPC CIDR; the NetworkPolicies allow its private (API server) and public (ALB) subnets"
  type        = string
  default     = "10.0.0.0/16"
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may assume the CI role"
  type        = string
  default     = "example-org/aiops-autoheal"
}

variable "node_instance_types" {
  description = "Instance types of the managed node group"
  type        = list(string)
  default     = ["m6i.large", "m6a.large"]
}

variable "node_min_size" {
  type    = number
  default = 3
}

variable "node_max_size" {
  type    = number
  default = 9
}
