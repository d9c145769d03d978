import { describe, expect, it } from 'vitest';
import { applyJsonPatch, PatchError } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic.js';

const svc = {
  metadata: { name: 'web', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443 }],
    selector: { app: 'web' },
  },
};

const pod = {
  metadata: { name: 'p' },
  spec: {
    containers: [
      { name: 'a', image: 'a:1', ports: [{ containerPort: 80 }, { containerPort: 81 }], env: [{ name: 'X', value: '1' }] },
      { name: 'b', image: 'b:1' },
    ],
    volumes: [{ name: 'v1', emptyDir: {} }],
  },
  status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
};

describe('strategic merge patch', () => {
  it('merges Service ports by port and keeps the others', () => {
    const out = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }) as typeof svc;
    expect(out.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 9090 }, { name: 'https', port: 443 }]);
  });

  it('applies kubectl apply’s $setElementOrder and $patch: delete', () => {
    const patch = { spec: { '$setElementOrder/ports': [{ port: 80 }, { port: 8443 }], ports: [{ name: 'https', port: 8443 }, { $patch: 'delete', port: 443 }] } };
    const out = applyStrategicMergePatch(svc, patch) as typeof svc;
    expect(out.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 8443 }]);
  });

  it('reorders by $setElementOrder alone', () => {
    const out = applyStrategicMergePatch(svc, { spec: { '$setElementOrder/ports': [{ port: 443 }, { port: 80 }] } }) as typeof svc;
    expect(out.spec.ports.map((p) => p.port)).toEqual([443, 80]);
  });

  it('merges containers by name, their ports by containerPort and env by name', () => {
    const out = applyStrategicMergePatch(pod, {
      spec: { containers: [{ name: 'a', image: 'a:2', ports: [{ containerPort: 82 }], env: [{ name: 'Y', value: '2' }] }] },
    }) as typeof pod;
    expect(out.spec.containers[0]!.image).toBe('a:2');
    expect(out.spec.containers[0]!.ports!.map((p) => p.containerPort)).toEqual([80, 81, 82]);
    expect(out.spec.containers[0]!.env!.map((e) => e.name)).toEqual(['X', 'Y']);
    expect(out.spec.containers[1]).toEqual({ name: 'b', image: 'b:1' });
  });

  it('merges status.conditions by type', () => {
    const out = applyStrategicMergePatch(pod, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }) as typeof pod;
    expect(out.status.conditions).toEqual([{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
  });

  it('null deletes a field; $patch: replace replaces a map or list', () => {
    const out = applyStrategicMergePatch(svc, { metadata: { labels: { a: null } }, spec: { selector: { $patch: 'replace', x: 'y' } } }) as typeof svc;
    expect(out.metadata.labels).toEqual({ b: '2' });
    expect(out.spec.selector).toEqual({ x: 'y' });
    const rep = applyStrategicMergePatch(svc, { spec: { ports: [{ $patch: 'replace' }, { port: 1 }] } }) as typeof svc;
    expect(rep.spec.ports).toEqual([{ port: 1 }]);
  });

  it('lists without merge keys are replaced; finalizers merge as a set', () => {
    const np = { spec: { ingress: [{ from: [{ podSelector: {} }] }, { ports: [{ port: 80 }] }] } };
    expect(applyStrategicMergePatch(np, { spec: { ingress: [{ ports: [{ port: 81 }] }] } })).toEqual({ spec: { ingress: [{ ports: [{ port: 81 }] }] } });
    const out = applyStrategicMergePatch(svc, { metadata: { finalizers: ['y', 'x'] } }) as typeof svc;
    expect(out.metadata.finalizers).toEqual(['x', 'y']);
    const del = applyStrategicMergePatch(svc, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }) as typeof svc;
    expect(del.metadata.finalizers).toEqual([]);
  });

  it('rejects a list item without its merge key', () => {
    expect(() => applyStrategicMergePatch(svc, { spec: { ports: [{ name: 'x' }] } })).toThrow(PatchError);
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges maps, deletes on null and replaces lists', () => {
    expect(applyMergePatch(svc, { metadata: { labels: { a: null, c: '3' } }, spec: { ports: [{ port: 1 }] } })).toEqual({
      metadata: { name: 'web', labels: { b: '2', c: '3' }, finalizers: ['x'] },
      spec: { ports: [{ port: 1 }], selector: { app: 'web' } },
    });
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('add/remove/replace/move/copy/test', () => {
    const out = applyJsonPatch(svc, [
      { op: 'add', path: '/metadata/labels/c~1d', value: 'x' },
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'replace', path: '/spec/ports/0/port', value: 81 },
      { op: 'copy', from: '/spec/ports/0', path: '/spec/ports/-' },
      { op: 'move', from: '/metadata/labels/b', path: '/metadata/labels/bb' },
      { op: 'test', path: '/spec/selector/app', value: 'web' },
    ]) as { metadata: { labels: Record<string, string> }; spec: { ports: { port: number }[] } };
    expect(out.metadata.labels).toEqual({ 'c/d': 'x', bb: '2' });
    expect(out.spec.ports.map((p) => p.port)).toEqual([81, 443, 81]);
    expect(svc.spec.ports[0]!.port).toBe(80); // the input is not modified
  });

  it.each([
    [[{ op: 'remove', path: '/nope' }]],
    [[{ op: 'test', path: '/metadata/name', value: 'other' }]],
    [[{ op: 'replace', path: '/spec/ports/9', value: 1 }]],
    [[{ op: 'bogus', path: '/a' }]],
    [[{ op: 'add', path: 'no-slash', value: 1 }]],
    [{ op: 'add' }],
  ])('%j fails with PatchError', (p) => {
    expect(() => applyJsonPatch(svc, p)).toThrow(PatchError);
  });
});
