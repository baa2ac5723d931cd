// Seeded pseudo-random numbers for the sample shop, so that every run with the same seed writes
// the same rows byte for byte. Not for anything security-related.

export class SeededRandom {
  /** @param {number} seed any integer; 0 is replaced by 1 because xorshift never leaves state 0 */
  constructor(seed) {
    this.state = seed >>> 0 || 1;
  }

  /** Returns the next value in [0, 2^32): Marsaglia's xorshift32, then a multiply so that low bits mix too. */
  nextUint32() {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return Math.imul(x, 0x9e3779b1) >>> 0;
  }

  /** Returns a uniform value in [0, 1). */
  float() {
    return this.nextUint32() / 4294967296;
  }

  /** Returns a uniform integer in [min, max], both inclusive. */
  int(min, max) {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(probability) {
    return this.float() < probability;
  }

  pick(list) {
    return list[Math.floor(this.float() * list.length)];
  }

  /** Returns `count` random decimal digits as a string whose first digit is not zero. */
  digits(count) {
    let text = String(this.int(1, 9));
    for (let i = 1; i < count; i++) text += String(this.int(0, 9));
    return text;
  }

  /** Returns exactly `count` random decimal digits as a string, leading zeros allowed. */
  paddedDigits(count) {
    let text = '';
    for (let i = 0; i < count; i++) text += String(this.int(0, 9));
    return text;
  }

  bytes(count) {
    const buffer = Buffer.alloc(count);
    for (let i = 0; i < count; i++) buffer[i] = this.nextUint32() & 0xff;
    return buffer;
  }
}

/** Derives an independent seed per table, so tables can be generated in any order. */
export function tableSeed(seed, tableIndex) {
  return (Math.imul(seed >>> 0, 2654435761) + Math.imul(tableIndex + 1, 40503)) >>> 0;
}
