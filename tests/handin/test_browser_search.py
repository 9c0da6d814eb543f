"""Which browser prints the PDF (dlcourse/handin/browser.py), on each platform's search paths.

The file system is simulated (a set of paths that "exist"), so Linux, macOS and
Windows are all checked here; the real browser is used by the PDF tests.
"""
from __future__ import annotations

from pathlib import Path, PureWindowsPath

import pytest

from dlcourse.handin import browser
from dlcourse.handin.errors import HandinError

HOME = Path("/home/ana")
WIN = {"PROGRAMFILES": r"C:\Program Files", "PROGRAMFILES(X86)": r"C:\Program Files (x86)",
       "LOCALAPPDATA": r"C:\Users\ana\AppData\Local", "PATH": ""}


def find(system, present, environ=None):
    env = {"PATH": ""} if environ is None else environ
    return browser.find_browser(system=system, environ=env, home=HOME, is_executable=lambda p: p in present)


@pytest.mark.parametrize("system, path", [
    ("Linux", "/usr/bin/google-chrome"),
    ("Linux", "/usr/bin/chromium"),
    ("Linux", "/snap/bin/chromium"),
    ("Linux", "/opt/microsoft/msedge/msedge"),
    ("Darwin", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
    ("Darwin", "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"),
    ("Darwin", str(HOME / "Applications/Chromium.app/Contents/MacOS/Chromium")),
])
def test_finds_each_browser_at_its_standard_path(system, path):
    assert find(system, {path}) == path


@pytest.mark.parametrize("rel", [r"Google\Chrome\Application\chrome.exe", r"Microsoft\Edge\Application\msedge.exe"])
@pytest.mark.parametrize("base", ["PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA"])
def test_finds_chrome_and_edge_on_windows(base, rel):
    expected = str(Path(WIN[base]) / rel)
    candidates = browser.candidates("Windows", WIN, HOME)
    if expected not in candidates:    # Edge installs per machine, never per user
        assert base == "LOCALAPPDATA" and "Edge" in rel
        return
    assert find("Windows", {expected}, WIN) == expected
    assert PureWindowsPath(expected).name in ("chrome.exe", "msedge.exe")


def test_prefers_the_real_binary_and_chrome_and_the_override():
    # Debian's /usr/bin/chromium is a wrapper script around /usr/lib/chromium/chromium
    assert find("Linux", {"/usr/lib/chromium/chromium", "/usr/bin/chromium"}) == "/usr/lib/chromium/chromium"
    both = {"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
            "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"}
    assert find("Darwin", both).endswith("Google Chrome")
    env = {"PATH": "", "HANDIN_BROWSER": "/opt/my/chrome"}
    assert find("Linux", {"/opt/my/chrome", "/usr/bin/chromium"}, env) == "/opt/my/chrome"
    with pytest.raises(HandinError, match="HANDIN_BROWSER is set to /nope"):
        find("Linux", {"/usr/bin/chromium"}, {"PATH": "", "HANDIN_BROWSER": "/nope"})


def test_falls_back_to_the_path(tmp_path):
    exe = tmp_path / "chromium-browser"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    assert find("Linux", set(), {"PATH": str(tmp_path)}) == str(exe)


@pytest.mark.parametrize("system, advice", [("Linux", "apt install chromium"), ("Darwin", "Google Chrome"),
                                            ("Windows", "Microsoft Edge")])
def test_no_browser_says_in_one_line_what_to_install(system, advice):
    with pytest.raises(HandinError) as e:
        find(system, set(), dict(WIN) if system == "Windows" else None)
    message = str(e.value)
    assert "\n" not in message and advice in message and "HANDIN_BROWSER" in message
