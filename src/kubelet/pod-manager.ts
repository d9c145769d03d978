// The pod lifecycle on one node. Each pod is synced by one serial worker (a promise chain
// per UID), so CNI ADD and DEL for a pod never overlap:
//   sandbox: network namespace → CNI ADD → record saved (podIPs)        [once per pod]
//   containers: start what is not running; restart by restartPolicy with back-off
//   probes: startup → liveness/readiness; liveness failure restarts the container
//   status: written (merge patch on pods/status) only when it changed
//   deletion: SIGTERM, grace period, SIGKILL; CNI DEL; namespace removed; the pod object
//   deleted with gracePeriodSeconds=0 (the kubelet's half of graceful deletion).
import type { V1Container, V1Pod, V1Service } from '@kubernetes/client-node';
import { createNetns, deleteNetns } from '../kernel/netns/namespace.js';
import { netnsPath } from '../kernel/netns/paths.js';
import { netnsPids, pidAlive, runsArgv, signalGroup, spawnDetached, terminate } from '../kernel/spawn-in-netns.js';
import type { Logger } from '../log.js';
import { podCniArgs, resultIPs, type CniInvoker, type RuntimeConf } from './cni-invoke.js';
import { containerArgv, containerEnv, containerId, sandboxId, sandboxNetnsName } from './container-spec.js';
import type { ContainerRecord, PodRecord, PodRecords } from './pod-record.js';
import { buildPodStatus, sameStatus } from './pod-status.js';
import { initialProbeState, recordProbe, runProbe, type ProbeKind, type ProbeState } from './probes.js';
import { isNotFoundError, type Rest } from './rest.js';
import { hawserArgv } from './self.js';

export interface PodManagerDeps {
  api: Rest;
  cni: CniInvoker;
  records: PodRecords;
  nodeName: string;
  nodeIP: string;
  netnsPrefix: string;
  log: Logger;
}

const MAX_BACKOFF_MS = 10_000;
const CHECK_INTERVAL_MS = 60_000;

export class PodManager {
  private readonly pods = new Map<string, V1Pod>();
  private readonly records = new Map<string, PodRecord>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly probes = new Map<string, ProbeState>();
  private readonly written = new Map<string, unknown>();
  private readonly exitCodes = new Map<number, number>();
  private readonly lastCheck = new Map<string, number>();
  private readonly awaitingExit = new Set<number>();
  private synced = false;

  constructor(private readonly d: PodManagerDeps) {
    for (const r of d.records.load()) this.records.set(r.uid, r);
  }

  /** Records from the previous run: pods to adopt (or to clean up once the list is in). */
  adoptedCount(): number {
    return this.records.size;
  }

  onPod(cur: V1Pod | undefined, prev?: V1Pod): void {
    const uid = (cur ?? prev)?.metadata?.uid;
    if (!uid) return;
    if (cur) this.pods.set(uid, cur);
    else this.pods.delete(uid);
    if (this.synced) this.enqueue(uid);
  }

  /** After the first full list: from now on a record without a pod is an orphan. */
  markSynced(): void {
    this.synced = true;
    this.tick();
  }

  /** Periodic pass over every pod: container exits, probes, restarts, status. */
  tick(): void {
    if (!this.synced) return;
    for (const uid of new Set([...this.pods.keys(), ...this.records.keys()])) this.enqueue(uid);
  }

  private enqueue(uid: string): void {
    if (this.queues.has(uid)) {
      this.pending.add(uid);
      return;
    }
    const p = this.sync(uid)
      .catch((err: unknown) => this.d.log.error({ uid, err: String(err) }, 'pod sync failed'))
      .finally(() => {
        this.queues.delete(uid);
        if (this.pending.delete(uid)) this.enqueue(uid);
      });
    this.queues.set(uid, p);
  }

