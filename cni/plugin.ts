// The hawser plugin: the skel's handlers.
import { cmdAdd } from './add.js';
import { cmdCheck } from './check.js';
import { cmdDel } from './del.js';
import { cmdGc } from './gc.js';
import type { Plugin } from './skel/dispatch.js';
import { cmdStatus } from './status.js';

export const hawserPlugin: Plugin = { add: cmdAdd, del: cmdDel, check: cmdCheck, status: cmdStatus, gc: cmdGc };
