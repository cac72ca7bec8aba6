"""``promlab check``: rules and dashboards against what the lab produces.

    report = check(Path("rulepacks"), Path("dashboards"), inventory(repo_root))
    print(report.text())          # or report.dumps() for JSON; report.ok

``produced`` / ``from_exporters`` derive the produced metric names by running
our exporters and rendering the scenarios; ``uses`` finds the selectors of
rules and dashboards; ``check`` compares the two.
"""
