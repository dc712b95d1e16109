"""What each layer of a worker's confinement reported: whether it took, and how."""
from __future__ import annotations

# What strict mode insists on. "user" is an unprivileged uid (root hosts) or a user namespace.
REQUIRED = ("namespaces", "pid namespace", "rlimits", "environment", "user", "no_new_privs",
            "landlock", "seccomp")


class Report(dict):
    """Layer name -> {"works": bool, "detail": str}, in the order applied."""

    def add(self, name: str, works: bool, detail: str) -> bool:
        self[name] = {"works": bool(works), "detail": detail}
        return bool(works)

    def missing(self, required: tuple[str, ...] = REQUIRED) -> list[str]:
        return [name for name in required if not self.get(name, {}).get("works")]

