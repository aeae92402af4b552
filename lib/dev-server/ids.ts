import { randomInt } from 'node:crypto';

// LiveKit's ids are a prefix plus 12 characters of the shortuuid (base57) alphabet; the Rust SDK
// checks the prefixes (PA_, DTR_), so the format matters, the randomness source does not.
const BASE57 = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function newId(prefix: 'RM_' | 'PA_' | 'DTR_'): string {
  let out = prefix;
  for (let i = 0; i < 12; i++) out += BASE57[randomInt(BASE57.length)];
  return out;
}

export const ID_ALPHABET = BASE57;
