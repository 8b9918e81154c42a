/**
 * Health with hysteresis: turns unhealthy only after `unhealthyAfter` consecutive failing checks and
 * healthy again only after `healthyAfter` consecutive passing ones, so one burst does not make a load
 * balancer pull the target in and out. Draining (shutdown) is unhealthy at once.
 */
export class HealthState {
  healthy = true;
  draining = false;
  /** Problems of the latest check (empty when it passed). */
  problems: readonly string[] = [];
  /** Problems that made the state unhealthy (kept until it is healthy again). */
  reasons: readonly string[] = [];
  private badStreak = 0;
  private goodStreak = 0;

  constructor(
    private readonly unhealthyAfter: number,
    private readonly healthyAfter: number,
  ) {}

  report(problems: readonly string[]): void {
    this.problems = problems;
    if (problems.length > 0) {
      this.goodStreak = 0;
      this.badStreak++;
      if (this.badStreak >= this.unhealthyAfter) {
        this.healthy = false;
        this.reasons = problems;
      }
    } else {
      this.badStreak = 0;
      this.goodStreak++;
      if (!this.healthy && this.goodStreak >= this.healthyAfter) {
        this.healthy = true;
        this.reasons = [];
      }
    }
  }

  /** What /healthz answers: ok only when healthy and not draining. */
  get serving(): boolean {
    return this.healthy && !this.draining;
  }
}
