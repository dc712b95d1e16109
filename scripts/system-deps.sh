#!/usr/bin/env bash
# Debian packages the project uses: graphviz (the dot program) and libseccomp2 (the sandbox's
# seccomp layer) always; chromium for the browser tests when called with --browser. Installs
# what is missing where it can (root and apt-get), and otherwise says what to install: the app
# still draws graphs without dot.
set -u
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
# libseccomp2: the sandbox's seccomp layer (python -m explorer doctor says if it works).
ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2' || need+=(libseccomp2)
# redis-server: the scale tests start a real one on loopback (they skip without it).
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [[ "${1:-}" == "--browser" ]]; then
  command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]] || need+=(chromium)
  # Debian's python3.11: the hosting tests run a server as an ordinary uid on a venv made
  # from it (a pyenv or root-owned interpreter may not be runnable by that uid).
  [[ -x /usr/bin/python3.11 ]] || need+=(python3.11 python3.11-venv)
  # debootstrap: tests/test_dockerfile_steps.py runs the Dockerfile's steps on a clean Debian
  # tree (no Docker engine here); capsh (libcap2-bin) decodes the capabilities it checks.
  command -v debootstrap >/dev/null 2>&1 || [[ -x /usr/sbin/debootstrap ]] || need+=(debootstrap)
  command -v capsh >/dev/null 2>&1 || [[ -x /usr/sbin/capsh ]] || need+=(libcap2-bin)
fi
((${#need[@]})) || exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
     { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }; then
    exit 0
  fi
  echo "warning: apt-get could not install ${need[*]}" >&2
else
  echo "note: please install ${need[*]} (Debian/Ubuntu: sudo apt-get install ${need[*]})." >&2
fi
[[ " ${need[*]} " == *" graphviz "* ]] && echo "note: without Graphviz's dot the app draws graphs in the browser instead." >&2
exit 0
