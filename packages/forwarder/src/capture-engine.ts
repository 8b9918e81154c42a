// Which program captures, and who does the per-packet work:
// - native: fm-capture (compiled from native/*.c by `npm run build:native`) captures AND forwards -
//   decode, filter rules, super-frame cutting, VXLAN, sendmmsg - handing only the frames it does not
//   decode the simple way to the TypeScript path (the default under auto, when built);
// - native-capture: fm-capture captures, the TypeScript path does everything after (the previous
//   native engine; also what auto falls back to on a non-Ethernet interface);
// - tcpdump: tcpdump captures, the TypeScript path does everything after (when fm-capture is absent).
// fm-capture and tcpdump write the same pcap stream, so the TypeScript path is the same for all.
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ForwarderError, ForwarderErrorCode } from './errors.js';

export const CAPTURE_ENGINES = ['auto', 'native', 'native-capture', 'tcpdump'] as const;
export type CaptureEngine = (typeof CAPTURE_ENGINES)[number];

/** Where build:native puts the program: dist/native/fm-capture, next to this module once built. */
export const DEFAULT_NATIVE_CAPTURE = fileURLToPath(new URL('./native/fm-capture', import.meta.url));

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ChosenEngine {
  /** fm-capture's path, or undefined for tcpdump. */
  readonly program: string | undefined;
  /** Whether fm-capture also forwards (-C), rather than only capturing. */
  readonly forward: boolean;
}

/** The program to run and whether it forwards; `ethernet`: the interface's frames have an Ethernet header. */
export function chooseCaptureEngine(
  engine: CaptureEngine,
  nativeCapture: string = DEFAULT_NATIVE_CAPTURE,
  ethernet = true,
): ChosenEngine {
  if (engine === 'tcpdump') return { program: undefined, forward: false };
  if (executable(nativeCapture)) {
    if (engine === 'native' && !ethernet) {
      throw new ForwarderError(
        ForwarderErrorCode.BAD_OPTION,
        '--capture-engine native forwards Ethernet frames only: use native-capture or tcpdump on this interface',
      );
    }
    return { program: nativeCapture, forward: engine !== 'native-capture' && ethernet };
  }
  if (engine === 'auto') return { program: undefined, forward: false };
  throw new ForwarderError(
    ForwarderErrorCode.BAD_OPTION,
    `--capture-engine ${engine}: ${nativeCapture} is missing or not executable (npm run build:native -w @fargate-mirror/forwarder)`,
  );
}
