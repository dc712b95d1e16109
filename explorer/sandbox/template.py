"""The template process: the warm pool's one long-lived process. It imports torch, TensorFlow
and the jobs once but runs no op (no thread pool started, no CUDA), then forks single-use
workers, each in a fresh pid namespace. It never reads a request or a result (the worker and
the server talk directly), so no user's data ever sits in memory that later workers inherit.

Spares: the template keeps ``--spares`` workers forked ahead of time. Each spare confines
itself at once (every layer, with the loosest limits of any job and an unprivileged uid of its
own), only then warms up on our own code (``warm``: a tf.function with a cond, a gradient, a
torch forward and backward, the explore job on a built-in snippet) at the lowest CPU priority,
says it is ready on a pipe, and waits. A run request takes a ready spare whose limits can be
lowered to the run's (``limits.fits_spare``): the template hands the server the spare's pidfd
and data channel, and the spare lowers its rlimits to the run's own when the request comes.
The run's wall clock counts from that request. A spare serves one run and exits, like any
worker; a new one is forked in its place, and one that waited ``--spare-max-age`` seconds is
replaced. With no spare ready (a burst of runs, or spares that failed to start) a request is
served the old way, a worker forked for it, unless the server asked it to wait up to
``spare_wait_s`` for a warming spare.

Uids: a worker forked for a request takes the uid of its scheduler slot (``slot`` in its
request, 0-63); a spare takes one from ``--spare-slots`` (a range of 16 per warm pool, above
the scheduler's), held from its fork until it is reaped. So two live workers never share a uid,
and RLIMIT_NPROC stays per worker.

Started by the server (``pool.Template``) with a minimal environment, never by forking the
server. ``--once`` makes a cold worker: no preload, no spares, one run, then exit.

    python -m explorer.sandbox.template --control-fd N [--preload] [--once]
        [--spares K --spare-slots FIRST --spare-max-age S] [--no-warm-up]
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import importlib
import json
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

from explorer.sandbox import layers, limits
from explorer.sandbox.protocol import receive_message, send_message

PRELOAD = ["torch", "tensorflow", "explorer.snippet", "explorer.capture.torch",
           # imported on first use by the jobs: torch._dynamo by any op on the "meta" device
           # (about 1 s, 4 s under the line tracer), the twin and TF capture by explore
           "torch._dynamo", "explorer.executed", "explorer.twin.check", "explorer.capture.tf",
           "explorer.sandbox.warm",
           "explorer.training.loop", "explorer.training.torch_loop",
           "explorer.training.tf_loop", "explorer.training.presets", "explorer.training.data",
           "explorer.training.speed", "sklearn.datasets"]
CLONE_NEWUSER = 0x10000000
MAX_SPARE_WAIT_S = 20.0   # the server waits 30 s for a worker's pid
SPARE_FAILURES = 3        # spares that die before they are ready, in a row: stop making them


@dataclass
class Child:
    """A worker serving a run."""
    pid: int
    pidfd: int
    control: socket.socket
    run_dir: str
    deadline: float
    backstop: bool = False
    slot: int | None = None     # a spare's uid slot: free again once reaped
    cpu_before: float = 0.0     # a spare's CPU time before its request (its warm-up)


@dataclass
class Spare:
    """A worker forked ahead of its request."""
    pid: int
    pidfd: int
    data: socket.socket         # the server's end of its data channel, handed over with a run
    ready_fd: int | None        # it writes one JSON line here when it is ready
    run_dir: str
    slot: int
    born: float
    ready_at: float | None = None
    cpu_s: float = 0.0
    killed: bool = False        # by the template (replaced, shut down): not a failure


@dataclass
class Pending:
    """A run request waiting for a spare (``spare_wait_s``)."""
    message: dict
    data_fd: int
    control: socket.socket
    received: float


def enter_user_namespace() -> bool:
    """On a non-root host: make a new user namespace, in which the template (its creator)
    holds every capability, so the pid, mount and network namespaces below can be made
    without privilege. Our own uid is the only one mapped, to itself: no process inside is
    ever uid 0, and the workers drop every capability (``layers.apply_user``)."""
    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWUSER) != 0:
        return False
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    return True


def become_pid_namespace_init() -> bool:
    """In the user namespace of a non-root host: carry on as pid 1 of a new pid namespace
    owned by it (as ``unshare --pid --fork``). Forking a worker puts it in a pid namespace of
    its own and then, with ``setns``, points the template's next children back at the
    template's own namespace; ``setns`` needs CAP_SYS_ADMIN over the user namespace that
    owns that namespace, which the template has only over one it made itself. Without this,
    a second worker would join the first's pid namespace, and once that one ended every
    fork would fail (ENOMEM). The original process waits and exits as the template does;
    the template dies with it (PDEATHSIG)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(layers.CLONE_NEWPID) != 0:
        return False
    pid = os.fork()
    if pid:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops the template by kill
        _pid, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    layers.prctl(layers.PR_SET_PDEATHSIG, signal.SIGKILL)
    return True


