import { describe, expect, it } from 'vitest';
import { healthCheckAnswer, healthCheckServices } from './healthcheck.js';
import { buildModel } from './model.js';
import { NODE, slice, svc } from './fixtures.js';

const lb = svc('lb', { type: 'LoadBalancer', etp: 'Local', healthCheckNodePort: 32000, lbIPs: ['192.168.56.200'], ports: [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'https', port: 443, nodePort: 30443 }] });
const ports = [{ name: 'http', port: 8080 }, { name: 'https', port: 8443 }];

describe('healthCheckNodePort', () => {
  it('counts ready local endpoints once per pod and answers 200', () => {
    const sl = slice('lb', [{ ip: '10.244.0.5', node: 'node-a' }, { ip: '10.244.0.6', node: 'node-a' }, '10.244.1.5'], ports);
    const [s] = healthCheckServices(buildModel([lb], [sl], NODE).services);
    expect(s).toEqual({ namespace: 'default', name: 'lb', port: 32000, localEndpoints: 2 });
    const a = healthCheckAnswer(s!, true);
    expect(a.status).toBe(200);
    expect(a.headers['X-Load-Balancing-Endpoint-Weight']).toBe('2');
    expect(JSON.parse(a.body)).toEqual({ service: { namespace: 'default', name: 'lb' }, localEndpoints: 2, serviceProxyHealthy: true });
  });

  it('answers 503 with only terminating local endpoints, none, or an unhealthy proxy', () => {
    const term = slice('lb', [{ ip: '10.244.0.5', node: 'node-a', ready: false, serving: true, terminating: true }, '10.244.1.5'], ports);
    const [s] = healthCheckServices(buildModel([lb], [term], NODE).services);
    expect(s!.localEndpoints).toBe(0);
    expect(healthCheckAnswer(s!, true).status).toBe(503);
    expect(healthCheckAnswer({ ...s!, localEndpoints: 3 }, false).status).toBe(503);
  });

  it('lists only Services with a healthCheckNodePort', () => {
    expect(healthCheckServices(buildModel([svc('web')], [slice('web', ['10.244.0.5'])], NODE).services)).toEqual([]);
  });
});
