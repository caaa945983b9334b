terraform {
  required_providers {
    coder = { source = "coder/coder" }
  }
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"
}

resource "terraform_data" "first" {
  input = coder_agent.main.id
}

resource "terraform_data" "broken" {
  depends_on = [terraform_data.first]
  provisioner "local-exec" {
    command = "echo about to fail; exit 3"
  }
}
