terraform {
  required_providers {
    coder = { source = "coder/coder" }
  }
}

resource "coder_teleporter" "beam" {
  destination = "mars"
}
