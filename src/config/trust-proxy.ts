import { isIP } from 'node:net';

/**
 * `TRUST_PROXY` in the form Fastify's `trustProxy` option takes: `false` (ignore `X-Forwarded-*`),
 * `true` (trust every peer), a hop count, or the addresses and CIDRs of trusted proxies.
 */
export type TrustProxy = boolean | number | string[];

/** Parses `TRUST_PROXY`, or returns an error message naming the value when it matches no form. */
export function parseTrustProxy(text: string): TrustProxy | { error: string } {
  const value = text.trim();
  if (value === '' || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);

  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const invalid = entries.filter((entry) => !isAddressOrCidr(entry));
  if (invalid.length > 0) {
    return {
      error: `TRUST_PROXY=${JSON.stringify(text)} is invalid: ${invalid.map((entry) => JSON.stringify(entry)).join(', ')} is not an IP address or CIDR; use false, true, a hop count such as 1, or a list such as 10.0.0.0/8,127.0.0.1`,
    };
  }
  return entries;
}

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  if (extra !== undefined || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d+$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
