// Static bearer tokens, in kube-apiserver's --token-auth-file format:
// `token,user,uid,"group1,group2"` per line (groups optional). Every authenticated user
// also gets the group system:authenticated, as upstream's authenticator union adds it.
import { timingSafeEqual } from 'node:crypto';

export interface UserInfo {
  name: string;
  uid: string;
  groups: string[];
}

export const MASTERS_GROUP = 'system:masters';

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of line) {
    if (c === '"') { quoted = !quoted; continue; }
    if (c === ',' && !quoted) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

export function parseTokenFile(text: string): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [token, name, uid, groups] = splitCsvLine(line);
    if (!token || !name) throw new Error(`token file: a line needs at least "token,user": ${JSON.stringify(line.slice(0, 20))}…`);
    users.set(token, { name, uid: uid || name, groups: groups ? groups.split(',').map((g) => g.trim()).filter(Boolean) : [] });
  }
  return users;
}

export function formatTokenLine(token: string, user: UserInfo): string {
  return `${token},${user.name},${user.uid},"${user.groups.join(',')}"`;
}

export class TokenAuthenticator {
  constructor(private tokens: Map<string, UserInfo>) {}

  add(token: string, user: UserInfo): void {
    this.tokens.set(token, user);
  }

  /** Header value → user, or undefined when absent or unknown. */
  authenticate(authorization: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return undefined;
    const given = Buffer.from(m[1]!);
    for (const [token, user] of this.tokens) {
      const t = Buffer.from(token);
      if (t.length === given.length && timingSafeEqual(t, given)) {
        return { ...user, groups: [...new Set([...user.groups, 'system:authenticated'])] };
      }
    }
    return undefined;
  }
}
