// Name and label validation as apimachinery's pkg/util/validation does it: the messages
// are the upstream ones because clients and humans match on them.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Empty list = valid. */
export function dns1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(v)) {
    errs.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  }
  return errs;
}

export function dns1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(v)) {
    errs.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }
  return errs;
}

/** Label/annotation keys: optional DNS subdomain prefix, '/', then a 63-char name. */
export function qualifiedName(v: string): string[] {
  const parts = v.split('/');
  let name = v;
  if (parts.length === 2) {
    const [prefix, n] = parts as [string, string];
    if (prefix.length === 0) return ['prefix part must be non-empty'];
    const pe = dns1123Subdomain(prefix);
    if (pe.length) return pe.map((e) => `prefix part ${e}`);
    name = n;
  } else if (parts.length > 2) {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS subdomain prefix and '/'"];
  }
  if (name.length === 0) return ['name part must be non-empty'];
  if (name.length > 63) return ['name part must be no more than 63 characters'];
  if (!QUALIFIED_NAME.test(name)) {
    return ["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"];
  }
  return [];
}

export function labelValue(v: string): string[] {
  if (v.length > 63) return ['must be no more than 63 characters'];
  if (!LABEL_VALUE.test(v)) {
    return ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"];
  }
  return [];
}

/** Port names (IANA_SVC_NAME): ≤15 chars, at least one letter, no double hyphen. */
export function ianaServiceName(v: string): string[] {
  if (v.length > 15) return ['must be no more than 15 characters'];
  if (!IANA_SVC_NAME.test(v)) return ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"];
  if (v.includes('--')) return ['must not contain consecutive hyphens'];
  if (!/[a-z]/.test(v)) return ['must contain at least one letter (a-z)'];
  return [];
}

/** The suffix generateName appends: 5 characters from apimachinery's safe alphabet. */
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export function generateNameSuffix(random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += GENERATE_ALPHABET[Math.floor(random() * GENERATE_ALPHABET.length)];
  return s;
}
