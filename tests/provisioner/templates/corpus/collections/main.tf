terraform {
  required_providers {
    coder = {
      source = "coder/coder"
    }
  }
}

data "coder_workspace" "me" {}

locals {
  regions = {
    eu = { name = "Europe", icon = "/emojis/1f1ea-1f1fa.png", zones = 3 }
    us = { name = "United States", icon = "/emojis/1f1fa-1f1f8.png", zones = 2 }
    ap = { name = "Asia Pacific", icon = "", zones = 1 }
  }
  ides = ["code-server", "jupyter", "filebrowser"]
}

data "coder_parameter" "region" {
  name         = "region"
  display_name = "Region"
  default      = "eu"
  order        = 1
  dynamic "option" {
    for_each = { for key, region in local.regions : key => region if region.zones > 1 }
    content {
      name  = option.value.name
      value = option.key
      icon  = option.value.icon
    }
  }
}

data "coder_parameter" "ides" {
  name      = "ides"
  type      = "list(string)"
  form_type = "multi-select"
  default   = jsonencode([for ide in local.ides : ide if ide != "jupyter"])
  mutable   = true
  order     = 2
  dynamic "option" {
    for_each = local.ides
    content {
      name  = title(replace(option.value, "-", " "))
      value = option.value
    }
  }
}

locals {
  selected = jsondecode(data.coder_parameter.ides.value)
  zones    = range(local.regions[data.coder_parameter.region.value].zones)
  by_zone  = { for zone in local.zones : "zone-${zone}" => zone * 10 }
  grouped  = { for ide in local.ides : length(ide) > 7 ? "long" : "short" => ide... }
  flat     = flatten([for key, region in local.regions : [for zone in range(region.zones) : "${key}-${zone}"]])
  names    = [for region in values(local.regions) : upper(region.name)]
}

resource "coder_agent" "dev" {
  os   = "linux"
  arch = "amd64"
  dynamic "metadata" {
    for_each = local.by_zone
    content {
      key          = metadata.key
      display_name = upper(metadata.key)
      script       = "echo ${metadata.value}"
      interval     = 10
      timeout      = 1
    }
  }
}

resource "coder_app" "ide" {
  for_each     = toset(local.selected)
  agent_id     = coder_agent.dev.id
  slug         = each.key
  display_name = title(replace(each.value, "-", " "))
  url          = "http://localhost:${8000 + index(local.ides, each.key)}"
}

resource "terraform_data" "zone" {
  count = data.coder_workspace.me.start_count * length(local.zones)
  input = {
    agent = coder_agent.dev.id
    zone  = local.zones[count.index]
    all   = local.flat
    kinds = keys(local.grouped)
    names = local.names
  }
}

resource "terraform_data" "volume" {
  for_each = { for zone, weight in local.by_zone : zone => weight if weight >= 10 }
  input    = "${each.key}=${each.value}"
}

output "zone_ids" {
  value = terraform_data.zone[*].id
}

output "volumes" {
  value = [for key, volume in terraform_data.volume : volume.output]
}
