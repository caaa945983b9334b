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

resource "terraform_data" "slow" {
  count = data.coder_workspace.me.start_count
  input = coder_agent.main.id
  provisioner "local-exec" {
    command = "echo first-line; sleep ${var.pause}; echo second-line"
  }
}
