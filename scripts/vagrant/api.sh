#!/usr/bin/env bash
# The apiserver's REST API as admin, from the control-plane VM:  api.sh METHOD PATH [JSON]
# (curl rather than kubectl: Debian 12's kubectl is 1.20, which wants /openapi/v2.)
set -euo pipefail
. "$(dirname "$0")/env.sh"
server=$(awk '$1 == "server:" {print $2; exit}' "$ADMIN_KUBECONFIG")
token=$(awk '$1 == "token:" {print $2; exit}' "$ADMIN_KUBECONFIG")
curl -sS --fail-with-body --cacert "$(dirname "$ADMIN_KUBECONFIG")/pki/ca.crt" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -X "$1" "$server$2" ${3:+--data "$3"}
