import type { UiHealth, UiHealthSample } from '../api/ui-api.js';

/** What the receiver (or the demo) reports about itself; read once a second, never per packet. */
export interface UiHealthReading {
  /** Mirrored packets since start. */
  readonly packets: number;
  /** Kernel receive-buffer drops, hand-off drops and dropped records, summed. */
  readonly drops: number;
  readonly malformed: number;
  /** Splunk HEC spool, or null without HEC. */
  readonly spoolBytes: number | null;
  readonly spoolEvents: number | null;
  readonly healthy: boolean | null;
}

export type UiHealthSource = () => UiHealthReading;

const HISTORY = 120;

/** Samples a health source into a two-minute history, turning the packet total into a rate. */
export class HealthHistory {
  private readonly samples: UiHealthSample[] = [];
  private readonly source: UiHealthSource;

  constructor(source: UiHealthSource) {
    this.source = source;
  }

  sample(records: number, now = Date.now()): UiHealthSample {
    const r = this.source();
    const last = this.samples.at(-1);
    const seconds = last === undefined ? 0 : (now - last.at) / 1000;
    const packetsPerSecond =
      last === undefined || seconds <= 0 ? 0 : Math.max(0, r.packets - last.packets) / seconds;
    const s: UiHealthSample = { at: now, records, packetsPerSecond, ...r };
    this.samples.push(s);
    if (this.samples.length > HISTORY) this.samples.shift();
    return s;
  }

  health(records: number): UiHealth {
    const current = this.samples.at(-1) ?? this.sample(records);
    return { current, history: [...this.samples] };
  }
}
