# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/coder/coder" {
  version     = "0.22.0"
  constraints = "~> 0.22.0"
  hashes = [
    "h1:1yS6Q5Tf13VBMBZ6A1ZgyANsqKFJsi4qyqDl2FhS4+c=",
    "zh:267ea04e81f347df1534cd4f189ed3f8a02c391fa2d07987b0af6ff2aae189a9",
  ]
}
