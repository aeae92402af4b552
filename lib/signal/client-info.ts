import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClientInfo, ClientInfo_SDK } from '../protocol';

/** Signal protocol level we implement; same as livekit-client 2.23 and the Rust SDK. */
export const PROTOCOL_VERSION = 17;

/**
 * Client↔client API level (RPC / data streams). We implement neither, so we advertise the
 * default 0 and peers will not send us v2 data-stream packets.
 */
export const CLIENT_PROTOCOL = 0;

const PACKAGE_NAME = 'livekit-datatrack-node';
let cachedVersion: string | undefined;

/** Our own package version; found by walking up because sources and dist sit at different depths. */
export function sdkVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') {
        cachedVersion = pkg.version;
        return cachedVersion;
      }
    } catch {
      // not here; keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  cachedVersion = '0.0.0';
  return cachedVersion;
}

export function buildClientInfo(): ClientInfo {
  return new ClientInfo({
    sdk: ClientInfo_SDK.NODE,
    version: sdkVersion(),
    protocol: PROTOCOL_VERSION,
    clientProtocol: CLIENT_PROTOCOL,
    os: process.platform,
    osVersion: os.release(),
    deviceModel: os.arch(),
  });
}
