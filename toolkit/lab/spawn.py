"""Starting the lab's programs: finding them (PATH, then the sbin directories a non-login shell
may lack), the command line (in a network namespace through ``ip netns exec``), a log header,
and the child as a :class:`failover6.fault.Process`. Used by failover6.lab, failover6.netns and
failover6.kea; failover6.lab re-exports every name here.

    from failover6.spawn import spawn
    proc = spawn(["failover6d", "--config", "a.json"], "a.log", netns="f6-s1")
    ...
    proc.close()
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Sequence, Union

from . import fault

__all__ = ["SEARCH_PATH", "log_tail", "resolve_argv", "spawn", "spawn_argv", "which"]

PathLike = Union[str, "os.PathLike[str]"]

#: Where programs are looked for: PATH, then the sbin directories a non-login shell may lack.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def which(name: str) -> str | None:
    """The absolute path of program @p name (PATH, /usr/sbin, /sbin), or None."""
    return shutil.which(name, path=SEARCH_PATH)


def resolve_argv(argv: Sequence[str]) -> list[str]:
    """@p argv with a bare program name replaced by its absolute path (see which()).

    :raises FileNotFoundError: the program is not there (the message says how to get it).
    """
    out = [str(a) for a in argv]
    if out and "/" not in out[0]:
        found = which(out[0])
        if found is None:
            raise FileNotFoundError(f"program '{out[0]}' not found (PATH, /usr/sbin, /sbin); "
                                    "install it with `ci/deps --interop`")
        out[0] = found
    return out


def spawn_argv(argv: Sequence[str], log: PathLike, *, netns: str | None = None) -> list[str]:
    """The command line that runs @p argv (in network namespace @p netns when given, through
    ``ip netns exec``, which execs the program so that the pid is the program's), programs
    resolved (resolve_argv()); writes a header line naming it to the log @p log.

    :raises FileNotFoundError: the program (or ``ip``) is not installed.
    """
    full = resolve_argv(argv)
    if netns is not None:
        full = resolve_argv(["ip", "netns", "exec", netns, *full])
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as f:
        f.write(f"==== {time.strftime('%H:%M:%S')} start {' '.join(full)}\n".encode())
    return full


def spawn(argv: Sequence[str], log: PathLike, *, env: dict[str, str] | None = None,
          netns: str | None = None) -> fault.Process:
    """Starts spawn_argv(@p argv, @p log, netns=@p netns) as a failover6.fault.Process (own
    process group, never left behind by close()), output appended to @p log; @p env is added
    to this process's environment.

    :raises FileNotFoundError: the program (or ``ip``) is not installed.
    :raises RuntimeError: it could not be started.
    """
    return fault.Process(spawn_argv(argv, log, netns=netns), env=env, log=str(log))


def log_tail(path: PathLike, title: str, lines: int = 40) -> str:
    """The last @p lines of the file @p path ("" when unreadable), headed by @p title."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        text = ""
    return f"---- {title} (tail) ----\n" + "\n".join(text.splitlines()[-lines:])
