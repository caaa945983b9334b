# A workspace that runs as processes on the provisioner host (test copy of the local starter).
terraform {
  required_providers {
    coder = { source = "coder/coder", version = ">= 2.0" }
  }
}

variable "workdir_root" {
  type        = string
  description = "Where workspace directories are created"
}

data "coder_provisioner" "me" {}
data "coder_workspace" "me" {}

data "coder_parameter" "greeting" {
  name    = "greeting"
  type    = "string"
  default = "hello"
  mutable = true
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = data.coder_provisioner.me.arch
  dir  = "${var.workdir_root}/${data.coder_workspace.me.id}"
}

resource "terraform_data" "agent" {
  count = data.coder_workspace.me.start_count
  input = {
    dir   = "${var.workdir_root}/${data.coder_workspace.me.id}"
    init  = coder_agent.main.init_script
    token = coder_agent.main.token
  }

  provisioner "local-exec" {
    command = <<-EOT
      mkdir -p '${self.input.dir}'
      printf '%s' "$INIT" > '${self.input.dir}/init.sh'
      echo "$GREETING" > '${self.input.dir}/greeting'
      CODER_AGENT_TOKEN="$TOKEN" setsid sh '${self.input.dir}/init.sh' > '${self.input.dir}/agent.log' 2>&1 < /dev/null &
      echo $! > '${self.input.dir}/agent.pid'
      echo "agent started"
    EOT
    environment = {
      INIT     = self.input.init
      TOKEN    = self.input.token
      GREETING = data.coder_parameter.greeting.value
    }
  }

  provisioner "local-exec" {
    when    = destroy
    command = <<-EOT
      if [ -f '${self.input.dir}/agent.pid' ]; then
        pgid="$(cat '${self.input.dir}/agent.pid')"
        kill -TERM "-$pgid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "-$pgid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "-$pgid" 2>/dev/null || true
        rm -f '${self.input.dir}/agent.pid'
      fi
      echo "agent stopped"
    EOT
  }
}

resource "coder_metadata" "info" {
  count       = data.coder_workspace.me.start_count
  resource_id = terraform_data.agent[0].id
  daily_cost  = 3
  item {
    key   = "directory"
    value = "${var.workdir_root}/${data.coder_workspace.me.id}"
  }
  item {
    key       = "secret"
    value     = "hunter2"
    sensitive = true
  }
}

# Version 2 adds a parameter.
data "coder_parameter" "size" {
  name    = "size"
  type    = "number"
  default = 2
  mutable = true
  validation {
    min = 1
    max = 8
  }
}
