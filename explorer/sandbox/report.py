"""What each layer of a worker's confinement reported: whether it took, and how."""
from __future__ import annotations

# What strict mode insists on. "user" is an unprivileged uid (root hosts) or a user namespace.
REQUIRED = ("namespaces", "pid namespace", "rlimits", "environment", "user", "no_new_privs",
            "landlock", "seccomp")
# A host that refuses new namespaces (Docker's default seccomp profile, Cloud Run, Community
# Cloud): the layers that stand in for them (``layers.confine`` reports "private temp" then).
REQUIRED_WITHOUT_NAMESPACES = ("rlimits", "process limit", "environment", "private temp",
                               "user", "no_new_privs", "landlock", "seccomp")


def required(layers: dict) -> tuple[str, ...]:
    """The layers strict mode insists on for a confinement that reported ``layers``."""
    return REQUIRED_WITHOUT_NAMESPACES if "private temp" in layers else REQUIRED


class Report(dict):
    """Layer name -> {"works": bool, "detail": str}, in the order applied."""

    def add(self, name: str, works: bool, detail: str) -> bool:
        self[name] = {"works": bool(works), "detail": detail}
        return bool(works)

    def missing(self, names: tuple[str, ...] | None = None) -> list[str]:
        names = required(self) if names is None else names
        return [name for name in names if not self.get(name, {}).get("works")]

