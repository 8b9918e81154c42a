import { Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { PropsValidationError } from '../errors.js';

/** One row of a validation table: when `failed` is true, `message` says what and how to fix it. */
export interface ValidationRule {
  readonly failed: boolean;
  readonly message: string;
}

/**
 * Runs every rule and throws one PropsValidationError listing all failures (after the aws-cdk
 * `validateAllProps` pattern), so a user sees every bad prop in one synth.
 */
export function validateAll(scope: IConstruct, rules: readonly ValidationRule[]): void {
  const issues = rules.filter((r) => r.failed).map((r) => r.message);
  if (issues.length > 0) throw new PropsValidationError(scope.node.path, issues);
}

/** True when `value` is a concrete number outside [min, max]; unresolved tokens are not judged. */
export function outOfRange(value: number | undefined, min: number, max: number): boolean {
  if (value === undefined || Token.isUnresolved(value)) return false;
  return !Number.isInteger(value) || value < min || value > max;
}

/** True when `value` is a concrete string that does not match `pattern`. */
export function mismatches(value: string | undefined, pattern: RegExp): boolean {
  if (value === undefined || Token.isUnresolved(value)) return false;
  return !pattern.test(value);
}
