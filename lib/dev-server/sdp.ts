// libdatachannel answers the recvonly audio/video sections livekit-client puts in its offer with
// `sendonly` although it will never send media. A browser would then expect remote tracks, so the
// answer we hand out marks those sections `inactive` (kept in the BUNDLE, never rejected with port 0).

const DIRECTIONS = /^a=(sendrecv|sendonly|recvonly|inactive)$/;

export function inactivateMediaSections(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  let inMedia = false;
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) inMedia = line.startsWith('m=audio') || line.startsWith('m=video');
    if (inMedia && DIRECTIONS.test(line)) {
      out.push('a=inactive');
      continue;
    }
    // No media will flow, so SSRC announcements would only confuse the client.
    if (inMedia && (line.startsWith('a=ssrc:') || line.startsWith('a=ssrc-group:') || line.startsWith('a=msid:'))) continue;
    out.push(line);
  }
  return out.join(eol);
}

/** Index of the m-section with this mid (for a trickled candidate's sdpMLineIndex), or 0. */
export function mLineIndexOf(sdp: string, mid: string): number {
  let index = -1;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) index++;
    else if (line === `a=mid:${mid}`) return Math.max(index, 0);
  }
  return 0;
}

/** ICE username fragment of a description (session or first media level), to recognise ICE restarts. */
export function iceUfragOf(sdp: string): string | null {
  const m = /^a=ice-ufrag:(.+)$/m.exec(sdp);
  return m ? m[1].trim() : null;
}
