// Which program captures: the native core (fm-capture, compiled from native/fm-capture.c by
// `npm run build:native`) when it is there, else tcpdump. Both write the same pcap stream, so
// everything after the capture (filter rules, super-frame cutting, encapsulation, stats) is shared.
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ForwarderError, ForwarderErrorCode } from './errors.js';

export const CAPTURE_ENGINES = ['auto', 'native', 'tcpdump'] as const;
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

/** The native program to run, or undefined for tcpdump. */
export function chooseCaptureEngine(
  engine: CaptureEngine,
  nativeCapture: string = DEFAULT_NATIVE_CAPTURE,
): string | undefined {
  if (engine === 'tcpdump') return undefined;
  if (executable(nativeCapture)) return nativeCapture;
  if (engine === 'auto') return undefined;
  throw new ForwarderError(
    ForwarderErrorCode.BAD_OPTION,
    `--capture-engine native: ${nativeCapture} is missing or not executable (npm run build:native -w @fargate-mirror/forwarder)`,
  );
}
