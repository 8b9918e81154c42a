import { ApiError } from '../errors.js';
import type { Tag } from '../state/types.js';
import { invalidParameterValue, missingParameter } from './api-errors.js';

/**
 * Read access to EC2 Query parameters (`Filter.1.Name=...`, `TagSpecification.1.Tag.2.Key=...`).
 * A `QueryParams` can be scoped to a prefix, so nested structures read like top-level ones.
 */
export class QueryParams {
  readonly #all: ReadonlyMap<string, string>;
  readonly #prefix: string;

  constructor(all: ReadonlyMap<string, string>, prefix = '') {
    this.#all = all;
    this.#prefix = prefix;
  }

  static fromBody(body: string): QueryParams {
    return new QueryParams(new Map(new URLSearchParams(body)));
  }

  raw(name: string): string | undefined {
    return this.#all.get(this.#prefix + name);
  }

  has(name: string): boolean {
    const key = this.#prefix + name;
    for (const k of this.#all.keys()) if (k === key || k.startsWith(`${key}.`)) return true;
    return false;
  }

  str(name: string): string | undefined {
    return this.raw(name);
  }

  requiredStr(name: string): string {
    const value = this.raw(name);
    if (value === undefined || value === '') throw missingParameter(name);
    return value;
  }

  int(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value)) {
      throw invalidParameterValue(`Value (${value}) for parameter ${name} is invalid. Expected an integer.`);
    }
    return Number(value);
  }

  requiredInt(name: string): number {
    const value = this.int(name);
    if (value === undefined) throw missingParameter(name);
    return value;
  }

  bool(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') {
      throw invalidParameterValue(`Value (${value}) for parameter ${name} is invalid. Expected a boolean.`);
    }
    return value === 'true';
  }

  /** Members `name.1`, `name.2`, ... of a list, in index order. */
  list(name: string): string[] {
    return this.#indexes(name)
      .map((index) => this.raw(`${name}.${index}`))
      .filter((value): value is string => value !== undefined);
  }

  /** Structures `name.1.*`, `name.2.*`, ... each as a scoped `QueryParams`. */
  structs(name: string): QueryParams[] {
    return this.#indexes(name).map((index) => this.scope(`${name}.${index}`));
  }

  scope(name: string): QueryParams {
    return new QueryParams(this.#all, `${this.#prefix}${name}.`);
  }

  /** Every key/value under this scope, for idempotency fingerprints. */
  entries(exclude: ReadonlySet<string>): Array<[string, string]> {
    return [...this.#all.entries()]
      .filter(([key]) => key.startsWith(this.#prefix) && !exclude.has(key.slice(this.#prefix.length)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  #indexes(name: string): number[] {
    const prefix = `${this.#prefix}${name}.`;
    const indexes = new Set<number>();
    for (const key of this.#all.keys()) {
      if (!key.startsWith(prefix)) continue;
      const head = key.slice(prefix.length).split('.')[0];
      if (/^\d+$/.test(head)) indexes.add(Number(head));
    }
    return [...indexes].sort((a, b) => a - b);
  }
}

/** Tags of `TagSpecification.N` entries whose ResourceType is `resourceType`. */
export function tagSpecifications(params: QueryParams, resourceType: string): Tag[] {
  const tags: Tag[] = [];
  for (const spec of params.structs('TagSpecification')) {
    const type = spec.str('ResourceType');
    if (type !== resourceType) {
      throw invalidParameterValue(
        `'${type ?? ''}' is not a valid taggable resource type for this operation. Expected '${resourceType}'.`,
      );
    }
    tags.push(...readTags(spec, 'Tag'));
  }
  return tags;
}

export function readTags(params: QueryParams, name: string): Tag[] {
  return params.structs(name).map((tag) => {
    const key = tag.str('Key');
    if (key === undefined) throw missingParameter(`${name}.N.Key`);
    if (key.startsWith('aws:')) {
      throw new ApiError(
        'InvalidParameterValue',
        `Tag keys starting with 'aws:' are reserved for internal use`,
      );
    }
    return { key, value: tag.str('Value') ?? '' };
  });
}
