import { ApiError } from '../errors.js';
import type { Tag } from '../state/types.js';
import type { EcsInput } from './context.js';

/** ECS's client-side error for a request it cannot accept. */
export function invalidParameter(message: string): ApiError {
  return new ApiError('InvalidParameterException', message);
}

export function clientException(message: string): ApiError {
  return new ApiError('ClientException', message);
}

function typeError(name: string, expected: string): ApiError {
  return new ApiError('SerializationException', `Field '${name}' must be ${expected}`);
}

export function optString(input: EcsInput, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw typeError(name, 'a string');
  return value;
}

export function reqString(input: EcsInput, name: string): string {
  const value = optString(input, name);
  if (value === undefined || value === '') throw invalidParameter(`${name} can not be blank.`);
  return value;
}

export function optInt(input: EcsInput, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(name, 'an integer');
  return value;
}

export function optBool(input: EcsInput, name: string): boolean | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw typeError(name, 'a boolean');
  return value;
}

export function optStringList(input: EcsInput, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw typeError(name, 'a list of strings');
  return value as string[];
}

export function optObject(input: EcsInput, name: string): EcsInput | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(name, 'an object');
  return value as EcsInput;
}

export function optObjectList(input: EcsInput, name: string): EcsInput[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw typeError(name, 'a list of objects');
  }
  return value as EcsInput[];
}

/** ECS tags are `{key, value}`; keys beginning with `aws:` are reserved. */
export function readTags(input: EcsInput, name = 'tags'): Tag[] {
  return (optObjectList(input, name) ?? []).map((tag) => {
    const key = reqString(tag, 'key');
    if (key.toLowerCase().startsWith('aws:')) {
      throw invalidParameter(`Tag keys beginning with 'aws:' are reserved: ${key}`);
    }
    return { key, value: optString(tag, 'value') ?? '' };
  });
}

export function includes(input: EcsInput, what: string): boolean {
  return (optStringList(input, 'include') ?? []).includes(what);
}

/** Paging for ECS List* calls: a cursor over creation order, like the EC2 one. */
export function ecsPage<T extends { seq: number }>(
  items: T[],
  input: EcsInput,
  bounds: { max: number; default: number },
): { items: T[]; nextToken?: string } {
  const maxResults = optInt(input, 'maxResults') ?? bounds.default;
  if (maxResults < 1 || maxResults > bounds.max) {
    throw invalidParameter(`maxResults must be between 1 and ${bounds.max}.`);
  }
  const token = optString(input, 'nextToken');
  let after = -1;
  if (token !== undefined) {
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
      if (typeof parsed.after !== 'number') throw new Error('no cursor');
      after = parsed.after;
    } catch {
      throw invalidParameter('Invalid token provided.');
    }
  }
  const remaining = items.filter((item) => item.seq > after);
  if (remaining.length <= maxResults) return { items: remaining };
  const page = remaining.slice(0, maxResults);
  const last = page[page.length - 1].seq;
  return { items: page, nextToken: Buffer.from(JSON.stringify({ after: last })).toString('base64url') };
}
