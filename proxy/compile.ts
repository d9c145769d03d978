// compileProxy(model, nodeConfig) → Ruleset: the whole desired content of table
// hawser-proxy, pure data (DESIGN rule 1). The constant part comes from base.ts, each
// ServicePort's part from service.ts; elements several ServicePorts share (a ClusterIP in
// @cluster-ips) appear once.
import type { Ruleset } from '../src/kernel/nft/types.js';
import { TABLE, baseContent, familyWords } from './base.js';
import { compileServicePort } from './service.js';
import type { CompiledService } from './service.js';
import type { NodeConfig, ProxyModel } from './types.js';

export const TABLE_COMMENT = 'hawser service proxy';

/** Put the base content and compiled ServicePorts together into one table. */
export function assemble(cfg: NodeConfig, services: Iterable<CompiledService>): Ruleset {
  const base = baseContent(cfg);
  const t: Ruleset = {
    family: familyWords(cfg.family).table,
    name: cfg.table ?? TABLE,
    comment: TABLE_COMMENT,
    chains: [...base.chains],
    sets: [...base.sets],
    maps: [...base.maps],
  };
  const shared = new Map([...t.sets, ...t.maps].map((s) => [s.name, { s, seen: new Set(s.elements.map((e) => e.key.join(' . '))) }]));
  for (const c of services) {
    t.chains.push(...c.chains);
    t.sets.push(...c.sets);
    t.maps.push(...c.maps);
    for (const e of c.elements) {
      const target = shared.get(e.set);
      if (!target) throw new Error(`compile: ${c.key} adds to unknown set ${e.set}`);
      const k = e.key.join(' . ');
      if (target.seen.has(k)) continue; // e.g. one ClusterIP for several ports
      target.seen.add(k);
      target.s.elements.push(e.value ? { key: e.key, value: e.value } : { key: e.key });
    }
  }
  return t;
}

export function compileProxy(model: ProxyModel, cfg: NodeConfig): Ruleset {
  if (model.family !== cfg.family) throw new Error(`compile: model is ${model.family}, node config ${cfg.family}`);
  return assemble(cfg, model.services.map((sp) => compileServicePort(sp, cfg)));
}
