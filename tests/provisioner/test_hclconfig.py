"""Reading a template's declarations without evaluating it (provisioner.hclconfig)."""

from __future__ import annotations

import json

from provisioner import hclconfig

OPERATORS = '''
terraform {
  required_providers {
    cdr    = { source = "coder/coder", version = ">= 2.0" }
    legacy = "~> 1.0"
  }
}
variable "gb" {
  type    = number
  default = 2
  validation {
    condition     = var.gb * 1024 >= 512 && var.gb % 2 == 0 || !false
    error_message = "Must be even."
  }
}
variable "shape" {
  type = list(object({ a = number,
                       b = optional(string, "z") }))
  default = []
}
variable "untyped" {}
locals {
  name = var.untyped == "" ? "a" : "${var.untyped}%{ if var.gb > 1 }-big%{ endif }"
  even = { for k, v in var.shape : k => v... if v.a != null }
}
data "coder_parameter" "p" {
  name = "p"
  dynamic "option" {
    for_each = local.even
    content {
      name  = option.key
      value = option.value
    }
  }
}
resource "terraform_data" "r" {
  count = data.coder_workspace.me.start_count > 0 ? 1 : 0
}
'''


def test_reads_declarations_from_a_configuration_full_of_expressions(tmp_path):
    (tmp_path / "main.tf").write_text(OPERATORS)
    (tmp_path / "more.tf.json").write_text(json.dumps(
        {"variable": {"region": {"type": "string", "sensitive": True}}}))
    (tmp_path / "notes.txt").write_text("variable \"ignored\" {}")
    config = hclconfig.read_module(str(tmp_path))
    assert not config.unreadable
    assert [(v.name, v.type, v.sensitive, v.filename) for v in config.variables] == [
        ("gb", "number", False, "main.tf"),
        ("shape", 'list(object({a = number, b = optional(string, "z")}))', False, "main.tf"),
        ("untyped", "", False, "main.tf"),
        ("region", "string", True, "more.tf.json")]
    assert config.required_providers == {"cdr": "coder/coder", "legacy": "hashicorp/legacy"}
    assert config.block_types == {"coder_parameter", "terraform_data"} and config.uses_coder
    assert hclconfig.local_name_of(config, "registry.terraform.io/coder/coder") == "cdr"
    assert hclconfig.local_name_of(config, "coder/other") is None


def test_unreadable_files_are_listed_not_fatal(tmp_path):
    (tmp_path / "a.tf").write_text('variable "x" {\n  type = string\n')
    (tmp_path / "b.tf").write_text('variable "y" { type = bool }\n')
    config = hclconfig.read_module(str(tmp_path))
    assert list(config.unreadable) == ["a.tf"] and config.unreadable["a.tf"]
    assert [v.name for v in config.variables] == ["y"]
