"""A worker's temp folder where there is no mount namespace, so no tmpfs of its own size
(the no-namespaces profile, ``layers``): made private by its owner and mode and by Landlock,
bounded per file by RLIMIT_FSIZE, and as a whole by the template, which measures its workers'
folders and kills the one that passed its limit (``overflow``)."""
from __future__ import annotations

import os

from explorer.sandbox.limits import MB, Limits
from explorer.sandbox.report import Report

TEMP_ENTRIES = 4096      # files and folders a temp folder may hold (the tmpfs's nr_inodes)
WATCH_INTERVAL_S = 0.2   # how often the template measures its workers' temp folders


def apply_private_temp(report: Report, run_dir: str, uid: int, gid: int,
                       limits: Limits) -> None:
    """Without a mount namespace, no tmpfs: the temp folder is a folder of the template's
    (made for this worker alone), owned by the worker's uid, mode 0700; Landlock lets the
    worker write there and nowhere else, RLIMIT_FSIZE bounds each file, and the template
    (``template.TemplateServer.watch_folders``) kills the worker whose folder passes
    ``limits.file_mb`` or ``TEMP_ENTRIES`` entries."""
    try:
        os.chown(run_dir, uid, gid)
        os.chmod(run_dir, 0o700)
        if os.listdir(run_dir):
            raise OSError(f"{run_dir} is not empty")
    except OSError as err:
        report.add("private temp", False, f"could not make the temp folder private: {err}")
        return
    report.add("private temp", True, f"a folder of its own (mode 0700, no other worker's "
               f"reachable through Landlock), {limits.file_mb} MB per file (RLIMIT_FSIZE); the "
               f"template kills the worker when the folder passes {limits.file_mb} MB or "
               f"{TEMP_ENTRIES} entries (measured every {WATCH_INTERVAL_S:g} s)")

def folder_usage(path: str, cap: int = TEMP_ENTRIES) -> tuple[int, int]:
    """Bytes on disk and entries under ``path``, not following links; stops counting past
    ``cap`` entries (a folder of a million files costs no more to judge than one of 4,097)."""
    used, entries, todo = 0, 0, [path]
    while todo and entries <= cap:
        try:
            with os.scandir(todo.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    used += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                    if entries > cap:
                        break
        except OSError:
            continue
    return used, entries


def overflow(run_dir: str, file_mb: int) -> str | None:
    """Why ``run_dir`` is past a temp folder's limits (``file_mb`` MB, ``TEMP_ENTRIES``
    entries), or None."""
    used, entries = folder_usage(run_dir)
    if entries > TEMP_ENTRIES:
        return f"more than {TEMP_ENTRIES} files and folders"
    if used > file_mb * MB:
        return f"{used // MB} MB (the limit is {file_mb} MB)"
    return None
