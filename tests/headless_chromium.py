"""Open a page in real headless Chromium and report what a person would see go wrong.

Chromium is started with a fresh profile and the flags this machine's closed network needs, then
driven over the DevTools protocol (a websocket): the page is loaded, every console error, warning,
uncaught exception and failed resource load is collected, a script counts the plotly figures and
how many of them rendered (drew their SVG), and a full-page screenshot is taken.
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", "--window-size=1280,900", "--hide-scrollbars",
         "--enable-unsafe-swiftshader"]  # software WebGL, for 3-D plotly figures

COUNT_FIGURES = """JSON.stringify({
  figures: document.querySelectorAll('.plotly-graph-div').length,
  rendered: Array.from(document.querySelectorAll('.plotly-graph-div'))
      .filter(d => d.querySelector('.main-svg') && d._fullLayout).length,
  svgs: document.querySelectorAll('svg').length,
  title: document.title,
})"""


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    """What happened when a page was opened: ``problems``, ``figures``, ``rendered``."""

    def __init__(self, problems, counts, screenshot):
        self.problems = problems
        self.figures = counts["figures"]
        self.rendered = counts["rendered"]
        self.svgs = counts["svgs"]
        self.title = counts["title"]
        self.screenshot = screenshot


def open_page(path, screenshot=None, settle=2.0, timeout=60):
    """Load the HTML file ``path`` and return a Page; save a PNG to ``screenshot`` if given."""
    import websocket

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    process = subprocess.Popen([chromium_path(), *FLAGS, f"--user-data-dir={profile}",
                                "about:blank"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        socket = websocket.create_connection(_page_socket(profile, timeout), timeout=timeout,
                                             suppress_origin=True)
        session = _Session(socket)
        for domain in ("Runtime", "Log", "Page"):
            session.call(f"{domain}.enable")
        session.call("Page.navigate", url=f"file://{os.path.abspath(path)}")
        session.wait_for("Page.loadEventFired", timeout)
        session.drain(settle)
        counts = json.loads(session.call("Runtime.evaluate", expression=COUNT_FIGURES)
                            ["result"]["value"])
        if screenshot:
            metrics = session.call("Page.getLayoutMetrics")["cssContentSize"]
            shot = session.call("Page.captureScreenshot", format="png",
                                captureBeyondViewport=True,
                                clip={"x": 0, "y": 0, "width": metrics["width"],
                                      "height": min(metrics["height"], 16000), "scale": 1})
            os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
            with open(screenshot, "wb") as handle:
                handle.write(base64.b64decode(shot["data"]))
        socket.close()
        return Page(session.problems, counts, screenshot)
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _page_socket(profile, timeout):
    """The websocket URL of the first page target, once Chromium has written its port."""
    import urllib.request

    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + timeout
    while not os.path.exists(port_file) or not open(port_file).read().strip():
        if time.time() > deadline:
            raise TimeoutError("Chromium did not start its DevTools server")
        time.sleep(0.05)
    port = open(port_file).read().split()[0]
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as response:
            targets = [t for t in json.load(response) if t["type"] == "page"]
        if targets:
            return targets[0]["webSocketDebuggerUrl"]
        if time.time() > deadline:
            raise TimeoutError("Chromium opened no page")
        time.sleep(0.05)


class _Session:
    """A minimal DevTools protocol client: calls with ids, events collected as problems."""

    def __init__(self, socket):
        self.socket = socket
        self.next_id = 0
        self.problems = []
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def wait_for(self, event, timeout):
        deadline = time.time() + timeout
        while not any(e == event for e in self.events):
            if time.time() > deadline:
                raise TimeoutError(f"no {event} within {timeout} s")
            self._event(json.loads(self.socket.recv()))

    def drain(self, seconds):
        """Collect events for ``seconds`` (scripts that render after load)."""
        previous = self.socket.gettimeout()
        self.socket.settimeout(0.2)
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                self._event(json.loads(self.socket.recv()))
            except Exception:  # websocket timeout: nothing arrived in 0.2 s
                continue
        self.socket.settimeout(previous)

    def _event(self, message):
        method = message.get("method")
        if method is None:
            return
        self.events.append(method)
        params = message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "warning",
                                                                        "assert"):
            text = " ".join(str(arg.get("value", arg.get("description", "")))
                            for arg in params["args"])
            self.problems.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description", details.get("text"))
            self.problems.append(f"uncaught exception: {text}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            entry = params["entry"]
            self.problems.append(f"{entry['source']} {entry['level']}: {entry['text']} "
                                 f"{entry.get('url', '')}".strip())
