# A machine that costs `cost` credits a day while it runs (coder_metadata daily_cost), for quota tests.
terraform {
  required_providers {
    coder = { source = "coder/coder" }
  }
}

variable "cost" {
  type    = number
  default = 3
}

data "coder_workspace" "me" {}

resource "terraform_data" "machine" {
  count = data.coder_workspace.me.start_count
  input = data.coder_workspace.me.id
}

resource "coder_metadata" "machine" {
  count       = data.coder_workspace.me.start_count
  resource_id = terraform_data.machine[0].id
  daily_cost  = var.cost
  item {
    key   = "size"
    value = "small"
  }
}
