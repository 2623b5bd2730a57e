#!/usr/bin/env bash
# Install modc's build/test dependencies. Idempotent; returns in well under a second when all is present.
#   Debian packages: libprotobuf-c-dev protobuf-c-compiler graphviz clang
#   Python (tests/fixtures only): onnx onnxruntime numpy; torch only from a local CPU wheel in /opt/wheels.
# Non-interactive (CI=true, no stdin). Env: PYTHON (default python3), WHEEL_DIR (default /opt/wheels).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
WHEEL_DIR="${WHEEL_DIR:-/opt/wheels}"
APT_PKGS=(libprotobuf-c-dev protobuf-c-compiler graphviz clang)
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf 'deps: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else log "need root for: $* (not root, no passwordless sudo)"; return 1
  fi
}

# --- Debian packages -----------------------------------------------------------------------------
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root apt-get update -qq </dev/null
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

# clang's sanitizer runtimes (the emitted-C and kernel sanitizer tests link -fsanitize=address,undefined) live in a
# versioned package on Debian 12+ (libclang-rt-N-dev); older releases ship them with clang itself.
if command -v clang >/dev/null 2>&1; then
  clang_major="$(clang -dumpversion 2>/dev/null | cut -d. -f1)"
  rt="libclang-rt-${clang_major}-dev"
  if [ -n "$clang_major" ] && ! dpkg -s "$rt" >/dev/null 2>&1 \
    && ! echo 'int main(void){return 0;}' | clang -x c -fsanitize=address,undefined -o /dev/null - >/dev/null 2>&1; then
    log "installing $rt (sanitizer runtimes)"
    { as_root apt-get install -y -qq --no-install-recommends "$rt" </dev/null \
      || { as_root apt-get update -qq </dev/null && as_root apt-get install -y -qq --no-install-recommends "$rt" </dev/null; }; } \
      || log "no $rt here; sanitizer tests will fail"
  fi
fi

# --- Python packages -----------------------------------------------------------------------------
# One interpreter start for both checks (keeps the fast path fast): prints "<core> <torch>" as ok/no.
py_state() {
  "$PYTHON" - <<'PY' 2>/dev/null || echo "no no"
import importlib.util
try:
    import onnx, onnxruntime, numpy  # noqa: F401
    core = "ok"
except Exception:
    core = "no"
print(core, "ok" if importlib.util.find_spec("torch") else "no")
PY
}
read -r core_state torch_state < <(py_state)
if [ "$core_state" != ok ]; then
  log "installing onnx onnxruntime numpy with pip"
  pip_flags=(-q --no-input)
  # Debian's system python is "externally managed" (PEP 668); venvs and pyenv are not.
  if "$PYTHON" -c 'import sys, sysconfig, os; sys.exit(0 if sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED")) else 1)'; then
    pip_flags+=(--break-system-packages)
  fi
  "$PYTHON" -m pip install "${pip_flags[@]}" onnx onnxruntime numpy </dev/null
fi

# Torch is optional and never downloaded: only a local CPU wheel is installed (its small pure-Python
# dependencies may come from the index).
if [ "$torch_state" != ok ]; then
  wheel="$(ls "$WHEEL_DIR"/torch-*cpu*.whl 2>/dev/null | head -n 1 || true)"
  if [ -n "$wheel" ]; then
    log "installing local torch wheel $wheel"
    "$PYTHON" -m pip install -q --no-input --find-links "$WHEEL_DIR" "$wheel" </dev/null ||
      log "torch wheel install failed; torch-exported test models will be skipped"
  fi
fi
# pytest runs the Python package's suite (python/tests) from EmbeddingTests and `make python-test`.
if ! "$PYTHON" -c 'import pytest' >/dev/null 2>&1; then
  log "installing pytest with pip"
  pytest_flags=(-q --no-input)
  if "$PYTHON" -c 'import sys, sysconfig, os; sys.exit(0 if sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED")) else 1)'; then
    pytest_flags+=(--break-system-packages)
  fi
  "$PYTHON" -m pip install "${pytest_flags[@]}" pytest </dev/null || log "pytest install failed; the Python suite will be skipped"
fi
exit 0
