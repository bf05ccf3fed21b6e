module "m" {
  source = "./mod"
  heredoc = <<-EOT
    line ${upper("a")}
  EOT
  cond = var.a ? "x" : null
}
