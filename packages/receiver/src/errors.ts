/** Errors of the receiver package, each with a stable `code`. */
export class ReceiverError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReceiverError';
    this.code = code;
  }
}
