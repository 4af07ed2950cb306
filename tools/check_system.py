"""Before `make run` / `make test`: are the system libraries Qt loads present? (Linux only.)

Qt's platform plugins (even the offscreen one) load libEGL, libxkbcommon, libfontconfig, libdbus and
libGL; a fresh Debian/Ubuntu (or a container) lacks some of them, and Qt then dies with a long message
about plugins. This names the one apt-get line instead and exits 1. On Windows and macOS the wheels
bring what they need: nothing to check. Runs with the system Python, before .venv exists.
"""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

# (library name for find_library, Debian/Ubuntu package): the same five .ci/run installs.
LIBRARIES: tuple[tuple[str, str], ...] = (
    ("EGL", "libegl1"),
    ("xkbcommon", "libxkbcommon0"),
    ("fontconfig", "libfontconfig1"),
    ("dbus-1", "libdbus-1-3"),
    ("GL", "libgl1"),
)


def _ldconfig_names() -> str:
    try:
        return subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return ""


def missing(platform: str = sys.platform) -> list[str]:
    """The packages whose library cannot be found (empty off Linux)."""
    if not platform.startswith("linux"):
        return []
    cache = _ldconfig_names()
    return [package for name, package in LIBRARIES
            if ctypes.util.find_library(name) is None and f"lib{name}.so" not in cache]


def advice(packages: list[str]) -> str:
    return ("Qt needs system libraries that are missing; install them with: "
            f"sudo apt-get install {' '.join(packages)}")


def main() -> int:
    packages = missing()
    if packages:
        print(advice(packages), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
