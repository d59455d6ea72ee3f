"""JupyterLab from the project environment in Debian's Chromium, driven by Selenium: the server, the browser, and
the few page scripts tests/test_browser.py needs (JupyterLab's app object is exposed to the page for them)."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "browser"  # screenshots, kept after the run
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"  # apt-get install chromium chromium-driver
START_S, PAGE_S = 120, 60
LOCALE_SETTINGS = "@jupyterlab/translation-extension:plugin"

# Page scripts. Each gets JupyterLab's app as `app` and its open notebook as `panel`; async ones end with `done`.
PRELUDE = "const app = window.jupyterapp; const panel = app && app.shell.currentWidget;"
READY = (
    PRELUDE
    + """
return !!(panel && panel.content && panel.context && panel.context.isReady && panel.sessionContext.session
  && panel.sessionContext.session.kernel && panel.sessionContext.session.kernel.status === 'idle');"""
)
DIRTY = (
    PRELUDE
    + """
const done = arguments[arguments.length - 1];  // after JupyterLab got the kernel's info, which it writes in
panel.sessionContext.session.kernel.info.then(() => setTimeout(() => done(panel.context.model.dirty), 1000));"""
)
CELLS = (
    PRELUDE
    + """
return panel.content.widgets.map((cell, i) => ({
  index: i, type: cell.model.type, tags: cell.model.getMetadata('tags') || [],
  count: cell.model.type === 'code' ? cell.model.executionCount : null,
  errors: cell.model.type === 'code' ? cell.model.outputs.toJSON().filter(o => o.output_type === 'error')
    .map(o => o.ename + ': ' + o.evalue) : [],
  figures: cell.model.type === 'code' ? cell.model.outputs.toJSON().filter(
    o => o.data && (o.data['image/svg+xml'] || o.data['image/png'])).length : 0,
  rendered: cell.node.querySelectorAll('.jp-OutputArea-output .jp-RenderedSVG, .jp-OutputArea-output img').length,
  source: cell.model.sharedModel.getSource(),
  // the outputs' text from the model: JupyterLab leaves cells out of view unrendered
  text: cell.model.type === 'code' ? cell.model.outputs.toJSON()
    .map(o => [].concat(o.text || (o.data || {})['text/plain'] || []).join('')).join('') : '',
}));"""
)
RUN_CELL = (
    PRELUDE
    + """
const done = arguments[arguments.length - 1];
panel.content.activeCellIndex = arguments[0];
app.commands.execute('notebook:run-cell').then(() => done('ok'), e => done('error: ' + e));"""
)
KERNEL_EXECUTE = (
    PRELUDE
    + """
const done = arguments[arguments.length - 1];
panel.sessionContext.session.kernel.requestExecute({code: arguments[0], silent: true}).done
  .then(() => done('ok'), e => done('error: ' + e));"""
)
COMMAND = PRELUDE + "app.commands.execute(arguments[0]); return true;"  # not awaited: it may open a dialog
ACCEPT_DIALOG = "const b = document.querySelector('.jp-Dialog .jp-mod-accept'); return b ? (b.click(), true) : false;"
ALL_RAN = (
    PRELUDE
    + """
const code = panel.content.widgets.filter(cell => cell.model.type === 'code');
return code.every(cell => cell.model.executionCount) && panel.sessionContext.session.kernel.status === 'idle';"""
)
MENU_TEXT = """if (document.getElementById('jupyterlab-splash')) return null;  // still loading
return Array.from(document.querySelectorAll('.lm-MenuBar-itemLabel')).map(e => e.textContent);"""
SHOW_LAST_FIGURE = (
    PRELUDE
    + """
if (!panel || !panel.content || !panel.content.widgets) return;  // no notebook open
const drawn = panel.content.widgets.filter(cell => cell.node.querySelector('.jp-RenderedSVG, .jp-RenderedImage'));
if (drawn.length) drawn[drawn.length - 1].node.scrollIntoView();"""
)
NO_NEWS = ("@jupyterlab/apputils-extension:notification", '{"fetchNews": "false"}')  # no pop-up over the notebook
# The server's kernels run this at start (an IPython startup file): once a cell defines the chapter's `train`, it
# trains on its first call only, so Restart Kernel and Run All runs every cell with one real training.
ONE_TRAINING = """
from IPython import get_ipython


