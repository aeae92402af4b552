// What the dashboard page gets from the demo (config.json) and what it exposes to its test
// (`window.dashboard`).

import type { Telemetry } from '../telemetry.js';

export interface DashboardConfig {
  /** Signal URL of the SFU, e.g. ws://127.0.0.1:7880 */
  url: string;
  /** A subscribe-only token minted for this page load. */
  token: string;
  /** Identity of the robot and the name of its telemetry track. */
  publisher: string;
  track: string;
}

export interface DashboardPoint extends Telemetry {
  /** Arrival in the page minus `sentAtMs`. */
  latencyMs: number;
}

export interface DashboardState {
  /** Frames decoded so far. */
  received: number;
  /** Points handed to the charts so far (a point is plotted once the charts were redrawn with it). */
  plotted: number;
  /** Frames missing from the sequence since the first one received. */
  drops: number;
  /** The points currently on the charts, oldest first. */
  points(): DashboardPoint[];
  /** Set if connecting or subscribing failed. */
  error?: string;
}

declare global {
  interface Window {
    dashboard: DashboardState;
  }
}
