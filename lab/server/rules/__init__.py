"""Prometheus rules: rule files, recording and alerting rules, groups, the
manager that runs them, delivery to Alertmanager, and promtool's tools.

Server wiring (the composition root, ``lab/server/app.py``)::

    from lab.server.rules.manager import RuleManager
    from lab.server.rules.notifier import Notifier
    from lab.server.rules.rule import engine_query_func

    notifier = Notifier.from_config(config.alerting, external_labels=ext_labels)
    rules = RuleManager(
        query=engine_query_func(engine, db),      # QueryFunc(expr, t_ms) -> list[Sample]
        appendable=db,                            # recording results, ALERTS, stale markers
        queryable=db,                             # ALERTS_FOR_STATE restore at start-up
        clock=clock,                              # RealClock / VirtualClock
        notify=notifier.send,                     # NotifyFunc(alerts), never blocks
        external_labels=ext_labels, external_url=web_external_url,
        default_interval_ms=config.global_.evaluation_interval_ms,
        default_query_offset_ms=rule_query_offset_ms,
    )
    rules.load(config.rule_files)   # RuleFileError(problems): nothing changed
    tasks: asyncio.create_task(rules.run()), asyncio.create_task(notifier.run())
    reload: rules.load(new_config.rule_files)     # unchanged rules keep their alerts
    shutdown: await rules.stop(); notifier.stop()

For ``/api/v1/rules``: ``rules.groups`` (``Group``: name, file, interval_ms,
limit, query_offset_ms, last_eval_ms, last_duration_s, rules) and each rule's
``name``, ``expr_text``, ``labels``, ``health``, ``last_error``,
``last_eval_ms``, ``last_duration_s``; alerting rules add ``hold_ms``,
``keep_firing_for_ms``, ``annotations``, ``state()`` and ``active_alerts()``.
For ``/api/v1/alerts``: ``rules.alerts()`` -> ``(AlertingRule, Alert)`` pairs
(``Alert``: labels, annotations, state, active_at_ms, value,
keep_firing_since_ms).

Modules: ``rulefile`` (format + validation with promtool's texts),
``templates`` (Go text/template), ``recording``, ``alerting``, ``group``,
``manager``, ``notifier``; tools: ``check`` (``promtool check rules``),
``unittest_*`` (``promtool test rules``, vectorised), ``lint``. Errors:
``errors`` (root ``RulesError``).
"""
