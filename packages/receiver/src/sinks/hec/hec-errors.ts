import { ReceiverError } from '../../errors.js';

/** The HEC sink's configuration is unusable (no token, bad URL, bad spool directory). */
export class HecConfigError extends ReceiverError {
  constructor(
    code: 'HEC_TOKEN_MISSING' | 'HEC_URL_INVALID' | 'HEC_SPOOL_UNUSABLE' | 'HEC_CONFIG_INVALID',
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.name = 'HecConfigError';
  }
}
