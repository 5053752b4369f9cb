#!/usr/bin/env bash
# Create nlu/.venv (Python 3.10, pinned Rasa 3.6.21) from scratch; idempotent through a stamp file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
stamp="$venv/.stamp"

find_python310() {
    local candidate
    candidate="$(command -v python3.10 || true)"
    if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
        echo "$candidate"; return 0
    fi
    local roots=()
    if command -v pyenv >/dev/null 2>&1; then roots+=("$(pyenv root)"); fi
    roots+=("${PYENV_ROOT:-$HOME/.pyenv}")
    for root in "${roots[@]}"; do
        for candidate in "$root"/versions/3.10*/bin/python3.10; do
            if [ -x "$candidate" ] && "$candidate" -c 'import sys' 2>/dev/null; then
                echo "$candidate"; return 0
            fi
        done
    done
    for candidate in /usr/bin/python3.10 /usr/local/bin/python3.10; do
        if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
    done
    return 1
}

if [ -f "$stamp" ] && [ "$stamp" -nt "$here/requirements.txt" ] && [ "$stamp" -nt "$here/constraints.txt" ]; then
    exit 0
fi
python="$(find_python310)" || {
    echo "nlu: Python 3.10 is needed for Rasa 3.6.21; install it (e.g. 'pyenv install 3.10') and run make again." >&2
    exit 1
}
echo "nlu: creating $venv with $python (about 2 minutes; started $(date +%T))"
start=$SECONDS
rm -rf "$venv"
"$python" -m venv "$venv"
quiet() { grep -v -e "is ignored: it is neither a file nor a directory" -e "DEPRECATION:" || true; }
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Wheels only (nothing compiled); three small pure-Python dependencies of Rasa exist only as source.
"$venv/bin/pip" install --quiet --only-binary :all: --no-binary mattermostwrapper,randomname,docopt \
    -r "$here/requirements.txt" -c "$here/constraints.txt" 2>&1 | quiet
"$venv/bin/pip" check
touch "$stamp"
echo "nlu: $venv ready in $((SECONDS - start)) s"
