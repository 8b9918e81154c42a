import { isWireError, WireError, type WireErrorCode } from '../errors.js';

/** The capture module's codes (a subset of the package's WIRE_ERROR_CODES). */
export const CaptureErrorCode = {
  NOT_A_CAPTURE: 'CAPTURE_NOT_A_CAPTURE',
  READ_FAILED: 'CAPTURE_READ_FAILED',
  WRITE_FAILED: 'CAPTURE_WRITE_FAILED',
} as const satisfies Record<string, WireErrorCode>;

export type CaptureErrorCodeValue = (typeof CaptureErrorCode)[keyof typeof CaptureErrorCode];

const CAPTURE_CODES: ReadonlySet<string> = new Set(Object.values(CaptureErrorCode));

/** Base of every error thrown by capture-file I/O; `code` is stable, `message` is for people. */
export class CaptureError extends WireError {
  declare readonly code: CaptureErrorCodeValue;

  constructor(code: CaptureErrorCodeValue, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'CaptureError';
  }
}

/** True for any CaptureError, including one thrown by another installed copy of this package. */
export function isCaptureError(value: unknown): value is CaptureError {
  return isWireError(value) && CAPTURE_CODES.has(value.code);
}

/** The file is not a pcap or pcapng capture (bad magic, too short, unsupported variant). */
export class CaptureFormatError extends CaptureError {
  /** The file that was opened. */
  readonly path: string;
  /** What was found instead, e.g. `first bytes 3c 21 44 4f ("<!DO")` or `12 bytes`. */
  readonly found: string;

  constructor(path: string, found: string, options?: ErrorOptions) {
    super(CaptureErrorCode.NOT_A_CAPTURE, `${path}: not a pcap or pcapng capture (${found})`, options);
    this.name = 'CaptureFormatError';
    this.path = path;
    this.found = found;
  }
}

/** The capture could not be opened or read (missing file, permission, I/O error); `cause` has the errno. */
export class CaptureReadError extends CaptureError {
  readonly path: string;

  constructor(path: string, message: string, options?: ErrorOptions) {
    super(CaptureErrorCode.READ_FAILED, `${path}: ${message}`, options);
    this.name = 'CaptureReadError';
    this.path = path;
  }
}

/** The capture could not be created or written (permission, disk full, closed writer); `cause` has the errno. */
export class CaptureWriteError extends CaptureError {
  readonly path: string;

  constructor(path: string, message: string, options?: ErrorOptions) {
    super(CaptureErrorCode.WRITE_FAILED, `${path}: ${message}`, options);
    this.name = 'CaptureWriteError';
    this.path = path;
  }
}

/** `ENOENT: no such file or directory, open 'x'` → `no such file or directory`, for one-line messages. */
export function describeSystemError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code
      ? `${code}: ${error.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}`
      : error.message;
  }
  return String(error);
}
