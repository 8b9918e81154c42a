import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ReceiverError } from '../errors.js';

/**
 * What `--intake` asks for: the recvmmsg addon, Node's dgram, the addon when it loads, or the addon's
 * packet ring on an interface.
 */
export type IntakeChoice = 'auto' | 'native' | 'js' | 'afpacket';
/** The intake the workers use. */
export type Intake = 'native' | 'js' | 'afpacket';

/** The addon built from native/fm-recv.c (package.json build:native). */
export interface NativeIntakeBinding {
  /** Binds a non-blocking UDP socket; returns [fd, granted receive buffer bytes, bound port]. */
  openSocket(
    address: string,
    port: number,
    recvBufferBytes: number,
    reusePort: boolean,
  ): [number, number, number];
  /**
   * One recvmmsg into `data` (datagram i at i * slotBytes) and `meta` (NATIVE_META_WORDS per
   * datagram: length, sender family, sender words 0..3); waits up to `timeoutMs` when nothing is
   * queued. Returns how many datagrams it took.
   */
  receiveBatch(
    fd: number,
    data: Uint8Array,
    meta: Int32Array,
    slotBytes: number,
    maxDatagrams: number,
    timeoutMs: number,
  ): number;
  /** Waits up to `timeoutMs` until one of `fds` has a datagram; returns whether one has. */
  waitReadable(fds: Int32Array, timeoutMs: number): boolean;
  closeSocket(fd: number): void;
}

export const NATIVE_META_WORDS = 8;

/** Where a deployment that built the addon elsewhere (the CDK's receiver instances) put it. */
export const NATIVE_ADDON_ENV = 'FARGATE_MIRROR_NATIVE_ADDON';

/**
 * FARGATE_MIRROR_NATIVE_ADDON when set, else dist/live/native-intake.js -> dist/native/fm-recv.node
 * (the build writes it there). Undefined in a CommonJS bundle without the variable (the CDK's
 * single-file receiver, whose worker has no import.meta.url and no addon beside it): resolved when
 * first asked for, so loading this module never fails there.
 */
function addonPath(): string | undefined {
  const configured = process.env[NATIVE_ADDON_ENV];
  if (configured !== undefined && configured !== '') return configured;
  const here: unknown = import.meta.url;
  return typeof here === 'string' ? fileURLToPath(new URL('../native/fm-recv.node', here)) : undefined;
}

let loaded: { binding?: NativeIntakeBinding; problem?: string } | undefined;

/** Loads the addon once; `problem` says why it is unavailable (not built, or built for another Node). */
export function loadNativeIntake(): { binding?: NativeIntakeBinding; problem?: string } {
  if (loaded !== undefined) return loaded;
  const addon = addonPath();
  if (addon === undefined) {
    loaded = {
      problem: `this single-file bundle carries no native intake (fm-recv.node; ${NATIVE_ADDON_ENV} names one built for it)`,
    };
    return loaded;
  }
  if (!existsSync(addon)) {
    loaded = { problem: `${addon} is missing (gcc did not build native/fm-recv.c)` };
    return loaded;
  }
  try {
    // Required from its own path: a CommonJS bundle has no import.meta.url to require from.
    loaded = { binding: createRequire(addon)(addon) as NativeIntakeBinding };
  } catch (error) {
    loaded = { problem: `${addon} does not load: ${(error as Error).message}` };
  }
  return loaded;
}

/**
 * The intake for `choice`: `auto` takes the addon when it loads and dgram otherwise (with the
 * reason, for the start-up log); `native` without a loadable addon is RECEIVER_INTAKE_UNAVAILABLE.
 */
export function resolveIntake(choice: IntakeChoice): { intake: Intake; fallbackReason?: string } {
  if (choice === 'js') return { intake: 'js' };
  const { binding, problem } = loadNativeIntake();
  if (binding !== undefined) return { intake: choice === 'afpacket' ? 'afpacket' : 'native' };
  if (choice !== 'auto')
    throw new ReceiverError(
      'RECEIVER_INTAKE_UNAVAILABLE',
      `--intake ${choice}: ${problem}; build it with npm run build:native -w @fargate-mirror/receiver, or use --intake js`,
    );
  return { intake: 'js', fallbackReason: problem };
}
