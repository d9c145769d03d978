import { describe, expect, it } from 'vitest';
import { parseApiPath } from './paths.js';

describe('resource URL parsing', () => {
  it.each([
    ['/api/v1/pods', { group: '', version: 'v1', resource: 'pods' }],
    ['/api/v1/namespaces/x/pods', { group: '', version: 'v1', namespace: 'x', resource: 'pods' }],
    ['/api/v1/namespaces/x/pods/p/status', { namespace: 'x', resource: 'pods', name: 'p', subresource: 'status' }],
    ['/api/v1/namespaces/x', { resource: 'namespaces', name: 'x' }],
    ['/api/v1/namespaces/x/status', { resource: 'namespaces', name: 'x', subresource: 'status' }],
    ['/api/v1/namespaces/x/finalize', { resource: 'namespaces', name: 'x', subresource: 'finalize' }],
    ['/api/v1/namespaces', { resource: 'namespaces' }],
    ['/api/v1/nodes/n1/status', { resource: 'nodes', name: 'n1', subresource: 'status' }],
    ['/apis/apps/v1/namespaces/d/deployments/w/scale', { group: 'apps', version: 'v1', namespace: 'd', resource: 'deployments', name: 'w', subresource: 'scale' }],
    ['/apis/networking.k8s.io/v1/networkpolicies', { group: 'networking.k8s.io', resource: 'networkpolicies' }],
  ])('%s', (url, want) => {
    const p = parseApiPath(url);
    expect(p.kind).toBe('resource');
    if (p.kind === 'resource') expect(p.path).toMatchObject(want);
  });

  it('group-version roots and everything else', () => {
    expect(parseApiPath('/api/v1')).toEqual({ kind: 'groupVersion', group: '', version: 'v1' });
    expect(parseApiPath('/apis/apps/v1/')).toEqual({ kind: 'groupVersion', group: 'apps', version: 'v1' });
    expect(parseApiPath('/apis/apps').kind).toBe('other');
    expect(parseApiPath('/api/v1/namespaces/a/pods/p/status/extra').kind).toBe('other');
    expect(parseApiPath('/healthz').kind).toBe('other');
  });
});
