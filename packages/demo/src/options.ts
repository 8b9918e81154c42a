import { DemoError } from './errors.js';

/** `native`: mirror sessions on the task ENIs; `forwarder`: the sidecar, task ENIs refused. */
export type DemoMode = 'native' | 'forwarder';

export const DEMO_MODES: readonly DemoMode[] = ['native', 'forwarder'];

export interface DemoOptions {
  /** Seconds of traffic once the services run. @default 30 */
  readonly durationSeconds?: number;
  /** Base directory; each run writes into a fresh `demo-<UTC time>` subdirectory. @default 'fargate-mirror-out' */
  readonly outDir?: string;
  /** @default 'native' */
  readonly mode?: DemoMode;
  /** Seconds between live summary lines. @default 3 */
  readonly summaryEverySeconds?: number;
  /** aws-local's lifecycle speed factor (tasks start in about a second at 20). @default 20 */
  readonly speed?: number;
  /** Where the demo writes its lines. @default process.stdout */
  readonly output?: NodeJS.WritableStream;
  /** Ends the run early (Ctrl-C): traffic stops, outputs are completed. */
  readonly signal?: AbortSignal;
  /** TCP port of the live page on 127.0.0.1 (0 picks one), or false for none. @default 0 */
  readonly uiPort?: number | false;
}

export interface ResolvedDemoOptions {
  readonly durationMs: number;
  readonly outDir: string;
  readonly mode: DemoMode;
  readonly summaryEveryMs: number;
  readonly speed: number;
  readonly output: NodeJS.WritableStream;
  readonly signal: AbortSignal | undefined;
  readonly uiPort: number | false;
}

/** Fills the defaults in and refuses values that cannot work, naming the option. */
export function resolveDemoOptions(options: DemoOptions): ResolvedDemoOptions {
  const durationSeconds = options.durationSeconds ?? 30;
  if (!Number.isFinite(durationSeconds) || durationSeconds < 3 || durationSeconds > 86_400) {
    throw new DemoError(
      'DEMO_OPTIONS_INVALID',
      `duration must be a number of seconds from 3 to 86400, got ${String(options.durationSeconds)}`,
    );
  }
  const mode = options.mode ?? 'native';
  if (!DEMO_MODES.includes(mode)) {
    throw new DemoError('DEMO_OPTIONS_INVALID', `mode must be native or forwarder, got ${String(mode)}`);
  }
  const summaryEverySeconds = options.summaryEverySeconds ?? 3;
  if (!Number.isFinite(summaryEverySeconds) || summaryEverySeconds <= 0) {
    throw new DemoError(
      'DEMO_OPTIONS_INVALID',
      `summary interval must be a positive number of seconds, got ${String(summaryEverySeconds)}`,
    );
  }
  const speed = options.speed ?? 20;
  if (!Number.isFinite(speed) || speed <= 0) {
    throw new DemoError('DEMO_OPTIONS_INVALID', `speed must be above 0, got ${String(speed)}`);
  }
  const uiPort = options.uiPort ?? 0;
  if (uiPort !== false && (!Number.isInteger(uiPort) || uiPort < 0 || uiPort > 65_535)) {
    throw new DemoError('DEMO_OPTIONS_INVALID', `ui port must be from 0 to 65535, got ${String(uiPort)}`);
  }
  const outDir = options.outDir ?? 'fargate-mirror-out';
  if (outDir.trim() === '') throw new DemoError('DEMO_OPTIONS_INVALID', 'the output directory is empty');
  return {
    durationMs: durationSeconds * 1000,
    outDir,
    mode,
    summaryEveryMs: summaryEverySeconds * 1000,
    speed,
    output: options.output ?? process.stdout,
    signal: options.signal,
    uiPort,
  };
}
