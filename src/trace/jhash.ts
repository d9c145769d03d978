// The kernel's jhash (include/linux/jhash.h, Bob Jenkins' lookup3) and nft's use of it
// (net/netfilter/nft_hash.c nft_jhash_eval): h = reciprocal_scale(jhash(reg, len, seed), mod)
// + offset. The tracer needs the exact function to say which endpoint a source-hash or
// Maglev rule picks for a given client — the prediction the netns tests compare against.

const JHASH_INITVAL = 0xdeadbeef;

const rol32 = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

function final(a: number, b: number, c: number): number {
  c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  return c;
}

function mix(a: number, b: number, c: number): [number, number, number] {
  a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
  return [a, b, c];
}

/** jhash(key, length, initval) over bytes, as the kernel computes it on a little-endian CPU. */
export function jhash(key: Uint8Array, initval: number): number {
  let length = key.length;
  let a = (JHASH_INITVAL + length + initval) >>> 0;
  let b = a;
  let c = a;
  let k = 0;
  const u32 = (i: number): number => ((key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24)) >>> 0);
  while (length > 12) {
    a = (a + u32(k)) >>> 0;
    b = (b + u32(k + 4)) >>> 0;
    c = (c + u32(k + 8)) >>> 0;
    [a, b, c] = mix(a, b, c);
    length -= 12;
    k += 12;
  }
  if (length === 0) return c;
  const byte = (i: number): number => key[k + i] ?? 0;
  // The switch's fall-through: add the remaining bytes little-endian into a, b, c.
  for (let i = length - 1; i >= 0; i--) {
    const v = byte(i) << (8 * (i % 4));
    if (i >= 8) c = (c + (v >>> 0)) >>> 0;
    else if (i >= 4) b = (b + (v >>> 0)) >>> 0;
    else a = (a + (v >>> 0)) >>> 0;
  }
  return final(a, b, c);
}

/** reciprocal_scale(val, ep_ro) from include/linux/math.h: (u64)val * ep_ro >> 32. */
export function reciprocalScale(val: number, mod: number): number {
  return Math.floor((val * mod) / 2 ** 32);
}

/** `jhash <data> mod <mod> seed <seed> [offset <offset>]` for the bytes of the expression. */
export function nftJhash(data: Uint8Array, mod: number, seed: number, offset = 0): number {
  return reciprocalScale(jhash(data, seed >>> 0), mod) + offset;
}
