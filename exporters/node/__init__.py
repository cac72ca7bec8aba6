"""``promlab node-exporter``: a drop-in for the Prometheus node_exporter (1.5).

``source`` reads the host (procfs, sysfs, the root filesystem, a few syscalls)
behind the ``NodeSource`` protocol; ``collectors`` turn what it reads into the
upstream metric families, one module per collector; ``exporter`` runs the
enabled collectors per scrape and adds ``node_scrape_collector_*``; ``options``
holds the per-collector flags. Nothing here runs at import time.
"""
