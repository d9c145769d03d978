import { describe, expect, it } from 'vitest';
import { Bitmap, staticBandSize } from './bitmap.js';

describe('Bitmap', () => {
  it('allocates specific offsets once', () => {
    const b = new Bitmap(10);
    expect(b.allocate(3)).toBe(true);
    expect(b.allocate(3)).toBe(false);
    expect(b.allocate(10)).toBe(false);
    expect(b.allocate(-1)).toBe(false);
    expect(b.allocate(1.5)).toBe(false);
    expect(b.count).toBe(1);
    expect(b.release(3)).toBe(true);
    expect(b.release(3)).toBe(false);
    expect(b.count).toBe(0);
  });

  it('allocateNext fills every offset exactly once, then reports full', () => {
    for (const size of [1, 7, 8, 9, 100]) {
      let seed = 0.37;
      const random = () => (seed = (seed * 9301 + 0.49297) % 1);
      const b = new Bitmap(size);
      const seen = new Set<number>();
      for (let i = 0; i < size; i++) {
        const o = b.allocateNext({ random });
        expect(o).toBeGreaterThanOrEqual(0);
        expect(o).toBeLessThan(size);
        seen.add(o);
      }
      expect(seen.size).toBe(size);
      expect(b.allocateNext({ random })).toBe(-1);
      expect(b.free).toBe(0);
    }
  });

  it('allocateNext prefers the upper band, then falls back to the static band', () => {
    const b = new Bitmap(20);
    const got: number[] = [];
    for (let i = 0; i < 20; i++) got.push(b.allocateNext({ preferFrom: 16 }));
    expect(got.slice(0, 4).sort((x, y) => x - y)).toEqual([16, 17, 18, 19]);
    expect(got.slice(4).sort((x, y) => x - y)).toEqual([...Array(16).keys()]);
  });

  it('skips taken offsets from a random start and wraps', () => {
    const b = new Bitmap(16);
    for (let i = 8; i < 16; i++) b.allocate(i);
    expect(b.allocateNext({ random: () => 0.99 })).toBe(0);
  });

  it('snapshot and restore round-trip, and ignore stray high bits', () => {
    const b = new Bitmap(13);
    [0, 5, 12].forEach((o) => b.allocate(o));
    const s = b.snapshot();
    const r = Bitmap.restore(s);
    expect([...r.offsets()]).toEqual([0, 5, 12]);
    expect(r.count).toBe(3);
    const dirty = Bitmap.restore({ size: 13, data: Buffer.from([0, 0xff]).toString('base64') });
    expect([...dirty.offsets()]).toEqual([8, 9, 10, 11, 12]);
    expect(() => Bitmap.restore({ size: 30, data: s.data })).toThrow(RangeError);
  });

  it('static band size follows KEP-3070', () => {
    expect(staticBandSize(254)).toBe(16);
    expect(staticBandSize(65534)).toBe(256);
    expect(staticBandSize(1024)).toBe(64);
    expect(staticBandSize(5)).toBe(5);
  });
});
