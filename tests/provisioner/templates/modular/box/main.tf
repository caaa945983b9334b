terraform {
  required_providers {
    coder = { source = "coder/coder" }
  }
}

variable "agent_id" { type = string }
variable "user_data" { type = string }

resource "terraform_data" "machine" {
  input = var.user_data
}

resource "terraform_data" "disk" {
  input = terraform_data.machine.id
}

resource "coder_app" "editor" {
  agent_id = var.agent_id
  slug     = "editor"
  url      = "http://localhost:8000"
}

resource "coder_metadata" "machine" {
  resource_id = terraform_data.machine.id
  item {
    key   = "module"
    value = "box"
  }
}