def trains_once(train):
    calls = []

    def train_once(*args, **kwargs):
        calls.append(args)
        return train(*args, **kwargs) if len(calls) == 1 else None

    train_once.trains_once = True
    return train_once


def wrap_train(result):
    names = get_ipython().user_ns
    if callable(names.get("train")) and not getattr(names["train"], "trains_once", False):
        names["train"] = trains_once(names["train"])


get_ipython().events.register("post_run_cell", wrap_train)
"""


def free_port():
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1 with a token, serving a copy of notebooks/ with its own settings folder."""

    def __init__(self, workdir, quick=True):
        self.port, self.token, self.workdir = free_port(), secrets.token_hex(16), Path(workdir)
        shutil.copytree(ROOT / "notebooks", self.workdir / "notebooks")
        startup = self.workdir / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "one_training.py").write_text(ONE_TRAINING)
        env = {
            **os.environ,
            "D2L_EXT_QUICK": "1" if quick else "0",
            "IPYTHONDIR": str(self.workdir / "ipython"),
            "JUPYTERLAB_SETTINGS_DIR": str(self.workdir / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.workdir / "workspaces"),
        }
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}"]
        command += [f"--IdentityProvider.token={self.token}", "--LabApp.expose_app_in_browser=True"]
        command += [f"--ServerApp.root_dir={self.workdir / 'notebooks'}"] + (
            ["--allow-root"] if os.getuid() == 0 else []
        )
        self.log = open(self.workdir / "lab.log", "w")
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.wait_until_up()
        self.set(*NO_NEWS)

    def url(self, path):
        """The address of `path` on this server, with the token."""
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def wait_until_up(self):
        """Poll the server's status API until it answers; fail with its log after START_S."""
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url("api/status"), timeout=5).read()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not start: {(self.workdir / 'lab.log').read_text()[-3000:]}")

    def set(self, plugin, raw):
        """Change a JupyterLab setting as the Settings editor does (raw: the plugin's settings as JSON text)."""
        body = json.dumps({"raw": raw}).encode()
        request = urllib.request.Request(self.url(f"lab/api/settings/{plugin}"), data=body, method="PUT")
        urllib.request.urlopen(request, timeout=30).read()

    def set_locale(self, locale):
        """Choose the UI language as Settings -> Language does."""
        self.set(LOCALE_SETTINGS, json.dumps({"locale": locale}))

    def shutdown_kernels(self):
        """Shut down every running kernel (the REST API: no dialog)."""
        for kernel in json.load(urllib.request.urlopen(self.url("api/kernels"), timeout=30)):
            request = urllib.request.Request(self.url(f"api/kernels/{kernel['id']}"), method="DELETE")
            urllib.request.urlopen(request, timeout=60).read()

    def stop(self):
        """Stop the server and its kernels (killed if they take over 30 s)."""
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.log.close()


def chromium(log_requests=False):
    """Headless Debian Chromium under chromedriver (with `log_requests`, its network events in the performance log);
    a clear error naming the packages when either is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} missing: apt-get install chromium chromium-driver (make test-browser)"
        )
    from selenium import webdriver  # here: the Lab server alone (test_lab.py) needs no Selenium
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--lang=en-US",
    ):
        options.add_argument(flag)
    if log_requests:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(PAGE_S)
    return driver


def wait_for(driver, script, timeout, *args):
    """Run a page script until it returns something truthy; that value, or a TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(f"page script not true after {timeout} s: {script[-120:]!r}")


def screenshot(driver, name):
    """Save the window, scrolled to the notebook's last drawn figure if any, as build/browser/<name>.png."""
    driver.execute_script(SHOW_LAST_FIGURE)
    time.sleep(0.5)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
