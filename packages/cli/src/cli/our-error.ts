const BRAND = Symbol.for('fargate-mirror.error');

/** An error one of our packages threw on purpose: its message is meant for the user as it is. */
export interface OurError extends Error {
  readonly code: string;
}

/**
 * True for errors our packages throw on purpose, recognised by the shared brand and never by the
 * shape of `code`: Node's own errors carry codes too (`ENOENT`, `ERR_INVALID_ARG_TYPE`) and must not
 * pass for ours.
 */
export function isBrandedError(error: unknown): error is OurError {
  return (
    error instanceof Error &&
    typeof (error as { [BRAND]?: unknown })[BRAND] === 'string' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

// The capture module's errors were branded before the shared brand existed.
const CAPTURE_BRAND = Symbol.for('fargate-mirror.wire.capture-error');

/**
 * Like isBrandedError, and also the packages' error classes as they were before the shared brand:
 * until every package carries it, nothing that printed one line before may turn into a stack trace.
 * The packages load only here, on the error path, so that starting a command does not pay for them.
 */
export async function isOurError(error: unknown): Promise<boolean> {
  if (isBrandedError(error)) return true;
  if (!(error instanceof Error) || typeof (error as { code?: unknown }).code !== 'string') return false;
  if (CAPTURE_BRAND in error) return true;
  const [wire, receiver, forwarder, demo, awsLocal, controller] = await Promise.all([
    import('@fargate-mirror/wire'),
    import('@fargate-mirror/receiver'),
    import('@fargate-mirror/forwarder'),
    import('@fargate-mirror/demo'),
    import('@fargate-mirror/aws-local'),
    import('@fargate-mirror/controller'),
  ]);
  const classes: (abstract new (...args: never[]) => Error)[] = [
    wire.WireError,
    wire.CaptureError,
    receiver.ReceiverError,
    forwarder.ForwarderError,
    demo.DemoError,
    awsLocal.AwsLocalError,
    controller.ControllerError,
  ];
  return classes.some((c) => error instanceof c);
}
