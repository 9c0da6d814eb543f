"""The browser that prints the hand-in PDF: a Chromium-based one already on the computer.

Google Chrome, Microsoft Edge or Chromium (Brave too), at their standard install
paths on Linux, macOS and Windows, then on the PATH; $HANDIN_BROWSER overrides.
When none is found, one line says what to install.  The page is printed by the
browser's own headless mode (--print-to-pdf): no driver, no download.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, Mapping

from dlcourse.handin.errors import HandinError

ENV_BROWSER = "HANDIN_BROWSER"

# Absolute install paths, per platform.system(), most specific first.
LINUX = ("/usr/lib/chromium/chromium",          # Debian: the binary behind the /usr/bin/chromium script
         "/usr/bin/google-chrome-stable", "/usr/bin/google-chrome", "/opt/google/chrome/chrome",
         "/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium",
         "/usr/bin/microsoft-edge-stable", "/usr/bin/microsoft-edge", "/opt/microsoft/msedge/msedge",
         "/usr/bin/brave-browser")
MACOS_APPS = ("Google Chrome.app/Contents/MacOS/Google Chrome", "Chromium.app/Contents/MacOS/Chromium",
              "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
              "Brave Browser.app/Contents/MacOS/Brave Browser")
# Windows: (environment variable of the base folder, path below it)
WINDOWS = (("PROGRAMFILES", r"Google\Chrome\Application\chrome.exe"),
           ("PROGRAMFILES(X86)", r"Google\Chrome\Application\chrome.exe"),
           ("LOCALAPPDATA", r"Google\Chrome\Application\chrome.exe"),
           ("PROGRAMFILES(X86)", r"Microsoft\Edge\Application\msedge.exe"),
           ("PROGRAMFILES", r"Microsoft\Edge\Application\msedge.exe"),
           ("LOCALAPPDATA", r"Chromium\Application\chrome.exe"))
ON_PATH = ("google-chrome-stable", "google-chrome", "chromium", "chromium-browser", "microsoft-edge-stable",
           "microsoft-edge", "msedge", "chrome", "brave-browser")
INSTALL = {
    "Linux": "install Chromium or Google Chrome (e.g. `sudo apt install chromium`, or google.com/chrome)",
    "Darwin": "install Google Chrome (google.com/chrome) or Microsoft Edge into Applications",
    "Windows": "install Google Chrome (google.com/chrome) or Microsoft Edge",
}


class BrowserError(HandinError):
    """No browser for the PDF, or it failed to print: the message says what to do."""


def candidates(system: str, environ: Mapping[str, str], home: Path) -> list[str]:
    """Where to look on `system` (platform.system()), in order."""
    if system == "Darwin":
        return [str(base / app) for base in (Path("/Applications"), home / "Applications") for app in MACOS_APPS]
    if system == "Windows":
        return [str(Path(environ[var]) / rel) for var, rel in WINDOWS if environ.get(var)]
    return list(LINUX)


def find_browser(system: str | None = None, environ: Mapping[str, str] | None = None, home: Path | None = None,
                 is_executable: Callable[[str], bool] | None = None) -> str:
    """The browser's path; BrowserError (one line: what to install) when there is none."""
    system = system or platform.system()
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    is_executable = is_executable or (lambda p: os.path.isfile(p) and os.access(p, os.X_OK))
    if environ.get(ENV_BROWSER):
        if is_executable(environ[ENV_BROWSER]):
            return environ[ENV_BROWSER]
        raise BrowserError(f"${ENV_BROWSER} is set to {environ[ENV_BROWSER]}, which is not a program.")
    for path in candidates(system, environ, home):
        if is_executable(path):
            return path
    for name in ON_PATH:
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return found
    raise BrowserError(f"No Chrome, Edge or Chromium found to print the PDF: {INSTALL.get(system, INSTALL['Linux'])}, "
                       f"or set {ENV_BROWSER} to a Chromium-based browser.")


def print_to_pdf(html_file: Path, pdf: Path, timeout: float = 240) -> None:
    """Print a local HTML page to PDF with the browser's headless mode, after its scripts have run.

    `--virtual-time-budget` makes the browser run the page's timers and promises (MathJax
    typesets in chunks) and load every local file before it prints; remote hosts are made
    unresolvable, so nothing ever waits on a network."""
    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="handin-browser-") as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio",
               "--allow-file-access-from-files", "--host-resolver-rules=MAP * ~NOTFOUND",
               f"--user-data-dir={profile}", "--run-all-compositor-stages-before-draw",
               "--virtual-time-budget=60000", "--no-pdf-header-footer", "--print-to-pdf-no-header",
               f"--print-to-pdf={pdf}", html_file.resolve().as_uri()]
        pdf.unlink(missing_ok=True)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=profile))
        except subprocess.TimeoutExpired:
            raise BrowserError(f"The browser did not finish printing the PDF within {timeout:.0f} s.") from None
    if not pdf.is_file() or pdf.stat().st_size < 1000:
        tail = " ".join((proc.stderr or "").strip().splitlines()[-3:])
        raise BrowserError(f"The browser ({browser}) did not write a PDF (exit code {proc.returncode}). {tail}")
