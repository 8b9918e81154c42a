import type { Tag, Task } from '../state/types.js';
import { arnId, ecsArn } from './arns.js';
import type { EcsHandler } from './context.js';
import {
  ecsPage,
  includes,
  invalidParameter,
  optBool,
  optInt,
  optString,
  optStringList,
  readTags,
  reqString,
} from './input.js';
import { findTask, resolveCluster } from './resolve.js';
import { reconcileServiceOf } from './services.js';
import { activeTaskDefinition } from './task-definitions.js';
import { launchTasks, readLaunch } from './task-launch.js';
import { taskWire } from './wire.js';

export const runTask: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const def = activeTaskDefinition(ctx, reqString(input, 'taskDefinition'));
  const count = optInt(input, 'count') ?? 1;
  if (count < 1 || count > 10) throw invalidParameter('count must be between 1 and 10.');
  const { launchType, awsvpc } = readLaunch(ctx, input, def);
  const propagate = optString(input, 'propagateTags');
  const tags: Tag[] = [...(propagate === 'TASK_DEFINITION' ? def.tags : []), ...readTags(input)];
  const tasks = launchTasks(ctx, {
    cluster,
    def,
    count,
    launchType,
    awsvpc,
    group: optString(input, 'group') ?? `family:${def.family}`,
    startedBy: optString(input, 'startedBy'),
    tags,
    enableEcsManagedTags: optBool(input, 'enableECSManagedTags') ?? false,
  });
  return { tasks: tasks.map((t) => taskWire(t, 'api', true)), failures: [] };
};

export const stopTask: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const reference = reqString(input, 'task');
  const task = findTask(ctx.region, cluster, reference);
  if (!task) throw invalidParameter('The referenced task was not found.');
  ctx.lifecycle.stop(task, 'UserInitiated', optString(input, 'reason') ?? 'Task stopped by user');
  // A service replaces a task someone stopped, as ECS's scheduler does.
  reconcileServiceOf(ctx, task);
  return { task: taskWire(task, 'api', false) };
};

export const describeTasks: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const references = optStringList(input, 'tasks') ?? [];
  if (references.length === 0) throw invalidParameter('Tasks cannot be empty.');
  if (references.length > 100) throw invalidParameter('Tasks can have at most 100 items.');
  const withTags = includes(input, 'TAGS');
  const tasks: unknown[] = [];
  const failures: unknown[] = [];
  for (const reference of references) {
    const task = findTask(ctx.region, cluster, reference);
    if (task) tasks.push(taskWire(task, 'api', withTags));
    else
      failures.push({
        arn: reference.startsWith('arn:')
          ? reference
          : ecsArn(ctx, `task/${cluster.clusterName}/${arnId(reference)}`),
        reason: 'MISSING',
      });
  }
  return { tasks, failures };
};

export const listTasks: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const desiredStatus = optString(input, 'desiredStatus') ?? 'RUNNING';
  if (!['RUNNING', 'PENDING', 'STOPPED'].includes(desiredStatus)) {
    throw invalidParameter(
      `Invalid desiredStatus '${desiredStatus}'. Valid values: RUNNING, PENDING, STOPPED`,
    );
  }
  const family = optString(input, 'family');
  const serviceName = optString(input, 'serviceName');
  const startedBy = optString(input, 'startedBy');
  const launchType = optString(input, 'launchType');
  const containerInstance = optString(input, 'containerInstance');
  if (serviceName && family) throw invalidParameter('Family and serviceName cannot both be specified.');
  const matches = (task: Task): boolean => {
    if (task.clusterArn !== cluster.clusterArn) return false;
    // PENDING lists tasks that want to run but do not yet.
    if (desiredStatus === 'PENDING') {
      if (task.desiredStatus !== 'RUNNING' || task.lastStatus === 'RUNNING') return false;
    } else if (task.desiredStatus !== desiredStatus) return false;
    if (family && ctx.region.taskDefinitions[task.taskDefinitionArn]?.family !== family) return false;
    if (serviceName && task.serviceName !== arnId(serviceName)) return false;
    if (startedBy && task.startedBy !== startedBy) return false;
    if (launchType && task.launchType !== launchType) return false;
    if (containerInstance && arnId(task.containerInstanceArn ?? '') !== arnId(containerInstance))
      return false;
    return true;
  };
  const tasks = Object.values(ctx.region.tasks)
    .filter(matches)
    .sort((a, b) => a.seq - b.seq);
  const page = ecsPage(tasks, input, { max: 100, default: 100 });
  return { taskArns: page.items.map((t) => t.taskArn), nextToken: page.nextToken };
};
