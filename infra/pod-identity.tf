# IAM for the cluster add-ons through EKS Pod Identity (the eks-pod-identity-agent add-on in
# eks.tf): no OIDC trust per cluster, no role ARN annotations; the association names the
# namespace and ServiceAccount the Helm charts create.
#   AWS Load Balancer Controller: provisions the ALB of k8s/components/alb-ingress (the default).
#   Velero: writes the backups of k8s/cluster/velero-schedule.yaml to the bucket below.
module "aws_lb_controller_pod_identity" {
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "1.12.1"

  name                            = "${var.cluster_name}-aws-lbc"
  attach_aws_lb_controller_policy = true

  associations = {
    this = {
      cluster_name    = module.eks.cluster_name
      namespace       = "kube-system"
      service_account = "aws-load-balancer-controller"
    }
  }
}

module "velero_pod_identity" {
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "1.12.1"

  name                       = "${var.cluster_name}-velero"
  attach_velero_policy       = true
  velero_s3_bucket_arns      = [aws_s3_bucket.velero.arn]
  velero_s3_bucket_path_arns = ["${aws_s3_bucket.velero.arn}/*"]

  associations = {
    this = {
      cluster_name    = module.eks.cluster_name
      namespace       = "velero"
      service_account = "velero-server"
    }
  }
}

# Backups of the cluster objects (docs/dr.md): versioned, encrypted, never public, kept 30 days
# (the Schedule's own TTL is 7 days; the lifecycle catches what Velero did not delete).
resource "aws_s3_bucket" "velero" {
  bucket_prefix = "${var.cluster_name}-velero-"
}

resource "aws_s3_bucket_versioning" "velero" {
  bucket = aws_s3_bucket.velero.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "velero" {
  bucket = aws_s3_bucket.velero.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "velero" {
  bucket                  = aws_s3_bucket.velero.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "velero" {
  bucket = aws_s3_bucket.velero.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 30
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
  }
}
