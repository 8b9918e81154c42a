// Per-operation accounting of SDK calls, from the client's side: calls, attempts (throttled ones
// included), emulated time from send to answer (rate-limiter waits and back-off included), errors.
import type { TimeScale } from './time-scale.ts';

export interface OperationStats {
  calls: number;
  attempts: number;
  elapsedMs: number;
  errors: Record<string, number>;
}

export type Meter = Map<string, OperationStats>;

interface Stackable {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<{ output: { $metadata?: { attempts?: number } } }>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<{ output: { $metadata?: { attempts?: number } } }>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/** Adds a middleware that records every call of `client` into `meter`. */
export function meterClient(client: unknown, meter: Meter, scale: TimeScale): void {
  (client as Stackable).middlewareStack.add(
    (next, context) => async (args) => {
      const op = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const stats = meter.get(op) ?? { calls: 0, attempts: 0, elapsedMs: 0, errors: {} };
      meter.set(op, stats);
      const started = scale.now();
      stats.calls++;
      try {
        const out = await next(args);
        stats.attempts += out.output.$metadata?.attempts ?? 1;
        return out;
      } catch (error) {
        const e = error as { name?: string; $metadata?: { attempts?: number } };
        stats.attempts += e.$metadata?.attempts ?? 1;
        const code = e.name ?? 'Error';
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
        throw error;
      } finally {
        stats.elapsedMs += scale.now() - started;
      }
    },
    { step: 'initialize', name: 'benchMeter' },
  );
}
