"""The hosts runs run on: namespaces, topologies, the sandbox of programs,
rootless mode, run ownership and /proc."""
