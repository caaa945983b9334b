terraform {
  required_providers {
    coder = {
      source = "coder/coder"
    }
  }
}

variable "name" {
  type = string
}

variable "agent_id" {
  type = string
}

variable "size_gb" {
  type    = number
  default = 1
}

resource "terraform_data" "home" {
  input = {
    name  = var.name
    agent = var.agent_id
    size  = "${var.size_gb}GB"
  }
}

resource "coder_app" "files" {
  agent_id     = var.agent_id
  slug         = "files"
  display_name = "Files"
  url          = "http://localhost:${8080 + var.size_gb}"
}

output "id" {
  value = terraform_data.home.id
}

output "path" {
  value = "/home/${var.name}"
}
