#!/bin/sh
# Entrypoint of the forwarder sidecar image: `fargate-mirror forward`, configured from the container's
# environment (the natural place in an ECS task definition) and/or its command arguments.
#
#   FARGATE_MIRROR_TO             HOST:PORT of the mirror target (NLB UDP 4789 listener or a receiver)
#   FARGATE_MIRROR_VNI            VXLAN network identifier (default: derived from the task ARN)
#   FARGATE_MIRROR_PACKET_LENGTH  cut mirrored frames to this many bytes
#   FARGATE_MIRROR_FILTER         path of a mirror filter rule file (JSON or YAML) in the image/volume
#   FARGATE_MIRROR_MTU            path MTU of the VXLAN datagrams (default: the task ENI's MTU)
#   FARGATE_MIRROR_LOG_LEVEL      pino level on stderr (default: warn)
#   FARGATE_MIRROR_TCPDUMP        tcpdump program (default: tcpdump, which has cap_net_raw in the image)
#   FARGATE_MIRROR_BIN            the CLI to run (default: fargate-mirror); tests point it elsewhere
#
# Command arguments come after the ones derived from the environment. ECS sends SIGTERM on stop; the
# exec below makes the forwarder receive it, so it flushes and prints its stats line.
set -eu

if [ -n "${FARGATE_MIRROR_TO:-}" ]; then set -- --to "$FARGATE_MIRROR_TO" "$@"; fi
if [ -n "${FARGATE_MIRROR_VNI:-}" ]; then set -- --vni "$FARGATE_MIRROR_VNI" "$@"; fi
if [ -n "${FARGATE_MIRROR_PACKET_LENGTH:-}" ]; then set -- --packet-length "$FARGATE_MIRROR_PACKET_LENGTH" "$@"; fi
if [ -n "${FARGATE_MIRROR_FILTER:-}" ]; then set -- --filter "$FARGATE_MIRROR_FILTER" "$@"; fi
if [ -n "${FARGATE_MIRROR_MTU:-}" ]; then set -- --mtu "$FARGATE_MIRROR_MTU" "$@"; fi
if [ -n "${FARGATE_MIRROR_LOG_LEVEL:-}" ]; then set -- --log-level "$FARGATE_MIRROR_LOG_LEVEL" "$@"; fi
if [ -n "${FARGATE_MIRROR_TCPDUMP:-}" ]; then set -- --tcpdump "$FARGATE_MIRROR_TCPDUMP" "$@"; fi

case " $* " in
  *" --to "*) ;;
  *)
    echo "fargate-mirror forwarder: set FARGATE_MIRROR_TO=HOST:PORT (or pass --to HOST:PORT)" >&2
    exit 2
    ;;
esac

# FARGATE_MIRROR_BIN may be several words ("node /path/bin.js"): split on purpose.
# shellcheck disable=SC2086
exec ${FARGATE_MIRROR_BIN:-fargate-mirror} forward "$@"
