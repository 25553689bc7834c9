"""The HTML view in a real browser: headless Chromium, driven over the DevTools protocol.

Chromium talks CDP over a pipe (``--remote-debugging-pipe``: it reads commands from fd 3 and
writes replies to fd 4, each JSON message ending in NUL), so no websocket client and no new
dependency is needed. Every wait has a deadline and the browser's process group is killed at the
end. Skipped only where no Chromium binary exists (Debian: ``apt-get install chromium``; another
binary can be named with ``MEDNER_CHROMIUM``). Runs as root (``--no-sandbox``) with no stdin.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medner_cli.doc import Doc
from medner_cli.html import render_page

TIMEOUT = 60.0  # seconds for any one browser step (start-up on a busy 2-core machine included)


def chromium_binary() -> str | None:
    named = os.environ.get("MEDNER_CHROMIUM")
    if named:
        return named
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = chromium_binary()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary (apt-get install chromium, or set MEDNER_CHROMIUM)")


_TRAMPOLINE = """import os, sys
r, w = os.dup(int(sys.argv[1])), os.dup(int(sys.argv[2]))
os.dup2(r, 3)
os.dup2(w, 4)
os.set_inheritable(3, True)  # dup2 onto itself keeps the close-on-exec flag of os.dup
os.set_inheritable(4, True)
os.execv(sys.argv[3], sys.argv[3:])
"""


class Browser:
    """Headless Chromium with one page, spoken to over the CDP pipe."""

    def __init__(self, workdir: Path, width: int = 1200, height: int = 900) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        home = workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_CACHE_HOME=str(home / ".cache"))
        self.log = workdir / "chromium.log"
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--mute-audio",
                "--hide-scrollbars", f"--window-size={width},{height}",
                f"--user-data-dir={workdir / 'profile'}", "--remote-debugging-pipe",
                "about:blank"]
        # a tiny trampoline puts the pipe ends on fds 3 and 4, where Chromium expects them
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-c", _TRAMPOLINE, str(to_browser_r),
                                          str(from_browser_w), *args],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         pass_fds=(to_browser_r, from_browser_w),
                                         start_new_session=True, env=env)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.session: str | None = None
        self.width, self.height = width, height

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close", session=False, timeout=10)
                except Exception:
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
            os.close(self._to_browser)
            os.close(self._from_browser)

    def _fail(self, what: str) -> None:
        tail = self.log.read_bytes()[-2000:].decode("utf-8", "replace") if self.log.exists() else ""
        raise AssertionError(f"chromium: {what}\n--- chromium log (tail) ---\n{tail}")

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail("no reply before the deadline")
            ready, _, _ = select.select([self._from_browser], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    self._fail(f"closed the pipe (exit status {self.proc.poll()})")
                self._buffer += chunk
            elif self.proc.poll() is not None:
                self._fail(f"exited with status {self.proc.returncode}")
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: bool = True,
             timeout: float = TIMEOUT) -> dict:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        deadline = time.monotonic() + timeout
        while data:
            left = max(0.0, deadline - time.monotonic())
            _, ready, _ = select.select([], [self._to_browser], [], left)
            if not ready:
                self._fail(f"{method}: could not send before the deadline")
            data = data[os.write(self._to_browser, data):]
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for n, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(n)
            self.events.append(self._message(deadline))

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Network.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": False})
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "chromium")
    try:
        yield b
    finally:
        b.close()


def span(doc: Doc, needle: str, label: str, nth: int = 0, **kw):
    start = -1
    for _ in range(nth + 1):
        start = doc.text.index(needle, start + 1)
    doc.entities.append(doc.span(start, start + len(needle), label, **kw))


def sample_docs() -> list[Doc]:
    a = Doc("letter_crlf", "Dear Dr Müller,\r\nHe takes warfarin 2 mg\r\ndaily for atrial "
                           "fibrillation.\r\nNo chest pain. 😀 café → ok\r\n\tTabbed line.\r\n")
    span(a, "warfarin", "Chemical", ids=["MESH:D014859"], name="Warfarin")
    span(a, "2 mg\r\ndaily", "Dosage", source="rule", attrs={"amount": 2.0, "unit": "mg",
                                                               "drug": "warfarin"})
    span(a, "atrial fibrillation", "Disease", score=0.91)
    span(a, "fibrillation", "Symptom")  # nested inside the Disease
    span(a, "chest pain", "Disease", assertion={"negated": True, "cues": [
        {"start": a.text.index("No chest"), "end": a.text.index("No chest") + 2, "text": "No",
         "category": "negation"}]})
    span(a, "😀", "Emoji")
    b = Doc("hostile", "<script>document.title='pwned'</script> <img src=x "
                       "onerror=\"document.title='pwned'\"> history of sepsis & aspirin")
    span(b, "<script>document.title='pwned'</script>", "<b>Chemical</b>")
    span(b, "sepsis", "Disease", assertion={"historical": True, "family": True})
    span(b, "aspirin", "Chemical", attrs={"drug": "<img src=x onerror=alert(1)>"})
    c = Doc("overlap", "metformin hydrochloride extended release 500 mg tablets\nend")
    c.entities = [c.span(0, 23, "Chemical"), c.span(10, 40, "Form"), c.span(24, 47, "Dosage")]
    d = Doc("empty", "Nothing to see here.\n")
    return [a, b, c, d]


# Documents use content-visibility:auto, so one far off screen is not laid out (its innerText
# is empty) until it comes near the viewport: each is opened and scrolled to, as a reader would.
SHOW = """const frame = () => new Promise(r =>
  requestAnimationFrame(() => requestAnimationFrame(r)));
