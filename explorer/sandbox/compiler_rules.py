"""What the compiler helper (``compiler``) agrees to run: the C++ compiler's driver, given
only the options torch.compile's Inductor writes, never an option that names another program
(``-wrapper``, ``-B``, ``-fplugin``, ``-specs``, ``@file``, ``-Wl,...``) or a program of its own.

The rules are an allow-list, read token by token, so that an option we did not foresee is
refused rather than passed on. They are the helper's first layer; its Landlock domain, which
lets it execute only the toolchain's own files (``toolchain``), is the second."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

DRIVERS = ("g++", "c++", "gcc", "cc")          # the names Inductor may call the compiler by
SUBPROGRAMS = ("cc1plus", "cc1", "collect2", "lto-wrapper", "as", "ld")
SOURCE_SUFFIXES = (".cpp", ".cc", ".c", ".hpp", ".h", ".o")


class Refused(ValueError):
    """A command the helper does not run; the message says which token and why."""


# Options that stand alone, by pattern; anything else starting with "-" is refused.
ALONE = [re.compile(p) for p in (
    r"--version", r"-v", r"-shared", r"-fPIC", r"-pedantic", r"-E", r"-P", r"-c", r"-pthread",
    r"-O[0-3sgz]?", r"-Ofast", r"-g[0-3]?", r"-std=(c|gnu)\+\+\d\d", r"-std=(c|gnu)\d\d",
    r"-D[A-Za-z_][A-Za-z0-9_]*(=[A-Za-z0-9_.]*)?",
    r"-W(no-)?[a-z][a-z0-9-]*(=[a-z0-9]+)?",      # warnings: no comma, so not -Wl, -Wa, -Wp
    r"-f(no-)?[a-z][a-z0-9-]*(=[a-z0-9_-]+)?",     # code generation (-fplugin refused below)
    r"-m[a-z0-9][a-z0-9-]*(=[a-z0-9_-]+)?",        # -march=native, -mavx2
    r"-l[A-Za-z0-9_+-]+",
)]
WITH_VALUE = {"-D": re.compile(r"[A-Za-z_][A-Za-z0-9_]*(=[A-Za-z0-9_.]*)?"),
              "-x": re.compile(r"c\+\+|c\+\+-header|c|c-header"),
              "-o": None, "-include": None, "-I": None, "-L": None}   # None: a path
GLUED_PATHS = ("-I", "-L")
NEVER = ("-fplugin", "-wrapper", "-B", "-specs", "--specs", "-fuse-ld", "-Xlinker",
         "-Xassembler", "-Xpreprocessor", "-no-canonical-prefixes", "-iprefix", "--sysroot")


def _path(token: str, what: str) -> str:
    if not token or token.startswith("-") or "\n" in token or "\0" in token:
        raise Refused(f"{what} {token!r} is not a path")
    return token


def check(argv: list[str]) -> list[str]:
    """``argv`` as the helper will run it (the driver's own path first), or ``Refused``."""
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise Refused("a command is a non-empty list of strings")
    if os.path.basename(argv[0]) not in DRIVERS or "/" in argv[0]:
        raise Refused(f"{argv[0]!r} is not the C++ compiler: the helper runs nothing else")
    tokens, out = iter(argv[1:]), [driver()]
    for token in tokens:
        if token.startswith("@"):
            raise Refused(f"{token!r}: response files may hold any option")
        if any(token == n or token.startswith(n) for n in NEVER):
            raise Refused(f"{token!r} would have the compiler run or load another program")
        if token in WITH_VALUE:
            value = next(tokens, "")
            pattern = WITH_VALUE[token]
            if pattern is None:
                value = _path(value, f"the value of {token}")
            elif not pattern.fullmatch(value):
                raise Refused(f"{token} {value!r} is not an option Inductor writes")
            out += [token, value]
        elif token.startswith(GLUED_PATHS):
            out.append(token[:2] + _path(token[2:], f"the path of {token[:2]}"))
        elif token.startswith("-"):
            if not any(p.fullmatch(token) for p in ALONE):
                raise Refused(f"{token!r} is not an option Inductor writes")
            out.append(token)
        elif token.endswith(SOURCE_SUFFIXES):
            out.append(_path(token, "the source"))
        else:
            raise Refused(f"{token!r} is neither an option nor a C++ source file")
    return out


def driver() -> str:
    """The real path of the C++ compiler's driver (``g++``), or ``Refused``."""
    found = shutil.which("g++", path="/usr/bin:/bin")
    if found is None:
        raise Refused("no C++ compiler (g++) is installed on this host")
    return os.path.realpath(found)


def toolchain() -> list[str]:
    """The files the helper may execute: the driver, the programs it starts (cc1plus, as,
    collect2, ld), and the dynamic loader every one of them needs. Asked of the driver
    itself (``-print-prog-name``), before the helper is confined."""
    files = {driver()}
    for name in SUBPROGRAMS:
        answer = subprocess.run([driver(), f"-print-prog-name={name}"], capture_output=True,
                                text=True, timeout=10, env={"PATH": "/usr/bin:/bin"},
                                check=False).stdout.strip()
        found = answer if os.path.isabs(answer) else shutil.which(answer, path="/usr/bin:/bin")
        if found and os.path.exists(found):
            files.add(os.path.realpath(found))
    for loader in ("/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"):
        if os.path.exists(loader):
            files.add(os.path.realpath(loader))
    return sorted(files)