  private readonly pending = new Set<string>();

  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  private async sync(uid: string): Promise<void> {
    const pod = this.pods.get(uid);
    const rec = this.records.get(uid);
    if (!pod) {
      // Gone from the API (force-deleted, or deleted while we were down): clean up.
      if (rec) await this.teardown(rec, 2);
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      if (rec) await this.teardown(rec, grace);
      await this.d.api.delete(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`,
        { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } })
        .catch((err: unknown) => { if (!isNotFoundError(err)) throw err; });
      this.pods.delete(uid);
      this.written.delete(uid);
      return;
    }
    const r = rec ?? this.newRecord(pod);
    if (r.podIPs.length === 0) await this.setUpSandbox(pod, r);
    if (r.podIPs.length > 0) {
      await this.checkNetwork(r);
      await this.syncContainers(pod, r);
      await this.runProbes(pod, r);
    }
    this.d.records.save(r);
    await this.writeStatus(pod, r);
  }

  private newRecord(pod: V1Pod): PodRecord {
    const uid = pod.metadata!.uid!;
    const r: PodRecord = {
      uid, namespace: pod.metadata!.namespace ?? 'default', name: pod.metadata!.name!,
      sandboxId: sandboxId(uid), netns: sandboxNetnsName(this.d.netnsPrefix, uid), podIPs: [],
      startTime: new Date().toISOString(),
      containers: (pod.spec?.containers ?? []).map((c): ContainerRecord => ({
        name: c.name, image: c.image ?? '', containerId: containerId(uid, c.name, 0), state: 'waiting',
        restartCount: 0, ready: false, started: false, logFile: '', reason: 'ContainerCreating',
      })),
    };
    this.records.set(uid, r);
    this.d.records.save(r);
    return r;
  }

  private runtimeConf(r: PodRecord): RuntimeConf {
    return {
      containerId: r.sandboxId, netns: netnsPath(r.netns), ifName: 'eth0',
      args: podCniArgs({ namespace: r.namespace, name: r.name, uid: r.uid, sandboxId: r.sandboxId }),
    };
  }

  private async setUpSandbox(pod: V1Pod, r: PodRecord): Promise<void> {
    try {
      await createNetns(r.netns).catch(async (err: unknown) => {
        // A namespace left by a crash between create and record: start from scratch.
        if (!/exists/i.test(String(err))) throw err;
        await deleteNetns(r.netns);
        await createNetns(r.netns);
      });
      const { list, result } = await this.d.cni.add(this.runtimeConf(r));
      r.network = list.name;
      r.podIPs = resultIPs(result);
      if (r.podIPs.length === 0) throw new Error(`CNI ADD of ${list.name} returned no IP`);
      r.sandboxError = undefined;
      this.d.log.info({ pod: `${r.namespace}/${r.name}`, netns: r.netns, ips: r.podIPs }, 'sandbox ready');
    } catch (err) {
      r.sandboxError = `failed to set up sandbox: ${(err as Error).message}`;
      for (const c of r.containers) { c.reason = 'ContainerCreating'; c.message = r.sandboxError; }
      this.d.log.error({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, err: String(err) }, 'sandbox setup failed');
      // Undo what half-worked so the next attempt (next tick) starts clean and nothing leaks.
      await this.d.cni.del(this.runtimeConf(r)).catch(() => {});
      await deleteNetns(r.netns).catch(() => {});
      r.podIPs = [];
    }
  }

  /**
   * CNI CHECK every CHECK_INTERVAL_MS: the plugin compares the cached result with the
   * sandbox (interface, address, routes). A failure is logged and kept in the record's
   * message; the pod keeps running — its network is what broke, not its processes.
   */
  private async checkNetwork(r: PodRecord): Promise<void> {
    const last = this.lastCheck.get(r.uid) ?? Date.parse(r.startTime);
    if (Date.now() - last < CHECK_INTERVAL_MS) return;
    this.lastCheck.set(r.uid, Date.now());
    try {
      await this.d.cni.check(this.runtimeConf(r));
      r.sandboxError = undefined;
    } catch (err) {
      r.sandboxError = `CNI CHECK failed: ${(err as Error).message}`;
      this.d.log.warn({ pod: `${r.namespace}/${r.name}`, err: String(err) }, 'CNI CHECK failed');
    }
  }

  private async services(ns: string): Promise<V1Service[]> {
    const get = (n: string) => this.d.api.get<{ items: V1Service[] }>(`/api/v1/namespaces/${n}/services`).then((l) => l.items, () => []);
    const own = await get(ns);
    const master = ns === 'default' ? [] : (await get('default')).filter((s) => s.metadata?.name === 'kubernetes');
    return [...own, ...master];
  }

  private async syncContainers(pod: V1Pod, r: PodRecord): Promise<void> {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    for (const spec of pod.spec?.containers ?? []) {
      const c = r.containers.find((x) => x.name === spec.name);
      if (!c) continue;
      // Our own child that died but whose exit status libuv has not delivered yet (it is
      // a zombie until reaped): wait for the exit event rather than guess the code.
      if (c.state === 'running' && c.pid !== undefined && this.awaitingExit.has(c.pid)) continue;
      if (c.state === 'running' && c.pid !== undefined && !this.alive(c)) {
        const code = this.exitCodes.get(c.pid);
        c.state = 'terminated';
        c.exitCode = code ?? 255;
        c.reason = code === undefined ? 'Unknown' : code === 0 ? 'Completed' : 'Error';
        c.finishedAt = new Date().toISOString();
        c.ready = false;
        this.d.log.info({ pod: `${r.namespace}/${r.name}`, container: c.name, exitCode: c.exitCode }, 'container exited');
      }
      if (c.state === 'running') continue;
      const neverStarted = c.startedAt === undefined;
      if (!neverStarted) {
        const restart = policy === 'Always' || (policy === 'OnFailure' && (c.exitCode ?? 0) !== 0);
        if (!restart) continue;
        const backoff = Math.min(1000 * 2 ** Math.min(c.restartCount, 10), MAX_BACKOFF_MS);
        if (c.finishedAt && Date.now() - Date.parse(c.finishedAt) < backoff) {
          c.reason = 'CrashLoopBackOff';
          continue;
        }
      }
      await this.startContainer(pod, spec, r, c, !neverStarted);
    }
  }

  private alive(c: ContainerRecord): boolean {
    if (c.pid === undefined) return false;
    // After a restart of ours the pid may belong to someone else by now.
    return c.argv ? runsArgv(c.pid, c.argv) : pidAlive(c.pid);
  }

  private async startContainer(pod: V1Pod, spec: V1Container, r: PodRecord, c: ContainerRecord, restart: boolean): Promise<void> {
    const argv = containerArgv(pod, spec, hawserArgv);
    if ('error' in argv) {
      c.state = 'waiting'; c.reason = 'ErrImagePull'; c.message = argv.error;
      return;
    }
    const env = containerEnv(pod, spec, { podIP: r.podIPs[0] ?? '', nodeIP: this.d.nodeIP, services: await this.services(r.namespace) });
    if (restart) c.restartCount++;
    c.containerId = containerId(r.uid, c.name, c.restartCount);
    c.logFile = `${this.d.records.logDir(r.uid)}/${c.name}.log`;
    try {
      const started = await spawnDetached({ netns: r.netns, argv: argv.argv, env, logFile: c.logFile, cwd: spec.workingDir ?? '/' });
      Object.assign(c, {
        state: 'running', pid: started.pid, argv: argv.argv, startedAt: new Date().toISOString(),
        finishedAt: undefined, exitCode: undefined, reason: undefined, message: undefined,
        ready: !spec.readinessProbe, started: !spec.startupProbe,
      });
      for (const k of ['startup', 'readiness', 'liveness'] as ProbeKind[]) this.probes.delete(`${r.uid}/${c.name}/${k}`);
      this.awaitingExit.add(started.pid);
      void started.exited.then(({ code, signal }) => {
        this.exitCodes.set(started.pid, code ?? 128 + (signal === 'SIGKILL' ? 9 : 15));
        this.awaitingExit.delete(started.pid);
        this.enqueue(r.uid);
      });
      this.d.log.info({ pod: `${r.namespace}/${r.name}`, container: c.name, pid: started.pid }, 'container started');
    } catch (err) {
      c.state = 'waiting'; c.reason = 'RunContainerError'; c.message = String(err);
    }
  }

  private async runProbes(pod: V1Pod, r: PodRecord): Promise<void> {
    const now = Date.now();
    for (const spec of pod.spec?.containers ?? []) {
      const c = r.containers.find((x) => x.name === spec.name);
      if (!c || c.state !== 'running' || !c.startedAt) continue;
      const kinds: [ProbeKind, NonNullable<V1Container['readinessProbe']>][] = [];
      if (spec.startupProbe && !c.started) kinds.push(['startup', spec.startupProbe]);
      else {
        if (spec.livenessProbe) kinds.push(['liveness', spec.livenessProbe]);
        if (spec.readinessProbe) kinds.push(['readiness', spec.readinessProbe]);
      }
      for (const [kind, probe] of kinds) {
        const key = `${r.uid}/${c.name}/${kind}`;
        const st = this.probes.get(key) ?? initialProbeState(probe, Date.parse(c.startedAt));
        if (now < st.nextAt) { this.probes.set(key, st); continue; }
        const ok = await runProbe(probe, spec, { podIP: r.podIPs[0]!, netns: r.netns, env: {} });
        const next = recordProbe(probe, st, ok, Date.now());
        this.probes.set(key, next);
        if (kind === 'readiness' && next.result !== undefined) c.ready = next.result;
        if (kind === 'startup' && next.result === true) c.started = true;
        if ((kind === 'liveness' || kind === 'startup') && next.result === false && c.pid !== undefined) {
          this.d.log.info({ pod: `${r.namespace}/${r.name}`, container: c.name, kind }, 'probe failed: restarting container');
          await this.stopContainer(c, pod.spec?.terminationGracePeriodSeconds ?? 30);
          c.state = 'terminated'; c.exitCode = 137; c.reason = 'Error'; c.finishedAt = new Date().toISOString(); c.ready = false;
          break;
        }
      }
    }
  }

  private async stopContainer(c: ContainerRecord, graceSeconds: number): Promise<void> {
    if (c.pid === undefined || !this.alive(c)) return;
    // The container leads its own process group (setsid): signal its children too.
    signalGroup(c.pid, 'SIGTERM');
    await terminate([c.pid], graceSeconds * 1000);
    signalGroup(c.pid, 'SIGKILL');
  }

  /** Stop every process of the pod, then CNI DEL, then the namespace; forget the pod. */
  private async teardown(r: PodRecord, graceSeconds: number): Promise<void> {
    const pids = [...new Set([...r.containers.filter((c) => this.alive(c)).map((c) => c.pid!), ...(await netnsPids(r.netns))])];
    for (const c of r.containers) if (c.pid !== undefined && this.alive(c)) signalGroup(c.pid, 'SIGTERM');
    await terminate(pids, graceSeconds * 1000);
    await terminate(await netnsPids(r.netns), 0);
    await this.d.cni.del(this.runtimeConf(r));
    await deleteNetns(r.netns);
    this.d.records.remove(r.uid);
    this.records.delete(r.uid);
    for (const k of [...this.probes.keys()]) if (k.startsWith(`${r.uid}/`)) this.probes.delete(k);
    this.lastCheck.delete(r.uid);
    this.d.log.info({ pod: `${r.namespace}/${r.name}`, netns: r.netns }, 'pod torn down');
  }

  private async writeStatus(pod: V1Pod, r: PodRecord): Promise<void> {
    const status = buildPodStatus(pod, r, this.d.nodeIP, new Date().toISOString());
    const last = this.written.get(r.uid) ?? pod.status;
    if (sameStatus(last, status)) return;
    await this.d.api.patch(`/api/v1/namespaces/${r.namespace}/pods/${r.name}/status`, { status }, 'merge');
    this.written.set(r.uid, status);
  }

  /** On shutdown: leave pods running (a restart adopts them). */
  async stop(): Promise<void> {
    this.synced = false;
    await this.idle();
  }
}
