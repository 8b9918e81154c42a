import { ApiError } from '../errors.js';
import type { RegionState, Tag } from '../state/types.js';
import { missingParameter } from './api-errors.js';
import type { Ec2Handler } from './context.js';
import { applyFilters, type FilterSpec, readFilters } from './filters.js';
import { find, KINDS } from './lookup.js';
import { paginate } from './pagination.js';
import { readTags } from './query-params.js';

const MAX_TAGS_PER_RESOURCE = 50;

/** Taggable resources by id prefix, with the resource-type name DescribeTags reports. */
const TAGGABLE = [
  { prefix: 'vpc-', type: 'vpc', kind: KINDS.vpc },
  { prefix: 'subnet-', type: 'subnet', kind: KINDS.subnet },
  { prefix: 'eni-', type: 'network-interface', kind: KINDS.networkInterface },
  { prefix: 'i-', type: 'instance', kind: KINDS.instance },
  { prefix: 'tmt-', type: 'traffic-mirror-target', kind: KINDS.trafficMirrorTarget },
  { prefix: 'tmf-', type: 'traffic-mirror-filter', kind: KINDS.trafficMirrorFilter },
  { prefix: 'tms-', type: 'traffic-mirror-session', kind: KINDS.trafficMirrorSession },
] as const;

interface Tagged {
  seq: number;
  tags: Tag[];
}

function resolve(region: RegionState, id: string): Tagged {
  const entry = TAGGABLE.find((t) => id.startsWith(t.prefix));
  if (!entry) throw new ApiError('InvalidID', `The ID '${id}' is not valid`);
  return find(entry.kind as (typeof KINDS)['vpc'], region, id) as Tagged;
}

export const createTags: Ec2Handler = (ctx, params) => {
  const ids = params.list('ResourceId');
  if (ids.length === 0) throw missingParameter('ResourceId');
  const tags = readTags(params, 'Tag');
  const resources = ids.map((id) => resolve(ctx.region, id));
  for (const [index, resource] of resources.entries()) {
    const keys = new Set([...resource.tags.map((t) => t.key), ...tags.map((t) => t.key)]);
    if (keys.size > MAX_TAGS_PER_RESOURCE) {
      throw new ApiError(
        'TagLimitExceeded',
        `The maximum number of tags (${MAX_TAGS_PER_RESOURCE}) for resource '${ids[index]}' has been reached.`,
      );
    }
  }
  for (const resource of resources) {
    for (const tag of tags) {
      const existing = resource.tags.find((t) => t.key === tag.key);
      if (existing) existing.value = tag.value;
      else resource.tags.push({ ...tag });
    }
  }
  return { return: true };
};

export const deleteTags: Ec2Handler = (ctx, params) => {
  const ids = params.list('ResourceId');
  if (ids.length === 0) throw missingParameter('ResourceId');
  const resources = ids.map((id) => resolve(ctx.region, id));
  // Each Tag.N names a key, optionally with the value it must have; no Tag.N removes every tag.
  const selectors = params.structs('Tag').map((tag) => ({ key: tag.str('Key'), value: tag.str('Value') }));
  for (const resource of resources) {
    resource.tags = resource.tags.filter((tag) => {
      if (selectors.length === 0) return tag.key.startsWith('aws:');
      return !selectors.some((s) => s.key === tag.key && (s.value === undefined || s.value === tag.value));
    });
  }
  return { return: true };
};

interface TagDescription {
  seq: number;
  resourceId: string;
  resourceType: string;
  key: string;
  value: string;
}

const TAG_FILTERS: FilterSpec<TagDescription> = {
  names: ['key', 'resource-id', 'resource-type', 'value'],
  extract: {
    key: (t) => t.key,
    'resource-id': (t) => t.resourceId,
    'resource-type': (t) => t.resourceType,
    value: (t) => t.value,
  },
  // DescribeTags documents tag:<key> too: it matches the described tag itself.
  tags: (t) => [{ key: t.key, value: t.value }],
};

function allTagDescriptions(region: RegionState): TagDescription[] {
  const out: TagDescription[] = [];
  for (const entry of TAGGABLE) {
    for (const [id, resource] of Object.entries(entry.kind.table(region) as Record<string, Tagged>)) {
      resource.tags.forEach((tag, index) => {
        // Cursor order: resource creation order, then tag order (at most 50 tags per resource).
        out.push({ seq: resource.seq * 64 + index, resourceId: id, resourceType: entry.type, ...tag });
      });
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export const describeTags: Ec2Handler = (ctx, params) => {
  const filters = readFilters(params);
  // DescribeTags documents tag:<key> but not tag-key (it has `key` for that).
  const tagKey = filters.find((f) => f.name === 'tag-key');
  if (tagKey) throw new ApiError('InvalidParameterValue', `The filter 'tag-key' is invalid`);
  const matching = applyFilters(TAG_FILTERS, filters, allTagDescriptions(ctx.region));
  const page = paginate(
    matching,
    { maxResults: params.int('MaxResults'), nextToken: params.str('NextToken') },
    { min: 5, max: 1000 },
  );
  return {
    tagSet: page.items.map((t) => ({
      resourceId: t.resourceId,
      resourceType: t.resourceType,
      key: t.key,
      value: t.value,
    })),
    nextToken: page.nextToken,
  };
};
