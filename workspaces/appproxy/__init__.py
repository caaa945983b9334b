"""The workspace app proxy: apps (`coder_app`) served through the portal on paths (Coder's path-based apps):
`/@<owner>/<workspace>[.<agent>]/apps/<slug>/...`, HTTP and websockets, carried to the
app's port inside the workspace over the agent's relay."""
