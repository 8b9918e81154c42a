import { ApiError } from '../errors.js';

/**
 * MaxResults/NextToken paging over resources in creation order. The token is a cursor (the
 * `seq` of the last item returned), so deletions between pages never skip or repeat an item.
 */
export interface PageRequest {
  maxResults?: number;
  nextToken?: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export function encodeToken(seq: number): string {
  return Buffer.from(JSON.stringify({ after: seq })).toString('base64url');
}

export function decodeToken(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'number') return parsed.after;
  } catch {
    // fall through: any undecodable token is AWS's InvalidPaginationToken
  }
  throw new ApiError('InvalidPaginationToken', `Invalid pagination token: ${token}`);
}

export function paginate<T extends { seq: number }>(
  sorted: T[],
  request: PageRequest,
  bounds: { min: number; max: number; name?: string },
): Page<T> {
  const { maxResults, nextToken } = request;
  if (maxResults !== undefined && (maxResults < bounds.min || maxResults > bounds.max)) {
    throw new ApiError(
      'InvalidParameterValue',
      `Value ( ${maxResults} ) for parameter ${bounds.name ?? 'maxResults'} is invalid. Expecting a value between ${bounds.min} and ${bounds.max}.`,
    );
  }
  const after = nextToken ? decodeToken(nextToken) : undefined;
  const remaining = after === undefined ? sorted : sorted.filter((item) => item.seq > after);
  if (maxResults === undefined || remaining.length <= maxResults) return { items: remaining };
  const items = remaining.slice(0, maxResults);
  return { items, nextToken: encodeToken(items[items.length - 1].seq) };
}

export function bySeq<T extends { seq: number }>(records: Record<string, T>): T[] {
  return Object.values(records).sort((a, b) => a.seq - b.seq);
}
