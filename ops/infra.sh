#!/usr/bin/env bash
# Mumaris infrastructure: RabbitMQ (127.0.0.1:5672) and PostgreSQL (127.0.0.1:5432).
#
#   ops/infra.sh up   [--keep] [rabbitmq] [postgres]   (default: both)
#   ops/infra.sh down [rabbitmq] [postgres]
#   ops/infra.sh status
#   ops/infra.sh rabbitmq-node up   NAME AMQP_PORT DIST_PORT DIR
#   ops/infra.sh rabbitmq-node down NAME DIR
#   ops/infra.sh rabbitmq-node ctl  NAME DIR RABBITMQCTL-ARGS...
#   ops/infra.sh rabbitmq-cluster up   DIR NAME:AMQP_PORT:DIST_PORT...
#   ops/infra.sh rabbitmq-cluster down DIR
#
# `up` uses a server that already answers on its port; otherwise it starts the operating system's
# server (installing the package first if its binary is missing) and records in $INFRA_STATE_DIR
# (default <var>/infra) that WE started it, with its pid. Either way `up rabbitmq` then provisions
# the services' own users, their permissions and the exchange (rabbitmq_users, below).
# `down` stops only what is recorded there, i.e. only what `up` started.
# `--keep` starts without recording: nobody's `down` will stop it (long-lived dev servers).
#
# `up postgres` also ensures the role mumaris/mumaris (LOGIN CREATEDB), so tests can create
# databases at postgresql://mumaris:mumaris@127.0.0.1:5432/postgres.
#
# `rabbitmq-node` runs an extra RabbitMQ node of one's own beside the shared one, e.g. for tests
# that stop their broker (see rabbitmq_node_start below); `up`/`down` of the shared servers never
# touch it, and it never touches them. `rabbitmq-cluster` runs several such nodes as one cluster
# (see rabbitmq_cluster_start below).
#
# Settings (environment): MUMARIS_VAR_DIR (var/), INFRA_STATE_DIR (<var>/infra), RABBITMQ_URL and
# <SERVICE>_RABBITMQ_USER / _PASSWORD (the services' users),
# INFRA_RABBITMQ_PORT (5672), INFRA_POSTGRES_PORT (5432), INFRA_TIMEOUT seconds (120).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR_DIR="${MUMARIS_VAR_DIR:-$ROOT/var}"
case "$VAR_DIR" in /*) ;; *) VAR_DIR="$ROOT/$VAR_DIR" ;; esac
STATE_DIR="${INFRA_STATE_DIR:-$VAR_DIR/infra}"
RABBITMQ_PORT="${INFRA_RABBITMQ_PORT:-5672}"
POSTGRES_PORT="${INFRA_POSTGRES_PORT:-5432}"
TIMEOUT="${INFRA_TIMEOUT:-120}"
PG_ROLE=mumaris
PG_PASSWORD=mumaris

log() { echo "infra: $*" >&2; }
die() { echo "infra: ERROR: $*" >&2; exit 1; }

port_open() { # host port -> 0 when something accepts a TCP connection
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

wait_port() { # host port seconds
    local i
    for ((i = 0; i < $3 * 2; i++)); do
        port_open "$1" "$2" && return 0
        sleep 0.5
    done
    return 1
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=0
ensure_pkg() { # binary package
    command -v "$1" >/dev/null 2>&1 && return 0
    [ -x "/usr/sbin/$1" ] && return 0
    log "$1 missing: installing $2"
    if [ "$APT_UPDATED" = 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >&2
}

pg_version() {
    ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1
}

# ---------------------------------------------------------------- RabbitMQ
rabbitmq_up() {
    local keep="$1"
    if port_open 127.0.0.1 "$RABBITMQ_PORT"; then
        log "rabbitmq: 127.0.0.1:$RABBITMQ_PORT already answers, using it"
        rabbitmq_users
        return 0
    fi
    ensure_pkg rabbitmq-server rabbitmq-server
    [ "$RABBITMQ_PORT" = 5672 ] || die "rabbitmq: can only start the system server on 5672"
    local epmd_was_running=0
    port_open 127.0.0.1 4369 && epmd_was_running=1
    log "rabbitmq: starting (rabbitmq-server -detached)"
    local env_file
    env_file="$(mktemp /tmp/mumaris-rabbitmq-env.XXXXXX)"
    { echo '[ -r /etc/rabbitmq/rabbitmq-env.conf ] && . /etc/rabbitmq/rabbitmq-env.conf'; open_files_line; } > "$env_file"
    chmod 644 "$env_file"
    as_root env RABBITMQ_CONF_ENV_FILE="$env_file" rabbitmq-server -detached >&2 || true
    wait_port 127.0.0.1 "$RABBITMQ_PORT" "$TIMEOUT" \
        || die "rabbitmq: port $RABBITMQ_PORT did not open in ${TIMEOUT}s (see /var/log/rabbitmq/)"
    timeout "$TIMEOUT" rabbitmqctl -q await_startup >&2 \
        || die "rabbitmq: rabbitmqctl await_startup failed"
    rm -f "$env_file"
    local pid
    pid="$(rabbitmqctl -q eval 'os:getpid().' 2>/dev/null | tr -dc '0-9')" || pid=""
    if [ "$keep" = 0 ]; then
        mkdir -p "$STATE_DIR"
        { echo "pid=$pid"; echo "epmd_started=$((1 - epmd_was_running))"; } > "$STATE_DIR/rabbitmq"
    fi
    rabbitmq_forget_test_vhosts
    rabbitmq_users
    log "rabbitmq: up on 127.0.0.1:$RABBITMQ_PORT (pid ${pid:-?})$([ "$keep" = 1 ] && echo ', kept: not recorded')"
}

# The broker's file handle cache allows the process's open-files limit less a reserve, and every
# virtual host's message stores and queues hold handles: at the usual soft limit of 1,024, a few
# dozen virtual hosts exhaust it, and creating or deleting one then waits forever. A broker started
# here raises its soft limit to the hard one (65,536 is what the Debian package's systemd unit
# gives), in its rabbitmq-env.conf: Debian's wrapper starts it through `su`, which resets limits.
open_files_line() {
    echo 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"'
}

# Virtual hosts of test runs that were killed before deleting theirs (`test-…`, mumaris_testing) would
# pile up run after run, each with its queues. A broker just started here serves nobody yet: they go.
rabbitmq_forget_test_vhosts() {
    local gone
    gone="$(timeout "$TIMEOUT" rabbitmqctl -q eval '
        Left = [V || V <- rabbit_vhost:list_names(), binary:longest_common_prefix([V, <<"test-">>]) =:= 5],
        [rabbit_vhost:delete(V, <<"infra.sh">>) || V <- Left],
        length(Left).' 2>/dev/null | tr -dc '0-9')" || gone=""
    [ "${gone:-0}" = 0 ] || log "rabbitmq: removed $gone virtual hosts left behind by earlier test runs"
}

rabbitmq_down() {
    local f="$STATE_DIR/rabbitmq"
    [ -f "$f" ] || { log "rabbitmq: not started by us, leaving it"; return 0; }
    local pid epmd_started
    pid="$(sed -n 's/^pid=//p' "$f")"
    epmd_started="$(sed -n 's/^epmd_started=//p' "$f")"
    if pid_alive "$pid"; then
        log "rabbitmq: stopping (pid $pid)"
        timeout 60 rabbitmqctl -q shutdown >&2 || true
        local i
        for ((i = 0; i < 40; i++)); do pid_alive "$pid" || break; sleep 0.5; done
        if pid_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; sleep 3; fi
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    else
        log "rabbitmq: recorded pid ${pid:-?} no longer runs"
    fi
    if [ "$epmd_started" = 1 ] && command -v epmd >/dev/null 2>&1; then
        epmd -kill >/dev/null 2>&1 || true
    fi
    rm -f "$f"
}

# Each service's own user, its permissions and the shared exchange, in the virtual host of
# RABBITMQ_URL (default /), as mumaris_shared.broker_access defines them; passwords from
# <SERVICE>_RABBITMQ_PASSWORD, or the development ones (which production refuses). Imported on every
# `up`: idempotent, and a changed password takes effect. Other users (guest) are left as they are.
rabbitmq_users() {
    local python="$ROOT/.venv/bin/python"
    [ -x "$python" ] || die "rabbitmq: $python is missing; run ops/install.sh first (it writes the users)"
    log "rabbitmq: provisioning the services' users, their permissions and the exchange"
    (cd "$ROOT" && "$python" -m mumaris_shared.broker_access definitions) \
        | as_root rabbitmqctl -q import_definitions >&2 \
        || die "rabbitmq: could not import the services' users (rabbitmqctl import_definitions)"
}

# ---------------------------------------------------------------- PostgreSQL
pg_ensure_role() {
    if command -v psql >/dev/null 2>&1 && PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 \
        psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$PG_ROLE" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        return 0
    fi
    id postgres >/dev/null 2>&1 || { log "postgres: no local postgres user; cannot create role $PG_ROLE"; return 0; }
    log "postgres: ensuring role $PG_ROLE (LOGIN CREATEDB)"
    runuser -u postgres -- psql -p "$POSTGRES_PORT" -v ON_ERROR_STOP=1 -q -d postgres >&2 <<SQL \
        || die "postgres: could not create role $PG_ROLE"
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
}

postgres_up() {
    local keep="$1"
    if port_open 127.0.0.1 "$POSTGRES_PORT"; then
        log "postgres: 127.0.0.1:$POSTGRES_PORT already answers, using it"
        pg_ensure_role
        return 0
    fi
    if [ -z "$(pg_version)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
        ensure_pkg __no_such_binary__ postgresql
    fi
    local ver
    ver="$(pg_version)"
    [ -n "$ver" ] || die "postgres: no server under /usr/lib/postgresql"
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$ver main"; then
        log "postgres: creating cluster $ver/main"
        as_root pg_createcluster "$ver" main -p "$POSTGRES_PORT" >&2
    fi
    # the cluster may already run (e.g. on the socket only); start is a no-op error then
    if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
        log "postgres: starting (pg_ctlcluster $ver main start)"
        as_root pg_ctlcluster "$ver" main start >&2 || die "postgres: pg_ctlcluster $ver main start failed"
        local started=1
    fi
    wait_port 127.0.0.1 "$POSTGRES_PORT" "$TIMEOUT" \
        || die "postgres: port $POSTGRES_PORT did not open (is the cluster on another port? see pg_lsclusters)"
    local pid=""
    local datadir
    datadir="$(pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $6}')"
    [ -f "$datadir/postmaster.pid" ] && pid="$(head -1 "$datadir/postmaster.pid")"
    if [ "$keep" = 0 ] && [ "${started:-0}" = 1 ]; then
        mkdir -p "$STATE_DIR"
        { echo "pid=$pid"; echo "version=$ver"; } > "$STATE_DIR/postgres"
    fi
    pg_ensure_role
    [ "${started:-0}" = 1 ] && postgres_forget_test_databases
    log "postgres: up on 127.0.0.1:$POSTGRES_PORT (version $ver, pid ${pid:-?})$([ "$keep" = 1 ] && echo ', kept: not recorded')"
}

# Databases of test runs and benches killed before dropping theirs (`test_…`: mumaris_testing;
# `bench_…`: bench/fresh.py) would pile up run after run. A server just started here serves nobody
# yet: ours among them go.
postgres_forget_test_databases() {
    local names name gone=0
    names="$(PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$PG_ROLE" -d postgres -tAc \
        "SELECT datname FROM pg_database WHERE datname ~ '^(test|bench)_' AND pg_get_userbyid(datdba) = current_user" \
        2>/dev/null)" || return 0
    for name in $names; do
        PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$PG_ROLE" -d postgres -qc \
            "DROP DATABASE IF EXISTS \"$name\"" >/dev/null 2>&1 && gone=$((gone + 1))
    done
    [ "$gone" = 0 ] || log "postgres: removed $gone databases left behind by earlier test runs and benches"
}

postgres_down() {
    local f="$STATE_DIR/postgres"
    [ -f "$f" ] || { log "postgres: not started by us, leaving it"; return 0; }
    local pid ver
    pid="$(sed -n 's/^pid=//p' "$f")"
    ver="$(sed -n 's/^version=//p' "$f")"
    if pid_alive "$pid"; then
        log "postgres: stopping (pg_ctlcluster $ver main stop, pid $pid)"
        as_root pg_ctlcluster "$ver" main stop -m fast >&2 || true
        local i
        for ((i = 0; i < 40; i++)); do pid_alive "$pid" || break; sleep 0.5; done
        pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null || true
    else
        log "postgres: recorded pid ${pid:-?} no longer runs"
    fi
    rm -f "$f"
}

# ---------------------------------------------------------------- extra RabbitMQ nodes
# A node of one's own: its name (NAME@localhost), its AMQP port on 127.0.0.1, its Erlang
# distribution port, and DIR holding everything it has (data, logs, pid file, its Erlang cookie,
# its empty plugin list and configuration), so that nothing of the shared node's is read or
# written. The shared epmd (4369) is shared: it only maps node names to distribution ports.
# Several nodes may run at once (one per test worker; the nodes of a cluster).
# INFRA_NODE_COOKIE (environment) sets the Erlang cookie, for nodes that must talk to each other
# (a cluster needs one cookie on every node); otherwise each DIR gets a random one.

rabbitmq_bin() { # the real script, not Debian's wrapper (which runs as the rabbitmq user in its home)
    if [ -x "/usr/lib/rabbitmq/bin/$1" ]; then echo "/usr/lib/rabbitmq/bin/$1"; else command -v "$1"; fi
}

rabbitmq_node_ctl() { # name dir rabbitmqctl-args...
    local name="$1" dir="$2"
    shift 2
    HOME="$dir" "$(rabbitmq_bin rabbitmqctl)" -q -n "$name@localhost" "$@"
}

rabbitmq_node_start() { # name amqp_port dist_port dir
    local name="$1" amqp_port="$2" dist_port="$3" dir="$4"
    [ -n "$name" ] && [ -n "$amqp_port" ] && [ -n "$dist_port" ] && [ -n "$dir" ] \
        || die "usage: rabbitmq-node up NAME AMQP_PORT DIST_PORT DIR"
    ensure_pkg rabbitmq-server rabbitmq-server
    local port
    for port in "$amqp_port" "$dist_port"; do
        port_open 127.0.0.1 "$port" && die "rabbitmq-node $name: port $port is taken"
    done
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ ! -f "$dir/.erlang.cookie" ]; then
        (umask 077 && printf '%s' "${INFRA_NODE_COOKIE:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}" \
            > "$dir/.erlang.cookie")
    fi
    echo '[].' > "$dir/enabled_plugins"
    : > "$dir/rabbitmq.conf"
    open_files_line > "$dir/rabbitmq-env.conf"
    rm -f "$dir/pid"
    log "rabbitmq-node $name: starting (amqp 127.0.0.1:$amqp_port, distribution $dist_port, in $dir)"
    HOME="$dir" \
        RABBITMQ_NODENAME="$name@localhost" \
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
        RABBITMQ_NODE_PORT="$amqp_port" \
        RABBITMQ_DIST_PORT="$dist_port" \
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        RABBITMQ_MNESIA_BASE="$dir/mnesia" \
        RABBITMQ_LOG_BASE="$dir/log" \
        RABBITMQ_PID_FILE="$dir/pid" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
        RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
        RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
        RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
        "$(rabbitmq_bin rabbitmq-server)" -detached >&2 \
        || die "rabbitmq-node $name: rabbitmq-server -detached failed"
    # `wait` follows the pid file, so a node that dies while starting fails here, not at the timeout
    if ! rabbitmq_node_ctl "$name" "$dir" wait --timeout "$TIMEOUT" "$dir/pid" >&2; then
        tail -n 20 "$dir"/log/*.log >&2 2>/dev/null || true
        rabbitmq_node_stop "$name" "$dir"
        die "rabbitmq-node $name: did not start (log in $dir/log)"
    fi
    log "rabbitmq-node $name: up on 127.0.0.1:$amqp_port (pid $(cat "$dir/pid"))"
}

rabbitmq_node_stop() { # name dir
    local name="$1" dir="$2"
    [ -n "$name" ] && [ -n "$dir" ] || die "usage: rabbitmq-node down NAME DIR"
    local pid
    pid="$(cat "$dir/pid" 2>/dev/null)" || pid=""
    pid_alive "$pid" || { log "rabbitmq-node $name: not running"; return 0; }
    log "rabbitmq-node $name: stopping (pid $pid)"
    timeout 60 env HOME="$dir" "$(rabbitmq_bin rabbitmqctl)" -q -n "$name@localhost" shutdown >&2 || true
    if pid_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; sleep 3; fi
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$dir/pid"
}

rabbitmq_node() { # up|down|ctl args...
    local action="${1:-}"
    shift || true
    case "$action" in
        up) rabbitmq_node_start "$@" ;;
        down) rabbitmq_node_stop "$@" ;;
        ctl) [ $# -ge 3 ] || die "usage: rabbitmq-node ctl NAME DIR RABBITMQCTL-ARGS..."; rabbitmq_node_ctl "$@" ;;
        *) die "usage: rabbitmq-node up NAME AMQP_PORT DIST_PORT DIR | down NAME DIR | ctl NAME DIR ARGS..." ;;
    esac
}

# ---------------------------------------------------------------- a cluster of extra nodes
# Nodes of one's own (rabbitmq-node above), each NAME:AMQP_PORT:DIST_PORT, with their data in
# DIR/NAME, one Erlang cookie (DIR/cookie, made once) and clustered with the first: the others
# `join_cluster` it. DIR/nodes records them for `down`. Started again over the same DIR (other
# ports are fine: nodes know each other by name), they come back as the same cluster. Prints the
# nodes' AMQP URLs (guest, virtual host /), comma-separated: what RABBITMQ_URL takes.

rabbitmq_cluster_start() { # dir name:amqp:dist...
    local dir="$1"
    shift || true
    [ -n "$dir" ] && [ $# -ge 1 ] || die "usage: rabbitmq-cluster up DIR NAME:AMQP_PORT:DIST_PORT..."
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    [ -f "$dir/cookie" ] || (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/cookie")
    local spec name amqp dist pids=() names=() urls=()
    : > "$dir/nodes"
    for spec in "$@"; do
        IFS=: read -r name amqp dist <<< "$spec"
        [ -n "$name" ] && [ -n "$amqp" ] && [ -n "$dist" ] || die "rabbitmq-cluster: '$spec' is not NAME:AMQP_PORT:DIST_PORT"
        echo "$name $amqp $dist" >> "$dir/nodes"
        names+=("$name")
        urls+=("amqp://guest:guest@127.0.0.1:$amqp/%2F")
        # in parallel: nodes that were clustered before wait for each other as they boot
        INFRA_NODE_COOKIE="$(cat "$dir/cookie")" rabbitmq_node_start "$name" "$amqp" "$dist" "$dir/$name" &
        pids+=($!)
    done
    local pid failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    if [ "$failed" = 1 ]; then
        rabbitmq_cluster_stop "$dir"
        die "rabbitmq-cluster: a node did not start"
    fi
    local first="${names[0]}"
    for name in "${names[@]:1}"; do
        if [ "$(rabbitmq_node_ctl "$name" "$dir/$name" eval "lists:member('$first@localhost', rabbit_nodes:all()).")" = true ]; then
            continue
        fi
        log "rabbitmq-cluster: $name joins $first"
        rabbitmq_node_ctl "$name" "$dir/$name" stop_app >&2
        rabbitmq_node_ctl "$name" "$dir/$name" join_cluster "$first@localhost" >&2
        rabbitmq_node_ctl "$name" "$dir/$name" start_app >&2
    done
    log "rabbitmq-cluster: ${names[*]} clustered"
    log "rabbitmq-cluster: provisioning the services' users, their permissions and the exchange"
    (cd "$ROOT" && "$ROOT/.venv/bin/python" -m mumaris_shared.broker_access definitions) \
        | rabbitmq_node_ctl "$first" "$dir/$first" import_definitions >&2 \
        || die "rabbitmq-cluster: could not import the services' users (rabbitmqctl import_definitions)"
    (IFS=,; echo "${urls[*]}")
}

rabbitmq_cluster_stop() { # dir
    local dir="$1"
    [ -n "$dir" ] || die "usage: rabbitmq-cluster down DIR"
    [ -f "$dir/nodes" ] || { log "rabbitmq-cluster: no nodes recorded in $dir"; return 0; }
    local name amqp dist pids=()
    while read -r name amqp dist; do
        rabbitmq_node_stop "$name" "$dir/$name" &
        pids+=($!)
    done < "$dir/nodes"
    local pid
    for pid in "${pids[@]}"; do wait "$pid" || true; done
}

rabbitmq_cluster() { # up|down args...
    local action="${1:-}"
    shift || true
    case "$action" in
        up) rabbitmq_cluster_start "$@" ;;
        down) rabbitmq_cluster_stop "$@" ;;
        *) die "usage: rabbitmq-cluster up DIR NAME:AMQP_PORT:DIST_PORT... | down DIR" ;;
    esac
}

# ---------------------------------------------------------------- status
status() {
    local name port
    for name in rabbitmq postgres; do
        if [ "$name" = rabbitmq ]; then port="$RABBITMQ_PORT"; else port="$POSTGRES_PORT"; fi
        local state="down" owner="not started by us"
        port_open 127.0.0.1 "$port" && state="up"
        if [ -f "$STATE_DIR/$name" ]; then
            owner="started by us (pid $(sed -n 's/^pid=//p' "$STATE_DIR/$name"))"
        fi
        printf '%-9s 127.0.0.1:%-5s %-4s %s\n' "$name" "$port" "$state" "$owner"
    done
}

which_ones() { # args -> list of components
    local out=()
    local a
    for a in "$@"; do
        case "$a" in
            rabbitmq|rabbit) out+=(rabbitmq) ;;
            postgres|postgresql|pg) out+=(postgres) ;;
            *) die "unknown component '$a' (rabbitmq, postgres)" ;;
        esac
    done
    [ ${#out[@]} -gt 0 ] || out=(rabbitmq postgres)
    echo "${out[@]}"
}

cmd="${1:-status}"
shift || true
case "$cmd" in
    up)
        keep=0
        args=()
        for a in "$@"; do if [ "$a" = --keep ]; then keep=1; else args+=("$a"); fi; done
        for c in $(which_ones "${args[@]+"${args[@]}"}"); do "${c}_up" "$keep"; done
        ;;
    down)
        comps="$(which_ones "$@")"
        # stop in reverse order
        for c in $(echo "$comps" | tr ' ' '\n' | tac); do "${c}_down"; done
        rmdir "$STATE_DIR" 2>/dev/null || true
        ;;
    status) status ;;
    rabbitmq-node) rabbitmq_node "$@" ;;
    rabbitmq-cluster) rabbitmq_cluster "$@" ;;
    *)
        echo "usage: $0 up [--keep] [rabbitmq] [postgres] | down [rabbitmq] [postgres] | status" >&2
        echo "       $0 rabbitmq-node up NAME AMQP_PORT DIST_PORT DIR | down NAME DIR | ctl NAME DIR ARGS..." >&2
        echo "       $0 rabbitmq-cluster up DIR NAME:AMQP_PORT:DIST_PORT... | down DIR" >&2
        exit 2
        ;;
esac
