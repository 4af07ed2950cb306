"""Packaging, kept fast: the files a build needs, --self-test and --startup-probe from the source tree.

The BUILT bundle is checked by `make bundle-check` (packaging/check_bundle.py): it needs a PyInstaller
build of several CPU-minutes, which the test suite does not run.
"""

from __future__ import annotations

import ast
import json
import re
import struct
from pathlib import Path

import pytest

from ui.about_dialog import VERSION

REPO = Path(__file__).resolve().parent.parent
PACKAGING = REPO / "packaging"


def test_spec_is_python_and_names_every_input() -> None:
    text = (PACKAGING / "laborbridge.spec").read_text(encoding="utf-8")
    ast.parse(text)
    for needed in ('"main.py"', '"resources"', '"db" / "migrations"', "laborbridge.ico", "cli_launcher.py",
                   "version_info.txt", "console=False", "COLLECT(", "PySide6.QtWebEngineCore", "PySide6.QtQml"):
        assert needed in text, needed
    assert "onefile" not in text.lower().replace("one-file", "")  # one folder: a one-file exe starts slowly
    for path in ("main.py", "packaging/cli_launcher.py", "resources/icons/laborbridge.ico",
                 "packaging/version_info.txt", "db/migrations/env.py", "resources/fonts/wqy-microhei.ttc",
                 "resources/fonts/LICENSE-wqy-microhei.txt"):
        assert (REPO / path).is_file(), path


def test_migrations_are_found_where_the_bundle_puts_them() -> None:
    """The spec copies db/migrations to db/migrations inside the bundle: beside db/engine.py, as in the tree."""
    from db import engine

    assert engine.MIGRATIONS_DIR == Path(engine.__file__).resolve().parent / "migrations"
    assert '(str(ROOT / "db" / "migrations"), "db/migrations")' in (PACKAGING / "laborbridge.spec").read_text()
    assert engine.head_revision()


def test_windows_version_resource_renders_with_the_version() -> None:
    template = (PACKAGING / "version_info.txt").read_text(encoding="utf-8")
    numbers = tuple(int(x) for x in VERSION.split(".")) + (0,) * (4 - len(VERSION.split(".")))
    text = template.replace("{version_tuple}", repr(numbers)).replace("{version}", VERSION)

    def record(kind: str):  # type: ignore[no-untyped-def]
        return lambda *args, **kwargs: {"kind": kind, "args": args, **kwargs}

    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct", "VarFileInfo",
             "VarStruct")
    info = eval(text, {n: record(n) for n in names})  # noqa: S307 - PyInstaller reads it the same way
    assert info["ffi"]["filevers"] == numbers and info["ffi"]["prodvers"] == numbers
    strings = {s["args"][0]: s["args"][1] for s in info["kids"][0]["args"][0][0]["args"][1]}
    assert strings["ProductVersion"] == VERSION and strings["OriginalFilename"] == "LaborBridge.exe"
    assert "劳务协作桥" in strings["ProductName"]


def test_icon_files_are_a_png_and_a_multi_size_ico() -> None:
    png = (REPO / "resources/icons/laborbridge.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (256, 256)
    ico = (REPO / "resources/icons/laborbridge.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 5
    sizes = set()
    for i in range(count):
        w, _h, _c, _r, _planes, _bpp, length, offset = struct.unpack("<BBBBHHII", ico[6 + 16 * i: 22 + 16 * i])
        sizes.add(w or 256)
        assert ico[offset:offset + 8] == b"\x89PNG\r\n\x1a\n" and offset + length <= len(ico)
    assert {16, 32, 48, 256} <= sizes


def test_icon_drawing_is_opaque_in_the_middle_and_clear_in_the_corner(qapp) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_icon", PACKAGING / "make_icon.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    image = module.draw(64)
    assert image.pixelColor(32, 32).alpha() == 255
    assert image.pixelColor(0, 0).alpha() == 0


def test_installer_script_installs_the_bundle_per_user() -> None:
    raw = (PACKAGING / "laborbridge.iss").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Inno Setup reads the Chinese names as UTF-8 only with a BOM
    text = raw.decode("utf-8-sig")
    assert '"..\\dist\\LaborBridge"' in text and 'Source: "{#BundleDir}\\*"' in text
    assert "PrivilegesRequired=lowest" in text and "SetupIconFile=..\\resources\\icons\\laborbridge.ico" in text
    assert "GetVersionNumbersString" in text and "LaborBridge.exe" in text
    assert re.search(r"AppId=\{\{[0-9A-F-]{36}\}", text)


def test_make_targets_and_pinned_build_requirements() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^bundle:", makefile, re.M) and re.search(r"^bundle-check:", makefile, re.M)
    assert "packaging/check_bundle.py" in makefile
    build = (REPO / "requirements-build.txt").read_text(encoding="utf-8")
    assert re.search(r"^pyinstaller==\d+\.\d+", build, re.M)
    runtime = re.findall(r"^([a-z0-9_.-]+==\S+)", (REPO / "requirements.txt").read_text(encoding="utf-8"), re.M)
    assert runtime and all(pin in build for pin in runtime)  # the whole runtime, at the same versions
    assert "nice -n" in (PACKAGING / "build.sh").read_text(encoding="utf-8")


def _run_main(*args: str) -> dict:  # type: ignore[type-arg]
    """Run main.py in its own process, as a user starts it (a GUI start-up cannot be undone in-process)."""
    import os
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True,
                            cwd=REPO, timeout=600, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_self_test_from_the_source_tree() -> None:
    summary = _run_main("--self-test")
    assert summary["ok"] is True and summary["frozen"] is False and summary["version"] == VERSION
    assert summary["qt"]["font"] == "WenQuanYi Micro Hei" and summary["qt"]["qt_cancel_zh"] == "取消"
    assert summary["database"]["schema_revision"]
    assert summary["demo"]["counts"]["trainees"] > 0
    assert summary["ranking"]["ranked"] > 0 and 0 <= summary["ranking"]["top"]["score"] <= 1
    assert "*" in summary["ranking"]["top"]["id_number"]  # masked
    assert summary["train"]["learned_auc"] is not None
    assert summary["pdf"]["pages"] >= 1 and summary["pdf"]["font_embedded"] is True
    assert summary["pdf"]["has_title_text"] is True
    assert summary["batch"]["confirmed"] == 3 and summary["batch"]["plan"]["pairs"] >= 0
    assert "workdir" not in summary  # cleaned up after a success


def test_startup_probe_shows_the_window() -> None:
    probe = _run_main("--startup-probe")
    assert probe["window_shown"] is True and probe["platform"] == "offscreen"
    assert probe["since_process_start_s"] > 0


def test_check_bundle_refuses_a_missing_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("check_bundle", PACKAGING / "check_bundle.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    argv = sys.argv
    sys.argv = ["check_bundle.py", str(tmp_path / "nothing")]
    try:
        assert module.main() == 1
    finally:
        sys.argv = argv
    assert "make bundle" in capsys.readouterr().err
