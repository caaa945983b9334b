resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"

resource "terraform_data" "x" {
}
