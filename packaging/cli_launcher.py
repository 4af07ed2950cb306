"""laborbridge-cli: the console twin of the windowed LaborBridge executable.

On Windows the GUI executable has no console, so subcommands and --self-test could print nothing.
This tiny console program starts the GUI executable beside it with the same arguments, hands it its
own console streams, and returns its exit code. Keeping it tiny avoids a second copy of the whole
program archive (each PyInstaller executable carries its own).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(sys.executable).resolve().parent
    target = here / ("LaborBridge.exe" if sys.platform == "win32" else "LaborBridge")
    if not target.is_file():
        print(f"LaborBridge executable not found beside laborbridge-cli: {target}", file=sys.stderr)
        return 2
    args = sys.argv[1:] or ["--help"]
    # Explicit std handles: a windowed (GUI subsystem) child only gets them when they are passed on.
    child = subprocess.Popen([str(target), *args], stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        return 130


if __name__ == "__main__":
    sys.exit(main())
