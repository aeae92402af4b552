import * as http from 'node:http';
import * as https from 'node:https';

export interface HttpTextResponse {
  status: number;
  body: string;
}

/**
 * One GET that reads at most `maxBytes` of the body. No keep-alive agent, so nothing is left
 * open afterwards to hold the process.
 */
export function httpGetText(
  url: URL,
  headers: Record<string, string>,
  opts: { timeoutMs: number; signal?: AbortSignal; maxBytes?: number },
): Promise<HttpTextResponse> {
  const maxBytes = opts.maxBytes ?? 16 * 1024;
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { headers: { ...headers, connection: 'close' }, agent: false, signal: opts.signal });
    const timer = setTimeout(() => req.destroy(new Error(`GET ${url.pathname} timed out`)), opts.timeoutMs);
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.once('response', (res) => {
      readBody(res, maxBytes).then(
        (body) => {
          clearTimeout(timer);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        },
        (err: unknown) => {
          clearTimeout(timer);
          req.destroy();
          reject(err);
        },
      );
    });
  });
}

/** Reads a response body as text, truncated at `maxBytes`. */
export function readBody(res: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      res.removeAllListeners('data');
      resolve(Buffer.concat(chunks).toString('utf8').trim());
    };
    res.on('data', (chunk: Buffer) => {
      if (size >= maxBytes) return;
      chunks.push(chunk.subarray(0, maxBytes - size));
      size += chunk.length;
      if (size >= maxBytes) done();
    });
    res.once('end', done);
    res.once('error', reject);
    res.once('aborted', done);
    res.once('close', done);
  });
}
