# Where the Vagrant cluster keeps its state on a VM: labPaths(planLab({name: 'vm',
# stateRoot: '/var/lib/hawser-vm'})) of src/lab, as scripts/vagrant/setup.mjs uses it
# (netns-tests/deploy-vagrant.t.ts checks that the two agree). ADMIN_KUBECONFIG may be
# given, for api.sh against another apiserver (that test does).
HAWSER_VM_STATE=/var/lib/hawser-vm/vm
ADMIN_KUBECONFIG=${ADMIN_KUBECONFIG:-$HAWSER_VM_STATE/cp/apiserver/admin.kubeconfig}
# The kubelet's pod namespaces: plan.podNetnsPrefix.
POD_NETNS_PREFIX=hl-vm-p-
