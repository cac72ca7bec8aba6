"""Drive the Vagrant lab through python-vagrant.

``VagrantLab(root)`` wraps ``vagrant.Vagrant`` for the lab's directory (this
package's, which holds the ``Vagrantfile``): ``up``, ``status``, ``ssh``,
``destroy``, ``validate``. python-vagrant's ``CalledProcessError`` comes out
as a ``VagrantError`` with the command and exit status; a missing executable
as ``VagrantNotFoundError`` before anything runs. An interactive ``ssh`` (no
command) hands the terminal to ``vagrant ssh`` itself, which python-vagrant
cannot do.

No VM boots at import; python-vagrant itself is imported on first use.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .errors import MachineNameError, VagrantError, VagrantNotFoundError

#: The directory holding the lab's Vagrantfile.
LAB_DIR: Final = Path(__file__).resolve().parent
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


@dataclass(frozen=True)
class MachineStatus:
    name: str
    state: str
    provider: str | None


def check_machine(name: str | None) -> str | None:
    if name is not None and not _NAME.fullmatch(name):
        raise MachineNameError(f"invalid machine name {name!r}")
    return name


class VagrantLab:
    """The lab's machines, managed through ``vagrant`` in ``root``.

    ``env`` (default: inherit) is passed to every ``vagrant`` process; ``quiet``
    hides the output of commands whose output is not parsed."""

    def __init__(
        self,
        root: Path = LAB_DIR,
        *,
        env: Mapping[str, str] | None = None,
        quiet: bool = False,
    ) -> None:
        self.root = root
        self.env = dict(env) if env is not None else None
        self.quiet = quiet
        self._vagrant: Any = None

    def _client(self) -> Any:
        if self._vagrant is None:
            import vagrant

            if not (self.root / "Vagrantfile").is_file():
                raise VagrantError(f"no Vagrantfile in {self.root}")
            # python-vagrant would only say RuntimeError at the first command.
            self._executable()
            self._vagrant = vagrant.Vagrant(  # type: ignore[no-untyped-call]
                root=str(self.root),
                env=self.env,
                quiet_stdout=self.quiet,
                quiet_stderr=self.quiet,
            )
        return self._vagrant

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except subprocess.CalledProcessError as exc:
            raise VagrantError(f"vagrant {what} failed (exit status {exc.returncode})") from None

    def up(self, machine: str | None = None, *, provision: bool | None = None) -> None:
        """Create/boot (and on first boot provision) one machine or all."""
        with self._errors("up"):
            self._client().up(vm_name=check_machine(machine), provision=provision)

    def provision(self, machine: str | None = None) -> None:
        with self._errors("provision"):
            self._client().provision(vm_name=check_machine(machine))

    def status(self, machine: str | None = None) -> list[MachineStatus]:
        with self._errors("status"):
            found = self._client().status(vm_name=check_machine(machine))
        return [MachineStatus(s.name, s.state, s.provider) for s in found]

    def ssh(self, machine: str, command: str | None = None) -> str | None:
        """Run ``command`` on ``machine`` and return its output, or, without a
        command, an interactive session (returns ``None`` once it ends)."""
        check_machine(machine)
        if command is not None:
            with self._errors("ssh"):
                return str(self._client().ssh(vm_name=machine, command=command))
        self._interactive(["ssh", machine])
        return None

    def destroy(self, machine: str | None = None) -> None:
        """Stop and delete one machine or all (no confirmation prompt)."""
        with self._errors("destroy"):
            self._client().destroy(vm_name=check_machine(machine))

    def validate(self) -> None:
        """``vagrant validate``: the Vagrantfile loads and its settings are valid."""
        self._run(["validate"], "validate")

    def _interactive(self, args: list[str]) -> None:
        self._run(args, " ".join(args), capture=False)

    def _run(self, args: list[str], what: str, *, capture: bool = True) -> None:
        exe = self._executable()
        result = subprocess.run(
            [exe, *args],
            cwd=self.root,
            env=self.env,
            capture_output=capture,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout or "").strip() if capture else ""
            raise VagrantError(
                f"vagrant {what} failed (exit status {result.returncode})"
                + (f": {detail}" if detail else "")
            )

    def _executable(self) -> str:
        import vagrant

        get: Callable[[], str | None] = vagrant.get_vagrant_executable
        exe = get()
        if not exe:
            raise VagrantNotFoundError(
                "the vagrant executable was not found on PATH; install Vagrant "
                "(Debian: apt-get install vagrant)"
            )
        return exe
