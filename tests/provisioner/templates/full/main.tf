terraform {
  required_providers {
    coder = {
      source  = "coder/coder"
      version = ">= 2.0"
    }
  }
}

variable "greeting" {
  type        = string
  description = "Word the workspace greets with"
  default     = "hello"
}

variable "team" {
  type        = string
  description = "Owning team"
}

variable "replicas" {
  type    = number
  default = 1
}

variable "api_key" {
  type      = string
  sensitive = true
  default   = "s3cret"
}

data "coder_provisioner" "me" {}
data "coder_workspace" "me" {}
data "coder_workspace_owner" "me" {}

data "coder_parameter" "region" {
  name         = "region"
  display_name = "Region"
  description  = "Where the workspace runs"
  default      = "eu"
  icon         = "/icon/globe.svg"
  order        = 1
  option {
    name  = "Europe"
    value = "eu"
    icon  = "/emojis/1f1ea-1f1fa.png"
  }
  option {
    name        = "United States"
    value       = "us"
    description = "East coast"
  }
}

data "coder_parameter" "cpus" {
  name    = "cpus"
  type    = "number"
  default = "2"
  mutable = true
  order   = 2
  validation {
    min   = 1
    max   = 8
    error = "Pick {min} to {max} CPUs"
  }
}

data "coder_parameter" "dotfiles" {
  name         = "dotfiles_uri"
  display_name = "Dotfiles"
  default      = ""
  mutable      = true
  order        = 3
  validation {
    regex = "^(https://.*)?$"
    error = "Must be an https URL"
  }
}

data "coder_parameter" "features" {
  name    = "features"
  type    = "list(string)"
  default = jsonencode(["git"])
  mutable = true
  order   = 4
}

data "coder_parameter" "gpu" {
  name      = "gpu"
  type      = "bool"
  default   = "false"
  mutable   = true
  ephemeral = true
  order     = 5
}

data "coder_parameter" "project" {
  name        = "project"
  description = "No default: the user must choose"
  order       = 6
}

data "coder_workspace_tags" "tags" {
  tags = {
    "zone" = data.coder_parameter.region.value
  }
}

resource "coder_agent" "main" {
  os                      = "linux"
  arch                    = "amd64"
  dir                     = "/home/coder"
  startup_script          = "echo started"
  startup_script_behavior = "blocking"
  env = {
    GREETING = var.greeting
  }
  metadata {
    key          = "load"
    display_name = "Load"
    script       = "cat /proc/loadavg"
    interval     = 10
    timeout      = 1
  }
  metadata {
    key          = "disk"
    display_name = "Disk"
    script       = "df -h /"
    interval     = 60
    order        = 2
  }
  display_apps {
    vscode       = false
    web_terminal = true
  }
}

resource "coder_app" "code" {
  agent_id     = coder_agent.main.id
  slug         = "code-server"
  display_name = "VS Code"
  url          = "http://localhost:13337/?folder=/home/coder"
  icon         = "/icon/code.svg"
  share        = "owner"
  healthcheck {
    url       = "http://localhost:13337/healthz"
    interval  = 5
    threshold = 6
  }
}

resource "coder_app" "shell" {
  agent_id     = coder_agent.main.id
  slug         = "shell"
  display_name = "Shell"
  command      = "bash"
}

resource "coder_script" "dotfiles" {
  agent_id           = coder_agent.main.id
  display_name       = "Dotfiles"
  script             = "echo dotfiles ${data.coder_parameter.dotfiles.value}"
  run_on_start       = true
  start_blocks_login = true
  timeout            = 300
}

resource "coder_env" "region" {
  agent_id = coder_agent.main.id
  name     = "REGION"
  value    = data.coder_parameter.region.value
}

# The "compute" of this template: exists only while the workspace is started.
resource "terraform_data" "workspace" {
  count            = data.coder_workspace.me.start_count
  triggers_replace = [coder_agent.main.token]
  input            = coder_agent.main.init_script
  provisioner "local-exec" {
    command = "echo \"provisioning $WS for $OWNER in $REGION with $CPUS cpus\""
    environment = {
      WS     = data.coder_workspace.me.name
      OWNER  = data.coder_workspace_owner.me.name
      REGION = data.coder_parameter.region.value
      CPUS   = data.coder_parameter.cpus.value
    }
  }
}

# A persistent resource: survives stop.
resource "terraform_data" "home" {
  input = "home of ${data.coder_workspace_owner.me.name}"
}

resource "coder_metadata" "workspace" {
  count       = data.coder_workspace.me.start_count
  resource_id = terraform_data.workspace[0].id
  icon        = "/icon/container.svg"
  daily_cost  = 7
  item {
    key   = "region"
    value = data.coder_parameter.region.value
  }
  item {
    key       = "api_key"
    value     = var.api_key
    sensitive = true
  }
  item {
    key = "empty"
  }
}

resource "coder_metadata" "home" {
  resource_id = terraform_data.home.id
  hide        = true
  item {
    key   = "size"
    value = "10GB"
  }
}
