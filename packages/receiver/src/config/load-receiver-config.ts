import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ReceiverConfigError } from './config-error.js';
import { type ReceiverConfig, type ReceiverConfigInput, receiverConfigSchema } from './receiver-config.js';

/**
 * Reads a JSON or YAML configuration file: a `.json` file as JSON (invalid JSON is an error, never
 * read again as YAML, which would accept almost anything), any other as YAML (a superset of JSON).
 */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ReceiverConfigError(`cannot read config file ${path}: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  const json = path.toLowerCase().endsWith('.json');
  let data: unknown;
  try {
    data = json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ReceiverConfigError(
      `config file ${path} is not valid ${json ? 'JSON' : 'JSON or YAML'}: ${(error as Error).message}`,
      [],
      { cause: error },
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
    const problems = result.error.issues.flatMap(describeIssue);
    throw new ReceiverConfigError(`invalid ${source}: ${problems.join('; ')}`, problems);
  }
  return result.data;
}

/** One problem per key: an unknown-keys issue lists several. */
function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
    const known = keysAt(issue.path);
    return issue.keys.map((k) => {
      const near = closest(k, known) ?? nestedSpelling(issue.path, k, known);
      return `${where}${k}: unknown option${near === undefined ? '' : ` (did you mean ${where}${near}?)`}`;
    });
  }
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  return [`${key}: ${issue.message}`];
}

/** The option names the schema accepts at `path` (nested objects unwrapped from their defaults). */
function keysAt(path: readonly PropertyKey[]): string[] {
  let schema: unknown = receiverConfigSchema;
  for (const key of path) {
    const shape = shapeOf(schema);
    schema = shape?.[String(key)];
  }
  return Object.keys(shapeOf(schema) ?? {});
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown } } | undefined;
  // Defaults, prefaults and optionals wrap the object: look inside.
  while (s !== undefined && s.shape === undefined && s.def?.innerType !== undefined) {
    s = s.def.innerType as typeof s;
  }
  return s?.shape;
}

/**
 * A nested option written flat, as a flag would name it (`hecUrl` for `hec.url`, `flowsCapacity` for
 * `flows.capacity`): the nested path it means, if there is one.
 */
function nestedSpelling(
  path: readonly PropertyKey[],
  name: string,
  known: readonly string[],
): string | undefined {
  for (const parent of known) {
    if (name.length <= parent.length || !name.toLowerCase().startsWith(parent.toLowerCase())) continue;
    const rest = name.slice(parent.length);
    const child = closest(rest.charAt(0).toLowerCase() + rest.slice(1), keysAt([...path, parent]));
    if (child !== undefined) return `${parent}.${child}`;
  }
  return undefined;
}

/** The known name nearest `name` (edit distance at most a third of its length, and 3), if any. */
function closest(name: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'a list' : typeof v;
}
