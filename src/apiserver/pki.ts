// The apiserver's credentials in its data directory, created on first start and reused
// after: a CA, a serving certificate whose SANs cover every address clients use (re-issued
// when the wanted SANs change), and an admin bearer token in a token file.
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { certificateSans, createCa, createSignedCert } from '../kernel/openssl.js';
import { formatTokenLine, MASTERS_GROUP, parseTokenFile, type UserInfo } from './auth/tokens.js';

export interface Pki {
  caCertPath: string;
  caKeyPath: string;
  certPath: string;
  keyPath: string;
  caCert: string;
  cert: string;
  key: string;
}

export const ADMIN_USER: UserInfo = { name: 'admin', uid: 'admin', groups: [MASTERS_GROUP] };

function sameSet(a: string[], b: string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export async function ensurePki(dir: string, sans: string[]): Promise<Pki> {
  const pkiDir = join(dir, 'pki');
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  const p = {
    caCertPath: join(pkiDir, 'ca.crt'), caKeyPath: join(pkiDir, 'ca.key'),
    certPath: join(pkiDir, 'apiserver.crt'), keyPath: join(pkiDir, 'apiserver.key'),
  };
  if (!existsSync(p.caCertPath) || !existsSync(p.caKeyPath)) {
    await createCa({ keyPath: p.caKeyPath, certPath: p.caCertPath, commonName: 'hawser-ca' });
  }
  const want = [...new Set(sans)];
  const reissue = !existsSync(p.certPath) || !existsSync(p.keyPath) || !sameSet(await certificateSans(p.certPath), want);
  if (reissue) {
    await createSignedCert({
      caKeyPath: p.caKeyPath, caCertPath: p.caCertPath, keyPath: p.keyPath, certPath: p.certPath,
      commonName: 'hawser-apiserver', sans: want, usage: 'server',
    });
  }
  for (const f of [p.caKeyPath, p.keyPath]) chmodSync(f, 0o600);
  return { ...p, caCert: readFileSync(p.caCertPath, 'utf8'), cert: readFileSync(p.certPath, 'utf8'), key: readFileSync(p.keyPath, 'utf8') };
}

/** The admin token from DIR/tokens.csv, creating the file (mode 0600) on first use. */
export function ensureAdminToken(dir: string): { token: string; path: string } {
  const path = join(dir, 'tokens.csv');
  if (existsSync(path)) {
    for (const [token, user] of parseTokenFile(readFileSync(path, 'utf8'))) {
      if (user.name === ADMIN_USER.name) return { token, path };
    }
  }
  const token = randomBytes(24).toString('base64url');
  const prev = existsSync(path) ? readFileSync(path, 'utf8') : '';
  writeFileSync(path, `${prev}${prev && !prev.endsWith('\n') ? '\n' : ''}${formatTokenLine(token, ADMIN_USER)}\n`, { mode: 0o600 });
  return { token, path };
}
