// X.509 certificates through the `openssl` CLI. Node 20 can make keys but not
// certificates, and no X.509 library is installed, so the apiserver's PKI (CA, serving and
// client certificates) is made by openssl 3 — spawned here, the process boundary.
// EC P-256 keys: quick to generate and accepted by Go's TLS stack (kubectl).
import { run } from './exec.js';

export interface CaRequest {
  keyPath: string;
  certPath: string;
  commonName: string;
  days?: number;
}

export interface CertRequest {
  caKeyPath: string;
  caCertPath: string;
  keyPath: string;
  certPath: string;
  commonName: string;
  /** Subject organisations (client certificates: Kubernetes groups). */
  organizations?: string[];
  /** IP addresses and DNS names; IPs are recognised by their form. */
  sans?: string[];
  usage: 'server' | 'client';
  days?: number;
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function subject(cn: string, orgs: string[] = []): string {
  const esc = (s: string) => s.replace(/[/\\=+,]/g, (c) => `\\${c}`);
  return `${orgs.map((o) => `/O=${esc(o)}`).join('')}/CN=${esc(cn)}`;
}

export function sanEntry(name: string): string {
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
  return `${isIp ? 'IP' : 'DNS'}:${name}`;
}

export async function createCa(r: CaRequest): Promise<void> {
  await run([
    'openssl', 'req', '-x509', ...KEY_ARGS, '-keyout', r.keyPath, '-out', r.certPath,
    '-days', String(r.days ?? 3650), '-subj', subject(r.commonName),
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
}

export async function createSignedCert(r: CertRequest): Promise<void> {
  const args = [
    'openssl', 'req', '-x509', ...KEY_ARGS, '-keyout', r.keyPath, '-out', r.certPath,
    '-CA', r.caCertPath, '-CAkey', r.caKeyPath,
    '-days', String(r.days ?? 365), '-subj', subject(r.commonName, r.organizations),
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
    '-addext', `extendedKeyUsage=${r.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
  ];
  if (r.sans && r.sans.length) args.push('-addext', `subjectAltName=${r.sans.map(sanEntry).join(',')}`);
  await run(args);
}

/** The SAN list of a certificate file, as openssl prints it ("DNS:x, IP Address:y"). */
export async function certificateSans(certPath: string): Promise<string[]> {
  const { stdout } = await run(['openssl', 'x509', '-in', certPath, '-noout', '-ext', 'subjectAltName']);
  return stdout.split('\n').slice(1).join(',').split(',').map((s) => s.trim()).filter(Boolean)
    .map((s) => s.replace(/^IP Address:/, '').replace(/^DNS:/, ''));
}
