terraform {
  required_providers {
    coder = { source = "coder/coder" }
  }
}

data "coder_workspace" "me" {}

resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"
}

locals {
  # Agents are usually wired to their machine through locals and module inputs.
  user_data = "#!/bin/sh\n${coder_agent.main.init_script}"
}

module "box" {
  source    = "./box"
  count     = data.coder_workspace.me.start_count
  agent_id  = coder_agent.main.id
  user_data = local.user_data
}
