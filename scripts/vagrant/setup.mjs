// One VM's hawser setup (run by provision.sh after the build): the lab's own plan and
// process list (src/lab/plan.ts, src/lab/components.ts) decide every address, path and
// flag, so a VM runs each process exactly as `hawser lab up` runs it in a namespace —
// as a systemd unit instead of a detached process in a netns.
//   node scripts/vagrant/setup.mjs control-plane <nodes>
//   node scripts/vagrant/setup.mjs node <nodes> <index>
// Secrets arrive in the environment from the Vagrantfile (scripts/vagrant/secrets.rb).
// HAWSER_VM_DESTDIR puts everything under another root (the test's scratch dir).
import { mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB_NAME = 'vm';
/** Persistent (the netns lab keeps its state in /run: it dies with the machine anyway). */
export const STATE_ROOT = '/var/lib/hawser-vm';
const HAWSER = fileURLToPath(new URL('../../bin/hawser.js', import.meta.url));

/** systemd's ExecStart quoting: every word in double quotes, `\`, `"`, `$` and `%` escaped. */
export function systemdWord(s) {
  return `"${s.replace(/[\\"$]/g, (c) => (c === '$' ? '$$' : `\\${c}`)).replace(/%/g, '%%')}"`;
}

/**
 * The lab's processes for one VM. The forwarders (`hawser lab forward`) are left out:
 * they only carry the machine's kubectl into the lab's namespaces, and a VM's apiserver
 * is reached on its own address.
 */
export function vmComponents(lab, plan, role, index) {
  const specs = role === 'control-plane'
    ? lab.controlPlaneComponents(plan)
    : lab.nodeComponents(plan, plan.nodes[index - 1], { cni: 'hawser', withAgent: true });
  return specs.filter((s) => s.args[0] !== 'lab');
}

export function unitFile(spec, node = process.execPath, hawser = HAWSER) {
  const argv = spec.external ? spec.args : [node, hawser, ...spec.args];
  return [
    '[Unit]',
    `Description=hawser ${spec.component} (Vagrant cluster; argv from src/lab/components.ts)`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    `ExecStart=${argv.map(systemdWord).join(' ')}`,
    // Workers may come up before the control plane (libvirt starts VMs in parallel):
    // the agent and kubelet exit while the apiserver is unreachable, systemd retries.
    'Restart=always',
    'RestartSec=3',
    // The kubelet's pods are processes in its cgroup: stopping the unit must leave them
    // running, as `hawser kubelet` adopts them on restart.
    ...(spec.component === 'kubelet' ? ['KillMode=process'] : []),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** A node's own identity, as `hawser lab up` writes it (src/lab/up.ts nodeKubeconfig). */
export function nodeKubeconfig(server, caCrtB64, nodeName, token) {
  const user = `system:node:${nodeName}`;
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'vagrant', cluster: { server, 'certificate-authority-data': caCrtB64 } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'vagrant', user } }],
    'current-context': user,
  }, null, 2);
}

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (the Vagrantfile passes it)`);
  return v;
}

function write(path, text, mode = 0o600) {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode });
}

async function main([role, nodesArg, indexArg]) {
  const lab = {
    ...(await import('../../dist/src/lab/plan.js')),
    ...(await import('../../dist/src/lab/components.js')),
  };
  const dest = process.env.HAWSER_VM_DESTDIR ?? '';
  const plan = lab.planLab({ name: LAB_NAME, nodes: Number(nodesArg), stateRoot: `${dest}${STATE_ROOT}` });
  const paths = lab.labPaths(plan);
  const index = Number(indexArg ?? 0);
  const ca = Buffer.from(need('HAWSER_CA_CRT'), 'base64').toString();
  if (role === 'control-plane') {
    write(`${paths.apiserverDir}/pki/ca.crt`, ca, 0o644);
    write(`${paths.apiserverDir}/pki/ca.key`, Buffer.from(need('HAWSER_CA_KEY'), 'base64').toString());
    const tokens = JSON.parse(Buffer.from(need('HAWSER_NODE_TOKENS'), 'base64').toString());
    write(paths.tokenFile, lab.nodeTokenFile(plan, tokens));
  } else if (role === 'node') {
    const node = plan.nodes[index - 1];
    if (!node) throw new Error(`no node ${index} in a ${plan.nodes.length}-node plan`);
    const np = lab.nodePaths(plan, node, 'hawser');
    write(np.kubeconfig, nodeKubeconfig(lab.apiserverURL(plan), need('HAWSER_CA_CRT'), node.nodeName, need('HAWSER_NODE_TOKEN')));
    for (const d of [np.cniBinDir, np.cniConfDir, np.cniDataDir, np.kubeletDir]) mkdirSync(d, { recursive: true, mode: 0o755 });
    // As `hawser lab up` installs it on a node with an agent (src/lab/up.ts installCni):
    // the thin client hands calls to the agent's socket (provision.sh installs cc).
    execFileSync(process.execPath, [HAWSER, 'cni', 'install', '--bin-dir', np.cniBinDir, '--conf-dir', np.cniConfDir,
      '--data-dir', np.cniDataDir, '--pod-cidr-file', np.podCIDRFile, '--thin', '--socket', np.cniSocket],
    { stdio: ['ignore', 2, 2] }); // stdout is the unit list
  } else {
    throw new Error(`role must be control-plane or node, not ${role}`);
  }
  const units = vmComponents(lab, plan, role, index).map((s) => {
    write(`${dest}/etc/systemd/system/hawser-${s.component}.service`, unitFile(s), 0o644);
    return `hawser-${s.component}.service`;
  });
  process.stdout.write(`${units.join(' ')}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
