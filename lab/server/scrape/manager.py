"""The scrape manager: one scrape pool per job, one loop per target.

API (what the composition root and the HTTP API use)::

    manager = ScrapeManager(appendable, clock, scraper_factory=http_scraper_factory)
    await manager.apply_config(cfg)   # a lab.server.config.Config; call again to reload
    ...
    manager.targets()                 # TargetsSnapshot for /api/v1/targets
    await manager.stop()              # shutdown: loops end, no staleness markers

* ``appendable``: a ``lab.server.storage.interface.Appendable``; every scrape
  uses one ``Appender`` (commit on success, rollback on failure).
* ``clock``: a ``lab.clock.Clock`` (``RealClock()`` in the server,
  ``VirtualClock`` in tests).
* ``scraper_factory``: ``Callable[[ScrapeConfig], Scraper]``, the HTTP part
  behind a one-method interface (``lab.server.scrape.scraper``); tests inject
  canned responses.
* ``discoverer_factories``: optional ``{"kubernetes_sd_configs": factory}`` for
  discovery mechanisms that need an outside system (see ``discovery``).

``apply_config`` keeps the loops of targets whose job config and labels did not
change (their data stays continuous); targets that disappear get staleness
markers just over two intervals later, as upstream. ``run()`` waits until
``stop()`` is called, for callers that want a task to await.

Everything runs on the caller's asyncio event loop.
"""

from __future__ import annotations
