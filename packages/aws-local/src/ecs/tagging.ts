import { ApiError } from '../errors.js';
import type { Tag } from '../state/types.js';
import type { EcsContext, EcsHandler } from './context.js';
import { invalidParameter, optStringList, readTags, reqString } from './input.js';

/** The tag list of any ECS resource, found by ARN. */
function taggable(ctx: EcsContext, arn: string): { tags: Tag[] } {
  if (!/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:[a-z-]+\/.+/.test(arn)) throw invalidParameter('Invalid Arn');
  const r = ctx.region;
  const found =
    r.clusters[arn] ??
    r.tasks[arn] ??
    r.taskDefinitions[arn] ??
    r.containerInstances[arn] ??
    Object.values(r.services).find((s) => s.serviceArn === arn && s.status !== 'INACTIVE');
  if (!found) throw new ApiError('ResourceNotFoundException', 'The specified resource could not be found.');
  return found;
}

export const tagResource: EcsHandler = (ctx, input) => {
  const resource = taggable(ctx, reqString(input, 'resourceArn'));
  const tags = readTags(input);
  if (tags.length === 0) throw invalidParameter('Tags cannot be empty.');
  for (const tag of tags) {
    const existing = resource.tags.find((t) => t.key === tag.key);
    if (existing) existing.value = tag.value;
    else resource.tags.push(tag);
  }
  if (resource.tags.length > 50) throw invalidParameter('A resource can have at most 50 tags.');
  return {};
};

export const untagResource: EcsHandler = (ctx, input) => {
  const resource = taggable(ctx, reqString(input, 'resourceArn'));
  const keys = optStringList(input, 'tagKeys') ?? [];
  resource.tags.splice(0, resource.tags.length, ...resource.tags.filter((t) => !keys.includes(t.key)));
  return {};
};

export const listTagsForResource: EcsHandler = (ctx, input) => {
  const resource = taggable(ctx, reqString(input, 'resourceArn'));
  return { tags: resource.tags.map((t) => ({ key: t.key, value: t.value })) };
};
