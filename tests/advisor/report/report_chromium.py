"""A tiny DevTools-protocol driver for a real headless Chromium, over --remote-debugging-pipe.

The pipe transport (JSON messages separated by NUL bytes on file descriptors 3 and 4) needs no
websocket library and opens no port. Used by the report tests to load a page, record console
errors, exceptions and network requests, query the DOM and take a screenshot.

    python tests/advisor/report/report_chromium.py report.html shot.png   # a screenshot to look at
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "chromium", "chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """The Chromium binary (env CHROMIUM overrides), or None when there is none."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if shutil.which(explicit) or Path(explicit).exists() else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageLoad:
    """What happened while a page loaded."""

    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


class HeadlessChromium:
    """One browser process with a fresh profile; `with HeadlessChromium() as browser: ...`."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900, timeout_s: float = 30.0) -> None:
        self.binary, self.width, self.height, self.timeout_s = binary, width, height, timeout_s
        self._next_id = 0
        self._events: queue.Queue[dict] = queue.Queue()
        self._replies: dict[int, dict] = {}
        self._cond = threading.Condition()

    def __enter__(self) -> HeadlessChromium:
        self._profile = tempfile.mkdtemp(prefix="advisor-chromium-")
        # fds >= 10 so the dup2 onto 3 and 4 in the child cannot clobber one of our own pipe ends.
        to_child_r, to_child_w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in os.pipe())
        from_child_r, from_child_w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in os.pipe())

        def attach_pipes() -> None:  # runs in the child between fork and exec
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self._proc = subprocess.Popen(
            [
                self.binary,
                *FLAGS,
                f"--user-data-dir={self._profile}",
                f"--window-size={self.width},{self.height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(3, 4),
            preexec_fn=attach_pipes,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._writer = os.fdopen(to_child_w, "wb", buffering=0)
        self._reader = os.fdopen(from_child_r, "rb", buffering=0)
        threading.Thread(target=self._read_loop, daemon=True).start()
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next((t for t in targets if t["type"] == "page"), None)
        target_id = page["targetId"] if page else self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=self.session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.send("Browser.close", timeout_s=5)
        except Exception:  # noqa: BLE001 - closing anyway below
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for stream in (self._writer, self._reader):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def _read_loop(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self._reader.read(65536)
            except (OSError, ValueError):
                chunk = b""
            if not chunk:
                with self._cond:
                    self._replies[-1] = {"error": {"message": "browser closed the pipe"}}
                    self._cond.notify_all()
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self._cond:
                        self._replies[message["id"]] = message
                        self._cond.notify_all()
                else:
                    self._events.put(message)

    def send(
        self, method: str, params: dict | None = None, session: str | None = None, timeout_s: float | None = None
    ) -> dict:
        """Send one command and wait for its reply; raises RuntimeError on a protocol error."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._writer.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        with self._cond:
            while self._next_id not in self._replies and -1 not in self._replies:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no reply to {method} within {timeout_s or self.timeout_s} s")
                self._cond.wait(remaining)
            reply = self._replies.pop(self._next_id, None) or self._replies[-1]
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def load(self, url: str, settle_s: float = 0.5) -> PageLoad:
        """Navigate and wait for the load event, recording errors and every network request."""
        while not self._events.empty():
            self._events.get_nowait()
        record = PageLoad()
        self.send("Page.navigate", {"url": url}, session=self.session)
        deadline, loaded_at = time.monotonic() + self.timeout_s, None
        while True:
            now = time.monotonic()
            if loaded_at is not None and now - loaded_at >= settle_s:
                return record
            if now > deadline:
                raise TimeoutError(f"{url} did not finish loading within {self.timeout_s} s")
            try:
                event = self._events.get(timeout=0.1)
            except queue.Empty:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Page.loadEventFired":
                loaded_at = time.monotonic()
            elif method == "Network.requestWillBeSent":
                record.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                record.console_errors.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in params.get("args", []))
                )
            elif method == "Runtime.exceptionThrown":
                record.exceptions.append(params.get("exceptionDetails", {}).get("text", "exception"))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
                record.console_errors.append(params["entry"].get("text", ""))

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (returned by value)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=self.session)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text"))
        return result["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """A PNG of the page (the whole scroll height when full_page)."""
        import base64

        height = int(self.evaluate("document.documentElement.scrollHeight")) if full_page else self.height
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )
        data = self.send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": full_page}, session=self.session
        )["data"]
        path.write_bytes(base64.b64decode(data))
        return path


if __name__ == "__main__":
    binary = find_chromium()
    if binary is None:
        sys.exit("no chromium found")
    page, shot = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    with HeadlessChromium(binary) as browser:
        outcome = browser.load(page.as_uri())
        browser.screenshot(shot)
    print(json.dumps(outcome.__dict__, indent=2))
