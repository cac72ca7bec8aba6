"""Write the generated dashboards into ``dashboards/`` (committed; a test
checks they are up to date)::

    .venv/bin/python -m lab.dashboards.render [DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lab.dashboards.boards import all_dashboards


def to_text(board: object) -> str:
    return json.dumps(board, indent=2, sort_keys=False) + "\n"


def expected_files(directory: Path) -> dict[Path, str]:
    return {directory / name: to_text(board) for name, board in all_dashboards().items()}


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else Path("dashboards")
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in expected_files(directory).items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
