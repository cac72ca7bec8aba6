"""Horizontal scaling: shard assignment (hashmod), the fan-out/merge querier with
HA replica deduplication. Federation is ``lab.server.api.federate``."""
