"""The sandbox on a host that refuses new namespaces, the way managed container platforms do
(Docker's default seccomp profile, Cloud Run, Community Cloud, Kubernetes by default), in strict
mode, as root and as an unprivileged uid.

A server's whole process tree (``tests/hosting_corpus.py``: a scheduler, its warm template,
spares and workers) is started under ``scripts/without_namespaces.py``'s filter, which refuses
``unshare``/``setns`` and ``clone`` with CLONE_NEW* (EPERM) and ``clone3`` (ENOSYS). It runs the
hostile corpus of tests/test_sandbox_hostile.py, the same-uid attacks of the corpus module
(reading, signalling, tracing the server and other workers through /proc, kill, ptrace; the
server's files; filling the temp space) and every lesson through the explore job. Each hostile
case must end with the status the user is told, nothing escaping (no file outside the run's
folder, no secret, no connection, no signal to the server, the project tree untouched); each
lesson must draw the graph that torch, run here, draws.

The unprivileged server runs on Debian's /usr/bin/python3.11 (which any uid can run: the
development venv's interpreter may sit under a private home) in a venv made without pip whose
``.pth`` points at this interpreter's site-packages, so nothing is installed twice."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from explorer import execution, lessons

REPO = Path(__file__).resolve().parent.parent


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hosting_corpus = _module("hosting_corpus", REPO / "tests" / "hosting_corpus.py")
HOSTILE = hosting_corpus.hostile_module()
DEBIAN_PYTHON = Path("/usr/bin/python3.11")
NOBODY = (65534, 65534)
LESSONS = [lesson for lesson in lessons.all_lessons()]
NAMES = [*HOSTILE.CASES, *hosting_corpus.SAME_UID, *HOSTILE.FAULTS, hosting_corpus.COMPILER_CASE]



def debian_venv() -> Path:
    """A venv of Debian's python3.11 that sees this interpreter's packages (cached in /tmp)."""
    packages = site.getsitepackages()[0]
    key = hashlib.sha256(packages.encode()).hexdigest()[:10]
    venv = Path(f"/tmp/explorer-hosting-py311-{key}")
    python = venv / "bin" / "python"
    if not python.exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", "--without-pip", str(venv)],
                       check=True, timeout=120)
        found = list((venv / "lib").glob("python3.*/site-packages"))
        (found[0] / "explorer-dev.pth").write_text(packages + "\n")
    return python


def launch(as_root: bool, out: Path) -> subprocess.Popen:
    """The corpus server under the namespace-refusing filter, started (``finish`` waits)."""
    command = [sys.executable, str(REPO / "scripts" / "without_namespaces.py")]
    if as_root:  # a container's root: Docker's default capabilities, no CAP_SYS_ADMIN
        command += ["--keep-caps", "docker"]
        python = sys.executable
    else:
        if not DEBIAN_PYTHON.exists():
            pytest.skip("no /usr/bin/python3.11 (apt-get install python3.11-venv)")
        python = str(debian_venv())
        if os.geteuid() == 0:
            command += ["--user", f"{NOBODY[0]}:{NOBODY[1]}"]
            os.chown(out, *NOBODY)
    env = {**os.environ, "EXPLORER_SANDBOX": "strict"}
    env.pop("EXPLORER_POOL", None)
    return subprocess.Popen([*command, "--", python, str(REPO / "tests" / "hosting_corpus.py"),
                             str(out)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, out: Path) -> dict:
    """What the corpus server wrote, once it has ended."""
    try:
        _, stderr = proc.communicate(timeout=500)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-3000:]
    return json.loads((out / "results.json").read_text())


def doctor(*refuse: str) -> subprocess.CompletedProcess:
    """``python -m explorer doctor`` (a cold worker) in strict mode under the filter."""
    also = [arg for call in refuse for arg in ("--also-refuse", call)]
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "without_namespaces.py"), *also, "--",
         sys.executable, "-m", "explorer", "doctor"], cwd=REPO, capture_output=True,
        text=True, timeout=120, env={**os.environ, "EXPLORER_SANDBOX": "strict"})


def test_doctor_names_the_profile_and_the_layers_that_hold():
    done = doctor()
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "profile: no namespaces" in out
    assert "MISSING  namespaces: not available: [Errno 1] unshare" in out
    assert out.count("(not required)") >= 3  # oom, pid namespace, namespaces, ...
    for layer in ("private temp", "process limit", "landlock", "seccomp", "no_new_privs"):
        line = next(line for line in out.splitlines() if line.strip().split("  ")[-1]
                    .startswith(f"{layer}:") or f"  {layer}: " in line)
        assert line.lstrip().startswith("works"), line
    assert out.rstrip().endswith("user code: runs")


def test_strict_mode_refuses_when_a_layer_of_the_profile_does_not_work():
    """A kernel without Landlock (its calls refused with ENOSYS): strict mode refuses."""
    done = doctor("landlock_create_ruleset")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "MISSING  landlock: not available" in done.stdout
    assert "user code: REFUSED (strict mode, missing: landlock)" in done.stdout


AS = ("root", "unprivileged")


@pytest.fixture(scope="module")
def launched():
    """Both corpus servers at once (each uses 2 cores about two thirds of the time: together
    they take about the time of the slower, not the sum): who -> (process, folder), or the
    reason that case is skipped."""
    started: dict[str, tuple[subprocess.Popen, Path] | str] = {}
    for who in AS:
        if who == "root" and os.geteuid() != 0:
            started[who] = "the root case needs root"
            continue
        # not under pytest's own temp folder, which another uid cannot enter
        out = Path(tempfile.mkdtemp(prefix=f"explorer-hosted-{who}-"))
        try:
            started[who] = (launch(who == "root", out), out)
        except pytest.skip.Exception as skip:
            shutil.rmtree(out, ignore_errors=True)
            started[who] = str(skip)
    try:
        yield started
    finally:
        for item in started.values():
            if isinstance(item, tuple):
                if item[0].poll() is None:
                    item[0].kill()
                    item[0].wait()
                shutil.rmtree(item[1], ignore_errors=True)


@pytest.fixture(scope="module", params=AS)
def hosted(request, launched):
    item = launched[request.param]
    if isinstance(item, str):
        pytest.skip(item)
    return {**finish(*item), "as": request.param}


@pytest.mark.slow
def test_the_filter_refuses_every_namespace(hosted):
    """Without this, the rest would test a host that has namespaces."""
    assert hosted["namespaces_refused"] == {"user": 1, "mount": 1, "pid": 1, "net": 1}
    assert (hosted["uid"] == 0) == (hosted["as"] == "root")


@pytest.mark.slow
def test_strict_mode_takes_the_no_namespaces_profile(hosted):
    from explorer.sandbox.report import REQUIRED_WITHOUT_NAMESPACES, required

    probe = hosted["probe"]
    layers = probe["layers"]
    assert probe["status"] == "ok", probe
    assert required(layers) == REQUIRED_WITHOUT_NAMESPACES
    assert not layers["namespaces"]["works"] and not layers["pid namespace"]["works"]
    assert all(layers[name]["works"] for name in REQUIRED_WITHOUT_NAMESPACES), layers
    assert all(item["ok"] for item in probe["checks"].values()), probe["checks"]
    shared = "shared with the server" in layers["process limit"]["detail"]
    assert shared == (hosted["as"] == "unprivileged")


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_hostile_snippet_is_contained(hosted, name):
    result = hosted["results"][name]
    assert result["status"] in hosted["expected"][name], result
    assert hosting_corpus.SECRET not in json.dumps(result)
    assert HOSTILE.SECRET not in json.dumps(result)
    assert name not in hosted["written_outside"]


@pytest.mark.slow
def test_the_compiler_helper_runs_the_compiler_and_nothing_else(hosted):
    """tests/compiler_hostile.py without namespaces: a worker with the compiler helper, its
    code holding the helper's socket (as root with Docker's capabilities, and unprivileged)."""
    from tests import compiler_hostile

    result = hosted["results"][hosting_corpus.COMPILER_CASE]
    assert compiler_hostile.problems(result) == [], result
    assert result["sandbox"]["spare"] is False


@pytest.mark.slow
def test_nothing_escaped_the_whole_corpus(hosted):
    assert hosted["connections"] == 0            # TCP, UNIX, abstract UNIX
    assert hosted["template_alive"]              # no signal reached the template
    assert hosted["server_file_intact"] and hosted["shared_tmp_absent"]
    assert hosted["repo_canary_intact"] and hosted["repo_new_absent"]
    assert hosted["written_outside"] == []
    assert hosted["blocked_layers"] is None      # strict mode refused no run
    served = hosted["served"]
    assert hosted["spares_ready"] and served["spare"] >= 1 and served["forked"] >= 1, served


@pytest.mark.slow
def test_same_uid_neighbours_are_out_of_reach(hosted):
    """/proc of the server, the template and the pids around the worker's own: none read,
    none signalled."""
    assert hosted["results"]["read-neighbour-procs"]["stdout"].startswith("read 0 ")
    assert hosted["results"]["signal-neighbours"]["stdout"].startswith("reached 0 ")
    for name in ("fill-temp-bytes", "fill-temp-entries"):
        result = hosted["results"][name]
        if result["status"] == "timeout":  # see hosting_corpus.WITHOUT_NAMESPACES
            continue
        assert result["blocked"] == "file" and "temporary folder" in result["message"], result


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.name for lesson in LESSONS])
def test_lesson_draws_its_graphs(hosted, lesson):
    result = hosted["results"][f"lesson:{lesson.name}"]
    if lesson.teaches_error:
        assert result["status"] == "error" and result["message"], result
        return
    assert result["status"] == "ok", result
    reference = execution.execute(lesson.code, seed=0).to_json()["graph"]
    drawn = result["run"]["graph"]
    assert len(drawn["nodes"]) == len(reference["nodes"]) > 0
    assert len(drawn["edges"]) == len(reference["edges"])
    twin = result["twin"]  # a lesson the twin cannot translate says so (custom Function...)
    assert twin["status"] in ("ok", "no-twin"), twin
    assert twin["graph"] if twin["status"] == "ok" else twin["message"]
