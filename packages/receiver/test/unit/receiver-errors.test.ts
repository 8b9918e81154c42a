// The receiver's error convention (CONTRIBUTING.md): one const list of codes, a typed code, the shared
// brand, and a README table naming every code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReceiverConfigError } from '../../src/config/config-error.js';
import { isReceiverError, RECEIVER_ERROR_CODES, ReceiverError } from '../../src/errors.js';
import { IdentityMapError } from '../../src/identity/identity-map-file.js';
import { HecConfigError } from '../../src/sinks/hec/hec-errors.js';
import { resolveHecToken } from '../../src/sinks/hec/hec-token.js';

describe('receiver errors', () => {
  it('carry the shared brand, so a copy of the class from another bundle is recognised', () => {
    const errors = [
      new ReceiverError('RECEIVER_NOT_STARTED', 'x'),
      new ReceiverConfigError('x', ['port']),
      new HecConfigError('HEC_URL_INVALID', 'x'),
      new IdentityMapError('x'),
    ];
    for (const e of errors) {
      expect(isReceiverError(e)).toBe(true);
      expect(RECEIVER_ERROR_CODES).toContain(e.code);
      expect((e as unknown as Record<symbol, unknown>)[Symbol.for('fargate-mirror.error')]).toBe('receiver');
    }
    // Another copy of the package: a different class with the same brand.
    const foreign = Object.assign(new Error('x'), { [Symbol.for('fargate-mirror.error')]: 'receiver' });
    expect(isReceiverError(foreign)).toBe(true);
    // Node's own errors and other packages' are not ours, whatever their code.
    expect(isReceiverError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    const wire = Object.assign(new Error('x'), { [Symbol.for('fargate-mirror.error')]: 'wire' });
    expect(isReceiverError(wire)).toBe(false);
    expect(isReceiverError('RECEIVER_NOT_STARTED')).toBe(false);
  });

  it('are thrown with their code', () => {
    let thrown: unknown;
    try {
      resolveHecToken({}, {});
    } catch (error) {
      thrown = error;
    }
    expect(isReceiverError(thrown) && thrown.code).toBe('HEC_TOKEN_MISSING');
  });

  it('are each listed in the README table', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const table = new Set([...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]));
    expect([...table].sort()).toEqual([...RECEIVER_ERROR_CODES].sort());
  });
});
