// One publisher and one subscriber data-track manager wired back to back in this process, with no
// network: pushFrame → pollTransmit → handlePacket per packet. Shared by the core and E2EE
// micro-benchmarks.

import { native, type E2eeExtension, type NativeLocalManager, type NativeRemoteManager, type RemoteFrame } from '../../lib/native/binding';

/** pollTransmit budget, about what a sender would take per bufferedAmountLow wake-up. */
export const POLL_BYTES = 64 * 1024;

export interface NativePipeline {
  /** `sealWith`: an AesGcmKey id, to encrypt the queued copy as the SDK's sender does (`e2ee` the key index). */
  push(payload: Uint8Array, e2ee: E2eeExtension | number | null, sealWith?: number): void;
  /** Moves every queued packet to the subscriber; `onFrame` for each reassembled frame. */
  drain(onFrame: (frame: RemoteFrame) => void): void;
}

/** A LocalManager with one published track and a RemoteManager subscribed to it under the same handle. */
export function wiredManagers(options: { queueCapacity: number; usesE2ee: boolean }): {
  local: NativeLocalManager;
  remote: NativeRemoteManager;
  handle: number;
} {
  const b = native();
  const local = new b.LocalManager({ queueCapacity: options.queueCapacity });
  const handle = local.allocateHandle();
  local.beginPublish(handle, 'bench', options.usesE2ee);
  local.publishSucceeded(handle, 'TR_bench');
  const remote = new b.RemoteManager();
  const { published } = remote.updateParticipant('publisher', [{ sid: 'TR_bench', pubHandle: handle, name: 'bench', usesE2ee: options.usesE2ee }]);
  remote.subscribe(published[0].trackId, 1);
  remote.setSubscriberHandles([[handle, 'TR_bench']]); // the SFU would rewrite; same handle here
  return { local, remote, handle };
}

export function nativePipeline(options: { queueCapacity: number; usesE2ee: boolean }): NativePipeline {
  const { local, remote, handle } = wiredManagers(options);
  return {
    push(payload, e2ee, sealWith) {
      local.pushFrame(handle, payload, null, e2ee, false, sealWith);
    },
    drain(onFrame) {
      let out;
      while ((out = local.pollTransmit(POLL_BYTES)) !== null) {
        const { data, ends } = out;
        let start = 0;
        for (let i = 0; i < ends.length; i++) {
          const frames = remote.handlePacket(data.subarray(start, ends[i]));
          start = ends[i];
          if (frames !== null) for (const f of frames) onFrame(f);
        }
      }
    },
  };
}
