// The 48 cases of the upstream NetworkPolicy e2e suite (kubernetes
// test/e2e/network/netpol/network_policy.go: 42 TCP, 3 UDP, 3 SCTP), written against the
// model in world.ts, plus hawser's own cases for what upstream only validates (endPort
// ranges) or leaves implicit (policyTypes defaulting, egress named ports per pod).
//
// Policies are built as upstream's helpers build them: SetSpecIngressRules/
// SetSpecEgressRules add the policy type even with no rules, so policyTypes is explicit
// unless a case says otherwise. All nine pods exist in every case (upstream creates only
// the pods a case needs); the expected matrices are written for the whole 9×9 table.
import type { EgressRuleSpec, IngressRuleSpec, LabelSelector, NetworkPolicy, Protocol } from '../types.js';
import { Reachability, ipOf, type Cluster, type Probe, type TruthCase } from './world.js';

const NS_LABEL = 'kubernetes.io/metadata.name';

const labels = (matchLabels: Record<string, string>): LabelSelector => ({ matchLabels });
const nsNamed = (ns: string): LabelSelector => labels({ [NS_LABEL]: ns });
const podA = labels({ pod: 'a' });

export function netpol(
  ns: string, name: string, podSelector: LabelSelector,
  rules: { ingress?: IngressRuleSpec[]; egress?: EgressRuleSpec[] }, policyTypes?: string[],
): NetworkPolicy {
  const types = policyTypes ?? [...(rules.ingress ? ['Ingress'] : []), ...(rules.egress ? ['Egress'] : [])];
  return {
    metadata: { namespace: ns, name },
    spec: {
      podSelector,
      ...(types.length ? { policyTypes: types } : {}),
      ...(rules.ingress ? { ingress: rules.ingress } : {}),
      ...(rules.egress ? { egress: rules.egress } : {}),
    },
  };
}

const R = (def = true) => new Reachability(def);
const probe = (proto: Protocol, port: number, expect: Reachability): Probe => ({ proto, port, expect });
const tcp = (port: number, expect: Reachability) => probe('TCP', port, expect);

function one(name: string, change: (c: Cluster) => void, ...probes: Probe[]): TruthCase {
  return { name, steps: [{ change, probes }] };
}

/** upstream makeLargeCIDRForIP: a /4 around the address (host bits set; ParseCIDRSloppy accepts). */
const largeCidr = (ip: string) => `${ip}/4`;

function denyIngressX(proto: Protocol, port: number): TruthCase {
  return one(`${proto}: should support a 'default-deny-ingress' policy`,
    (c) => c.apply(netpol('x', 'deny-ingress', {}, { ingress: [] })),
    probe(proto, port, R().expectPeer({}, { ns: 'x' }, false)));
}

function portsFromY(proto: Protocol): TruthCase {
  return one(`${proto}: should enforce policy based on Ports`,
    (c) => c.apply(netpol('x', 'allow-port-81-from-y', podA, { ingress: [{ from: [{ namespaceSelector: nsNamed('y') }], ports: [{ port: 81, protocol: proto }] }] })),
    probe(proto, 81, R().expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false)),
    probe(proto, 80, R().allIngress('x/a', false)));
}

function onlyFromYA(proto: Protocol): TruthCase {
  return one(`${proto}: should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector`,
    (c) => c.apply(netpol('x', 'allow-ns-y-pod-a', podA, { ingress: [{ from: [{ namespaceSelector: nsNamed('y'), podSelector: podA }] }] })),
    probe(proto, 80, R().allIngress('x/a', false).expect('y/a', 'x/a', true)));
}

const notInX: LabelSelector = { matchExpressions: [{ key: NS_LABEL, operator: 'NotIn', values: ['x'] }] };

