import { describe, expect, it } from 'vitest';
import { accessFromKubeconfig } from './kubeconfig.js';
import { listQuery, reconcileList, watchQuery, type Obj } from './informer.js';

const doc = `
apiVersion: v1
kind: Config
current-context: b
clusters:
- { name: ca, cluster: { server: 'https://10.0.0.1:6443', certificate-authority-data: Q0E= } }
- { name: cb, cluster: { server: 'https://127.0.0.1:40000', certificate-authority: ca.crt, tls-server-name: 192.168.56.5 } }
users:
- { name: ua, user: { token: tok-a } }
- { name: ub, user: { tokenFile: tok.txt, client-certificate-data: Q0VSVA==, client-key: key.pem } }
contexts:
- { name: a, context: { cluster: ca, user: ua } }
- { name: b, context: { cluster: cb, user: ub } }
`;

describe('kubeconfig access', () => {
  const files: Record<string, string> = { 'ca.crt': 'FILE-CA', 'tok.txt': 'tok-b\n', 'key.pem': 'KEY' };
  const read = (p: string) => Buffer.from(files[p] ?? (() => { throw new Error(`no ${p}`); })());

  it('follows current-context to its cluster and user, files and inline data alike', () => {
    const a = accessFromKubeconfig(doc, read);
    expect(a.server.href).toBe('https://127.0.0.1:40000/');
    expect(a.ca?.toString()).toBe('FILE-CA');
    expect(a.servername).toBe('192.168.56.5');
    expect(a.token).toBe('tok-b');
    expect(a.cert?.toString()).toBe('CERT');
    expect(a.key?.toString()).toBe('KEY');
    expect(a.insecure).toBe(false);
  });

  it('takes inline CA data and tokens', () => {
    const a = accessFromKubeconfig(doc.replace('current-context: b', 'current-context: a'), read);
    expect([a.server.host, a.ca?.toString(), a.token, a.cert]).toEqual(['10.0.0.1:6443', 'CA', 'tok-a', undefined]);
  });

  it('fails clearly on a missing context target or server', () => {
    expect(() => accessFromKubeconfig(doc.replace('current-context: b', 'current-context: zz'), read)).toThrow(/no context zz/);
    expect(() => accessFromKubeconfig('clusters: [{name: x, cluster: {}}]', read)).toThrow(/no server/);
  });
});

describe('informer list reconciliation', () => {
  const o = (uid: string, rv: string): Obj => ({ metadata: { uid, resourceVersion: rv } });

  it('reports adds, changes and objects that vanished between lists, not unchanged ones', () => {
    const cache = new Map<string, Obj>();
    const seen: string[] = [];
    const rec = (cur: Obj | undefined, prev: Obj | undefined) => seen.push(`${cur ? 'cur' : '-'}:${(cur ?? prev)?.metadata?.uid}@${(cur ?? prev)?.metadata?.resourceVersion}${prev ? ' prev' : ''}`);
    reconcileList(cache, [o('a', '1'), o('b', '1')], rec);
    expect(seen.splice(0)).toEqual(['cur:a@1', 'cur:b@1']);
    reconcileList(cache, [o('a', '1'), o('c', '3'), o('b', '2')], rec);
    expect(seen.splice(0)).toEqual(['cur:c@3', 'cur:b@2 prev']);
    reconcileList(cache, [o('c', '3')], rec);
    expect(seen.splice(0).sort()).toEqual(['-:a@1 prev', '-:b@2 prev']);
    expect([...cache.keys()]).toEqual(['c']);
  });

  it('builds list and watch queries with the selector encoded', () => {
    expect(listQuery('spec.nodeName=node1')).toBe('?fieldSelector=spec.nodeName%3Dnode1');
    expect(listQuery()).toBe('');
    expect(watchQuery('42', 'spec.nodeName=n', 300)).toBe('?watch=true&resourceVersion=42&allowWatchBookmarks=true&timeoutSeconds=300&fieldSelector=spec.nodeName%3Dn');
  });
});
