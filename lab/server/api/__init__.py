"""The Prometheus HTTP API v1 (aiohttp): queries, series metadata, status,
federation and the lifecycle endpoints, with Prometheus's JSON shapes, error
types and status codes.

``routes.build_app(ApiDeps(...))`` gives the application; ``deps.ApiDeps``
lists what the rest of the server provides; errors are ``errors.ApiError``.
"""
