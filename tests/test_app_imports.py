"""The app's own process stays light: no TensorFlow (3.5 s, 0.6 GB) and no torch. Every
page is run once in a fresh interpreter; user code and frameworks live in the workers."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

PROBE = f"""
import json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({str(ROOT / "explorer" / "app.py")!r}, default_timeout=240).run()
for page in ("gradients.py", "training.py", "about.py"):
    at.switch_page({str(ROOT / "pages")!r} + "/" + page).run()
print(json.dumps({{"exceptions": [str(e.value) for e in at.exception],
                   "tensorflow": "tensorflow" in sys.modules, "torch": "torch" in sys.modules}}))
"""


def test_pages_run_without_importing_tensorflow_or_torch():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         timeout=600, cwd=ROOT)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"exceptions": [], "tensorflow": False, "torch": False}, out.stderr[-2000:]
