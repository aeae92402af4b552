// The dev server must stay quiet inside a user's test run, yet be debuggable when a client misbehaves.
// Debug lines are printed only when LIVEKIT_DEV_SERVER_DEBUG is set (or DEBUG mentions "livekit").

export interface Logger {
  debug(msg: string, ...rest: unknown[]): void;
  info(msg: string, ...rest: unknown[]): void;
  warn(msg: string, ...rest: unknown[]): void;
}

function debugEnabled(): boolean {
  const flag = process.env.LIVEKIT_DEV_SERVER_DEBUG;
  if (flag && flag !== '0' && flag !== 'false') return true;
  return /livekit/i.test(process.env.DEBUG ?? '');
}

export function createLogger(prefix = 'dev-server'): Logger {
  const enabled = debugEnabled();
  return {
    debug: (msg, ...rest) => {
      if (enabled) console.debug(`[${prefix}] ${msg}`, ...rest);
    },
    info: (msg, ...rest) => {
      if (enabled) console.info(`[${prefix}] ${msg}`, ...rest);
    },
    warn: (msg, ...rest) => console.warn(`[${prefix}] ${msg}`, ...rest),
  };
}
