import { ReceiverError, type ReceiverErrorCode } from '../../errors.js';

type HecConfigErrorCode = Extract<ReceiverErrorCode, `HEC_${string}`>;

/** The HEC sink's configuration is unusable (no token, bad URL, bad spool directory). */
export class HecConfigError extends ReceiverError {
  constructor(code: HecConfigErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'HecConfigError';
  }
}
