"""A small client of headless Chromium's DevTools protocol over a pipe (no websocket, no Playwright).

Chromium started with ``--remote-debugging-pipe`` reads protocol commands from file descriptor 3
and writes answers and events to descriptor 4, each message JSON ending with a NUL byte. That is
enough to open a page, run script in it, and take a screenshot::

    with Chromium.start(chromium_path()) as browser:
        page = browser.open(Path("report.html").resolve().as_uri())
        page.evaluate("document.title")
        page.screenshot(Path("shot.png"))

Debian's ``chromium`` package provides the browser (``apt-get install chromium``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_path() -> str | None:
    """The Chromium executable on PATH (``$TESTBOOST_CHROMIUM`` first), or None."""
    configured = os.environ.get("TESTBOOST_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else shutil.which(configured)
    return next((found for name in _CANDIDATES if (found := shutil.which(name))), None)


class ProtocolError(RuntimeError):
    """Chromium answered a command with an error, or went away."""


class Chromium:
    """One headless Chromium process, driven through its DevTools pipe."""

    def __init__(self, process: subprocess.Popen[bytes], commands: int, answers: int) -> None:
        self._process = process
        self._commands = commands
        self._answers = answers
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    @classmethod
    def start(cls, executable: str, *, timeout: float = 30.0) -> Chromium:
        """Start headless Chromium with a throwaway profile."""
        to_browser_read, to_browser_write = os.pipe()
        from_browser_read, from_browser_write = os.pipe()
        profile = tempfile.mkdtemp(prefix="testboost-chromium-")

        def wire_pipes() -> None:  # runs in the child, before exec: the pipes become fds 3 and 4
            os.dup2(to_browser_read, 100)
            os.dup2(from_browser_write, 101)
            os.dup2(100, 3)
            os.dup2(101, 4)

        process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire_pipes,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        browser = cls(process, to_browser_write, from_browser_read)
        browser._profile = profile
        browser._timeout = timeout
        browser.send("Browser.getVersion")
        return browser

    _profile = ""
    _timeout = 30.0

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        """Send one command and wait for its answer's ``result``."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self._timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise ProtocolError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_event(self, method: str, session: str = "", timeout: float | None = None) -> Any:
        """Wait for an event (or take it from those already received)."""
        for index, event in enumerate(self.events):
            if event.get("method") == method and event.get("sessionId", "") == session:
                return self.events.pop(index).get("params", {})
        deadline = time.monotonic() + (timeout or self._timeout)
        while True:
            event = self._read(deadline)
            if event.get("method") == method and event.get("sessionId", "") == session:
                return event.get("params", {})
            self.events.append(event)

    def open(self, url: str, *, width: int = 1280, height: int = 900) -> Page:
        """A new tab showing ``url``, once its load event fired."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        page.send("Page.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        page.navigate(url)
        return page

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise ProtocolError("Chromium did not answer in time")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise ProtocolError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def close(self) -> None:
        """End the browser and remove its profile."""
        with contextlib.suppress(ProtocolError, OSError):
            self.send("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._commands, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Page:
    """One tab of a :class:`Chromium`."""

    def __init__(self, browser: Chromium, session: str) -> None:
        self._browser = browser
        self.session = session

    def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """A command to this tab."""
        return self._browser.send(method, params, self.session)

    def navigate(self, url: str) -> float:
        """Load ``url``; the seconds from the command to the load event."""
        started = time.perf_counter()
        self.send("Page.navigate", {"url": url})
        self._browser.wait_event("Page.loadEventFired", self.session)
        return time.perf_counter() - started

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaiting a promise)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise ProtocolError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        """Save a PNG of the viewport (or of the whole page) to ``path``."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": size["height"],
                "scale": 1,
            }
        data = self.send("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path
