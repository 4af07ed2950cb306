#!/usr/bin/env bash
# Build the one-folder bundle dist/LaborBridge/ with PyInstaller (Linux here; on Windows use build.bat).
# The build is niced: it takes a few CPU-minutes and the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
  "$PY" -m pip install --quiet --require-hashes -r requirements-build.txt
fi
# The icon files are committed; regenerate them only when they are missing.
if [ ! -f resources/icons/laborbridge.ico ]; then
  QT_QPA_PLATFORM=offscreen "$PY" packaging/make_icon.py
fi

start=$(date +%s)
nice -n "${NICE:-10}" "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/laborbridge.spec
# Python built from source carries debug symbols (25 MB here); the wheels' libraries are already stripped.
# Only libpython and its extension modules are stripped: never the executables, whose archive is appended.
if command -v strip >/dev/null && [ "$(uname)" = Linux ]; then
  strip --strip-unneeded dist/LaborBridge/_internal/libpython3*.so* dist/LaborBridge/_internal/python3*/lib-dynload/*.so \
    2>/dev/null || true
fi
echo "built dist/LaborBridge in $(( $(date +%s) - start )) s; size $(du -sh dist/LaborBridge | cut -f1)"
