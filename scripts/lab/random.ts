// A seeded pseudo-random generator, so one number (the seed) fixes everything the lab chooses: the
// accounts, the transfers and the fault schedule. Math.random cannot be seeded, hence this.
import { randomInt } from 'node:crypto';

/** The largest seed: seeds are unsigned 32-bit integers, printed in decimal. */
export const MAX_SEED = 0xffff_ffff;

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** A version-4-shaped UUID made of seeded bits (the same seed gives the same ids). */
  uuid(): string;
}

/** A fresh seed for a run that did not ask for one; printed so the run can be repeated. */
export function randomSeed(): number {
  return randomInt(0, MAX_SEED);
}

/** mulberry32: a small, well-known 32-bit generator. Good enough to choose test data; not for secrets. */
export function seededRandom(seed: number): Random {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new RangeError(`a seed is an integer from 0 to ${MAX_SEED}, got ${seed}`);
  let state = seed;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number): number => {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min)
      throw new RangeError(`no integer between ${min} and ${max}`);
    return min + Math.floor(next() * (max - min + 1));
  };
  const uuid = (): string => {
    const hex = Array.from({ length: 16 }, (_, i) => {
      const byte = int(0, 255);
      if (i === 6) return (byte & 0x0f) | 0x40; // version 4
      if (i === 8) return (byte & 0x3f) | 0x80; // RFC 9562 variant
      return byte;
    })
      .map((byte) => byte.toString(16).padStart(2, '0'))
      .join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  return { next, int, uuid };
}
