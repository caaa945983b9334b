variable "project" {
  type        = string
  description = "Project the workspaces belong to (set in terraform.tfvars)"
}

variable "labels" {
  type    = map(string)
  default = {}
}

variable "settings" {
  type = object({
    shell   = optional(string)
    editor  = optional(string, "vim")
    workdir = optional(string)
  })
  default = {}
}

variable "git_url" {
  type    = string
  default = "https://example.com/acme/atlas.git"
  validation {
    condition     = can(regex("^https://", var.git_url))
    error_message = "Only https URLs."
  }
}
