terraform {
  required_providers {
    coder = {
      source = "coder/coder"
    }
  }
}

variable "disk_gb" {
  type        = number
  description = "Disk size in GB"
  default     = 4
  validation {
    condition     = var.disk_gb >= 1 && var.disk_gb <= 64
    error_message = "Between 1 and 64 GB."
  }
}

variable "image" {
  type    = string
  default = ""
}

variable "debug" {
  type    = bool
  default = false
}

data "coder_workspace" "me" {}
data "coder_workspace_owner" "me" {}

data "coder_parameter" "cpus" {
  name         = "cpus"
  display_name = "CPUs (${var.disk_gb > 2 ? "large" : "small"} disk)"
  type         = "number"
  default      = var.disk_gb > 2 ? 2 : 1
  mutable      = true
  order        = 1
  validation {
    min = 1
    max = 2 * 4
  }
}

data "coder_parameter" "home_mb" {
  name    = "home_mb"
  type    = "number"
  default = var.disk_gb * 1024 / 2
  order   = 2
}

data "coder_parameter" "shell" {
  name    = "shell"
  default = var.debug || var.image != "" ? "sh" : "bash"
  order   = 3
  option {
    name  = "Bash"
    value = "bash"
  }
  option {
    name  = "POSIX sh"
    value = "sh"
  }
}

locals {
  image    = var.image == "" ? "ubuntu:${var.disk_gb >= 4 ? "24.04" : "22.04"}" : var.image
  cpus     = tonumber(data.coder_parameter.cpus.value)
  running  = data.coder_workspace.me.start_count == 1
  arith    = [var.disk_gb + 1, var.disk_gb - 1, var.disk_gb * 2, var.disk_gb / 2, var.disk_gb % 3, -var.disk_gb]
  compare  = [var.disk_gb == 4, var.disk_gb != 3, var.disk_gb < 5, var.disk_gb <= 4, var.disk_gb > 1, var.disk_gb >= 4]
  logic    = [!var.debug, var.debug || local.running, var.debug && false, !(var.debug && true) || false]
  size     = local.cpus * 2 + (var.disk_gb - 1) % 2 > 3 ? "big" : "small"
  greeting = <<-EOT
    Hello ${data.coder_workspace_owner.me.name}%{if var.debug}, debugging%{endif}!
    Disk: ${var.disk_gb * 1024} MB, ${local.size} machine.
  EOT
}

resource "coder_agent" "main" {
  arch           = "amd64"
  os             = "linux"
  dir            = local.running ? "/home/coder" : "/tmp"
  startup_script = <<-EOT
    #!/bin/sh
    echo "${local.image}"
  EOT
  env = {
    DEBUG = var.debug ? "1" : "0"
    SHELL = "/bin/${data.coder_parameter.shell.value}"
  }
  metadata {
    key          = "load"
    display_name = "Load"
    script       = "cat /proc/loadavg"
    interval     = 5 * 2
    timeout      = 1
  }
}

resource "terraform_data" "workspace" {
  count = local.running ? 1 : 0
  input = {
    agent    = coder_agent.main.id
    image    = local.image
    arith    = local.arith
    compare  = local.compare
    logic    = local.logic
    greeting = local.greeting
  }

  provisioner "local-exec" {
    command = "test ${length(local.arith) + length(local.compare)} -eq 12"
  }
}

resource "coder_metadata" "workspace" {
  count       = length(terraform_data.workspace) > 0 ? 1 : 0
  resource_id = terraform_data.workspace[0].id
  daily_cost  = local.cpus * 2 + var.disk_gb
  item {
    key   = "size"
    value = local.size
  }
}

output "summary" {
  value = "${local.image} ${local.size} ${join(",", [for b in local.logic : b ? "t" : "f"])}"
}
