/**
 * Seeds for tfjs's random ops. tfjs (seedrandom) treats a seed of 0 as "no seed" and draws from the
 * clock, so seed 0 would silently not be a seed; every tfjs seed goes through here, which keeps
 * every other value as it is and maps 0 to a fixed non-zero constant.
 */
export const ZERO_SEED_STAND_IN = 0x9e3779b9;

export function tfSeed(seed: number): number {
  return seed === 0 ? ZERO_SEED_STAND_IN : seed;
}
