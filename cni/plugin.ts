// The hawser plugin: the skel's handlers. Each command's module is loaded only when that
// command runs — every invocation is a fresh Node process, so each module not loaded is
// start-up time saved (VERSION loads none; only an ipMasq ADD loads the nft layer).
import type { Plugin } from './skel/dispatch.js';

export const hawserPlugin: Plugin = {
  add: async (ctx) => (await import('./add.js')).cmdAdd(ctx),
  del: async (ctx) => (await import('./del.js')).cmdDel(ctx),
  check: async (ctx) => (await import('./check.js')).cmdCheck(ctx),
  status: async (ctx) => (await import('./status.js')).cmdStatus(ctx),
  gc: async (ctx) => (await import('./gc.js')).cmdGc(ctx),
};
