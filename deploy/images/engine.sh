# Sourced by the scripts of deploy/images: picks the container engine that answers.
#   ENGINE   podman or docker (set it to force one)
# podman is given deploy/images/containers.conf (runc, cgroupfs, no default ulimits) through
# CONTAINERS_CONF unless the caller set one; when neither engine answers and this runs as
# root on Debian, podman, runc and debootstrap are installed with apt.

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPOSITORY_ROOT="$(cd "$IMAGES_DIR/../.." && pwd)"
IMAGES_CACHE="${IMAGES_CACHE:-$REPOSITORY_ROOT/.cache/images}"

say() { printf '› %s\n' "$*" >&2; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

apt_install() {
    # apt_install COMMAND PACKAGE...: install PACKAGEs with apt when COMMAND is missing.
    local command="$1"; shift
    command -v "$command" >/dev/null 2>&1 && return 0
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
        || fail "$command is missing: install $* (as root: apt-get install $*)"
    say "installing $* from Debian"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

podman_answers() {
    command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1
}

docker_answers() {
    command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

choose_engine() {
    export CONTAINERS_CONF="${CONTAINERS_CONF:-$IMAGES_DIR/containers.conf}"
    if [ -n "${ENGINE:-}" ]; then
        [ "$ENGINE" = podman ] && apt_install podman podman runc
        return 0
    fi
    if podman_answers; then ENGINE=podman
    elif docker_answers; then ENGINE=docker
    else
        apt_install podman podman runc
        podman_answers || fail "neither podman nor docker answers (podman info fails with CONTAINERS_CONF=$CONTAINERS_CONF)"
        ENGINE=podman
    fi
    export ENGINE
}

image_exists() {
    "$ENGINE" image inspect "$1" >/dev/null 2>&1
}

image_label() {
    # image_label IMAGE LABEL: the label's value, empty when the image or the label is missing.
    "$ENGINE" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null \
        | sed 's/^<no value>$//'
}

image_size_mb() {
    local bytes
    bytes="$("$ENGINE" image inspect --format '{{.Size}}' "$1")"
    echo $(( (bytes + 500000) / 1000000 ))
}

# The default of a Dockerfile's `ARG NAME=default` line.
dockerfile_default() {
    sed -n "s/^ARG $2=\\(.*\\)$/\\1/p" "$1" | head -n 1
}
