import type { IceServer as NdcIceServer } from 'node-datachannel';

/** The WebRTC `RTCIceServer` shape, which is also what LiveKit's join response carries. */
export interface IceServerConfig {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/**
 * Converts WebRTC-style ICE servers to libdatachannel's structured form. The structured form
 * (rather than `turn:user:pass@host`) keeps TURN credentials intact: LiveKit's contain `:` and
 * base64 characters that libdatachannel's URL parser would split on. Unusable URLs are skipped.
 */
export function toLibdatachannelIceServers(servers: readonly IceServerConfig[]): NdcIceServer[] {
  const out: NdcIceServer[] = [];
  for (const server of servers) {
    const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
    for (const url of urls) {
      const parsed = parseIceUrl(url);
      if (!parsed) continue;
      if (parsed.scheme === 'stun') {
        out.push({ hostname: parsed.host, port: parsed.port });
      } else if (server.username !== undefined && server.credential !== undefined) {
        out.push({
          hostname: parsed.host,
          port: parsed.port,
          username: server.username,
          password: server.credential,
          relayType: parsed.scheme === 'turns' ? 'TurnTls' : parsed.transport === 'tcp' ? 'TurnTcp' : 'TurnUdp',
        });
      }
    }
  }
  return out;
}

interface ParsedIceUrl {
  scheme: 'stun' | 'turn' | 'turns';
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
}

/** RFC 7064/7065 URIs: `stun:host[:port]`, `turn[s]:host[:port][?transport=udp|tcp]`. */
export function parseIceUrl(url: string): ParsedIceUrl | undefined {
  const m = /^(stuns?|turns?):(\[[^\]]+\]|[^:?/]+)(?::(\d+))?(?:\?(.*))?$/i.exec(url.trim());
  if (!m) return undefined;
  let scheme = m[1].toLowerCase();
  // libdatachannel has no STUN-over-TLS; plain STUN on the same host is the closest.
  if (scheme === 'stuns') scheme = 'stun';
  const host = m[2].replace(/^\[|\]$/g, '');
  const port = m[3] ? Number(m[3]) : scheme === 'turns' ? 5349 : 3478;
  if (!(port > 0 && port < 65536)) return undefined;
  const transport = /(?:^|&)transport=tcp(?:&|$)/i.test(m[4] ?? '') ? 'tcp' : 'udp';
  return { scheme: scheme as ParsedIceUrl['scheme'], host, port, transport };
}
