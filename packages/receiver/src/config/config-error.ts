import { ReceiverError } from '../errors.js';

/** The receiver's configuration (file or flags) is invalid; `problems` names each bad key. */
export class ReceiverConfigError extends ReceiverError {
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[], options?: ErrorOptions) {
    super('RECEIVER_CONFIG_INVALID', message, options);
    this.name = 'ReceiverConfigError';
    this.problems = problems;
  }
}
