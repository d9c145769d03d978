#!/usr/bin/env bash
# Provisions one VM of the Vagrant cluster (see the Vagrantfile and docs/vagrant.md):
#   provision.sh control-plane NODES      provision.sh node NODES INDEX
# Node 20, then the package built by scripts/install-deps.sh from a copy of the synced
# checkout (the same Debian packages and build as the netns lab), then the systemd units
# scripts/vagrant/setup.mjs derives from the lab's own process list.
set -euo pipefail
role=$1
export DEBIAN_FRONTEND=noninteractive

# build-essential + python3: better-sqlite3 compiles at `npm ci`, and cc builds the CNI thin
# client; jq and curl: demo.sh.
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates curl xz-utils rsync build-essential python3 jq >/dev/null

# Debian 12 ships Node 18; hawser needs 20. The official build, checked against its SHASUMS.
if ! node --version 2>/dev/null | grep -q '^v20\.'; then
  base=https://nodejs.org/dist/latest-v20.x
  sums=$(curl -fsSL "$base/SHASUMS256.txt")
  file=$(awk '/ node-v20\.[0-9.]*-linux-x64\.tar\.xz$/ {print $2}' <<<"$sums")
  curl -fsSL -o "/tmp/$file" "$base/$file"
  (cd /tmp && grep " $file\$" <<<"$sums" | sha256sum -c --quiet -)
  tar -xJf "/tmp/$file" -C /usr/local --strip-components=1
  rm -f "/tmp/$file"
fi

# A copy, not the synced folder itself: node_modules and dist are built here for this VM
# (native better-sqlite3) and survive the next `vagrant rsync` (excluded there too).
mkdir -p /opt/hawser
rsync -a --delete --exclude node_modules/ --exclude dist/ /vagrant/ /opt/hawser/
cd /opt/hawser
scripts/install-deps.sh
ln -sf /opt/hawser/bin/hawser.js /usr/local/bin/hawser

units=$(node scripts/vagrant/setup.mjs "$@")
systemctl daemon-reload
# restart, not only start: a re-provision brings new code and flags.
systemctl enable --quiet $units
systemctl restart $units
echo "$(hostname): running $units"
if [ "$role" = control-plane ]; then
  for _ in $(seq 60); do
    [ -s /var/lib/hawser-vm/vm/cp/apiserver/admin.kubeconfig ] && break
    sleep 1
  done
  echo "admin kubeconfig: vagrant ssh cp -c 'sudo cat /var/lib/hawser-vm/vm/cp/apiserver/admin.kubeconfig'"
fi
