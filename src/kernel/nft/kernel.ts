// The kernel adapter: programs nftables by running the official `nft` tool, one
// `nft -f -` per transaction. nft sends the whole file as ONE netlink batch, which the
// kernel commits or aborts as a unit — the all-or-nothing DESIGN rule 1 relies on.
import { KernelCommandError, run } from '../exec.js';
import type { NftBackend } from './backend.js';
import { normalisedDump } from './dump.js';
import { classifyNftStderr, errorLine, NftError } from './errors.js';
import { parseListing } from './parse-listing.js';
import { parseTableJson, parseTablesJson } from './parse-json.js';
import { renderTransaction } from './render.js';
import type { Transaction } from './transaction.js';
import type { Family, TableContent, TableRef } from './types.js';

export interface KernelNftOptions {
  /** Network namespace (name under /run/netns or a path); undefined = this process's. */
  netns?: string;
  /** Path of the nft binary (default `nft` from PATH). */
  nft?: string;
  /** Per-run kill timeout; a 30k-service load takes ~10 s (REFERENCE.md). */
  timeoutMs?: number;
}

export class KernelNft implements NftBackend {
  private readonly nft: string;

  constructor(private readonly opts: KernelNftOptions = {}) {
    this.nft = opts.nft ?? 'nft';
  }

  private async nftRun(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      return await run([this.nft, ...args], {
        netns: this.opts.netns,
        input,
        allowFailure: true,
        timeoutMs: this.opts.timeoutMs ?? 120_000,
      });
    } catch (e) {
      // The tool could not be started at all (missing binary, nsenter failure).
      const detail = e instanceof KernelCommandError ? e.stderr : String(e);
      throw new NftError('HAWSER_NFT_UNKNOWN', `cannot run nft: ${detail.trim()}`, undefined, detail);
    }
  }

  async apply(tx: Transaction): Promise<void> {
    if (tx.error) throw tx.error;
    const { text, lineOp } = renderTransaction(tx);
    if (!text) return;
    const r = await this.nftRun(['-f', '-'], text);
    if (r.code !== 0) {
      const line = errorLine(r.stderr);
      throw classifyNftStderr(r.stderr, line !== undefined ? lineOp[line - 1] : undefined);
    }
  }

  /**
   * Two nft runs (JSON, then text: parse-listing.ts says why); another writer committing in
   * between makes them disagree on rule handles, so a mismatch is retried.
   */
  async listTable(family: Family, name: string): Promise<TableContent | undefined> {
    for (let attempt = 1; ; attempt++) {
      const json = await this.nftRun(['-j', 'list', 'table', family, name]);
      if (json.code !== 0) {
        const err = classifyNftStderr(json.stderr);
        if (err.code === 'HAWSER_NFT_NOT_FOUND') return undefined;
        throw err;
      }
      const text = await this.nftRun(['-a', 'list', 'table', family, name]);
      if (text.code !== 0) {
        const err = classifyNftStderr(text.stderr);
        if (err.code === 'HAWSER_NFT_NOT_FOUND') return undefined; // deleted in between
        throw err;
      }
      try {
        return parseTableJson(JSON.parse(json.stdout), parseListing(text.stdout));
      } catch (e) {
        if (attempt >= 3 || !(e instanceof NftError)) throw e;
      }
    }
  }

  async listTables(): Promise<TableRef[]> {
    const r = await this.nftRun(['-j', 'list', 'tables']);
    if (r.code !== 0) throw classifyNftStderr(r.stderr);
    return parseTablesJson(JSON.parse(r.stdout));
  }

  async dump(family: Family, name: string): Promise<string | undefined> {
    const t = await this.listTable(family, name);
    return t ? normalisedDump(t) : undefined;
  }
}
