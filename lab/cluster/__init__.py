"""The lab's simulated Kubernetes cluster: an in-memory API server (store,
REST handlers, watches with bounded history), object builders, a seeded
layout, and the Python control API incident scenarios use."""
