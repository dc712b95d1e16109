"""A worker's hostile code against the compiler helper (explorer.sandbox.compiler), shared by
tests/test_compiler_helper.py and the hosting corpus (no namespaces): the snippet tries every
way it has to start a program, directly and through the helper's socket, and prints what
happened; ``problems`` says what should not have. SECRET_FILE and OUT are replaced by paths
outside the worker (a file it must not read, one it must not write)."""
from __future__ import annotations

import json

SNIPPET = r'''import ctypes, json, os, shutil, sys
import torch
from explorer.sandbox import compiler

libc = ctypes.CDLL(None, use_errno=True)
tried = {}

def execve(path):
    argv = (ctypes.c_char_p * 2)(path.encode(), None)
    libc.execve(path.encode(), argv, None)
    return ctypes.get_errno()

tried["exec sh"] = execve("/bin/sh")
tried["exec python"] = execve(os.path.realpath(sys.executable))
folder = compiler.available()
mine = os.path.join(folder, "mine")
shutil.copy("/usr/bin/true", mine)
os.chmod(mine, 0o755)
tried["exec written"] = execve(mine)
tried["fork"] = ctypes.get_errno() if libc.fork() < 0 else "forked"
for name, argv in {"helper sh": ["/bin/sh", "-c", "touch OUT"],
                   "helper python": ["python3", "-c", "open('OUT', 'w')"],
                   "helper wrapper": ["g++", "-wrapper", "/bin/sh,-c,touch OUT", "x.cpp"],
                   "helper -B": ["g++", "-B" + folder + "/", "x.cpp"],
                   "helper written": [mine]}.items():
    tried[name] = compiler.run(argv).get("refused", "ran")
source = os.path.join(folder, "leak.cpp")
with open(source, "w") as f:
    f.write('#include "SECRET_FILE"\nint f() { return 1; }\n')
leak = compiler.run(["g++", "-shared", "-fPIC", source, "-o", os.path.join(folder, "leak.so")])
tried["include secret"] = [leak["returncode"], "SECRET" in leak["stderr"] + leak["stdout"]]
with open(os.path.join(folder, "ok.cpp"), "w") as f:
    f.write("int g() { return 2; }\n")
built = compiler.run(["g++", "-shared", "-fPIC", os.path.join(folder, "ok.cpp"), "-o", "OUT"])
tried["write outside"] = built["returncode"]
tried["version"] = compiler.run(["g++", "--version"])["returncode"]
print(json.dumps(tried))
'''
CONTRACT = """

def inputs():
    return torch.ones(2, requires_grad=True)


def forward(x):
    return (x * 2).sum()
"""
EPERM = 1
DIRECT = ("exec sh", "exec python", "exec written", "fork")
THROUGH_HELPER = ("helper sh", "helper python", "helper wrapper", "helper -B", "helper written")


def code(secret_file: str, out: str) -> str:
    return (SNIPPET + CONTRACT).replace("SECRET_FILE", secret_file).replace("OUT", out)


def problems(result: dict) -> list[str]:
    """What the run's printed record shows that should not have happened."""
    if result.get("status") != "ok":
        return [f"the run ended {result.get('status')}: {result.get('message')}"]
    tried = json.loads(result["stdout"].strip().splitlines()[-1])
    found = [f"{name}: {tried[name]}" for name in DIRECT if tried[name] != EPERM]
    found += [f"{name} ran" for name in THROUGH_HELPER if tried[name] == "ran"]
    if tried["include secret"] != [1, False]:
        found.append(f"the compiler read the secret file: {tried['include secret']}")
    if tried["write outside"] == 0:
        found.append("the compiler wrote outside the worker")
    if tried["version"] != 0:
        found.append("the compiler itself did not run")
    return found
