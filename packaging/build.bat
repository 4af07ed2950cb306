@echo off
rem Build the one-folder bundle dist\LaborBridge\ and the installer on Windows.
rem Needs Python 3.11+ (64-bit) and, for the installer, Inno Setup 6 (iscc on PATH).
setlocal
cd /d "%~dp0\.."
if not exist .venv\Scripts\python.exe py -3 -m venv .venv || goto :error
.venv\Scripts\python -m pip install --quiet --require-hashes -r requirements-build.txt || goto :error
.venv\Scripts\python -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build\pyinstaller packaging\laborbridge.spec || goto :error
dist\LaborBridge\laborbridge-cli.exe --self-test || goto :error
where iscc >nul 2>nul && iscc packaging\laborbridge.iss || echo Inno Setup (iscc) not found: the bundle is in dist\LaborBridge, no installer was made.
exit /b 0
:error
echo Build failed.
exit /b 1
