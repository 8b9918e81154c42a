import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { translateAwsError } from '../../src/aws/translate-error.js';
import {
  AwsCallError,
  CONTROLLER_ERROR_CODES,
  ConfigInvalidError,
  ControllerError,
  ERROR_CODES,
  isControllerError,
  MalformedInputError,
} from '../../src/errors.js';

const BRAND = Symbol.for('fargate-mirror.error');

describe('error convention', () => {
  it('recognises every error of the package by the shared brand, set to controller', () => {
    const errors = [
      new ControllerError('NOT_CONVERGED', 'x'),
      new ConfigInvalidError(['owner: required']),
      new MalformedInputError('EVENT_MALFORMED', 'x'),
      new AwsCallError('AWS_THROTTLED', 'CreateTrafficMirrorSession', 'x'),
      translateAwsError(
        'DescribeTasks',
        Object.assign(new Error('no'), { name: 'ClusterNotFoundException' }),
      ),
    ];
    for (const e of errors) {
      expect(isControllerError(e)).toBe(true);
      expect((e as unknown as Record<symbol, unknown>)[BRAND]).toBe('controller');
    }
  });

  it('recognises an error of another copy of the package (same brand, other class), nothing else', () => {
    // Prepare: what a bundled copy's ControllerError looks like from here: another class, same brand.
    const otherCopy = Object.assign(new Error('throttled'), {
      code: 'AWS_THROTTLED',
      retryable: true,
      [BRAND]: 'controller',
    });
    const otherPackage = Object.assign(new Error('bad capture'), {
      code: 'CAPTURE_TRUNCATED',
      [BRAND]: 'wire',
    });
    const lookAlike = Object.assign(new Error('throttled'), { code: 'AWS_THROTTLED', retryable: true });
    const nodeError = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    // Assess
    expect(isControllerError(otherCopy)).toBe(true);
    expect(isControllerError(otherPackage)).toBe(false);
    expect(isControllerError(lookAlike)).toBe(false);
    expect(isControllerError(nodeError)).toBe(false);
    expect(isControllerError({ [BRAND]: 'controller', code: 'AWS_THROTTLED' })).toBe(false);
  });

  it('keeps ERROR_CODES as the same list, and the README documents every code once, retryable as thrown', async () => {
    expect(ERROR_CODES).toBe(CONTROLLER_ERROR_CODES);
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\| `([A-Z_]+)` +\| (yes|no) +\|/gm)].map((m) => [m[1], m[2]]);
    expect(documented).toEqual(
      CONTROLLER_ERROR_CODES.map((code) => [code, new ControllerError(code, 'x').retryable ? 'yes' : 'no']),
    );
  });
});
