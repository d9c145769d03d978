// What `lab up` prints at the end: how to use the lab that now exists.
import { labPaths } from './components.js';
import type { LabPlan } from './plan.js';

export function usage(plan: LabPlan): string {
  const n = plan.name === 'lab' ? '' : ` --name ${plan.name}`;
  const kc = labPaths(plan).hostKubeconfig;
  return [
    '',
    `Lab "${plan.name}" is up: ${plan.nodes.map((x) => `${x.nodeName} ${x.ip}`).join(', ')}; ` +
      `apiserver ${plan.controlPlane.ip}:${plan.controlPlane.apiserverPort}; external client ${plan.client.ip}.`,
    '',
    `  export KUBECONFIG=${kc}`,
    '  kubectl get nodes -o wide',
    '  kubectl run web --image=hawser/echo --port=8080',
    '  kubectl get pods -o wide',
    `  hawser lab exec client${n} -- curl -s http://<pod IP>:8080/      # from the external client`,
    `  hawser lab exec node1${n} -- ip route                            # a node's routes`,
    `  hawser lab exec web${n} -- ip addr                               # inside a pod`,
    `  hawser lab status${n}`,
    `  hawser lab logs kubelet${n} --node node1`,
    `  hawser lab demo${n}                                              # a guided tour`,
    `  hawser lab down${n}`,
    '',
  ].join('\n');
}
