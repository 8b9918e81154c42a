#!/usr/bin/env bash
# Shared set-up steps for the README's two commands. Sourced, not run.

# Node.js 22 or newer: Debian's machines may carry an older one; the npm registry's `node` package
# provides a current one (the same way CI provisions it).
ensure_node() {
  local major=0
  if command -v node >/dev/null 2>&1; then
    major=$(node -p 'process.versions.node.split(".")[0]')
  fi
  if [ "$major" -lt 22 ]; then
    echo "setup: Node.js $(node --version 2>/dev/null || echo none) is older than 22; installing node@24 from the npm registry" >&2
    npm install --global --force --loglevel=error node@24 >&2
    hash -r
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -lt 22 ]; then
      echo "setup: could not provide Node.js 22+ (have $(node --version)); install it and retry" >&2
      exit 1
    fi
  fi
}

# Installs the project's npm dependencies exactly as locked (`npm ci`) and builds every package.
# The lock file lists every platform's optional packages, so `npm ci` accepts it anywhere.
install_and_build() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
  npm run --silent build >&2
}

# The Debian packages the tests drive: real peers and reference decoders.
TEST_APT_PACKAGES=(tcpdump tshark tcpreplay ethtool iproute2 dnsmasq-base openssl iputils-ping dnsutils awscli
  python3-scapy shellcheck iperf3 procps
  mmdebstrap umoci skopeo buildah libcap2-bin binutils util-linux curl python3-h2 chromium fonts-dejavu-core)

ensure_test_packages() {
  local missing=()
  for pkg in "${TEST_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq >&2
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
