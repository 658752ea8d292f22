"""An OS sandbox for a student's kernel, where Linux allows one without privileges.

A submission's code runs with the grader's permissions. On Linux with unprivileged user
namespaces (most distributions; util-linux's ``unshare``), the grader starts each student's
kernel inside new user, mount, PID and network namespaces:

- **nothing outside the submission's own working folder is writable**: every mount is remounted
  read-only; ``/dev/shm`` is fresh and private, and ``TMPDIR`` is a folder inside the working folder;
- **the grader's files are out of sight**: its temporary folders (other students' working
  folders, the grader's answer copies, its checking process's folder) are in
  :func:`grading_folder`, which the kernel sees empty but for its own working folder, and the
  chapters (with their hidden checks), the coursework package, the tests and ``.git`` are covered
  by empty folders;
- **no other process is visible** (a PID namespace: no ``/proc/<grader>/cwd``) and none outlives the
  kernel, nor the grader; **no network** (the kernel talks to the grader over Unix sockets in its folder);
- PyTensor's compile cache (and IPython's and matplotlib's folders) are seen through an overlay:
  the student's kernel reuses what is compiled, and writes only to a layer in its own folder, so
  it cannot plant code for the next student, nor for the grader's own process.

Elsewhere (macOS, Windows, a container without user namespaces) :func:`available` is False and
the grader says in each result that it ran without a sandbox; ``instructor.md`` tells what to use.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_NAMESPACES = ["--user", "--map-root-user", "--net", "--pid", "--fork", "--mount", "--mount-proc", "--kill-child"]

# $1: the working folder; then caches to overlay, "::", folders to cover, "--", the command.
_SCRIPT = r"""
set -e
work=$1; shift
mount -t tmpfs -o size=1m,mode=0755 sandbox /mnt
mkdir /mnt/work
mount --bind "$work" /mnt/work
n=0; caches=""
while [ "$1" != "::" ]; do
    if [ -d "$1" ]; then n=$((n + 1)); mkdir "/mnt/cache$n"; mount --bind "$1" "/mnt/cache$n"; caches="$caches$1
"; fi
    shift
done
shift
while [ "$1" != "--" ]; do
    if [ -d "$1" ]; then mount -t tmpfs -o size=1m,mode=0755 hidden "$1"; fi
    shift
done
shift
mkdir -p "$work"  # in the grader's folder, now an empty one, before everything turns read-only
awk '{print $5}' /proc/self/mountinfo | while read -r point; do
    case "$point" in /mnt|/mnt/*|/proc|/proc/*) ;; *) mount -o remount,bind,ro "$point" 2>/dev/null || true ;; esac
done
if [ -d /dev/shm ]; then mount -t tmpfs -o size=1g,mode=1777 shm /dev/shm; fi
mount --bind /mnt/work "$work"
mkdir -p "$work/.tmp"
k=0
printf '%s' "$caches" | while IFS= read -r cache; do
    k=$((k + 1)); layer="$work/.sandbox/$k"; mkdir -p "$layer/upper" "$layer/scratch"
    mount -t overlay overlay -o "lowerdir=/mnt/cache$k,upperdir=$layer/upper,workdir=$layer/scratch" "$cache" \
        || mount -t tmpfs -o size=2g cache "$cache"
done
umount -l /mnt
cd "$work"
export TMPDIR="$work/.tmp"
# The program is a child of the namespace's init (this shell), so that an interrupt reaches it as it
# would outside. ipykernel would take an init for a parent as a sign that the grader has gone, unless
# told that its parent is 1 (then it watches no parent, and still takes interrupts).
export JPY_PARENT_PID=1
"$@"
"""


def caches() -> list[str]:
    """Return the folders a kernel writes caches to (PyTensor's, IPython's, matplotlib's, numba's), made if missing."""
    home = Path("~").expanduser()
    folders = [pytensor_cache(), *(str(home / sub) for sub in (".ipython", ".cache/matplotlib", ".config/matplotlib"))]
    folders.append(os.environ.get("NUMBA_CACHE_DIR") or str(home / ".cache" / "numba"))
    for folder in folders:  # an overlay needs a folder beneath it; on a fresh machine there may be none yet
        Path(folder).mkdir(parents=True, exist_ok=True)
    return folders


def grading_folder() -> Path:
    """Return the folder of the grader's temporary folders (students' working folders, answers, checks).

    A sandboxed kernel sees it empty but for its own working folder inside it.
    """
    folder = Path(tempfile.gettempdir()) / f"hlmkit-grading-{os.getuid() if hasattr(os, 'getuid') else 0}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def pytensor_cache() -> str:
    """Return PyTensor's compile folder as a kernel would find it (``~/.pytensor`` by default)."""
    flags = dict(
        item.split("=", 1) for item in os.environ.get("PYTENSOR_FLAGS", "").split(",") if "=" in item
    )
    return str(Path(flags.get("base_compiledir", "~/.pytensor")).expanduser())


def prefix(work: str | os.PathLike, hide: list[str]) -> list[str]:
    """Return the command that starts a program (the arguments that follow it) in a sandbox.

    ``work`` is the one folder the program may write to; ``hide`` lists folders to cover with empty
    ones (a ``work`` inside one of them stays visible).
    """
    # setpriv: when the grader's process ends, the kernel's sandbox ends with it (unshare --kill-child).
    grader_bound = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []
    return [*grader_bound, "unshare", *_NAMESPACES, "/bin/sh", "-c", _SCRIPT, "sandbox", str(work), *caches(), "::",
            *hide, "--"]


def available() -> str:
    """Return ``""`` when kernels can be sandboxed here, else why not (for the grading report)."""
    if os.environ.get("HLMKIT_GRADE_SANDBOX") == "0":
        return "no OS sandbox: turned off by HLMKIT_GRADE_SANDBOX=0"
    if not sys.platform.startswith("linux"):
        return f"no OS sandbox on {sys.platform}"
    if shutil.which("unshare") is None:
        return "no OS sandbox: util-linux's `unshare` is not installed"
    return _probe()


@functools.cache
def _probe() -> str:
    work = tempfile.mkdtemp(prefix="hlmkit-sandbox-probe-")
    try:
        probe = subprocess.run(
            [*prefix(work, []), sys.executable, "-c", "open('ok', 'w').write('ok')"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if probe.returncode != 0 or not (Path(work) / "ok").exists():
            reason = (probe.stderr.strip().splitlines() or ["it failed"])[-1]
            return f"no OS sandbox: user namespaces are not available here ({reason[:200]})"
        return ""
    except (OSError, subprocess.SubprocessError) as error:
        return f"no OS sandbox: {type(error).__name__}: {error}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
