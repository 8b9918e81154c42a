import { DemoError, isDemoError } from '../errors.js';

/**
 * Runs one step of making the demo account. An AWS SDK failure (a refusal of aws-local, a lost
 * connection) is translated here, at the edge, into DEMO_SETUP_FAILED naming the step, with the SDK
 * error as `cause`; the demo's own errors pass through unchanged.
 */
export async function setupStep<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (isDemoError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new DemoError('DEMO_SETUP_FAILED', `could not ${what}: ${reason}`, { cause: error });
  }
}
