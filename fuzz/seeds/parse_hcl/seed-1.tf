resource "aws_s3_bucket" "raw" {
  bucket = "team-raw-${var.env}"
  tags   = { owner = "data" }
  dynamic "rule" {
    for_each = [1, 2]
    content { id = rule.value }
  }
}
variable "env" { default = "dev" }
locals { xs = [for x in [1, 2] : x * 2 if x > 0] }
