"""The workspace-build job: what the provisioner worker does for a build, and how its result
(state, resources, agents, apps) is saved. Registered with templates_app's job runner."""
