/**
 * IPv4 CIDR arithmetic for the NetworkPolicy checks, and Terraform's `cidrsubnet()` so tests can
 * compare the policies' ipBlocks with the subnets infra/vpc.tf creates.
 */

/** A parsed IPv4 block: network address as an unsigned 32-bit number and prefix length. */
export interface Cidr {
  network: number;
  prefix: number;
}

function parseIp(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: "${ip}"`);
  return parts.reduce((acc, p) => {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) throw new RangeError(`not an IPv4 address: "${ip}"`);
    return acc * 256 + n;
  }, 0);
}

const mask = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** Parses `a.b.c.d/n`; a bare address is a /32. */
export function parseCidr(cidr: string): Cidr {
  const [ip, bits] = cidr.split('/');
  const prefix = bits === undefined ? 32 : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new RangeError(`not an IPv4 CIDR: "${cidr}"`);
  }
  return { network: (parseIp(ip ?? '') & mask(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  const n = c.network;
  return `${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')}/${c.prefix}`;
}

/** Whether `outer` contains every address of `inner` (an address is a /32). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  return i.prefix >= o.prefix && (i.network & mask(o.prefix)) >>> 0 === o.network;
}

/** Terraform's `cidrsubnet(prefix, newbits, netnum)` for IPv4. */
export function cidrsubnet(prefix: string, newbits: number, netnum: number): string {
  const base = parseCidr(prefix);
  const bits = base.prefix + newbits;
  if (bits > 32 || netnum >= 2 ** newbits) {
    throw new RangeError(`cidrsubnet(${prefix}, ${newbits}, ${netnum}): out of range`);
  }
  return formatCidr({ network: (base.network + netnum * 2 ** (32 - bits)) >>> 0, prefix: bits });
}
