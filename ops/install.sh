#!/usr/bin/env bash
# Install what Mumaris needs, idempotently:
#   1. the system servers rabbitmq-server, postgresql and nginx, what the registration card needs:
#      the Amiri font (fonts-hosny-amiri) and, for its test, pdftoppm/pdftotext (poppler-utils), and
#      Chromium for the browser tests and npm for the portal's assets (apt, only when missing);
#   2. the portal's browser assets (services/portal/vendor.txt) from the npm registry, with their
#      licences;
#   3. .venv at the repo root with requirements-dev.txt (the runtime requirements.txt plus the test
#      and lint tools) and, editable and --no-deps, shared/, shared/testing/ (the test fixtures, a
#      pytest plugin: for development only, no Dockerfile installs it) and services/<name>/ (each
#      only once it has a pyproject.toml).
# Python packages are reinstalled only when a requirements file or a pyproject.toml changed
# (hash stamp in .venv/.mumaris-install-stamp). Settings: PYTHON (python3), SKIP_APT=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
STAMP="$VENV/.mumaris-install-stamp"
EDITABLE_DIRS=(shared shared/testing services/accounts services/applications services/billing services/notifications services/portal)
VENDOR_LIST="$ROOT/services/portal/vendor.txt"
VENDOR_DIR="$ROOT/services/portal/portal/static/vendor"

log() { echo "install: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---------------------------------------------------------------- system packages
APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2
}

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
have_postgres() {
    have pg_ctlcluster && have psql && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1
}

if [ "${SKIP_APT:-0}" != 1 ]; then
    missing=()
    have rabbitmq-server || missing+=(rabbitmq-server)
    have_postgres || missing+=(postgresql)
    have nginx || missing+=(nginx)
    have pdftoppm || missing+=(poppler-utils)
    ls /usr/share/fonts/*/fonts-hosny-amiri/Amiri-Regular.ttf >/dev/null 2>&1 || missing+=(fonts-hosny-amiri)
    have chromium || missing+=(chromium)  # the browser tests drive it (Playwright's own download is not used)
    have npm || missing+=(npm)  # vendors the portal's browser assets
    if [ ${#missing[@]} -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
fi

# ---------------------------------------------------------------- the portal's browser assets
# Each package is fetched once per version (a .version stamp in its directory), with `npm pack`:
# the registry's tarball, nothing run from it.
vendor() {
    local spec="$1" dir="$2"; shift 2
    local target="$VENDOR_DIR/$dir"
    if [ -f "$target/.version" ] && [ "$(cat "$target/.version")" = "$spec" ]; then return; fi
    log "vendoring $spec into ${target#"$ROOT"/}"
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
    rm -rf "$target" && mkdir -p "$target"
    local pattern file
    for pattern in "$@"; do
        for file in "$tmp"/package/$pattern; do
            [ -e "$file" ] || { log "vendor: $spec has no $pattern"; rm -rf "$tmp"; exit 1; }
            mkdir -p "$target/$(dirname "${file#"$tmp"/package/}")"
            cp "$file" "$target/${file#"$tmp"/package/}"
        done
    done
    echo "$spec" > "$target/.version"
    rm -rf "$tmp"
}
while read -r spec dir files; do
    case "$spec" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086  # the file list is globs, split on purpose
    vendor "$spec" "$dir" $files
done < "$VENDOR_LIST"

# ---------------------------------------------------------------- virtualenv
# One installer at a time (several engineers / make targets may run it together).
mkdir -p "$ROOT/var"
exec 9>"$ROOT/var/.install.lock"
flock 9

if [ ! -x "$VENV/bin/python" ]; then
    log "creating .venv with $PYTHON"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        rm -rf "$VENV"
        [ "${SKIP_APT:-0}" = 1 ] || apt_install python3-venv
        "$PYTHON" -m venv "$VENV"
    fi
fi

editable=()
for d in "${EDITABLE_DIRS[@]}"; do
    if [ -f "$d/pyproject.toml" ]; then editable+=("$d"); fi
done

want="$(
    {
        "$VENV/bin/python" -c 'import sys; print(sys.version)'
        sha256sum requirements.txt requirements-dev.txt
        for d in "${editable[@]+"${editable[@]}"}"; do sha256sum "$d/pyproject.toml"; done
    } | sha256sum | cut -d' ' -f1
)"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    log ".venv up to date"
    exit 0
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1
log "pip install -r requirements-dev.txt"
"$VENV/bin/python" -m pip install -q -r requirements-dev.txt
if [ ${#editable[@]} -gt 0 ]; then
    args=()
    for d in "${editable[@]}"; do args+=(-e "$d"); done
    log "pip install --no-deps ${args[*]}"
    "$VENV/bin/python" -m pip install -q --no-deps "${args[@]}"
fi
for d in "${EDITABLE_DIRS[@]}"; do
    [ -f "$d/pyproject.toml" ] || log "skipped $d (no pyproject.toml yet)"
done
echo "$want" > "$STAMP"
log "done"
