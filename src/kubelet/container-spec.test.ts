import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { containerArgv, containerEnv, echoPorts, isEchoImage, resolvePort, sandboxId, sandboxNetnsName, serviceEnv } from './container-spec.js';

const h = (...a: string[]) => ['node', 'hawser.js', ...a];
const pod = (containers: NonNullable<V1Pod['spec']>['containers']): V1Pod => ({
  metadata: { name: 'web-1', namespace: 'shop', uid: 'uid-1', labels: { app: 'web' } },
  spec: { nodeName: 'node2', containers },
});

describe('container spec', () => {
  it('recognises the built-in echo image with tags and registry', () => {
    for (const i of ['hawser/echo', 'hawser/echo:latest', 'docker.io/hawser/echo:1', 'hawser/echo@sha256:ab']) expect(isEchoImage(i)).toBe(true);
    for (const i of ['nginx', 'hawser/echoes', 'other/hawser/echo', undefined]) expect(isEchoImage(i)).toBe(false);
  });

  it('runs echo on the declared ports, 8080/TCP when none', () => {
    const c = { name: 'e', image: 'hawser/echo', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }, { containerPort: 80, protocol: 'TCP' }] };
    expect(echoPorts(c)).toBe('80/TCP,53/UDP');
    expect(echoPorts({ name: 'e' })).toBe('8080/TCP');
    expect(containerArgv(pod([c]), c, h)).toEqual({ argv: ['node', 'hawser.js', 'echo-server', '--ports', '80/TCP,53/UDP', '--name', 'web-1'] });
  });

  it('runs command + args of other images as host programs, and refuses an image with neither', () => {
    const c = { name: 's', image: 'busybox', command: ['sleep'], args: ['3600'] };
    expect(containerArgv(pod([c]), c, h)).toEqual({ argv: ['sleep', '3600'] });
    const none = { name: 'n', image: 'nginx' };
    expect(containerArgv(pod([none]), none, h)).toMatchObject({ error: expect.stringMatching(/not built in/) });
  });

  it('derives stable sandbox IDs and namespace names from the UID', () => {
    expect(sandboxId('uid-1')).toMatch(/^[0-9a-f]{64}$/);
    expect(sandboxId('uid-1')).toBe(sandboxId('uid-1'));
    expect(sandboxId('uid-1')).not.toBe(sandboxId('uid-2'));
    expect(sandboxNetnsName('hl-lab-p-', 'uid-1')).toBe(`hl-lab-p-${sandboxId('uid-1').slice(0, 10)}`);
  });

  it('builds the service variables as the kubelet does', () => {
    const env = serviceEnv([
      { metadata: { name: 'redis-primary' }, spec: { clusterIP: '10.96.0.11', ports: [{ name: 'redis', port: 6379, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] } },
      { metadata: { name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
    ]);
    expect(env).toEqual({
      REDIS_PRIMARY_SERVICE_HOST: '10.96.0.11',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_SERVICE_PORT_REDIS: '6379',
      REDIS_PRIMARY_PORT: 'tcp://10.96.0.11:6379',
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://10.96.0.11:6379',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.0.11',
      REDIS_PRIMARY_PORT_53_UDP: 'udp://10.96.0.11:53',
      REDIS_PRIMARY_PORT_53_UDP_PROTO: 'udp',
      REDIS_PRIMARY_PORT_53_UDP_PORT: '53',
      REDIS_PRIMARY_PORT_53_UDP_ADDR: '10.96.0.11',
    });
  });

  it('puts spec env over defaults, expands $(VAR), resolves the downward API', () => {
    const c = {
      name: 'x', env: [
        { name: 'GREETING', value: 'hi $(POD_NAME) $(NOPE)' },
        { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      ],
    };
    const env = containerEnv(pod([c]), c, { podIP: '10.244.1.5', nodeIP: '192.168.56.11', services: [] });
    expect(env).toMatchObject({
      POD_NAME: 'web-1', POD_NAMESPACE: 'shop', POD_IP: '10.244.1.5', NODE_NAME: 'node2', HOSTNAME: 'web-1',
      GREETING: 'hi web-1 $(NOPE)', MY_IP: '10.244.1.5', APP: 'web', HOST_IP: '192.168.56.11',
    });
    expect(env.PATH).toContain('/usr/bin');
  });

  it('resolves probe ports by number, numeric string or name', () => {
    const c = { name: 'x', ports: [{ name: 'http', containerPort: 8080 }] };
    expect([resolvePort(c, 80), resolvePort(c, '81'), resolvePort(c, 'http'), resolvePort(c, 'nope'), resolvePort(c, undefined)])
      .toEqual([80, 81, 8080, undefined, undefined]);
  });
});
