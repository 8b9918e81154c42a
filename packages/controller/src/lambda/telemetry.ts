import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tally } from '../core/outcomes.js';

/**
 * Counters and gauges the handlers emit. The Powertools implementation writes CloudWatch EMF; the
 * memory one lets tests and the CLI read what would have been published.
 */
export interface MetricsPort {
  count(name: string, value?: number): void;
  gauge(name: string, value: number): void;
  flush(): void;
}

export function powertoolsMetrics(metrics: Metrics): MetricsPort {
  return {
    count(name, value = 1) {
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    gauge(name, value) {
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}

export class MemoryMetrics implements MetricsPort {
  readonly counters: Record<string, number> = {};
  readonly gauges: Record<string, number> = {};
  flushes = 0;

  count(name: string, value = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + value;
  }

  gauge(name: string, value: number): void {
    this.gauges[name] = value;
  }

  flush(): void {
    this.flushes++;
  }
}

/** Emits the outcome counters (created, deleted, unchanged, unmirrorable, hidden, failed). */
export function recordTally(metrics: MetricsPort, tally: Tally): void {
  for (const [name, value] of Object.entries(tally)) if (value > 0) metrics.count(name, value);
}
