#!/usr/bin/env bash
# Installs what hawser needs on a fresh Debian 12 machine (as root, Node 20 present):
# the kernel tools it drives, the reference CNI plugins and etcd used by the tests, and npm deps.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(nftables iproute2 conntrack iputils-ping iputils-arping socat ncat containernetworking-plugins etcd-server kmod procps)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
