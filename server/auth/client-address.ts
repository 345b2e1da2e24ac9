import { BlockList, isIP } from 'node:net';
import type { AddressRange } from './auth-settings';

/** Built once per list of ranges (the settings' list lives as long as the process): the sale door asks on every attempt. */
const blockLists = new WeakMap<readonly AddressRange[], BlockList>();

function blockListOf(ranges: readonly AddressRange[]): BlockList {
  const known = blockLists.get(ranges);
  if (known) return known;
  const list = new BlockList();
  for (const range of ranges) list.addSubnet(range.address, range.prefixLength, isIP(range.address) === 4 ? 'ipv4' : 'ipv6');
  blockLists.set(ranges, list);
  return list;
}

function normalized(address: string): string {
  const trimmed = address.trim().replace(/^\[|\]$/g, '');
  // An IPv4 client on a dual-stack socket is reported as ::ffff:a.b.c.d.
  return trimmed.startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface RequestOrigin {
  /** The address the connection came from, when the server knows it. */
  peerAddress?: string | null;
}

/**
 * The address of the client behind a request. Hops are read from the right (nearest first):
 * the connection's peer, then X-Forwarded-For entries, each believed only while the hop that
 * reported it is a trusted proxy. So with no trusted proxies the peer is the client, whatever
 * X-Forwarded-For says.
 *
 * Under `next start` a route handler is not told the peer: Next.js writes the socket address
 * into X-Forwarded-For when the request has none (and keeps the header when it has one), so
 * there the rightmost X-Forwarded-For entry stands in for the peer.
 */
export function clientAddress(headers: Pick<Headers, 'get'>, trustedProxies: readonly AddressRange[], origin: RequestOrigin = {}): string {
  const forwarded = (headers.get('x-forwarded-for') ?? '').split(',').map(normalized).filter(Boolean);
  const hops = origin.peerAddress ? [...forwarded, normalized(origin.peerAddress)] : forwarded;
  if (hops.length === 0) return 'unknown';
  if (hops.length === 1 || trustedProxies.length === 0) return hops[hops.length - 1]!;
  const trusted = blockListOf(trustedProxies);
  let index = hops.length - 1;
  while (index > 0 && isTrusted(trusted, hops[index]!)) index--;
  return hops[index]!;
}

/**
 * Whether the browser reached us over https: APP_URL says so, or a trusted proxy in front says
 * so with X-Forwarded-Proto. (Believing a forged `https` would only make a client's own cookies
 * stricter, so the header is taken whenever proxies are trusted at all.)
 */
export function servedOverHttps(headers: Headers, appUrl: string, trustedProxies: readonly AddressRange[]): boolean {
  if (appUrl.startsWith('https://')) return true;
  return trustedProxies.length > 0 && headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}
