#!/bin/sh
# The package lists below are split into words on purpose.
# shellcheck disable=SC2086
# What goes into the forwarder image on top of its Debian root filesystem, in one place for both
# builds: scripts/build-forwarder-image.sh runs it on the host against mmdebstrap's directory, and
# docker/forwarder/Dockerfile runs it inside the image (ROOT /). POSIX sh, since it purges bash.
#
#   image-recipe.sh ROOT NODE BUNDLE_DIR FM_CAPTURE [PACKAGE...]
#
# Installs Node, the forwarder bundle (BUNDLE_DIR's forward*.mjs: the entry and the chunks it loads on
# first use, scripts/bundle-forwarder.mjs) and fm-capture where the container definition expects them
# (packages/forwarder/src/sidecar/container-definition.ts), adds user forwarder 10001:10001,
# checks that each program runs there, gives tcpdump and fm-capture cap_net_raw+eip (setcap from
# PATH: the host's, or the image's libcap2-bin), then purges with dpkg what nothing in the image
# runs, the extra PACKAGEs (the Docker build's libcap2-bin and apt) with it. Prints the purged list on stdout.
set -eu

[ $# -ge 4 ] || { echo "image-recipe: usage: image-recipe.sh ROOT NODE BUNDLE_DIR FM_CAPTURE [PACKAGE...]" >&2; exit 2; }
ROOT=$1 NODE=$2 BUNDLE_DIR=$3 FM_CAPTURE=$4
shift 4

# perl-base (Essential, but only maintainer scripts use it, and none run in the image), debconf and
# adduser first, so dpkg's database lists what the image holds. Then the Essential tools nothing in
# the image runs (tini execs node, node execs tcpdump and fm-capture; no shell script runs at all):
# the shells' and utilities' packages but dash (/bin/sh, for a human's `docker exec`) and dpkg itself
# (its database stays exact, for image scanners). The utilities the others' maintainer scripts call
# (rm, sed, grep, basename) go last; triggers are not run (debianutils' update-shells would need
# them), nothing in the image depends on their results.
UNNEEDED_FIRST="adduser debconf perl-base"
UNNEEDED="bash bsdutils diffutils findutils gzip hostname login ncurses-bin sysvinit-utils tar util-linux"
UNNEEDED_LAST="grep sed coreutils"

in_root() {
  if [ "$ROOT" = / ]; then "$@"; else chroot "$ROOT" "$@"; fi
}

install -D -m 0755 "$NODE" "$ROOT/usr/local/bin/node"
[ -f "$BUNDLE_DIR/forward.mjs" ] || { echo "image-recipe: no forward.mjs in $BUNDLE_DIR" >&2; exit 2; }
for chunk in "$BUNDLE_DIR"/forward*.mjs; do
  install -D -m 0644 "$chunk" "$ROOT/opt/fargate-mirror/${chunk##*/}"
done
install -D -m 0755 "$FM_CAPTURE" "$ROOT/opt/fargate-mirror/native/fm-capture"
echo 'forwarder:x:10001:10001:fargate-mirror forwarder:/nonexistent:/usr/sbin/nologin' >>"$ROOT/etc/passwd"
echo 'forwarder:x:10001:' >>"$ROOT/etc/group"
echo 'forwarder:!:19000::::::' >>"$ROOT/etc/shadow"

# Every shared library Node and tcpdump link must be in the image: run them there.
in_root /usr/local/bin/node --version >/dev/null
in_root /usr/bin/tcpdump --version >/dev/null 2>&1
# fm-capture without arguments prints its usage and exits 2: it loads, its libraries are there.
rc=0
in_root /opt/fargate-mirror/native/fm-capture 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || { echo "image-recipe: fm-capture does not run in the image (exit $rc)" >&2; exit 1; }

# The capabilities after those runs: a builder whose bounding set lacks CAP_NET_RAW (buildah's
# default) refuses to exec a program that carries it (exit 126).
setcap cap_net_raw+eip "$ROOT/usr/bin/tcpdump"
setcap cap_net_raw+eip "$ROOT/opt/fargate-mirror/native/fm-capture"

# --force-bad-path: dpkg itself wants tar and rm on PATH, which it never uses to remove a package.
in_root dpkg --purge --force-remove-essential --force-depends $UNNEEDED_FIRST >&2
# The extra packages with the second list, while the utilities their maintainer scripts call are there.
in_root dpkg --purge --no-triggers --force-remove-essential --force-depends $UNNEEDED "$@" >&2
in_root dpkg --purge --no-triggers --force-remove-essential --force-depends --force-bad-path $UNNEEDED_LAST >&2
echo "$UNNEEDED $UNNEEDED_LAST${*:+ $*}"
