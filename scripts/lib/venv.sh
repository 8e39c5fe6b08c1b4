# shellcheck shell=bash
# The project's virtual environment, shared by scripts/test and scripts/demo (sourced, not run).
#
# Works on a fresh machine that has only Python 3.11, pip, node/npm and apt:
#   ensure_venv   creates or reuses the virtual environment .venv/ at the repository root;
#   install_deps  installs  -c constraints.txt -e '.[server,dev,pandas,fsspec]'  into it, skipped
#                 when a stamp shows that pyproject.toml, constraints.txt and the interpreter
#                 are unchanged (BUCKETRY_FORCE_INSTALL=1 reinstalls anyway);
#   use_venv      puts the venv's tools and console scripts first on PATH.
#
# The sourcing script sets ROOT (the repository root) and cds there first. Knobs:
#   BUCKETRY_PYTHON          interpreter used to create .venv (default: python3.11, else python3)
#   BUCKETRY_FORCE_INSTALL=1 reinstall even if the stamp matches

: "${ROOT:?set ROOT to the repository root before sourcing scripts/lib/venv.sh}"

VENV="$ROOT/.venv"
EXTRAS="server,dev,pandas,fsspec"
STAMP="$VENV/.bucketry-install-stamp"
INSTALL_LOG="$VENV/.bucketry-install.log"
# How errors name the script that failed: scripts/test, scripts/demo.
SCRIPT_NAME="scripts/$(basename "$0")"

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\n%s: ERROR: %s\n' "$SCRIPT_NAME" "$*" >&2; exit 1; }

find_python() {
    local candidate
    for candidate in "${BUCKETRY_PYTHON:-}" python3.11 python3 python; do
        [[ -n "$candidate" ]] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
                >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    die "no Python >= 3.11 found (set BUCKETRY_PYTHON)"
}

ensure_venv() {
    # Reuse .venv only if its interpreter still runs (a moved or half-deleted venv does not).
    if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys, pip' >/dev/null 2>&1; then
        return 0
    fi
    local python
    python="$(find_python)"
    say "creating $VENV with $python ($("$python" --version 2>&1))"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
}

install_stamp() {
    # Everything that decides what the install contains or where it points.
    {
        printf 'root=%s\n' "$ROOT"
        printf 'extras=%s\n' "$EXTRAS"
        "$VENV/bin/python" -c 'import sys; print("python=" + sys.version)'
        cat pyproject.toml constraints.txt
    } | sha256sum | cut -d' ' -f1
}

install_deps() {
    [[ -f constraints.txt ]] || die "constraints.txt is missing (see README, 'Dependencies')"
    local want
    want="$(install_stamp)"
    if [[ "${BUCKETRY_FORCE_INSTALL:-0}" != 1 && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] &&
        "$VENV/bin/python" -c 'import bucketry_api, bucketry, bucketry_server' >/dev/null 2>&1; then
        say "dependencies up to date (stamp matches; BUCKETRY_FORCE_INSTALL=1 to reinstall)"
        return 0
    fi
    say "installing -c constraints.txt -e '.[$EXTRAS]' into .venv (log: $INSTALL_LOG)"
    rm -f "$STAMP"
    local start=$SECONDS
    if ! "$VENV/bin/python" -m pip install --progress-bar off \
        -c constraints.txt -e ".[$EXTRAS]" >"$INSTALL_LOG" 2>&1; then
        grep -v 'is ignored: it is neither a file nor a directory' "$INSTALL_LOG" | tail -n 60 >&2
        die "pip install failed (full log: $INSTALL_LOG)"
    fi
    if ! "$VENV/bin/python" -m pip check; then
        die "pip check found broken requirements; fix pyproject.toml/constraints.txt"
    fi
    printf '%s\n' "$want" >"$STAMP"
    echo "installed in $((SECONDS - start)) s"
}

use_venv() {
    # Tools and console scripts of the venv come first for everything below.
    export PATH="$VENV/bin:$PATH"
    export VIRTUAL_ENV="$VENV"
    unset PYTHONHOME
}
