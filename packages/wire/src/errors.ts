/**
 * Errors of the wire package. Decoding never throws (it returns a DecodeStatus); these are for API
 * misuse and capture files. Each carries a stable `code`.
 */
export class WireError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WireError';
    this.code = code;
  }
}
