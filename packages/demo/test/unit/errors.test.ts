// The error convention (CONTRIBUTING.md): stable typed codes and the shared brand.
import { describe, expect, it } from 'vitest';
import { DEMO_ERROR_CODES, DemoError, isDemoError, resolveDemoOptions } from '../../src/index.ts';
import { LoopbackPool } from '../../src/mirror/loopback-pool.ts';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but none was thrown');
}

describe('demo errors', () => {
  it('brands its errors so that a second copy of the package recognises them', () => {
    // What another copy's class would produce: the same registered symbol, not the same class.
    const fromOtherCopy = Object.assign(new Error('x'), {
      [Symbol.for('fargate-mirror.error')]: 'demo',
      code: 'DEMO_SETUP_FAILED',
    });
    expect(isDemoError(fromOtherCopy)).toBe(true);
    expect(isDemoError(new DemoError('DEMO_OUTPUT_FAILED', 'x'))).toBe(true);
  });

  it("does not take Node's errors or another package's for its own", () => {
    const enoent = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    const otherPackage = Object.assign(new Error('x'), { [Symbol.for('fargate-mirror.error')]: 'aws-local' });
    expect(isDemoError(enoent)).toBe(false);
    expect(isDemoError(otherPackage)).toBe(false);
  });

  it('refuses bad options with a code from its list', () => {
    const error = thrown(() => resolveDemoOptions({ durationSeconds: 1 }));
    expect(isDemoError(error) && error.code).toBe('DEMO_OPTIONS_INVALID');
    expect(DEMO_ERROR_CODES).toContain('DEMO_OPTIONS_INVALID');
  });

  it('says when the loopback addresses for task ENIs run out', () => {
    const pool = new LoopbackPool();
    for (let i = 0; i < 254 * 255; i++) pool.allocate();
    const error = thrown(() => pool.allocate());
    expect(isDemoError(error) && error.code).toBe('DEMO_LOOPBACK_EXHAUSTED');
  });
});
