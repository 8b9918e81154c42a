import { ApiError } from '../errors.js';
import { applyFilters, type FilterSpec, readFilters } from './filters.js';
import { type Page, paginate } from './pagination.js';
import type { QueryParams } from './query-params.js';

/**
 * The common shape of EC2 Describe calls: optional ids (`select` checks each exists), the
 * documented filters, then MaxResults/NextToken paging.
 */
export function describe<T extends { seq: number }>(
  params: QueryParams,
  options: {
    idParam: string;
    select: (ids: string[]) => T[];
    filters: FilterSpec<T>;
    /** Some APIs refuse MaxResults together with explicit ids. */
    refuseMaxResultsWithIds?: boolean;
    bounds?: { min: number; max: number };
  },
): Page<T> {
  const ids = params.list(options.idParam);
  const maxResults = params.int('MaxResults');
  if (options.refuseMaxResultsWithIds && ids.length > 0 && maxResults !== undefined) {
    throw new ApiError(
      'InvalidParameterCombination',
      `The parameter ${options.idParam}s cannot be used with the parameter maxResults`,
    );
  }
  const matching = applyFilters(options.filters, readFilters(params), options.select(ids));
  return paginate(
    matching,
    { maxResults, nextToken: params.str('NextToken') },
    options.bounds ?? { min: 5, max: 1000 },
  );
}
