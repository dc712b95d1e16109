"""Run the Dockerfile's steps as a script on a clean Debian tree, where no Docker engine can
build the image (this machine has a Docker client and no daemon, and no registry to pull the
base image from). Then start the image's command the way ``docker run -p 8501:8501 IMAGE``
would: as root without CAP_SYS_ADMIN and the rest of what Docker drops, under a seccomp filter
that refuses new namespaces (scripts/without_namespaces.py), with no extra privileges.

    python scripts/dockerfile_steps.py build ROOT       # debootstrap, then each step
    python scripts/dockerfile_steps.py run ROOT PORT    # the CMD, in ROOT, on PORT
    python scripts/dockerfile_steps.py size ROOT        # the tree's size: the image's
    python scripts/dockerfile_steps.py remove ROOT      # unmount what is left, delete

``FROM python:3.11-slim`` becomes a minimal Debian bookworm (``debootstrap --variant=minbase``)
with Debian's Python 3.11 and a pip at ``/usr/local/bin``, where that image has them. ``COPY``
honours ``.dockerignore``; ``RUN`` runs under ``chroot`` with the ``ENV`` and ``WORKDIR`` so
far. pip inside the tree sees this machine's package sources (its pip configuration, its
``/opt`` wheel folders, read-only): PyTorch's CPU index cannot be reached from here, and the
CPU wheel it would give is on this machine's disk. Used by tests/test_dockerfile_steps.py.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("DEBOOTSTRAP_CACHE", "/var/cache/gx-debootstrap"))
# what python:3.11-slim holds beyond a minimal Debian: Python 3.11, pip, CA certificates
BASE_PACKAGES = ["python3.11", "python3.11-venv", "ca-certificates"]
# the host's package sources, lent read-only to pip inside the tree (where they exist)
HOST_SOURCES = ["/opt/wheels", "/opt/pypi", "/opt/pypi-more", "/etc/xdg/pip"]
HOST_FILES = ["/etc/resolv.conf"]  # copied in for a build step, then removed
HOST_CA = "/etc/ssl/certs/ca-certificates.crt"  # lent as LENT_CA: this host's proxy may need it
LENT_CA = "/run/host-ca.crt"
PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"


def parse(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments gone."""
    steps, pending = [], ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        steps.append((word.upper(), rest.strip()))
    return steps


def ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(p, pattern[3:]) for p in parts):
                return True
        elif fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(parts[0], pattern):
            return True
    return False


def copy(context: Path, sources: list[str], dest: Path) -> None:
    patterns = [p.strip() for p in (context / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")] \
        if (context / ".dockerignore").exists() else []
    dest.mkdir(parents=True, exist_ok=True)
    for source in sources:
        top = (context / source).resolve()
        if top.is_file():
            shutil.copy2(top, dest / top.name)
            continue
        for path in sorted(top.rglob("*")):
            relative = path.relative_to(context).as_posix()
            if ignored(relative, patterns) or not (path.is_file() or path.is_symlink()):
                continue
            target = dest / path.relative_to(top)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target, follow_symlinks=False)


def host_pip_settings() -> dict[str, str]:
    """This host's pip configuration (its files and PIP_* variables: find-links, extra
    indexes) as PIP_* variables for pip inside the tree; the CA bundle is lent apart."""
    done = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True,
                          text=True, check=False)
    settings = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        name = key.rsplit(".", 1)[-1]
        if name and name != "cert":
            settings[f"PIP_{name.upper().replace('-', '_')}"] = value.strip("'\"")
    return settings


class Tree:
    """A Debian tree with /proc, /dev and the host's package sources mounted while in use."""

    def __init__(self, root: Path, sources: bool = True):
        self.root = root
        self.sources = sources  # the host's package sources too (for a build step)
        self.mounts: list[Path] = []

    def __enter__(self) -> Tree:
        lent = [(s, "ro") for s in HOST_SOURCES if Path(s).exists()] if self.sources else []
        for source, kind in [("/proc", "proc"), ("/dev", "bind"), ("/sys", "bind"), *lent]:
            target = self.root / source.lstrip("/")
            target.mkdir(parents=True, exist_ok=True)
            args = ["-t", "proc", "proc"] if kind == "proc" else ["--bind", source]
            subprocess.run(["mount", *args, str(target)], check=True)
            if kind == "ro":
                subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
            self.mounts.append(target)
        if self.sources and Path(HOST_CA).exists():
            target = self.root / LENT_CA.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
            subprocess.run(["mount", "--bind", "-o", "ro", HOST_CA, str(target)], check=True)
            self.mounts.append(target)
        self.copied = []
        for name in HOST_FILES if self.sources else []:
            target = self.root / name.lstrip("/")
            if Path(name).exists() and not target.exists():
                shutil.copy2(name, target)
                self.copied.append(target)
        return self

    def __exit__(self, *exc) -> None:
        for target in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(target)], check=False)
        self.mounts = []
        for target in self.copied:  # the host's settings stay out of the image
            target.unlink(missing_ok=True)
        (self.root / LENT_CA.lstrip("/")).unlink(missing_ok=True)

    def shell(self, command: str, env: dict[str, str], workdir: str = "/") -> None:
        environment = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8",
                       "DEBIAN_FRONTEND": "noninteractive", "PIP_ROOT_USER_ACTION": "ignore",
                       # an index this host cannot reach is given up at once, not retried
                       "PIP_RETRIES": "0",
                       **(host_pip_settings() if self.sources else {}),
                       **({"PIP_CERT": LENT_CA} if self.sources and Path(HOST_CA).exists()
                          else {}), **env}
        subprocess.run(["chroot", str(self.root), "/bin/sh", "-c",
                        f"cd {shlex.quote(workdir)} && {command}"],
                       env=environment, check=True)


