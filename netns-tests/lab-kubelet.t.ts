// The lab kubelet's pod lifecycle on a 1-node lab: environment (spec, downward API,
// service variables), readiness and liveness probes driving Ready and restarts, restart
// policies, and graceful deletion (SIGTERM reaches the container before the sandbox goes).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { listNetns } from '../src/kernel/netns/namespace.js';
import { netnsPids, pidAlive, signalPid } from '../src/kernel/spawn-in-netns.js';
import { sandboxNetnsName } from '../src/kubelet/container-spec.js';
import { isNotFoundError, Rest } from '../src/kubelet/rest.js';
import { hasCommand } from '../src/kubelet/self.js';
import { labPaths } from '../src/lab/components.js';
import { labDown } from '../src/lab/down.js';
import { labRestart } from '../src/lab/ops.js';
import { readLabState } from '../src/lab/state.js';
import { labUp } from '../src/lab/up.js';
import { waitFor } from '../src/lab/wait.js';
import type { LabPlan } from '../src/lab/plan.js';

const name = `k${[...randomBytes(5)].map((b) => (b % 36).toString(36)).join('')}`;
const tmp = mkdtempSync(`${tmpdir()}/hawser-lab-kubelet-`);

interface Pod {
  metadata: { name: string; uid: string };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number; ready: boolean; state?: Record<string, unknown> }[] };
}

