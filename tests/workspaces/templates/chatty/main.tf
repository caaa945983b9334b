# Echoes with pauses while applying (for live-log and mid-build crash tests).
terraform {
  required_providers {
    coder = { source = "coder/coder" }
  }
}

variable "pause" {
  type    = number
  default = 2
}

data "coder_workspace" "me" {}

resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"
}

resource "terraform_data" "first" {
  count = data.coder_workspace.me.start_count
  input = "first"
}

resource "terraform_data" "chatty" {
  count      = data.coder_workspace.me.start_count
  depends_on = [terraform_data.first]
  input      = var.pause
  provisioner "local-exec" {
    command = "echo line-one; sleep ${self.input}; echo line-two; sleep ${self.input}; echo line-three"
  }
}
