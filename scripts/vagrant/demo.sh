#!/usr/bin/env bash
# `hawser lab demo` on the Vagrant cluster, run on the host after `vagrant up`.
# src/lab/demo.ts drives the netns lab's namespaces, so here each step runs, over
# `vagrant ssh`, on the VM that plays its part: objects are made on the control plane,
# pod and ClusterIP traffic starts on node1, and the control plane (not a node: no
# agent, no pod routes) stands in for the lab's external client. KEEP=1 leaves the objects.
set -euo pipefail
cd "$(dirname "$0")/../.."
APP=hawser-demo PORT=8080
api() { vagrant ssh cp -c "sudo /opt/hawser/scripts/vagrant/api.sh $(printf '%q ' "$@")" 2>/dev/null; }
on() { local vm=$1; shift; vagrant ssh "$vm" -c "$*" 2>/dev/null; }
step() { printf '\n── %s ──────────\n' "$*"; }
wait_for() { # wait_for WHAT SECONDS COMMAND…
  local what=$1 n=$2; shift 2
  for _ in $(seq "$n"); do "$@" && return 0; sleep 1; done
  echo "timed out waiting for $what" >&2; return 1
}
curl_echo() { # curl_echo VM URL [netns]: the echo reply, or why there was none
  on "$1" "sudo ${3:+ip netns exec $3} curl -sS --max-time 3 $2" || echo "  (no answer)"
}
cleanup() {
  [ "${KEEP:-}" = 1 ] && return
  echo; echo "(cleaning up the demo objects; KEEP=1 leaves them)"
  api DELETE "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/$APP-friends" >/dev/null || true
  api DELETE "/api/v1/namespaces/default/services/$APP" >/dev/null || true
  api DELETE "/apis/apps/v1/namespaces/default/deployments/$APP" >/dev/null || true
}
trap cleanup EXIT

nodes_ready() { [ "$(api GET /api/v1/nodes | jq '[.items[] | select(.status.conditions[]? | .type == "Ready" and .status == "True")] | length')" -ge 2 ]; }
wait_for "2 Ready nodes" 180 nodes_ready

step "1. Three echo pods across the nodes"
api POST /apis/apps/v1/namespaces/default/deployments "$(jq -nc --arg app $APP --argjson port $PORT '{
  apiVersion: "apps/v1", kind: "Deployment", metadata: {name: $app},
  spec: {replicas: 3, selector: {matchLabels: {app: $app}}, template: {metadata: {labels: {app: $app}}, spec: {containers: [{
    name: "echo", image: "hawser/echo", ports: [{containerPort: $port}],
    readinessProbe: {httpGet: {path: "/healthz", port: $port}, periodSeconds: 1}}]}}}}')" >/dev/null
pods() { api GET "/api/v1/namespaces/default/pods?labelSelector=app%3D$APP"; }
ready=".items | map(select(.status.conditions[]? | .type == \"Ready\" and .status == \"True\"))"
pods_ready() { [ "$(pods | jq "$ready | length")" -ge 3 ]; }
wait_for "3 Ready echo pods" 120 pods_ready
list=$(pods | jq -c "$ready | sort_by(.metadata.name) | .[] | {name: .metadata.name, uid: .metadata.uid, ip: .status.podIP, node: .spec.nodeName}")
jq -r '"\(.name)\t\(.ip)\t\(.node)"' <<<"$list"
a=$(jq -sc 'map(select(.node == "node1"))[0]' <<<"$list")
b=$(jq -sc 'map(select(.node != "node1"))[0]' <<<"$list")

step "2. node1 to a pod on another node, by pod IP (host-gw route, no NAT)"
curl_echo node1 "http://$(jq -r .ip <<<"$b"):$PORT/"

api POST /api/v1/namespaces/default/services "$(jq -nc --arg app $APP --argjson port $PORT '{
  apiVersion: "v1", kind: "Service", metadata: {name: $app},
  spec: {type: "LoadBalancer", selector: {app: $app}, ports: [{name: "http", port: 80, targetPort: $port}]}}')" >/dev/null
svc=$(api GET "/api/v1/namespaces/default/services/$APP")
step "3. Service $APP (ClusterIP $(jq -r .spec.clusterIP <<<"$svc")) from node1: DNAT to one of the pods"
for _ in 1 2 3; do curl_echo node1 "http://$(jq -r .spec.clusterIP <<<"$svc")/"; done
node_port=$(jq -r '.spec.ports[0].nodePort' <<<"$svc")
step "4. NodePort $node_port of node1 from outside the cluster (the control-plane VM)"
node1_ip=$(api GET /api/v1/nodes/node1 | jq -r '.status.addresses[] | select(.type == "InternalIP") | .address')
curl_echo cp "http://$node1_ip:$node_port/"
lb=""
lb_ip() { lb=$(api GET "/api/v1/namespaces/default/services/$APP" | jq -r '.status.loadBalancer.ingress[0].ip // empty'); [ -n "$lb" ]; }
if wait_for "a LoadBalancer IP" 10 lb_ip; then
  step "5. LoadBalancer $lb from the control-plane VM (answered by the elected node's ARP)"
  curl_echo cp "http://$lb/"
fi

step "6. NetworkPolicy: only pods labelled role=friend may reach $APP"
api POST /apis/networking.k8s.io/v1/namespaces/default/networkpolicies "$(jq -nc --arg app $APP '{
  apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: {name: "\($app)-friends"},
  spec: {podSelector: {matchLabels: {app: $app}}, policyTypes: ["Ingress"], ingress: [{from: [{podSelector: {matchLabels: {role: "friend"}}}]}]}}')" >/dev/null
sleep 2
netns=$(on node1 "node --input-type=module -e \"import { sandboxNetnsName } from '/opt/hawser/dist/src/kubelet/container-spec.js'; console.log(sandboxNetnsName('$(. scripts/vagrant/env.sh; echo "$POD_NETNS_PREFIX")', '$(jq -r .uid <<<"$a")'))\"" | tr -d '\r')
echo "pod $(jq -r .name <<<"$a") (no role=friend) → $(jq -r .name <<<"$b"):"
curl_echo node1 "http://$(jq -r .ip <<<"$b"):$PORT/" "$netns"
