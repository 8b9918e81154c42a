import { ApiError } from '../errors.js';
import type { Tag } from '../state/types.js';
import type { QueryParams } from './query-params.js';

type Scalar = string | number | boolean | undefined;
export type Extractor<T> = (resource: T) => Scalar | Scalar[];

/**
 * The filters one Describe call documents. `names` is the documented list (anything else is
 * rejected as AWS does); `extract` gives the values a resource has for a filter; documented
 * names without an extractor concern attributes the emulator never sets, so they match nothing.
 * `tags` enables `tag:<key>` and `tag-key` where the API documents them.
 */
export interface FilterSpec<T> {
  names: readonly string[];
  extract: Partial<Record<string, Extractor<T>>>;
  tags?: (resource: T) => Tag[];
}

export interface RequestFilter {
  name: string;
  values: string[];
}

export function readFilters(params: QueryParams): RequestFilter[] {
  return params.structs('Filter').map((filter) => ({
    name: filter.str('Name') ?? '',
    values: filter.list('Value'),
  }));
}

/** EC2 filter values accept `*` (any run) and `?` (any one character). */
function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export function validateFilters<T>(spec: FilterSpec<T>, filters: RequestFilter[]): void {
  for (const filter of filters) {
    const isTag = spec.tags !== undefined && (filter.name.startsWith('tag:') || filter.name === 'tag-key');
    if (!isTag && !spec.names.includes(filter.name)) {
      throw new ApiError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    }
  }
}

function valuesOf<T>(spec: FilterSpec<T>, name: string, resource: T): string[] {
  if (spec.tags && name === 'tag-key') return spec.tags(resource).map((t) => t.key);
  if (spec.tags && name.startsWith('tag:')) {
    const key = name.slice(4);
    return spec
      .tags(resource)
      .filter((t) => t.key === key)
      .map((t) => t.value);
  }
  const extractor = spec.extract[name];
  if (!extractor) return [];
  const raw = extractor(resource);
  return (Array.isArray(raw) ? raw : [raw]).filter((v) => v !== undefined).map(String);
}

/** Filters AND together; the values of one filter OR together. */
export function applyFilters<T>(spec: FilterSpec<T>, filters: RequestFilter[], resources: T[]): T[] {
  validateFilters(spec, filters);
  if (filters.length === 0) return resources;
  const compiled = filters.map((f) => ({ name: f.name, patterns: f.values.map(wildcard) }));
  return resources.filter((resource) =>
    compiled.every(({ name, patterns }) => {
      const values = valuesOf(spec, name, resource);
      return patterns.some((pattern) => values.some((value) => pattern.test(value)));
    }),
  );
}
