/**
 * AWS's EC2 token buckets (docs/aws-facts.md §6, "EC2 API throttling"): one bucket per action per
 * account and region; each request takes a token; tokens refill at a steady rate.
 */
export interface BucketConfig {
  capacity: number;
  refillPerSecond: number;
}

export const NON_MUTATING: Readonly<BucketConfig> = Object.freeze({ capacity: 100, refillPerSecond: 20 });
/** Unfiltered and unpaginated DescribeInstances / DescribeNetworkInterfaces get a smaller bucket. */
export const UNFILTERED_NON_MUTATING: Readonly<BucketConfig> = Object.freeze({
  capacity: 50,
  refillPerSecond: 10,
});
export const MUTATING: Readonly<BucketConfig> = Object.freeze({ capacity: 50, refillPerSecond: 5 });

/** Actions AWS lists as uncategorized, with their own bucket sizes. */
export const UNCATEGORIZED: Readonly<Record<string, BucketConfig>> = Object.freeze({
  CreateNetworkInterface: { capacity: 100, refillPerSecond: 5 },
  CreateTags: { capacity: 100, refillPerSecond: 10 },
});

export const UNFILTERED_SENSITIVE_ACTIONS: ReadonlySet<string> = new Set([
  'DescribeInstances',
  'DescribeNetworkInterfaces',
]);
