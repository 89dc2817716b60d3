#!/usr/bin/env bash
# Make this machine ready to run ccserver and its tests: host packages, a PostgreSQL on
# 127.0.0.1:5432 with trust auth for `postgres`, and the project's virtualenv in .venv.
#
# Idempotent: every step checks first and says what it did; a second run changes nothing.
# Needs root only when something must be installed or started (Debian 12 assumed).
#
#   PYTHON=python3.11 scripts/bootstrap.sh     # which interpreter builds .venv (default python3)
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
PG_HOST=127.0.0.1
PG_PORT=5432
VENV=.venv
STAMP=$VENV/.ccserver-installed
HBA_MARK="# added by ccserver scripts/bootstrap.sh"

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: ERROR: %s\n' "$*" >&2; exit 1; }

# --- host packages ---------------------------------------------------------------------------------

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
pg_server_present() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }
pg_port_open() { (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; }

apt_updated=no
apt_install() {
    [ "$(id -u)" -eq 0 ] || die "need root to apt-get install $*: run as root, or install them yourself"
    export DEBIAN_FRONTEND=noninteractive
    if [ "$apt_updated" = no ]; then
        say "apt-get update"
        apt-get update -q </dev/null
        apt_updated=yes
    fi
    say "apt-get install $*"
    apt-get install -y -q --no-install-recommends "$@" </dev/null
}

# debootstrap builds the Asterisk sandbox; espeak-ng + sox render the IVR prompts and hold music;
# chromium runs the browser tests of /agent and /wallboard (Playwright drives /usr/bin/chromium).
missing=()
for pkg in debootstrap espeak-ng sox chromium python3-venv; do
    pkg_installed "$pkg" || missing+=("$pkg")
done
# A server only when none is installed and nothing already answers on the port.
if ! pg_server_present && ! pg_port_open; then
    missing+=(postgresql)
fi
# pg_isready, psql and createdb (the Makefile's demo uses createdb).
command -v pg_isready >/dev/null && command -v psql >/dev/null && command -v createdb >/dev/null \
    || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
else
    say "host packages present"
fi

# --- PostgreSQL on 127.0.0.1:5432 ----------------------------------------------------------------

pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3; }
pg_trust_ok() {
    PGCONNECT_TIMEOUT=5 psql -w -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -tAc 'SELECT 1' \
        >/dev/null 2>&1
}
# "<version> <name>" of the Debian cluster configured for our port, if any.
cluster_on_port() {
    command -v pg_lsclusters >/dev/null || return 0
    pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1, $2; exit }'
}

if pg_ready; then
    say "PostgreSQL answers on $PG_HOST:$PG_PORT"
else
    pg_server_present || die "no PostgreSQL answers on $PG_HOST:$PG_PORT and no server is installed"
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not running on $PG_HOST:$PG_PORT: start it (needs root)"
    read -r ver name <<<"$(cluster_on_port)" || true
    if [ -z "${ver:-}" ]; then
        ver=$(printf '%s\n' /usr/lib/postgresql/*/bin/postgres | cut -d/ -f5 | sort -V | tail -n1)
        name=main
        if [ -d "/etc/postgresql/$ver/$name" ]; then
            die "cluster $ver/$name exists but not on port $PG_PORT (see pg_lsclusters): fix its port"
        fi
        say "pg_createcluster --port $PG_PORT $ver $name"
        pg_createcluster --port "$PG_PORT" "$ver" "$name" >/dev/null
    fi
    say "pg_ctlcluster --skip-systemctl-redirect $ver $name start"
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true  # judged by pg_isready below
    for _ in $(seq 30); do pg_ready && break; sleep 0.5; done
    pg_ready || die "PostgreSQL $ver/$name started but does not answer on $PG_HOST:$PG_PORT; see /var/log/postgresql/"
    say "PostgreSQL $ver/$name answers on $PG_HOST:$PG_PORT"
fi

if pg_trust_ok; then
    say "role postgres connects without a password on $PG_HOST"
else
    read -r ver name <<<"$(cluster_on_port)" || true
    hba=/etc/postgresql/${ver:-?}/${name:-?}/pg_hba.conf
    if [ -z "${ver:-}" ] || [ ! -f "$hba" ]; then
        die "cannot connect as postgres to $PG_HOST:$PG_PORT and no Debian cluster owns that port: allow it by hand"
    fi
    [ "$(id -u)" -eq 0 ] || die "need root to edit $hba"
    if ! grep -qF "$HBA_MARK" "$hba"; then
        # pg_hba.conf is first-match: the line goes on top. Local development and CI only.
        say "trusting role postgres from $PG_HOST/32 in $hba"
        { printf '%s\nhost all postgres %s/32 trust\n' "$HBA_MARK" "$PG_HOST"; cat "$hba"; } >"$hba.new"
        chown --reference="$hba" "$hba.new"
        chmod --reference="$hba" "$hba.new"
        mv "$hba.new" "$hba"
    fi
    say "pg_ctlcluster --skip-systemctl-redirect $ver $name reload"
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload
    sleep 1
    pg_trust_ok || die "still cannot connect as postgres without a password; check $hba"
fi

# --- the project's virtualenv ---------------------------------------------------------------------

if ! "$VENV/bin/python" -c 'pass' 2>/dev/null; then
    say "$PYTHON -m venv $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    say "pip install -e '.[dev]' into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --progress-bar off -e '.[dev]'
    touch "$STAMP"
else
    say "$VENV up to date with pyproject.toml"
fi
say "ready"
