// Small helpers shared by the per-kind strategies.
import { isPlainObject, type KubeObject } from '../../k8s/types.js';

/** Returns obj[key] as a plain object, creating it when missing or not an object. */
export function child(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = obj[key];
  if (isPlainObject(v)) return v;
  const fresh: Record<string, unknown> = {};
  obj[key] = fresh;
  return fresh;
}

export function spec(obj: KubeObject): Record<string, unknown> {
  return child(obj, 'spec');
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function objects(v: unknown): Record<string, unknown>[] {
  return asArray(v).filter(isPlainObject);
}

export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
