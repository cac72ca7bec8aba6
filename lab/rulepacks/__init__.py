"""Rule packs as deployable objects (PrometheusRule) and their checks."""
