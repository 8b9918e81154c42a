/** What the emulator has answered, for the admin state endpoint and tests. */
export class Counters {
  readonly requests: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  throttled = 0;
  injectedErrors = 0;
  injectedThrottles = 0;
  badAdminRequests = 0;

  request(api: string): void {
    this.requests[api] = (this.requests[api] ?? 0) + 1;
  }

  error(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  snapshot(): Record<string, unknown> {
    return {
      requests: { ...this.requests },
      errors: { ...this.errors },
      throttled: this.throttled,
      injectedErrors: this.injectedErrors,
      injectedThrottles: this.injectedThrottles,
      badAdminRequests: this.badAdminRequests,
    };
  }
}
