import { isIP, isIPv4 } from 'node:net';

/**
 * Turns a client address into the form rate-limit keys use. IPv4-mapped IPv6 (`::ffff:1.2.3.4`)
 * becomes plain IPv4, since it is the same client. Any other IPv6 address is expanded,
 * lower-cased and cut to its /64 prefix (`2001:db8:0:1::/64`), because one subscriber
 * is usually assigned a whole /64 and could otherwise rotate through its addresses. A zone index
 * (`fe80::1%eth0`) is dropped. Text that is not an IP address is returned unchanged, so a
 * caller without a socket address still gets a stable key.
 */
export function rateLimitAddress(address: string): string {
  const withoutZone = address.split('%')[0]!;
  if (isIPv4(withoutZone)) return withoutZone;
  if (isIP(withoutZone) !== 6) return address;

  const groups = expandIpv6(withoutZone.toLowerCase());
  if (isIpv4Mapped(groups)) return ipv4FromGroups(groups[6]!, groups[7]!);
  return `${groups.slice(0, 4).map((group) => group.toString(16).padStart(4, '0')).join(':')}::/64`;
}

/** Expands a valid IPv6 address into its eight 16-bit groups, resolving `::` and a dotted IPv4 tail. */
function expandIpv6(address: string): number[] {
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) is rewritten as its two hex groups first.
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }

  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const headGroups = parse(head);
  const restGroups = parse(rest);
  const zeros = rest === undefined ? [] : new Array<number>(8 - headGroups.length - restGroups.length).fill(0);
  return [...headGroups, ...zeros, ...restGroups];
}

function isIpv4Mapped(groups: number[]): boolean {
  return groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
}

function ipv4FromGroups(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}
