"""A minimal Chrome DevTools Protocol client: headless Chromium driven from Python.

Uses only ``websocket-client`` (already in the environment: jupyter_server depends on it), so the
browser test needs no new Python package and no browser download: it drives Debian's
``chromium`` (``.ci/install_browser.sh``).

>>> with Browser() as browser:                     # doctest: +SKIP
...     page = browser.new_page()
...     page.navigate("http://127.0.0.1:8000/index.html")
...     page.evaluate("document.title")
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

# Debian's chromium, or the browser named by the environment variable CHROMIUM (non-empty).
CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"

# The flags the environment notes ask for, plus: no external host resolves (every request that
# leaves the machine fails at once instead of hanging), a fixed window, no /dev/shm limit.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--remote-allow-origins=*",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


class CDPError(RuntimeError):
    pass


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file()


class Browser:
    """A headless Chromium process with a fresh profile, and a DevTools connection to it."""

    def __init__(self, width: int = 1280, height: int = 1000, timeout: float = 30.0):
        self.width, self.height, self.timeout = width, height, timeout
        self.profile = tempfile.mkdtemp(prefix="gdlinear-chromium-")
        self.log = open(Path(self.profile) / "chromium.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "--remote-debugging-port=0", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        self.port = self._wait_port()

    def _wait_port(self) -> int:
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CDPError(f"chromium exited with code {self.proc.returncode}: "
                               f"{(Path(self.profile) / 'chromium.log').read_text()[-2000:]}")
            if marker.exists():
                lines = marker.read_text().splitlines()
                if lines and lines[0].strip().isdigit():
                    return int(lines[0])
            time.sleep(0.05)
        raise CDPError(f"chromium did not open its DevTools port within {self.timeout} s")

    def new_page(self) -> Page:
        url = f"http://127.0.0.1:{self.port}/json/new?about:blank"
        request = urllib.request.Request(url, method="PUT")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            target = json.load(response)
        return Page(target["webSocketDebuggerUrl"], self)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    """One tab: commands are synchronous; events are buffered in ``self.events``."""

    def __init__(self, ws_url: str, browser: Browser):
        self.browser = browser
        self.ws = websocket.create_connection(ws_url, timeout=browser.timeout,
                                              suppress_origin=True)
        self._next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=browser.width,
                  height=browser.height, deviceScaleFactor=1, mobile=False)

    def send(self, method: str, timeout: float | None = None, **params) -> dict:
        self._next_id += 1
        msg_id = self._next_id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + (timeout or self.browser.timeout)
        while True:
            msg = self._recv(deadline, method)
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise CDPError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def _recv(self, deadline: float, what: str) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CDPError(f"timed out waiting for {what}")
        self.ws.settimeout(remaining)
        try:
            msg = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException as exc:
            raise CDPError(f"timed out waiting for {what}") from exc
        if "method" in msg:
            self.events.append(msg)
        return msg

    def wait_event(self, method: str, timeout: float | None = None, since: int = 0) -> dict:
        for event in self.events[since:]:
            if event["method"] == method:
                return event
        deadline = time.monotonic() + (timeout or self.browser.timeout)
        while True:
            msg = self._recv(deadline, method)
            if msg.get("method") == method:
                return msg

    def navigate(self, url: str, timeout: float | None = None) -> None:
        self.events.clear()
        result = self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise CDPError(f"navigation to {url} failed: {result['errorText']}")
        self.wait_event("Page.loadEventFired", timeout=timeout)

    def evaluate(self, expression: str, timeout: float | None = None):
        """Evaluate a JavaScript expression (awaiting a promise) and return its JSON value."""
        result = self.send("Runtime.evaluate", timeout=timeout, expression=expression,
                           awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"evaluate failed: {text}")
        return result["result"].get("value")

    def drain(self, seconds: float) -> None:
        """Collect the events that arrive within ``seconds``."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._recv(deadline, "events")
        except CDPError:
            pass

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def set_offline(self, offline: bool = True) -> None:
        self.send("Network.emulateNetworkConditions", offline=offline, latency=0,
                  downloadThroughput=-1, uploadThroughput=-1)

    def close(self) -> None:
        self.ws.close()