if (!hasCommand('apiserver')) {
  t.plan(0, 'hawser apiserver is not built');
} else {
  let plan: LabPlan;
  let api: Rest;
  t.teardown(async () => {
    await labDown({ name });
    rmSync(tmp, { recursive: true, force: true });
  });

  const get = (n: string) => api.get<Pod>(`/api/v1/namespaces/default/pods/${n}`);
  /** Only a 404 means gone: a transient error must not pass for a deletion. */
  const gone = (n: string) => get(n).then(() => false, (err: unknown) => { if (isNotFoundError(err)) return true; throw err; });
  const ready = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const create = (n: string, spec: Record<string, unknown>) =>
    api.post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: n }, spec: { nodeName: 'node1', ...spec } });
  const logOf = (p: Pod, container: string) => `${plan.nodes[0]!.stateDir}/kubelet/pods/${p.metadata.uid}/${container}.log`;

  t.before(async () => {
    ({ plan } = await labUp({ name, nodes: 1 }));
    api = Rest.fromFile(labPaths(plan).hostKubeconfig);
  });

  t.test('environment: spec values with $(VAR), downward API, service variables', async (t) => {
    const svc = await api.post('/api/v1/namespaces/default/services', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-front' },
      spec: { clusterIP: '10.96.0.50', selector: { app: 'x' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    }).then(() => true, () => false);
    await create('env', {
      containers: [{
        name: 'c', image: 'busybox', command: ['sh', '-c', 'env; sleep 3600'],
        env: [{ name: 'HELLO', value: 'hi-$(POD_NAME)' }, { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      }],
    });
    await waitFor('env pod running', async () => (await get('env')).status?.phase === 'Running', 30_000);
    const p = await get('env');
    await waitFor('env printed', () => existsSync(logOf(p, 'c')) && readFileSync(logOf(p, 'c'), 'utf8').includes('MY_IP='), 10_000);
    const env = readFileSync(logOf(p, 'c'), 'utf8');
    t.match(env, /^HELLO=hi-env$/m, '$(POD_NAME) expanded');
    t.match(env, new RegExp(`^MY_IP=${p.status!.podIP!.replace(/\./g, '\\.')}$`, 'm'), 'status.podIP from the downward API');
    if (svc) {
      t.match(env, /^WEB_FRONT_SERVICE_HOST=10\.96\.0\.50$/m, 'service host variable');
      t.match(env, /^WEB_FRONT_PORT_80_TCP=tcp:\/\/10\.96\.0\.50:80$/m, 'docker-link style variable');
    } else {
      t.comment('the apiserver refused a Service with a chosen clusterIP: service variables not checked');
    }
  });

  t.test('readiness (exec) gates Ready; liveness (exec) failure restarts the container', async (t) => {
    const readyFlag = `${tmp}/ready`;
    const deadFlag = `${tmp}/dead`;
    await create('probed', {
      terminationGracePeriodSeconds: 1,
      containers: [{
        name: 'echo', image: 'hawser/echo', ports: [{ containerPort: 8080 }],
        readinessProbe: { exec: { command: ['test', '-e', readyFlag] }, periodSeconds: 1, failureThreshold: 1 },
        livenessProbe: { exec: { command: ['test', '!', '-e', deadFlag] }, periodSeconds: 1, failureThreshold: 1 },
      }],
    });
    await waitFor('probed running', async () => (await get('probed')).status?.phase === 'Running', 30_000);
    t.notOk(ready(await get('probed')), 'not Ready while the readiness probe fails');
    writeFileSync(readyFlag, '');
    await waitFor('Ready after the probe passes', async () => ready(await get('probed')), 20_000);
    t.pass('Ready once the readiness probe passes');
    writeFileSync(deadFlag, '');
    await waitFor('a restart after the liveness probe fails', async () => ((await get('probed')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 30_000);
    rmSync(deadFlag);
    await waitFor('Ready again after the restart', async () => ready(await get('probed')), 30_000);
    const p = await get('probed');
    t.ok((p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 'restartCount counts the liveness restart');
  });

  t.test('httpGet readiness against the echo server', async (t) => {
    await create('http-ready', {
      containers: [{ name: 'echo', image: 'hawser/echo', ports: [{ name: 'web', containerPort: 8081 }], readinessProbe: { httpGet: { path: '/healthz', port: 'web' }, periodSeconds: 1 } }],
    });
    await waitFor('Ready through an HTTP probe on a named port', async () => ready(await get('http-ready')), 30_000);
    t.pass('Ready');
  });

  t.test('restart policies: Never ends Succeeded; OnFailure restarts a failing container', async (t) => {
    await create('once', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] });
    await create('flaky', { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 3'] }] });
    await waitFor('once Succeeded', async () => (await get('once')).status?.phase === 'Succeeded', 30_000);
    t.match((await get('once')).status?.containerStatuses?.[0]?.state, { terminated: { exitCode: 0 } }, 'terminated with exit 0');
    await waitFor('flaky restarted', async () => ((await get('flaky')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 30_000);
    t.not((await get('flaky')).status?.phase, 'Failed', 'OnFailure keeps the pod going');
  });

  t.test('a pod deleted while its kubelet is down is cleaned up by the next kubelet: no leak', async (t) => {
    await create('orphan', { terminationGracePeriodSeconds: 2, containers: [{ name: 'echo', image: 'hawser/echo', readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] });
    await waitFor('orphan ready', async () => ready(await get('orphan')), 30_000);
    const p = await get('orphan');
    const netns = sandboxNetnsName(plan.podNetnsPrefix, p.metadata.uid);
    const kubelet = readLabState(name)!.state.processes.find((x) => x.component === 'kubelet')!;
    signalPid(kubelet.pid, 'SIGKILL');
    await waitFor('the kubelet to die', () => !pidAlive(kubelet.pid), 10_000);
    await api.delete('/api/v1/namespaces/default/pods/orphan');
    const pids = await netnsPids(netns);
    t.ok(pids.length > 0, 'the container outlives its kubelet');
    await labRestart(name, 'kubelet');
    await waitFor('the pod object to go', () => gone('orphan'), 30_000);
    await waitFor('its sandbox to go', async () => !(await listNetns()).includes(netns), 10_000);
    t.notOk(pids.some(pidAlive), 'its processes are gone');
    t.notOk(existsSync(`${plan.nodes[0]!.stateDir}/kubelet/pods/${p.metadata.uid}.json`), 'its record is gone');
  });

  t.test('graceful deletion: SIGTERM reaches the container, then the sandbox goes', async (t) => {
    const mark = `${tmp}/term`;
    await create('graceful', {
      terminationGracePeriodSeconds: 10,
      // Ready only once the trap is installed: a SIGTERM before that would kill sh outright.
      containers: [{
        name: 'c', image: 'busybox', command: ['sh', '-c', `trap 'echo got-term > ${mark}; exit 0' TERM; touch ${mark}.armed; while true; do sleep 0.1; done`],
        readinessProbe: { exec: { command: ['test', '-e', `${mark}.armed`] }, periodSeconds: 1 },
      }],
    });
    await waitFor('graceful ready (trap armed)', async () => ready(await get('graceful')), 30_000);
    const p = await get('graceful');
    await api.delete('/api/v1/namespaces/default/pods/graceful');
    await waitFor('the pod object to go', () => gone('graceful'), 30_000);
    const handled = existsSync(mark) ? readFileSync(mark, 'utf8').trim() : '(no file)';
    if (handled !== 'got-term') t.comment(readFileSync(`${labPaths(plan).logDir}/kubelet-node1.log`, 'utf8').split('\n').slice(-12).join('\n'));
    t.equal(handled, 'got-term', 'the container handled SIGTERM');
    t.notOk((await listNetns()).includes(sandboxNetnsName(plan.podNetnsPrefix, p.metadata.uid)), 'sandbox namespace removed');
  });
}
