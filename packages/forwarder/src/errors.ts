/** Stable error codes of the forwarder (documented in the package README). */
export const ForwarderErrorCode = {
  /** `--to` is not HOST:PORT, or the host does not resolve. */
  BAD_DESTINATION: 'FORWARDER_BAD_DESTINATION',
  /** An option value is out of range or inconsistent with another. */
  BAD_OPTION: 'FORWARDER_BAD_OPTION',
  /** The `--filter` file cannot be read, parsed or validated. */
  BAD_FILTER: 'FORWARDER_BAD_FILTER',
  /** No interface to capture on could be found, or the one named is unusable (e.g. `any`). */
  NO_INTERFACE: 'FORWARDER_NO_INTERFACE',
  /** The capture needs CAP_NET_RAW and this process (or tcpdump) cannot have it. */
  NET_RAW_MISSING: 'FORWARDER_NET_RAW_MISSING',
  /** tcpdump could not be started or stopped before it began capturing. */
  CAPTURE_FAILED: 'FORWARDER_CAPTURE_FAILED',
  /** What tcpdump wrote is not a pcap stream (or a record is impossibly large). */
  BAD_CAPTURE_STREAM: 'FORWARDER_BAD_CAPTURE_STREAM',
  /** The ECS task metadata endpoint answered with something unusable. */
  BAD_TASK_METADATA: 'FORWARDER_BAD_TASK_METADATA',
} as const;

export type ForwarderErrorCodeValue = (typeof ForwarderErrorCode)[keyof typeof ForwarderErrorCode];

/** Every code, as a list (README.md has the table). */
export const FORWARDER_ERROR_CODES: readonly ForwarderErrorCodeValue[] = Object.values(ForwarderErrorCode);

// Shared by every fargate-mirror package: a brand check works across two installed copies of a package.
const BRAND = Symbol.for('fargate-mirror.error');

/** Every error the forwarder throws: `code` is stable, `message` is for people. */
export class ForwarderError extends Error {
  readonly code: ForwarderErrorCodeValue;
  readonly [BRAND] = 'forwarder';

  constructor(code: ForwarderErrorCodeValue, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ForwarderError';
    this.code = code;
  }
}

export function isForwarderError(error: unknown): error is ForwarderError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'forwarder';
}

/** A `--filter` file problem; `issues` lists every failed check as `path: message`. */
export class FilterConfigError extends ForwarderError {
  readonly file: string;
  readonly issues: readonly string[];

  constructor(file: string, issues: readonly string[], options?: ErrorOptions) {
    super(ForwarderErrorCode.BAD_FILTER, `filter ${file}: ${issues.join('; ')}`, options);
    this.name = 'FilterConfigError';
    this.file = file;
    this.issues = issues;
  }
}

/** The capture cannot run without CAP_NET_RAW; the message says how to grant it. */
export class NetRawMissingError extends ForwarderError {
  constructor(detail: string, options?: ErrorOptions) {
    super(
      ForwarderErrorCode.NET_RAW_MISSING,
      `capturing needs the CAP_NET_RAW capability (${detail}); Docker and Fargate grant it by default: ` +
        'do not drop NET_RAW in the task definition, and give a non-root tcpdump `setcap cap_net_raw+eip`',
      options,
    );
    this.name = 'NetRawMissingError';
  }
}
