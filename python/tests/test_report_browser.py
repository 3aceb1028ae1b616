"""The HTML reports in a real browser: headless Chromium loads each kind (probe with gradients,
watch) and the test fails on any console message (an uncaught exception in the report's
script shows there) or when the script did not run to its end (`data-rendered` on <body>)."""

import os
import shutil
import subprocess
import tempfile

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import nninit.torch as nt

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (Debian: apt-get install chromium)"
)


def load_in_chromium(path, screenshot=None):
    """The DOM after the page's scripts ran, and the console lines Chromium logged."""
    args = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr",
            "--v=0", "--virtual-time-budget=10000"]
    if screenshot:
        args += [f"--screenshot={screenshot}", "--window-size=1200,2600"]
    else:
        args += ["--dump-dom"]
    r = subprocess.run(args + ["file://" + os.path.abspath(path)], capture_output=True, text=True,
                       timeout=180)
    console = [l for l in r.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
    return r.stdout, console


def _probe_report(path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 4))
    x, y = torch.randn(64, 16), torch.randint(0, 4, (64,))
    rep = nt.probe(model, x, inits=["as-is", "xavier_uniform", "normal:1.0", "zeros"],
                   loss_fn=lambda o: F.cross_entropy(o, y))
    rep.html(path)


def _watch_report(path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(64, 16), torch.randint(0, 4, (64,))
    with nt.watch(model, optimizer=opt, every=2) as w:
        for _ in range(9):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            w.loss(loss)
            opt.step()
            opt.zero_grad()
    w.html(path)


@pytest.mark.parametrize("make", [_probe_report, _watch_report], ids=["probe", "watch"])
def test_report_renders_without_console_errors(make):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "r.html")
        make(path)
        dom, console = load_in_chromium(path)
        assert console == [], "console messages:\n" + "\n".join(console)
        assert 'data-rendered="1"' in dom, "the report's script did not run to its end"
        assert dom.count("<svg") >= 3
        if os.environ.get("NNINIT_SCREENSHOT_DIR"):  # for looking at the pages by hand
            shot = os.path.join(os.environ["NNINIT_SCREENSHOT_DIR"], make.__name__.strip("_") + ".png")
            load_in_chromium(path, screenshot=shot)
