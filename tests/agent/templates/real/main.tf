# A workspace of processes on the provisioner host (as the local starter template) with an
# app served by a coder_script: what the real-workspace connectivity test connects to.
terraform {
  required_providers {
    coder = { source = "coder/coder" }
  }
}

variable "workdir_root" {
  type = string
}

variable "app_port" {
  type = string
}

data "coder_provisioner" "me" {}
data "coder_workspace" "me" {}

locals {
  dir = "${var.workdir_root}/${data.coder_workspace.me.id}"
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = data.coder_provisioner.me.arch
  dir  = "${local.dir}/home"
}

resource "coder_script" "site" {
  agent_id     = coder_agent.main.id
  display_name = "site"
  run_on_start = true
  script       = <<-EOT
    mkdir -p '${local.dir}/site'
    echo "hello from the app" > '${local.dir}/site/index.html'
    nohup python3 -m http.server ${var.app_port} --bind 127.0.0.1 --directory '${local.dir}/site' \
      > '${local.dir}/site.log' 2>&1 < /dev/null &
    echo $! > '${local.dir}/site.pid'
  EOT
}

resource "coder_app" "site" {
  agent_id = coder_agent.main.id
  slug     = "site"
  url      = "http://localhost:${var.app_port}"
  share    = "owner"
  healthcheck {
    url       = "http://localhost:${var.app_port}/"
    interval  = 1
    threshold = 5
  }
}

resource "coder_app" "public" {
  agent_id  = coder_agent.main.id
  slug      = "public"
  url       = "http://localhost:${var.app_port}"
  share     = "public"
  subdomain = true
}

resource "terraform_data" "agent" {
  count = data.coder_workspace.me.start_count
  input = {
    dir = local.dir
  }

  provisioner "local-exec" {
    command = <<-EOT
      mkdir -p '${self.input.dir}/home'
      printf '%s' "$INIT" > '${self.input.dir}/init.sh'
      CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_BINARY_DIR='${self.input.dir}' \
        setsid sh '${self.input.dir}/init.sh' > '${self.input.dir}/agent.log' 2>&1 < /dev/null &
      echo $! > '${self.input.dir}/agent.pid'
    EOT
    environment = {
      INIT  = coder_agent.main.init_script
      TOKEN = coder_agent.main.token
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
    EOT
  }
}
