"""The template process: the warm pool's one long-lived process. It imports torch, TensorFlow
and the jobs once but runs no op (no thread pool started, no CUDA), then forks one single-use
worker per run, each in a fresh pid namespace. It never reads a request or a result (the
worker and the server talk directly), so no user's data ever sits in memory that later
workers inherit.

Started by the server (``pool.Template``) with a minimal environment, never by forking the
server. ``--once`` makes a cold worker: no preload, one run, then exit.

    python -m explorer.sandbox.template --control-fd N [--preload] [--once]
"""
from __future__ import annotations

import argparse
import ctypes
import importlib
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from explorer.sandbox import layers
from explorer.sandbox.protocol import receive_message, send_message

PRELOAD = ["torch", "tensorflow", "explorer.snippet", "explorer.capture.torch"]
CLONE_NEWUSER = 0x10000000


@dataclass
class Child:
    pid: int
    pidfd: int
    control: socket.socket
    run_dir: str
    deadline: float
    backstop: bool = False


def enter_user_namespace() -> bool:
    """On a non-root host: become root of a new user namespace (mapped to our own uid), so
    the pid, mount and network namespaces below can be made without privilege."""
    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWUSER) != 0:
        return False
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    return True


def preload() -> list[str]:
    """Import what workers need, so that a fork starts with it in memory (copy on write)."""
    from explorer import jobs

    names = PRELOAD + [f"explorer.jobs.{name}" for name in jobs.names()]
    done = []
    for name in names:
        try:
            importlib.import_module(name)
            done.append(name)
        except Exception:  # noqa: BLE001 - a job another engineer is writing may not import yet
            continue
    return done


class Template:
    def __init__(self, control: socket.socket, once: bool, preloaded: bool) -> None:
        self.control = control
        self.once = once
        self.preloaded = preloaded
        self.children: dict[int, Child] = {}  # by pidfd
        self.base = tempfile.mkdtemp(prefix="explorer-sandbox-")
        os.chmod(self.base, 0o711)
        self.count = 0
        self.own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        self.libc = ctypes.CDLL(None, use_errno=True)

    def serve(self) -> None:
        poller = select.poll()
        poller.register(self.control, select.POLLIN)
        served = False
        while True:
            timeout = min((c.deadline for c in self.children.values()), default=None)
            wait_ms = None if timeout is None else max(0, int((timeout - time.monotonic()) * 1000))
            for fd, _event in poller.poll(wait_ms):
                if fd == self.control.fileno():
                    message, fds = receive_message(self.control)
                    if message is None:
                        return self.shutdown()
                    child = self.spawn(message, fds)
                    if child is not None:
                        poller.register(child.pidfd, select.POLLIN)
                        served = True
                elif fd in self.children:
                    poller.unregister(fd)
                    self.reap(self.children.pop(fd))
            self.enforce_deadlines()
            if self.once and served and not self.children:
                return self.shutdown()

    def spawn(self, message: dict, fds: list[int]) -> Child | None:
        """Fork one worker for one run; fds are [worker's data end, run control]."""
        if message.get("op") != "run" or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            return None
        data_fd, control_fd = fds
        control = socket.socket(fileno=control_fd)
        self.count += 1
        run_dir = os.path.join(self.base, f"run-{self.count}")
        os.mkdir(run_dir, 0o700)
        new_pid_ns = self.libc.unshare(layers.CLONE_NEWPID) == 0
        pid = os.fork()
        if pid == 0:
            self.become_worker(data_fd, control, run_dir)
        if new_pid_ns:
            self.libc.setns(self.own_pid_ns, layers.CLONE_NEWPID)
        os.close(data_fd)
        pidfd = os.pidfd_open(pid)
        send_message(control, {"pid": pid}, [pidfd])
        child = Child(pid, pidfd, control, run_dir,
                      time.monotonic() + float(message.get("backstop_s", 60)))
        self.children[pidfd] = child
        return child

    def become_worker(self, data_fd: int, control: socket.socket, run_dir: str) -> None:
        """In the forked child: drop every template descriptor, then be the worker."""
        code = 0
        try:
            for sock in [self.control, control, *(c.control for c in self.children.values())]:
                sock.close()
            for fd in [self.own_pid_ns, *(c.pidfd for c in self.children.values())]:
                os.close(fd)
            os.setsid()  # without a pid namespace, the server kills this process group
            from explorer.sandbox import worker

            worker.main(data_fd, run_dir, self.preloaded)
        except BaseException:  # noqa: BLE001 - never return into the template's loop
            code = 70
        finally:
            os._exit(code)

    def reap(self, child: Child) -> None:
        _pid, status, usage = os.wait4(child.pid, 0)
        exit_info = {"code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                     "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                     "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
                     "maxrss_mb": round(usage.ru_maxrss / 1024, 1), "backstop": child.backstop}
        try:
            send_message(child.control, {"exit": exit_info})
        except OSError:
            pass  # the server stopped waiting for this run
        child.control.close()
        os.close(child.pidfd)
        shutil.rmtree(child.run_dir, ignore_errors=True)

    def enforce_deadlines(self) -> None:
        """A backstop only: the server kills at the wall-clock limit; this catches a run whose
        server thread is gone."""
        now = time.monotonic()
        for child in self.children.values():
            if now >= child.deadline and not child.backstop:
                child.backstop = True
                os.kill(child.pid, signal.SIGKILL)
                child.deadline = now + 3600

    def shutdown(self) -> None:
        for child in list(self.children.values()):
            os.kill(child.pid, signal.SIGKILL)
            self.reap(child)
        self.children.clear()
        shutil.rmtree(self.base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--preload", action="store_true")
    parser.add_argument("--once", action="store_true")
    args = parser.parse_args()
    control = socket.socket(fileno=args.control_fd)
    userns = os.geteuid() != 0 and enter_user_namespace()
    Path("/proc/self/oom_score_adj").write_text("500")  # before the server, after workers
    from explorer.sandbox import seccomp

    seccomp.available()  # loads libseccomp now: finding it runs ldconfig, a process
    start = time.perf_counter()
    loaded = preload() if args.preload else []
    template = Template(control, once=args.once, preloaded=args.preload)
    send_message(control, {"ready": True, "pid": os.getpid(), "preloaded": loaded,
                           "import_s": round(time.perf_counter() - start, 2),
                           "user_namespace": userns, "memory": _memory(),
                           "threads": len(os.listdir("/proc/self/task"))})
    template.serve()


def _memory() -> dict[str, int]:
    return {key.lower() + "_mb": value // (1 << 20)
            for key, value in layers._vm_status().items()}


if __name__ == "__main__":
    sys.exit(main())
