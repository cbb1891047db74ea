# GitHub Actions assumes IAM roles through OIDC: no long-lived AWS keys in GitHub. One role per job
# kind, each trusting exactly the token subject of the jobs that need it, so that no job gets more
# than its own environment:
#   publish     ci.yml's publish job on main          sub repo:R:ref:refs/heads/main   ECR push
#   deploy-dev  jobs in the `dev` environment         sub repo:R:environment:dev       EKS dev namespace, ECR read
#   deploy-prod jobs in the `prod` environment        sub repo:R:environment:prod      EKS prod namespace, ECR read + release tag
#   plan        pull requests (Terraform plan)        sub repo:R:pull_request          read-only, no secret values
# A job that names an environment gets the `environment:` subject, so prod is reachable only after
# the `prod` environment's required reviewers approved; a push to main or a v* tag alone is not
# enough (the previous single role trusted both and held prod admin).
resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

locals {
  github_environments = toset(["dev", "prod"])
  github_subjects = merge(
    { for env in local.github_environments : "deploy-${env}" => "repo:${var.github_repository}:environment:${env}" },
    {
      publish = "repo:${var.github_repository}:ref:refs/heads/main"
      plan    = "repo:${var.github_repository}:pull_request"
    },
  )
}

data "aws_iam_policy_document" "github_trust" {
  for_each = local.github_subjects
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    # StringEquals, not StringLike: exactly this subject, no wildcard.
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = [each.value]
    }
  }
}

resource "aws_iam_role" "github" {
  for_each             = local.github_subjects
  name                 = "${var.cluster_name}-github-${each.key}"
  assume_role_policy   = data.aws_iam_policy_document.github_trust[each.key].json
  max_session_duration = 3600
}

# publish: push the images CI built on main. Nothing else.
data "aws_iam_policy_document" "github_publish" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid = "EcrPush"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [for r in aws_ecr_repository.image : r.arn]
  }
}

resource "aws_iam_role_policy" "github_publish" {
  name   = "publish"
  role   = aws_iam_role.github["publish"].id
  policy = data.aws_iam_policy_document.github_publish.json
}

# deploy-<env>: find the digest built for a commit, verify it, describe the cluster. prod may also
# add the release tag (vX.Y.Z) to that same digest; it never pushes layers.
data "aws_iam_policy_document" "github_deploy" {
  for_each = local.github_environments
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid = "EcrRead"
    actions = concat(
      ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
      each.key == "prod" ? ["ecr:PutImage"] : [],
    )
    resources = [for r in aws_ecr_repository.image : r.arn]
  }
  statement {
    sid       = "EksDescribe"
    actions   = ["eks:DescribeCluster"]
    resources = [module.eks.cluster_arn]
  }
}

resource "aws_iam_role_policy" "github_deploy" {
  for_each = local.github_environments
  name     = "deploy"
  role     = aws_iam_role.github["deploy-${each.key}"].id
  policy   = data.aws_iam_policy_document.github_deploy[each.key].json
}

# plan: `terraform plan` on pull requests reads every resource in the state, so ReadOnlyAccess; the
# explicit denies keep secret values out of reach of any branch that can open a pull request.
resource "aws_iam_role_policy_attachment" "github_plan_read_only" {
  role       = aws_iam_role.github["plan"].name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "github_plan" {
  statement {
    sid    = "NoSecretValues"
    effect = "Deny"
    actions = [
      "secretsmanager:GetSecretValue",
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:GetParametersByPath",
      "kms:Decrypt",
    ]
    resources = ["*"]
    # The state bucket's objects are KMS-encrypted: decrypting through S3 stays allowed.
    condition {
      test     = "StringNotEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }
  statement {
    sid           = "NoObjectsButTheState"
    effect        = "Deny"
    actions       = ["s3:GetObject"]
    not_resources = ["arn:aws:s3:::aiops-autoheal-tfstate/*"]
  }
  statement {
    sid       = "StateDecrypt"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "github_plan" {
  name   = "plan-guardrails"
  role   = aws_iam_role.github["plan"].id
  policy = data.aws_iam_policy_document.github_plan.json
}