def base(root: Path) -> None:
    """FROM python:3.11-slim: a minimal bookworm, Debian's Python 3.11, pip at /usr/local/bin."""
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(["debootstrap", "--variant=minbase", f"--cache-dir={CACHE}", "bookworm",
                    str(root), MIRROR], check=True, stdout=subprocess.DEVNULL)
    with Tree(root) as tree:
        tree.shell("apt-get update -qq && apt-get install -y -qq --no-install-recommends "
                   + " ".join(BASE_PACKAGES) + " >/dev/null && rm -rf /var/lib/apt/lists/*"
                   " && python3.11 -m venv /usr/local", {})


def build(root: Path, context: Path = REPO) -> dict:
    if root.exists() and any(root.iterdir()):
        raise SystemExit(f"{root} is not empty: give a new folder")
    timings, env, workdir = {}, {}, "/"
    start = time.monotonic()
    steps = parse(context / "Dockerfile")
    for word, rest in steps:
        began = time.monotonic()
        if word == "FROM":
            base(root)
        elif word == "WORKDIR":
            workdir = rest if rest.startswith("/") else f"{workdir.rstrip('/')}/{rest}"
            (root / workdir.lstrip("/")).mkdir(parents=True, exist_ok=True)
        elif word == "COPY":
            *sources, dest = shlex.split(rest)
            target = dest if dest.startswith("/") else f"{workdir.rstrip('/')}/{dest}"
            copy(context, sources, root / target.lstrip("/"))
        elif word == "ENV":
            key, _, value = rest.partition("=")
            env[key.strip()] = value.strip()
        elif word == "RUN":
            with Tree(root) as tree:
                tree.shell(rest, env, workdir)
        timings.setdefault(word, 0.0)
        timings[word] += time.monotonic() - began
    meta = {"env": env, "workdir": workdir, "timings_s": timings,
            "cmd": json.loads(dict(steps).get("CMD", "[]")),
            "build_s": time.monotonic() - start}
    (root / ".dockerfile-steps.json").write_text(json.dumps(meta, indent=1))
    return meta


def mounted(root: Path) -> list[str]:
    """Mount points at or under ``root`` (none once a step is over)."""
    prefix = str(root.resolve()).rstrip("/") + "/"
    return [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
            if (line.split()[1] + "/").startswith(prefix)]


def remove(root: Path) -> None:
    """Delete the tree, never through a mount still in it (/dev, the host's wheels)."""
    for target in sorted(mounted(root), reverse=True):
        subprocess.run(["umount", "-l", target], check=False)
    left = mounted(root)
    if left:
        raise RuntimeError(f"still mounted, not deleting {root}: {left}")
    shutil.rmtree(root, ignore_errors=True)


def size(root: Path) -> int:
    """Bytes in the tree (each file once, no mount crossed): what the image's layers hold,
    uncompressed."""
    total, seen, skip = 0, set(), set(mounted(root))
    for folder, folders, files in os.walk(root):
        folders[:] = [f for f in folders if os.path.join(folder, f) not in skip]
        for name in files:
            stat = os.lstat(os.path.join(folder, name))
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total


def run_command(root: Path, port: int) -> list[str]:
    """The argv that starts the image's CMD in ``root`` as Docker would, on ``port``
    (``-p PORT:8501`` is a port map in Docker; here the CMD's port flag is replaced)."""
    meta = json.loads((root / ".dockerfile-steps.json").read_text())
    cmd = [f"--server.port={port}" if c.startswith("--server.port=") else c
           for c in meta["cmd"]]
    env = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", **meta["env"]}
    inner = " ".join(shlex.quote(c) for c in cmd)
    return [sys.executable, str(REPO / "scripts" / "without_namespaces.py"),
            "--keep-caps", "docker", "--",
            "chroot", str(root), "/usr/bin/env", "-i",
            *[f"{k}={v}" for k, v in env.items()],
            "/bin/sh", "-c", f"cd {shlex.quote(meta['workdir'])} && exec {inner}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["build", "run", "size", "remove"])
    parser.add_argument("root", type=Path)
    parser.add_argument("port", type=int, nargs="?", default=8501)
    args = parser.parse_args(argv)
    if args.action == "build":
        print(json.dumps(build(args.root), indent=1))
    elif args.action == "size":
        print(size(args.root))
    elif args.action == "remove":
        remove(args.root)
    else:
        with Tree(args.root, sources=False):
            return subprocess.call(run_command(args.root, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