const show = async d => { d.open = true; d.scrollIntoView(); await frame(); return d; };"""

def page_script(body: str) -> str:
    """An async page function with ``frame`` and ``show`` defined (returns a promise)."""
    return "(async () => {" + SHOW + body + "})()"


COLLECT = page_script("""
  const out = [];
  for (const d of document.querySelectorAll('details.doc')) {
    await show(d);
    const t = d.querySelector('.text');
    const marks = {};
    for (const m of t.querySelectorAll('mark.ent')) {
      (marks[m.dataset.entity] ||= []).push([m.dataset.label, m.textContent]);
    }
    out.push({id: d.querySelector('summary .id').textContent, text: t.innerText, marks,
              visible: t.getBoundingClientRect().height > 0});
  }
  window.scrollTo(0, 0);
  await frame();
  return {docs: out, title: document.title,
          scripts: document.scripts.length, images: document.images.length};
""")


def test_page_in_chromium(browser, tmp_path):
    docs = sample_docs()
    page = tmp_path / "view.html"
    page.write_bytes(render_page(docs, title="browser test").encode("utf-8"))
    browser.open(page.as_uri())
    seen = browser.evaluate(COLLECT)
    assert seen["title"] == "browser test"  # nothing in the notes ran
    assert seen["scripts"] == 1 and seen["images"] == 0
    assert [d["id"] for d in seen["docs"]] == [d.id for d in docs]
    for doc, got in zip(docs, seen["docs"]):
        # the parser turns CRLF (and a lone CR) into one line break; nothing else changes
        assert got["text"] == doc.text.replace("\r\n", "\n").replace("\r", "\n"), doc.id
        assert got["visible"]
        assert sorted(got["marks"], key=int) == [str(i) for i in range(len(doc.entities))]
        for i, ent in enumerate(doc.entities):
            segments = got["marks"][str(i)]
            assert {label for label, _ in segments} == {ent.label}
            text = "".join(t for _, t in segments)
            assert text == ent.text.replace("\r\n", "\n"), (doc.id, i)
            if doc.id != "overlap":
                assert len(segments) == 1, (doc.id, i)  # nested, not split
    assert len(seen["docs"][2]["marks"]["1"]) > 1  # the partial overlap is split in segments

    # labels and badges are generated content: shown, but not part of the text
    badge = browser.evaluate("getComputedStyle(document.querySelector("
                             "'mark.end[data-badge=\"hist fam\"]'), '::after').content")
    assert "hist fam" in badge
    # keyboard focus shows the tooltip
    tip = browser.evaluate("(() => { const m = document.querySelector('mark.ent[tabindex]');"
                           " m.focus(); return getComputedStyle(m, '::before').content; })()")
    assert "Chemical" in tip and "MESH:D014859 (Warfarin)" in tip
    # the inline script is allowed by the page's CSP hash and works
    assert browser.evaluate("(() => { document.querySelector('[data-act=close]').click();"
                            " return [...document.querySelectorAll('details.doc')]"
                            ".filter(d => d.open).length; })()") == 0
    browser.evaluate("document.querySelector('[data-act=open]').click()")
    # no request left the file
    urls = [e["params"]["request"]["url"] for e in browser.events
            if e.get("method") == "Network.requestWillBeSent"]
    assert all(u.startswith(("file:", "data:", "about:")) for u in urls), urls
    shot = browser.screenshot(tmp_path / "view.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
    print(f"screenshot: {shot}")


def test_large_page_loads(browser, tmp_path):
    text = "Aspirin 81 mg daily for angina.\nNo sepsis.\n" * 3
    docs = []
    for i in range(2000):
        doc = Doc(f"note-{i}", text)
        span(doc, "Aspirin", "Chemical")
        span(doc, "81 mg daily", "Dosage")
        span(doc, "angina", "Disease")
        docs.append(doc)
    page = tmp_path / "large.html"
    page.write_bytes(render_page(docs).encode("utf-8"))
    t0 = time.monotonic()
    browser.open(page.as_uri())
    loaded = time.monotonic() - t0
    counts = browser.evaluate("[document.querySelectorAll('details.doc').length,"
                              " document.querySelectorAll('details.doc[open]').length,"
                              " document.querySelectorAll('mark.ent').length]")
    assert counts == [2000, 0, 6000]
    assert loaded < 30
    last = page_script("return (await show(document.querySelectorAll('details.doc')[1999]))"
                       ".querySelector('.text').innerText;")
    assert browser.evaluate(last) == text
    t0 = time.monotonic()
    assert browser.evaluate(page_script("document.querySelector('[data-act=open]').click();"
                                        " await frame(); return document.querySelectorAll("
                                        "'details.doc[open]').length;")) == 2000
    assert time.monotonic() - t0 < 30  # expanding all 2,000 stays usable
