/**
 * Builds `<base>/rtc/v1?…` from whatever the user passed: http(s) or ws(s), with or without a
 * path prefix (`wss://host/sub` → `wss://host/sub/rtc/v1`), keeping any query it already has.
 */
export function buildRtcUrl(serverUrl: string, params: Record<string, string>): URL {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    throw new TypeError(`invalid LiveKit URL: ${JSON.stringify(serverUrl)}`);
  }
  switch (url.protocol) {
    case 'http:':
      url.protocol = 'ws:';
      break;
    case 'https:':
      url.protocol = 'wss:';
      break;
    case 'ws:':
    case 'wss:':
      break;
    default:
      throw new TypeError(`unsupported LiveKit URL scheme ${url.protocol} (use ws(s):// or http(s)://)`);
  }
  url.pathname = appendPath(url.pathname, 'rtc/v1');
  url.hash = '';
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url;
}

/** `/validate` next to the rtc path, over plain HTTP(S), with the same query. */
export function buildValidateUrl(rtcUrl: URL): URL {
  const url = new URL(rtcUrl.href);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = appendPath(url.pathname, 'validate');
  return url;
}

function appendPath(pathname: string, suffix: string): string {
  return (pathname.endsWith('/') ? pathname : `${pathname}/`) + suffix;
}