export const UPSTREAM_CASES: TruthCase[] = [
  denyIngressX('TCP', 80),
  one("should support a 'default-deny-all' policy",
    (c) => c.apply(netpol('x', 'deny-all', {}, { ingress: [], egress: [] })),
    tcp(80, R().expectPeer({}, { ns: 'x' }, false).expectPeer({ ns: 'x' }, {}, false))),
  one('should enforce policy to allow traffic from pods within server namespace based on PodSelector',
    (c) => c.apply(netpol('x', 'x-a-allows-x-b', podA, { ingress: [{ from: [{ podSelector: labels({ pod: 'b' }) }] }] })),
    tcp(80, R().allIngress('x/a', false).expect('x/b', 'x/a', true))),
  one('should enforce policy to allow ingress traffic for a target',
    (c) => c.apply(
      netpol('x', 'deny-all', {}, { ingress: [] }),
      netpol('x', 'allow-all-to-a', podA, { ingress: [{ from: [{ podSelector: {}, namespaceSelector: {} }] }] }),
    ),
    tcp(80, R().allIngress('x/a', true).allIngress('x/b', false).allIngress('x/c', false))),
  one('should enforce policy to allow ingress traffic from pods in all namespaces',
    (c) => c.apply(netpol('x', 'allow-from-another-ns', podA, { ingress: [{ from: [{ namespaceSelector: { matchLabels: {} } }] }] })),
    tcp(80, R())),
  one('should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector',
    (c) => c.apply(netpol('x', 'allow-client-a-via-ns-selector', podA, { ingress: [{ from: [{ namespaceSelector: nsNamed('y') }] }] })),
    tcp(80, R().expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false))),
  one('should enforce policy based on PodSelector with MatchExpressions',
    (c) => c.apply(netpol('x', 'x-a-allows-x-b', podA, { ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b'] }] } }] }] })),
    tcp(80, R().allIngress('x/a', false).expect('x/b', 'x/a', true))),
  one('should enforce policy based on NamespaceSelector with MatchExpressions',
    (c) => c.apply(netpol('x', 'allow-ns-y-match-selector', podA, { ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: NS_LABEL, operator: 'In', values: ['y'] }] } }] }] })),
    tcp(80, R().expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false))),
  one('should enforce policy based on PodSelector or NamespaceSelector',
    (c) => c.apply(netpol('x', 'allow-ns-y-match-selector', podA, { ingress: [{ from: [{ namespaceSelector: notInX }, { podSelector: labels({ pod: 'b' }) }] }] })),
    tcp(80, R().expect('x/c', 'x/a', false))),
  one('should enforce policy based on PodSelector and NamespaceSelector',
    (c) => c.apply(netpol('x', 'allow-ns-y-podselector-and-nsselector', podA, { ingress: [{ from: [{ namespaceSelector: notInX, podSelector: labels({ pod: 'b' }) }] }] })),
    tcp(80, R().allIngress('x/a', false).expect('y/b', 'x/a', true).expect('z/b', 'x/a', true))),
  one('should enforce policy based on Multiple PodSelectors and NamespaceSelectors',
    (c) => c.apply(netpol('x', 'allow-ns-y-z-pod-b-c', podA, { ingress: [{ from: [{ namespaceSelector: notInX, podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b', 'c'] }] } }] }] })),
    tcp(80, R().expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expect('y/a', 'x/a', false).expect('z/a', 'x/a', false))),
  one('should enforce policy based on any PodSelectors',
    (c) => c.apply(netpol('x', 'allow-ns-x-pod-b-c', podA, { ingress: [{ from: [{ podSelector: labels({ pod: 'b' }) }, { podSelector: labels({ pod: 'c' }) }] }] })),
    tcp(80, R().allIngress('x/a', false).expect('x/b', 'x/a', true).expect('x/c', 'x/a', true))),
  onlyFromYA('TCP'),
  portsFromY('TCP'),
  {
    name: 'should enforce multiple, stacked policies with overlapping podSelectors',
    steps: [
      {
        change: (c) => c.apply(netpol('x', 'allow-client-a-via-ns-selector', podA, { ingress: [{ from: [{ namespaceSelector: nsNamed('y') }], ports: [{ port: 81, protocol: 'TCP' }] }] })),
        probes: [
          tcp(81, R().expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false)),
          tcp(80, R().allIngress('x/a', false)),
        ],
      },
      {
        change: (c) => c.apply(netpol('x', 'allow-client-a-via-ns-selector-80', podA, { ingress: [{ from: [{ namespaceSelector: nsNamed('y') }], ports: [{ port: 80, protocol: 'TCP' }] }] })),
        probes: [tcp(80, R().expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false))],
      },
    ],
  },
  one('should support allow-all policy',
    (c) => c.apply(netpol('x', 'allow-all', {}, { ingress: [{}] })),
    tcp(80, R()), tcp(81, R())),
  one('should allow ingress access on one named port',
    (c) => c.apply(netpol('x', 'allow-all', {}, { ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })),
    tcp(81, R()), tcp(80, R().expectPeer({}, { ns: 'x' }, false))),
  one('should allow ingress access from namespace on one named port',
    (c) => c.apply(netpol('x', 'allow-client-a-via-ns-selector-80', podA, { ingress: [{ from: [{ namespaceSelector: nsNamed('y') }], ports: [{ port: 'serve-80-tcp', protocol: 'TCP' }] }] })),
    tcp(80, R().expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false)),
    tcp(81, R().allIngress('x/a', false))),
  one('should allow egress access on one named port',
    (c) => c.apply(netpol('x', 'allow-egress', {}, { egress: [{ ports: [{ port: 'serve-80-tcp' }] }] })),
    tcp(80, R()), tcp(81, R().expectPeer({ ns: 'x' }, {}, false))),
  {
    name: 'should enforce updated policy',
    steps: [
      { change: (c) => c.apply(netpol('x', 'allow-all-mutate-to-deny-all', {}, { ingress: [{}] })), probes: [tcp(81, R())] },
      { change: (c) => c.apply(netpol('x', 'allow-all-mutate-to-deny-all', {}, { ingress: [] })), probes: [tcp(81, R().expectPeer({}, { ns: 'x' }, false))] },
    ],
  },
  {
    name: 'should allow ingress access from updated namespace',
    steps: [
      {
        change: (c) => c.apply(netpol('x', 'allow-client-a-via-ns-selector', podA, { ingress: [{ from: [{ namespaceSelector: labels({ ns2: 'updated' }) }] }] })),
        probes: [tcp(80, R().allIngress('x/a', false))],
      },
      { change: (c) => c.labelNamespace('y', { ns2: 'updated' }), probes: [tcp(80, R().allIngress('x/a', false).expectPeer({ ns: 'y' }, {}, true))] },
    ],
  },
  {
    name: 'should allow ingress access from updated pod',
    steps: [
      {
        change: (c) => c.apply(netpol('x', 'allow-client-a-via-pod-selector', podA, { ingress: [{ from: [{ podSelector: labels({ pod: 'b', pod2: 'updated' }) }] }] })),
        probes: [tcp(80, R().allIngress('x/a', false))],
      },
      { change: (c) => c.labelPod('x/b', { pod: 'b', pod2: 'updated' }), probes: [tcp(80, R().allIngress('x/a', false).expect('x/b', 'x/a', true))] },
    ],
  },
  one('should deny ingress from pods on other namespaces',
    (c) => c.apply(netpol('x', 'deny-empty-policy', {}, { ingress: [{ from: [{ podSelector: { matchLabels: {} } }] }] })),
    tcp(80, R().expectPeer({ ns: 'y' }, { ns: 'x' }, false).expectPeer({ ns: 'z' }, { ns: 'x' }, false))),
  {
    name: 'should deny ingress access to updated pod',
    steps: [
      { change: (c) => c.apply(netpol('x', 'deny-ingress-via-label-selector', labels({ target: 'isolated' }), { ingress: [] })), probes: [tcp(80, R())] },
      { change: (c) => c.labelPod('x/a', { pod: 'a', target: 'isolated' }), probes: [tcp(80, R().allIngress('x/a', false))] },
    ],
  },
  one('should deny egress from pods based on PodSelector',
    (c) => c.apply(netpol('x', 'deny-egress-pod-a', podA, { egress: [] })),
    tcp(80, R().allEgress('x/a', false))),
  one('should deny egress from all pods in a namespace',
    (c) => c.apply(netpol('x', 'deny-egress-ns-x', {}, { egress: [] })),
    tcp(80, R().expectPeer({ ns: 'x' }, {}, false))),
  one('should work with Ingress, Egress specified together',
    (c) => c.apply(netpol('x', 'allow-client-a-via-pod-selector', podA,
      { ingress: [{ from: [{ podSelector: labels({ pod: 'b' }) }] }], egress: [{ ports: [{ port: 80 }] }] }, ['Egress', 'Ingress'])),
    tcp(80, R().allIngress('x/a', false).expect('x/b', 'x/a', true)),
    tcp(81, R().allIngress('x/a', false).allEgress('x/a', false).expect('x/b', 'x/a', true))),
  one('should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)',
    (c) => {
      const fromXA = { ingress: [{ from: [{ namespaceSelector: nsNamed('x'), podSelector: podA }] }] };
      c.apply(
        netpol('x', 'allow-to-ns-y-pod-a', podA, { egress: [{ to: [{ namespaceSelector: nsNamed('y'), podSelector: podA }] }] }),
        netpol('y', 'allow-from-xa-on-ya-match-selector', podA, fromXA),
        netpol('y', 'allow-from-xa-on-yb-match-selector', labels({ pod: 'b' }), fromXA),
      );
    },
    tcp(80, R().expectPeer({ ns: 'x', pod: 'a' }, {}, false).expectPeer({}, { ns: 'y', pod: 'a' }, false)
      .expectPeer({ ns: 'x', pod: 'a' }, { ns: 'y', pod: 'a' }, true).expectPeer({}, { ns: 'y', pod: 'b' }, false))),
  one('should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector',
    (c) => c.apply(netpol('x', 'allow-to-ns-y-pod-a', podA, { egress: [{ to: [{ namespaceSelector: nsNamed('y'), podSelector: podA }] }] })),
    tcp(80, R().allEgress('x/a', false).expect('x/a', 'y/a', true))),
  one('should enforce ingress policy allowing any port traffic to a server on a specific protocol',
    (c) => c.apply(netpol('x', 'allow-ingress-by-proto', podA, { ingress: [{ ports: [{ protocol: 'TCP' }] }] })),
    tcp(80, R()), probe('UDP', 80, R().allIngress('x/a', false))),
  {
    name: 'should enforce multiple ingress policies with ingress allow-all policy taking precedence',
    steps: [
      { change: (c) => c.apply(netpol('x', 'allow-ingress-port-80', {}, { ingress: [{ ports: [{ port: 80 }] }] })), probes: [tcp(81, R().expectPeer({}, { ns: 'x' }, false))] },
      { change: (c) => c.apply(netpol('x', 'allow-ingress', {}, { ingress: [{}] })), probes: [tcp(81, R())] },
    ],
  },
  {
    name: 'should enforce multiple egress policies with egress allow-all policy taking precedence',
    steps: [
      { change: (c) => c.apply(netpol('x', 'allow-egress-port-80', {}, { egress: [{ ports: [{ port: 80 }] }] })), probes: [tcp(81, R().expectPeer({ ns: 'x' }, {}, false))] },
      { change: (c) => c.apply(netpol('x', 'allow-egress', {}, { egress: [{}] })), probes: [tcp(81, R())] },
    ],
  },
  {
    name: 'should stop enforcing policies after they are deleted',
    steps: [
      { change: (c) => c.apply(netpol('x', 'deny-all', {}, { ingress: [], egress: [] })), probes: [tcp(80, R().expectPeer({ ns: 'x' }, {}, false).expectPeer({}, { ns: 'x' }, false))] },
      { change: (c) => c.remove('x', 'deny-all'), probes: [tcp(80, R())] },
    ],
  },
  one('should allow egress access to server in CIDR block',
    (c) => c.apply(netpol('x', 'allow-client-a-via-cidr-egress-rule', podA, { egress: [{ to: [{ ipBlock: { cidr: `${ipOf('y/b')}/32` } }] }] })),
    tcp(80, R().allEgress('x/a', false).expect('x/a', 'y/b', true))),
  one('should enforce except clause while egress access to server in CIDR block',
    (c) => c.apply(netpol('x', 'allow-client-a-via-cidr-egress-rule', podA, { egress: [{ to: [{ ipBlock: { cidr: largeCidr(ipOf('x/b')), except: [`${ipOf('x/b')}/32`] } }] }] })),
    tcp(80, R().expect('x/a', 'x/b', false))),
  {
    name: 'should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed',
    steps: [
      {
        change: (c) => c.apply(netpol('x', 'allow-client-a-via-cidr-egress-rule', podA, { egress: [{ to: [{ ipBlock: { cidr: largeCidr(ipOf('x/b')), except: [`${ipOf('x/b')}/32`] } }] }] })),
        probes: [tcp(80, R().expect('x/a', 'x/b', false))],
      },
      {
        // Same name: upstream UPDATES the policy, so the /4 rule is gone afterwards.
        change: (c) => c.apply(netpol('x', 'allow-client-a-via-cidr-egress-rule', podA, { egress: [{ to: [{ ipBlock: { cidr: `${ipOf('x/b')}/32` } }] }] })),
        probes: [tcp(80, R().allEgress('x/a', false).expect('x/a', 'x/b', true))],
      },
    ],
  },
  {
    name: 'should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector',
    steps: [
      { change: (c) => c.apply(netpol('x', 'allow-egress-for-target', podA, { egress: [{}] })), probes: [tcp(80, R())] },
      { change: (c) => c.apply(netpol('x', 'deny-ingress-via-label-selector', podA, { ingress: [] })), probes: [tcp(80, R().allIngress('x/a', false))] },
    ],
  },
  one("should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
    (c) => c.apply(
      netpol('x', 'deny-ingress', {}, { ingress: [] }),
      netpol('x', 'allow-only-sctp-ingress-on-port-81', podA, { ingress: [{ ports: [{ port: 81, protocol: 'SCTP' }] }] }),
    ),
    tcp(81, R().expectPeer({}, { ns: 'x' }, false)),
    probe('SCTP', 81, R().expectPeer({}, { ns: 'x', pod: 'b' }, false).expectPeer({}, { ns: 'x', pod: 'c' }, false))),
  one("should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP",
    (c) => c.apply(netpol('x', 'allow-only-sctp-ingress-on-port-80', podA, { ingress: [{ ports: [{ port: 80, protocol: 'SCTP' }] }] })),
    tcp(81, R().allIngress('x/a', false)), tcp(80, R().allIngress('x/a', false)), probe('SCTP', 80, R())),
  one('should not allow access by TCP when a policy specifies only UDP',
    (c) => c.apply(netpol('x', 'allow-only-udp-ingress-on-port-81', podA, { ingress: [{ ports: [{ port: 81, protocol: 'UDP' }] }] })),
    tcp(81, R().allIngress('x/a', false)), probe('UDP', 81, R())),
  one('should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label',
    (c) => c.apply(netpol('x', 'allow-client-a-via-ns-selector-for-immutable-ns-label', podA, { ingress: [{ from: [{ namespaceSelector: nsNamed('y') }] }] })),
    tcp(80, R().expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false))),
  one('should enforce policy based on NamespaceSelector with MatchExpressions using default ns label',
    (c) => c.apply(netpol('x', 'allow-ns-y-match-selector-for-immutable-ns-label', podA,
      { egress: [{ to: [{ namespaceSelector: { matchExpressions: [{ key: NS_LABEL, operator: 'NotIn', values: ['y'] }] } }] }] })),
    tcp(80, R().expectPeer({ ns: 'x', pod: 'a' }, { ns: 'y' }, false))),
  denyIngressX('UDP', 80),
  portsFromY('UDP'),
  onlyFromYA('UDP'),
  denyIngressX('SCTP', 80),
  portsFromY('SCTP'),
  onlyFromYA('SCTP'),
];

/** Beyond upstream's connectivity cases. */
export const EXTRA_CASES: TruthCase[] = [
  one('endPort: a TCP range opens every port in it and nothing else',
    (c) => c.apply(netpol('x', 'range-80-81', podA, { ingress: [{ ports: [{ protocol: 'TCP', port: 80, endPort: 81 }] }] })),
    tcp(80, R()), tcp(81, R()), tcp(82, R().allIngress('x/a', false)), tcp(79, R().allIngress('x/a', false)),
    probe('UDP', 80, R().allIngress('x/a', false))),
  one('endPort: overlapping ranges and single ports merge; egress range towards y only',
    (c) => c.apply(netpol('x', 'egress-range', podA, { egress: [{ to: [{ namespaceSelector: nsNamed('y') }], ports: [{ port: 1000, endPort: 2000 }, { port: 1500, endPort: 3000 }, { port: 2999 }] }] })),
    tcp(1000, R().allEgress('x/a', false).expectPeer({ ns: 'x', pod: 'a' }, { ns: 'y' }, true)),
    tcp(3000, R().allEgress('x/a', false).expectPeer({ ns: 'x', pod: 'a' }, { ns: 'y' }, true)),
    tcp(3001, R().allEgress('x/a', false)),
    tcp(999, R().allEgress('x/a', false))),
  one('policyTypes defaulting: egress rules without policyTypes isolate both directions',
    (c) => c.apply(netpol('x', 'egress-only-rules', podA, { egress: [{ to: [{ podSelector: {} }] }] }, [])),
    tcp(80, R().allIngress('x/a', false).allEgress('x/a', false).expectPeer({ ns: 'x', pod: 'a' }, { ns: 'x' }, true))),
  one('policyTypes defaulting: an empty egress list does not isolate egress',
    (c) => c.apply(netpol('x', 'no-types', podA, { ingress: [{ from: [{ podSelector: {} }] }], egress: [] }, [])),
    tcp(80, R().expectPeer({ ns: 'y' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false))),
  one('egress named port resolves on each destination pod',
    (c) => {
      // y/b serves "serve-80-tcp" on 8080 instead of 80.
      const pod = c.pods.get('y/b')!;
      pod.spec!.containers = [{ ports: [{ name: 'serve-80-tcp', containerPort: 8080, protocol: 'TCP' }] }];
      c.apply(netpol('x', 'egress-named', podA, { egress: [{ ports: [{ port: 'serve-80-tcp' }] }] }));
    },
    tcp(80, R().expect('x/a', 'y/b', false)),
    tcp(8080, R().allEgress('x/a', false).expect('x/a', 'y/b', true))),
  one('ipBlock applies to pod addresses on ingress, with except',
    // Addresses only (no node subnets): the lab's IPAM decides which pod lands where.
    (c) => c.apply(netpol('x', 'from-cidr', podA, { ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: [`${ipOf('y/c')}/32`, `${ipOf('x/b')}/32`] } }] }] })),
    tcp(80, R().expect('x/b', 'x/a', false).expect('y/c', 'x/a', false))),
  one("an egress allow never skips the destination's ingress check (same-node pairs)",
    (c) => c.apply(netpol('x', 'egress-all-ingress-none', {}, { ingress: [], egress: [{}] })),
    tcp(80, R().expectPeer({}, { ns: 'x' }, false))),
  one('a peer in another namespace by podSelector alone means the policy namespace only',
    (c) => c.apply(netpol('x', 'pod-b-here', podA, { ingress: [{ from: [{ podSelector: labels({ pod: 'b' }) }] }] })),
    tcp(80, R().allIngress('x/a', false).expect('x/b', 'x/a', true))),
  {
    name: 'egress peers follow pod label changes',
    steps: [
      { change: (c) => c.apply(netpol('x', 'to-role-db', podA, { egress: [{ to: [{ namespaceSelector: {}, podSelector: labels({ role: 'db' }) }] }] })), probes: [tcp(80, R().allEgress('x/a', false))] },
      { change: (c) => c.labelPod('z/c', { pod: 'c', role: 'db' }), probes: [tcp(80, R().allEgress('x/a', false).expect('x/a', 'z/c', true))] },
    ],
  },
];
