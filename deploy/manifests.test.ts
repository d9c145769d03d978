// What the server-side dry run (netns-tests/deploy-manifests.t.ts) cannot see: hawser's
// apiserver takes DaemonSet and Pod specs and RBAC rules without checking their fields,
// and no server knows our flags. So every field of deploy/*.yaml is checked against
// client-node's models (generated from upstream's OpenAPI: upstream's field names and
// types), and every flag the DaemonSet and the ConfigMap pass against the commands.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { register as registerAgent } from '../src/cli/commands/agent.js';
import { register as registerCni } from '../src/cli/commands/cni.js';

const DEPLOY = fileURLToPath(new URL('.', import.meta.url));

type Model = { getAttributeTypeMap(): { baseName: string; type: string }[] };
const model = (type: string): Model | undefined => {
  const m = (k8s as unknown as Record<string, unknown>)[type];
  return typeof m === 'function' && 'getAttributeTypeMap' in m ? (m as Model) : undefined;
};

/** Unknown fields and wrongly typed scalars, as `path: problem`. */
export function schemaErrors(value: unknown, type: string, path = ''): string[] {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return Array.isArray(value) ? value.flatMap((v, i) => schemaErrors(v, arr[1]!, `${path}[${i}]`)) : [`${path}: not a list`];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (map) return isObject ? Object.entries(value).flatMap(([k, v]) => schemaErrors(v, map[1]!, `${path}.${k}`)) : [`${path}: not a map`];
  const m = model(type);
  if (m) {
    if (!isObject) return [`${path}: not an object (${type})`];
    const fields = new Map(m.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
    return Object.entries(value).flatMap(([k, v]) => (fields.has(k) ? schemaErrors(v, fields.get(k)!, `${path}.${k}`) : [`${path}.${k}: unknown field of ${type}`]));
  }
  const scalar: Record<string, (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string', number: (v) => typeof v === 'number', boolean: (v) => typeof v === 'boolean',
    IntOrString: (v) => typeof v === 'number' || typeof v === 'string',
  };
  const check = scalar[type];
  return check && !check(value) ? [`${path}: ${JSON.stringify(value)} is not a ${type}`] : [];
}

interface Obj { kind: string; apiVersion: string; metadata: { name: string }; [k: string]: unknown }
const documents = (): Obj[] => readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(join(DEPLOY, f), 'utf8')).map((d) => d.toJS() as Obj));
const one = (kind: string) => documents().find((d) => d.kind === kind)!;

/** The long option names a subcommand knows. */
function optionsOf(register: (p: Command) => void, ...path: string[]): Set<string> {
  const program = new Command();
  register(program);
  let cmd: Command = program;
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
  return new Set(cmd.options.map((o) => o.long!));
}

const flagsIn = (text: string) => [...text.replace(/#.*$/gm, '').matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]);

interface DaemonSet { spec: { template: { spec: { initContainers: { name: string; args: string[] }[]; containers: { name: string; args: string[] }[] } } } }

describe('deploy/*.yaml', () => {
  it('every field is an upstream field of its kind, with the right type', () => {
    const docs = documents();
    expect(docs.map((d) => d.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet', 'Role', 'RoleBinding', 'ServiceAccount']);
    for (const d of docs) {
      expect(d.apiVersion).toMatch(/^(v1|apps\/v1|rbac\.authorization\.k8s\.io\/v1)$/);
      expect(schemaErrors(d, `V1${d.kind}`, d.kind)).toEqual([]);
    }
  });

  it('the field check finds a misspelt field, a wrong type and a misplaced one (it can fail)', () => {
    const ds = one('DaemonSet') as unknown as DaemonSet & { spec: { template: { spec: Record<string, unknown> } } };
    const pod = ds.spec.template.spec;
    const broken = { ...ds, spec: { ...ds.spec, template: { spec: { ...pod, hostNetwrk: true, hostPID: 'yes', containers: [{ ...ds.spec.template.spec.containers[0], port: 1 }] } } } };
    expect(schemaErrors(broken, 'V1DaemonSet', 'ds')).toEqual([
      'ds.spec.template.spec.containers[0].port: unknown field of V1Container',
      'ds.spec.template.spec.hostNetwrk: unknown field of V1PodSpec',
      'ds.spec.template.spec.hostPID: "yes" is not a boolean',
    ]);
  });

  it('every `hawser agent` flag the DaemonSet and the ConfigMap pass exists', () => {
    const known = optionsOf(registerAgent, 'agent');
    const ds = one('DaemonSet') as unknown as DaemonSet;
    const agentArgs = ds.spec.template.spec.containers.find((c) => c.name === 'agent')!.args.join(' ');
    expect(agentArgs).toContain('hawser agent');
    const cm = one('ConfigMap') as unknown as { data: Record<string, string> };
    const used = [...flagsIn(agentArgs), ...flagsIn(cm.data['agent-flags']!)];
    expect(used).toContain('--node-name');
    expect(used.filter((f) => !known.has(f))).toEqual([]);
  });

  it('every `hawser cni install` flag the init container and the ConfigMap pass exists', () => {
    const known = optionsOf(registerCni, 'cni', 'install');
    const ds = one('DaemonSet') as unknown as DaemonSet;
    const args = ds.spec.template.spec.initContainers.find((c) => c.name === 'install-cni')!.args.join(' ');
    const install = args.slice(args.indexOf('cni install'));
    expect(install).toMatch(/--bin-dir \/host\/opt\/cni\/bin --conf-dir \/host\/etc\/cni\/net\.d/);
    const cm = one('ConfigMap') as unknown as { data: Record<string, string> };
    const used = [...flagsIn(install), ...flagsIn(cm.data['cni-flags']!)];
    expect(used.filter((f) => !known.has(f))).toEqual([]);
    expect(flagsIn('--bogus-flag # --commented-out')).toEqual(['--bogus-flag']);
  });

  it('the ConfigMap keys the DaemonSet refers to exist, except the documented optional ones', () => {
    const cm = one('ConfigMap') as unknown as { metadata: { name: string }; data: Record<string, string> };
    const refs = [...JSON.stringify(one('DaemonSet')).matchAll(/"configMapKeyRef":\{"name":"([^"]+)","key":"([^"]+)"(,"optional":true)?/g)];
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const [, name, keyName, optional] of refs) {
      expect(name).toBe(cm.metadata.name);
      if (!optional) expect(Object.keys(cm.data)).toContain(keyName);
    }
  });
});
