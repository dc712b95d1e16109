"""The scaled-out path (issue 13): stateless Streamlit replicas and sandbox worker hosts joined
through Redis, with Dramatiq as the queue (chosen by ``bench/queues.py``: its worker runs jobs
on threads of one process, so a worker host keeps one warm template for all of them; RQ
forks a process per job or runs one job per process).

- ``broker``: the Dramatiq broker (Redis), the results backend, the one actor ``explorer_run``.
- ``host``: a worker host (``python -m explorer worker --redis URL``): Dramatiq's worker
  whose threads run each message through the host's own local sandbox scheduler, streaming
  records back through Redis.
- ``dispatch``: the replica's side (``RemoteRuns``): send a run, follow its records, its
  host's heartbeat and its result; a lost host's run is retried once (Dramatiq requeues the
  unacknowledged message of a dead worker) or fails with a clear message, never hangs.
- ``rcache``: the result cache in Redis, shared by every replica, bounded in entries and
  bytes, with the in-memory cache behind it while Redis is unreachable.
- ``local_redis``: a real ``redis-server`` on loopback for tests and benchmarks.

The embedded default (``make run``) imports none of this: one process, in-memory cache.
The replica's scheduler uses it when ``$EXPLORER_REDIS`` names a Redis URL."""
