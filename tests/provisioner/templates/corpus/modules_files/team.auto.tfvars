labels = {
  team = "platform"
}
