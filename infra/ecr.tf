# One repository per image, immutable tags (CI pushes sha-<commit>), scan on push, and a lifecycle
# that keeps the last 50 images.
locals {
  images = ["backend", "healer", "dashboard"]
}

resource "aws_ecr_repository" "image" {
  for_each             = toset(local.images)
  name                 = "aiops-autoheal/${each.key}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

resource "aws_ecr_lifecycle_policy" "image" {
  for_each   = aws_ecr_repository.image
  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the last 50 images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 50
      }
      action = { type = "expire" }
    }]
  })
}
