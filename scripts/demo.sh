#!/usr/bin/env bash
# The README's main command: install what is missing, build, bring up a 3-node lab cluster
# in network namespaces and run the demo (a Deployment, a Service reached from a pod, a
# node and the external client, a NetworkPolicy blocking one client). The lab stays up
# afterwards for exploring; `bin/hawser.js lab down --name demo` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
name="${HAWSER_LAB_NAME:-demo}"
bin/hawser.js lab down --name "$name" >/dev/null 2>&1 || true
bin/hawser.js lab up --name "$name" --nodes "${HAWSER_LAB_NODES:-3}"
bin/hawser.js lab demo --name "$name"
cat <<EOT

The lab "$name" is still running. Try:
  kubectl --kubeconfig "\$(bin/hawser.js lab kubeconfig --name $name)" get pods -o wide
  bin/hawser.js lab status --name $name
  bin/hawser.js lab down --name $name
EOT
