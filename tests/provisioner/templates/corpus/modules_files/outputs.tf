output "home" {
  value = one(module.home[*].path)
}
