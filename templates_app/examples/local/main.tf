# A workspace made of processes on the provisioner's own host: no containers, no cloud,
# no registry access. The agent runs in the background as the provisioner's user, with
# its own home directory under ~/coder-local/<workspace id>/.
terraform {
  required_providers {
    coder = {
      source = "coder/coder"
    }
  }
}

data "coder_provisioner" "me" {}
data "coder_workspace" "me" {}
data "coder_workspace_owner" "me" {}

locals {
  dir      = pathexpand("~/coder-local/${data.coder_workspace.me.id}")
  home     = "${local.dir}/home"
  pid_file = "${local.dir}/agent.pid"
  # A stable per-workspace port (20000-24095) for the file browser, so that two workspaces
  # on one host differ. Built as a string: arithmetic on a value unknown at plan time
  # trips up some Terraform builds' JSON output.
  files_port = "2${format("%04d", parseint(substr(sha1(data.coder_workspace.me.id), 0, 3), 16))}"
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = data.coder_provisioner.me.arch
  dir  = local.home
  env = {
    GIT_AUTHOR_NAME     = coalesce(data.coder_workspace_owner.me.full_name, data.coder_workspace_owner.me.name)
    GIT_AUTHOR_EMAIL    = data.coder_workspace_owner.me.email
    GIT_COMMITTER_NAME  = coalesce(data.coder_workspace_owner.me.full_name, data.coder_workspace_owner.me.name)
    GIT_COMMITTER_EMAIL = data.coder_workspace_owner.me.email
  }
  startup_script = <<-EOT
    set -e
    mkdir -p "${local.home}"
    if command -v python3 >/dev/null 2>&1; then
      nohup python3 -m http.server ${local.files_port} --bind 127.0.0.1 --directory "${local.home}" \
        >"${local.dir}/files.log" 2>&1 &
    fi
  EOT

  metadata {
    display_name = "Load average"
    key          = "load"
    script       = "cut -d' ' -f1 /proc/loadavg"
    interval     = 10
    timeout      = 1
  }
  metadata {
    display_name = "Home disk usage"
    key          = "disk"
    script       = "du -sh \"${local.home}\" 2>/dev/null | cut -f1"
    interval     = 60
    timeout      = 5
  }
}

# Starts the agent when the workspace starts (start_count is 0 on stop and delete, which
# destroys this resource and so runs the destroy-time provisioner that stops the agent).
resource "terraform_data" "agent" {
  count = data.coder_workspace.me.start_count

  # A new agent token means a new agent process.
  triggers_replace = [coder_agent.main.id, coder_agent.main.token]

  # Destroy-time provisioners may only read `self`: keep what they need here.
  input = {
    dir      = local.dir
    pid_file = local.pid_file
    # Ends the agent's whole session: the agent is asked to stop (it runs the stop scripts
    # and ends every process its scripts started, within its shutdown timeout of 60s); then
    # whatever still carries this workspace's session marker is killed, e.g. when the agent
    # itself had been killed.
    stop_agent = <<-EOT
      running() {
        [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
      }
      if [ -f "$PID_FILE" ]; then
        pid="$(cat "$PID_FILE")"
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        i=0
        while running "$pid" && [ "$i" -lt 700 ]; do sleep 0.1; i=$((i + 1)); done
        rm -f "$PID_FILE"
      fi
      for proc in /proc/[0-9]*; do
        if tr '\0' '\n' < "$proc/environ" 2>/dev/null | grep -qxF "CODER_LOCAL_SESSION=$DIR"; then
          kill -KILL "$${proc#/proc/}" 2>/dev/null || true
        fi
      done
    EOT
  }

  provisioner "local-exec" {
    interpreter = ["/bin/sh", "-c"]
    command     = <<-EOT
      set -eu
      mkdir -p "$DIR/home"
      /bin/sh -c "$STOP_AGENT"
      printf '%s\n' "$INIT_SCRIPT" > "$DIR/init.sh"
      chmod 700 "$DIR/init.sh"
      cd "$DIR/home"
      # setsid: the agent leads its own session and process group; CODER_LOCAL_SESSION marks
      # everything started in it (inherited), for the stop above. Every stream is redirected
      # so Terraform does not wait for the background process.
      HOME="$DIR/home" CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_BINARY_DIR="$DIR" \
        CODER_AGENT_SHUTDOWN_TIMEOUT=60s CODER_LOCAL_SESSION="$DIR" \
        setsid nohup /bin/sh "$DIR/init.sh" >"$DIR/agent.log" 2>&1 </dev/null &
      echo $! > "$PID_FILE"
    EOT
    environment = {
      DIR         = self.input.dir
      PID_FILE    = self.input.pid_file
      STOP_AGENT  = self.input.stop_agent
      INIT_SCRIPT = coder_agent.main.init_script
      TOKEN       = coder_agent.main.token
    }
  }

  provisioner "local-exec" {
    when        = destroy
    interpreter = ["/bin/sh", "-c"]
    command     = self.input.stop_agent
    environment = {
      DIR      = self.input.dir
      PID_FILE = self.input.pid_file
    }
  }
}

resource "coder_app" "files" {
  agent_id     = coder_agent.main.id
  slug         = "files"
  display_name = "Files"
  icon         = "/icon/folder.svg"
  url          = "http://localhost:${local.files_port}"
  share        = "owner"
  subdomain    = false
}

resource "coder_metadata" "workspace" {
  count       = data.coder_workspace.me.start_count
  resource_id = terraform_data.agent[0].id
  icon        = "/icon/terminal.svg"

  item {
    key   = "directory"
    value = local.dir
  }
  item {
    key   = "arch"
    value = data.coder_provisioner.me.arch
  }
}
