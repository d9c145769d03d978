// Kernel link primitives: links, bridges, addresses, routes, VXLAN/FDB/neighbours, batch.
export * from './errors.js';
export { type NsOptions, checkLinkName } from './ip.js';
export * from './links.js';
export * from './bridge.js';
export * from './address.js';
export * from './route.js';
export * from './vxlan.js';
export * from './batch.js';
