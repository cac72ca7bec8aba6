"""Test-wide fixtures: the reference binaries (see tests/reference.py)."""

pytest_plugins = ["tests.reference"]
