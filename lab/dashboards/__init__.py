"""Grafana dashboards: built in Python (``boards``), written as JSON into
``dashboards/`` (``render``), and checked (``check``)."""
