import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ReceiverConfigError } from './config-error.js';
import { type ReceiverConfig, type ReceiverConfigInput, receiverConfigSchema } from './receiver-config.js';

/** Reads a JSON or YAML configuration file (YAML is a superset of JSON, so one parser reads both). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ReceiverConfigError(`cannot read config file ${path}: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ReceiverConfigError(
      `config file ${path} is neither JSON nor YAML: ${(error as Error).message}`,
      [],
      {
        cause: error,
      },
    );
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ReceiverConfigError(
      `config file ${path} must hold an object of options, got ${describe(data)}`,
      [],
    );
  }
  return data as Record<string, unknown>;
}

/**
 * Validates options from a file and the command line (flags win, nested objects merge) and fills in
 * defaults. Throws ReceiverConfigError listing every problem, each naming its key.
 */
export function resolveReceiverConfig(
  fromFile: Record<string, unknown>,
  fromFlags: Partial<ReceiverConfigInput> = {},
  source = 'config',
): ReceiverConfig {
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries(fromFlags)) {
    if (value === undefined) continue;
    const base = merged[key];
    merged[key] =
      isPlainObject(base) && isPlainObject(value)
        ? { ...base, ...(value as Record<string, unknown>) }
        : value;
  }
  const result = receiverConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue);
    throw new ReceiverConfigError(`invalid ${source}: ${problems.join('; ')}`, problems);
  }
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
    return issue.keys.map((k) => `${where}${k}: unknown option`).join('; ');
  }
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  return `${key}: ${issue.message}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'a list' : typeof v;
}
