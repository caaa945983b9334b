data "coder_workspace" "me" {}
data "coder_workspace_owner" "me" {}

data "coder_parameter" "dotfiles" {
  name        = "dotfiles"
  description = "Dotfiles repository for ${var.project}"
  default     = ""
  mutable     = true
  validation {
    regex = "^(https://.*)?$"
    error = "Must be an https URL"
  }
}

locals {
  repo      = regex("^https://[^/]+/(?P<org>[^/]+)/(?P<name>[^/.]+)", var.git_url)
  team      = lookup(var.labels, "team", "nobody")
  cost      = lookup({ platform = 3, data = 5 }, local.team, 1)
  shell     = coalesce(var.settings.shell, try(var.labels["shell"], null), "/bin/bash")
  workdir   = try(trimspace(var.settings.workdir), "/home/${data.coder_workspace_owner.me.name}")
  dotfiles  = data.coder_parameter.dotfiles.value != "" ? data.coder_parameter.dotfiles.value : null
  safe_name = lower(replace("${var.project}-${data.coder_workspace.me.name}", "/[^a-z0-9-]/", "-"))
  startup = templatefile("${path.module}/startup.sh.tftpl", {
    project  = var.project
    repo     = local.repo
    labels   = merge(var.labels, { owner = data.coder_workspace_owner.me.name })
    dotfiles = local.dotfiles
  })
}

resource "coder_agent" "main" {
  os             = "linux"
  arch           = "amd64"
  dir            = local.workdir
  startup_script = local.startup
  env = {
    EDITOR = var.settings.editor
    SHELL  = local.shell
  }
}

module "home" {
  source   = "./modules/home"
  count    = data.coder_workspace.me.start_count
  name     = local.safe_name
  agent_id = coder_agent.main.id
  size_gb  = local.cost * 2
}

resource "coder_metadata" "home" {
  count       = data.coder_workspace.me.start_count
  resource_id = module.home[0].id
  daily_cost  = local.cost
  item {
    key   = "repository"
    value = "${local.repo.org}/${local.repo["name"]}"
  }
}