def preload(threads: dict[str, int] | None = None) -> list[str]:
    """Import what workers need, so that a fork starts with it in memory (copy on write).
    Imports only: no op runs, so no thread pool starts; ``threads`` gets the thread count
    after each import (torch's and TensorFlow's imports start a few helper threads of their
    own, which no fork inherits; nothing after them may add one)."""
    from explorer import jobs

    names = PRELOAD + [f"explorer.jobs.{name}" for name in jobs.names()]
    done = []
    for name in names:
        try:
            importlib.import_module(name)
            done.append(name)
        except Exception:  # noqa: BLE001 - a job another engineer is writing may not import yet
            continue
        if threads is not None:
            threads[name] = layers.thread_count()
    # Everything imported so far lives as long as the template: keep it out of the garbage
    # collector's sight, so that a worker's collections neither walk it nor copy its pages.
    gc.collect()
    gc.freeze()
    return done


class Template:
    def __init__(self, control: socket.socket, once: bool, preloaded: bool, spares: int = 0,
                 spare_slots: int = 64, spare_max_age: float = limits.SPARE_MAX_AGE_S,
                 warm_up: bool = True) -> None:
        self.control = control
        self.once = once
        self.preloaded = preloaded
        self.children: dict[int, Child] = {}  # by pidfd
        self.spares: dict[int, Spare] = {}    # by pidfd
        self.readying: dict[int, Spare] = {}  # by ready fd
        self.pending: list[Pending] = []
        self.target = 0 if once else max(0, spares)
        self.free_slots = set(range(spare_slots, spare_slots + limits.SPARE_SLOTS))
        self.spare_max_age = spare_max_age
        self.spare_limits = limits.spare_limits()
        self.warm_up = warm_up
        self.renice = layers.can_renice()  # spares warm up at nice 19 only if it can undo it
        self.failures = 0
        self.spares_off: str | None = None    # why no more spares are made
        self.backoff_until = 0.0
        self.counts = {"spare": 0, "forked": 0, "recycled": 0, "spares_made": 0}
        self.base = tempfile.mkdtemp(prefix="explorer-sandbox-")
        os.chmod(self.base, 0o711)
        self.count = 0
        self.own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.poller = select.poll()

    # -- the loop -------------------------------------------------------------------------

    def serve(self) -> None:
        self.poller.register(self.control, select.POLLIN)
        served = False
        self.fill_spares()
        while True:
            for fd, _event in self.poller.poll(self.wait_ms()):
                if fd == self.control.fileno():
                    message, fds = receive_message(self.control)
                    if message is None:
                        return self.shutdown()
                    self.handle(message, fds)
                elif fd in self.children:
                    self.poller.unregister(fd)
                    self.reap(self.children.pop(fd))
                elif fd in self.spares:
                    self.poller.unregister(fd)
                    self.spare_died(self.spares.pop(fd))
                elif fd in self.readying:
                    self.spare_ready(fd)
            served = self.dispatch() or served
            self.enforce_deadlines()
            self.recycle_spares()
            self.fill_spares()
            if self.once and served and not self.children and not self.pending:
                return self.shutdown()

    def wait_ms(self) -> int | None:
        now = time.monotonic()
        times = [c.deadline for c in self.children.values()]
        times += [p.received + self.spare_wait(p) for p in self.pending]
        times += [s.ready_at + self.spare_max_age for s in self.spares.values()
                  if s.ready_at is not None and not s.killed]
        if self.backoff_until > now and self.live_spares() < self.target:
            times.append(self.backoff_until)
        if not times:
            return None
        return max(0, int((min(times) - now) * 1000) + 1)

    def handle(self, message: dict, fds: list[int]) -> None:
        op = message.get("op")
        if op == "run" and len(fds) == 2:
            self.pending.append(Pending(message, fds[0], socket.socket(fileno=fds[1]),
                                        time.monotonic()))
            return
        for fd in fds:
            os.close(fd)
        if op == "state":
            try:
                send_message(self.control, self.state())
            except OSError:
                pass

    def state(self) -> dict:
        ready = sum(1 for s in self.spares.values() if s.ready_at is not None and not s.killed)
        return {"spares": {"target": self.target, "ready": ready,
                           "warming": sum(1 for s in self.spares.values()
                                          if s.ready_at is None and not s.killed),
                           "disabled": self.spares_off, "failures": self.failures},
                "running": len(self.children), "pending": len(self.pending),
                "served": dict(self.counts)}

    # -- runs -----------------------------------------------------------------------------

    def dispatch(self) -> bool:
        """Start what can start: on a ready spare, or on a worker forked for it."""
        started = False
        for pending in list(self.pending):
            spare = self.take_spare(pending.message)
            if spare is not None:
                self.hand_over(pending, spare)
            elif self.may_wait(pending):
                continue
            else:
                self.fork_worker(pending)
            self.pending.remove(pending)
            started = True
        return started

    def spare_wait(self, pending: Pending) -> float:
        try:
            wait = float(pending.message.get("spare_wait_s", 0.0))
        except (TypeError, ValueError):
            wait = 0.0
        return min(max(wait, 0.0), MAX_SPARE_WAIT_S)

    def fits(self, message: dict) -> bool:
        data = message.get("limits")
        if not isinstance(data, dict):
            return False
        try:
            return limits.fits_spare(limits.Limits.from_json(data))
        except (TypeError, ValueError):
            return False

    def may_wait(self, pending: Pending) -> bool:
        """Wait for a spare still warming up, when the server asked to and one is coming."""
        if self.spares_off or self.target == 0 or not self.fits(pending.message):
            return False
        if time.monotonic() - pending.received >= self.spare_wait(pending):
            return False
        return any(s.ready_at is None and not s.killed for s in self.spares.values()) \
            or self.live_spares() < self.target

    def take_spare(self, message: dict) -> Spare | None:
        """The ready spare that has waited longest, if this run's limits fit one."""
        ready = [s for s in self.spares.values() if s.ready_at is not None and not s.killed
                 and not select.select([s.pidfd], [], [], 0)[0]]  # readable pidfd: it died
        if not ready or not self.fits(message):
            return None
        return min(ready, key=lambda s: s.ready_at)

    def hand_over(self, pending: Pending, spare: Spare) -> None:
        """Give ``spare`` to this run: the server gets its pidfd and its data channel."""
        del self.spares[spare.pidfd]
        if self.renice:
            layers.renice(spare.pid)  # before the request: its user's threads start at nice 0
        os.close(pending.data_fd)  # the channel made for a forked worker: not needed
        child = Child(spare.pid, spare.pidfd, pending.control, spare.run_dir,
                      time.monotonic() + float(pending.message.get("backstop_s", 60)),
                      slot=spare.slot, cpu_before=spare.cpu_s)
        self.children[spare.pidfd] = child  # its pidfd stays registered with the poller
        try:
            send_message(pending.control, {"pid": spare.pid, "spare": True},
                         [spare.pidfd, spare.data.fileno()])
        except OSError:
            os.kill(spare.pid, signal.SIGKILL)  # the server is gone; used or not, never reused
        spare.data.close()
        self.counts["spare"] += 1

    def fork_worker(self, pending: Pending) -> None:
        """Fork one worker for one run (today's path, and the only one of a cold template)."""
        run_dir = self.new_run_dir()
        data_fd, control = pending.data_fd, pending.control
        pid = self.fork(lambda: self.become_worker(data_fd, run_dir), keep=[data_fd])
        os.close(data_fd)
        pidfd = os.pidfd_open(pid)
        try:
            send_message(control, {"pid": pid}, [pidfd])
        except OSError:
            os.kill(pid, signal.SIGKILL)
        child = Child(pid, pidfd, control, run_dir,
                      time.monotonic() + float(pending.message.get("backstop_s", 60)))
        self.children[pidfd] = child
        self.poller.register(pidfd, select.POLLIN)
        self.counts["forked"] += 1

    def new_run_dir(self) -> str:
        self.count += 1
        run_dir = os.path.join(self.base, f"run-{self.count}")
        os.mkdir(run_dir, 0o700)
        return run_dir

    def fork(self, become, keep: list[int], close: list[socket.socket | int] = ()) -> int:
        """Fork a child in a new pid namespace; the child closes every descriptor the
        template holds (and ``close``) but those in ``keep``, then runs ``become``, exits."""
        new_pid_ns = self.libc.unshare(layers.CLONE_NEWPID) == 0
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                self.close_inherited(set(keep), list(close))
                os.setsid()  # without a pid namespace, the server kills this process group
                become()
            except BaseException:  # noqa: BLE001 - never return into the template's loop
                code = 70
            finally:
                os._exit(code)
        if new_pid_ns:
            self.libc.setns(self.own_pid_ns, layers.CLONE_NEWPID)
        return pid

    def held(self) -> list[socket.socket | int]:
        """Every descriptor the template holds for its server, runs and spares: a child must
        not keep another run's channel, or a spare's."""
        held: list[socket.socket | int] = [self.control, self.own_pid_ns]
        for child in self.children.values():
            held += [child.control, child.pidfd]
        for spare in self.spares.values():
            held += [spare.data, spare.pidfd]
            held += [spare.ready_fd] if spare.ready_fd is not None else []
        for pending in self.pending:
            held += [pending.data_fd, pending.control]
        return held

    def close_inherited(self, keep: set[int], close: list[socket.socket | int]) -> None:
        for item in self.held() + close:
            if isinstance(item, socket.socket):
                if item.fileno() not in keep:
                    item.close()  # through the object, which would close it again later
            elif item >= 0 and item not in keep:
                try:
                    os.close(item)
                except OSError:
                    pass

    def become_worker(self, data_fd: int, run_dir: str) -> None:
        """In the forked child: be the worker."""
        from explorer.sandbox import worker

        worker.main(data_fd, run_dir, self.preloaded)

    # -- spares ---------------------------------------------------------------------------

    def live_spares(self) -> int:
        """Spares ready or warming up (not those killed and not reaped yet)."""
        return sum(1 for s in self.spares.values() if not s.killed)

    def fill_spares(self) -> None:
        if self.spares_off or self.once:
            return
        while self.live_spares() < self.target and time.monotonic() >= self.backoff_until \
                and self.free_slots:
            self.fork_spare()

    def fork_spare(self) -> None:
        slot = min(self.free_slots)
        server_end, spare_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ready_r, ready_w = os.pipe()
        run_dir = self.new_run_dir()
        pid = self.fork(lambda: self.become_spare(spare_end.fileno(), ready_w, run_dir, slot),
                        keep=[spare_end.fileno(), ready_w], close=[server_end, ready_r])
        spare_end.close()
        os.close(ready_w)
        self.free_slots.discard(slot)
        spare = Spare(pid, os.pidfd_open(pid), server_end, ready_r, run_dir, slot,
                      time.monotonic())
        self.spares[spare.pidfd] = spare
        self.readying[ready_r] = spare
        self.poller.register(spare.pidfd, select.POLLIN)
        self.poller.register(ready_r, select.POLLIN)
        self.counts["spares_made"] += 1

    def become_spare(self, data_fd: int, ready_fd: int, run_dir: str, slot: int) -> None:
        from explorer.sandbox import worker

        worker.spare_main(data_fd, ready_fd, run_dir, slot, self.spare_limits,
                          warm_up=self.warm_up, low_priority=self.renice)

    def spare_ready(self, fd: int) -> None:
        """The spare's one line on its ready pipe (or EOF: it died, its pidfd says more)."""
        spare = self.readying.pop(fd)
        self.poller.unregister(fd)
        try:
            line = os.read(fd, 4096)
        except OSError:
            line = b""
        os.close(fd)
        spare.ready_fd = None
        try:
            message = json.loads(line) if line else {}
        except ValueError:
            message = {}
        if message.get("ready") and not spare.killed:
            spare.ready_at = time.monotonic()
            spare.cpu_s = float(message.get("cpu_s") or 0.0)
            self.failures = 0

    def spare_died(self, spare: Spare) -> None:
        """A spare ended before any run had it: reap it; too many failures, no more."""
        os.wait4(spare.pid, 0)
        if spare.ready_fd is not None:
            self.readying.pop(spare.ready_fd, None)
            self.poller.unregister(spare.ready_fd)
            os.close(spare.ready_fd)
        spare.data.close()
        os.close(spare.pidfd)
        self.free_slots.add(spare.slot)
        shutil.rmtree(spare.run_dir, ignore_errors=True)
        if spare.killed:
            return
        if spare.ready_at is None:
            self.failures += 1
            if self.failures >= SPARE_FAILURES:
                self.spares_off = f"{self.failures} spares in a row died before they were ready"
        else:  # killed while waiting (the OOM killer picks workers first): not at once again
            self.backoff_until = time.monotonic() + 5.0

    def kill_spare(self, spare: Spare) -> None:
        spare.killed = True
        try:
            signal.pidfd_send_signal(spare.pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def recycle_spares(self) -> None:
        """Replace spares that have waited ``spare_max_age`` seconds."""
        now = time.monotonic()
        for spare in list(self.spares.values()):
            if spare.ready_at is not None and not spare.killed \
                    and now - spare.ready_at >= self.spare_max_age:
                self.kill_spare(spare)
                self.counts["recycled"] += 1

    # -- endings --------------------------------------------------------------------------

    def reap(self, child: Child) -> None:
        _pid, status, usage = os.wait4(child.pid, 0)
        exit_info = {"code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                     "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                     "cpu_s": round(max(0.0, usage.ru_utime + usage.ru_stime
                                        - child.cpu_before), 3),
                     "maxrss_mb": round(usage.ru_maxrss / 1024, 1), "backstop": child.backstop,
                     "spare": child.slot is not None}
        try:
            send_message(child.control, {"exit": exit_info})
        except OSError:
            pass  # the server stopped waiting for this run
        child.control.close()
        os.close(child.pidfd)
        if child.slot is not None:
            self.free_slots.add(child.slot)  # its uid has no process left
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
        for pending in self.pending:
            os.close(pending.data_fd)
            pending.control.close()
        self.pending.clear()
        for child in list(self.children.values()):
            os.kill(child.pid, signal.SIGKILL)
            self.reap(child)
        self.children.clear()
        for spare in list(self.spares.values()):
            self.kill_spare(spare)
            self.spare_died(spare)
        self.spares.clear()
        shutil.rmtree(self.base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--preload", action="store_true")
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--spares", type=int, default=0)
    parser.add_argument("--spare-slots", type=int, default=limits.WORKER_SLOTS)
    parser.add_argument("--spare-max-age", type=float, default=limits.SPARE_MAX_AGE_S)
    parser.add_argument("--no-warm-up", action="store_true")
    args = parser.parse_args()
    control = socket.socket(fileno=args.control_fd)
    userns = os.geteuid() != 0 and enter_user_namespace()
    if userns:
        become_pid_namespace_init()
    Path("/proc/self/oom_score_adj").write_text("500")  # before the server, after workers
    from explorer.sandbox import seccomp

    seccomp.available()  # loads libseccomp now: finding it runs ldconfig, a process
    if args.preload and not args.once:
        layers.yield_to_server()
    start = time.perf_counter()
    before = _memory()
    threads: dict[str, int] = {}
    loaded = preload(threads) if args.preload else []
    spares = args.spares if args.preload and not args.once else 0
    template = Template(control, once=args.once, preloaded=args.preload, spares=spares,
                        spare_slots=args.spare_slots, spare_max_age=args.spare_max_age,
                        warm_up=not args.no_warm_up)
    send_message(control, {"ready": True, "pid": os.getpid(), "preloaded": loaded,
                           "import_s": round(time.perf_counter() - start, 2),
                           "user_namespace": userns, "memory": _memory(),
                           "memory_before_imports": before, "spares": spares,
                           "threads": layers.thread_count(), "threads_by_import": threads})
    template.serve()


def _memory() -> dict[str, int]:
    return {key.lower() + "_mb": value // (1 << 20)
            for key, value in layers._vm_status().items()}


if __name__ == "__main__":
    sys.exit(main())
