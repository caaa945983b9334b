"""The provisioner-job machinery: queues by tags, the runner that claims and executes a job,
daemon registration and heartbeats, and the reaper for jobs whose worker went away."""
