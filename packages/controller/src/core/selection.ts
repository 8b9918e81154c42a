import type { LaunchType, TaskView } from './types.js';

/** Task tag condition: every key must be present; a value list matches any listed value, `*` any value. */
export type TagCondition = Readonly<Record<string, string | readonly string[]>>;

export interface SelectionRules {
  readonly clusters?: readonly string[];
  readonly services?: readonly string[];
  readonly families?: readonly string[];
  readonly launchTypes?: readonly LaunchType[];
  readonly taskTags?: TagCondition;
}

/** Include rules (omitted = everything) and exclude rules (checked after; any match excludes). */
export interface Selection extends SelectionRules {
  readonly exclude?: Omit<SelectionRules, 'taskTags'> & { readonly taskTags?: TagCondition };
}

export type SelectionDecision =
  | { readonly selected: true; readonly reason: string }
  | { readonly selected: false; readonly reason: string };

function clusterMatches(task: TaskView, names: readonly string[]): boolean {
  return names.some((n) => n === task.clusterName || n === task.clusterArn);
}

function tagsMatch(task: TaskView, condition: TagCondition): string | undefined {
  for (const [key, wanted] of Object.entries(condition)) {
    const value = task.tags[key];
    if (value === undefined) return `tag ${key} is missing`;
    const allowed = typeof wanted === 'string' ? [wanted] : wanted;
    if (!allowed.includes('*') && !allowed.includes(value))
      return `tag ${key}=${value} is not one of [${allowed.join(', ')}]`;
  }
  return undefined;
}

function tagsAnyMatch(task: TaskView, condition: TagCondition): string | undefined {
  for (const [key, wanted] of Object.entries(condition)) {
    const value = task.tags[key];
    if (value === undefined) continue;
    const allowed = typeof wanted === 'string' ? [wanted] : wanted;
    if (allowed.includes('*') || allowed.includes(value)) return `${key}=${value}`;
  }
  return undefined;
}

/**
 * Whether a task is selected, with a reason a person can read (`plan` prints it).
 * Services match the `service:NAME` group; a `services` include list therefore leaves standalone
 * tasks out unless their family is included by `families`.
 */
export function selectTask(task: TaskView, selection: Selection): SelectionDecision {
  const inc = selection;
  if (inc.clusters && !clusterMatches(task, inc.clusters)) {
    return { selected: false, reason: `cluster ${task.clusterName} is not in select.clusters` };
  }
  if (inc.launchTypes && (task.launchType === undefined || !inc.launchTypes.includes(task.launchType))) {
    return {
      selected: false,
      reason: `launch type ${task.launchType ?? 'unknown'} is not in select.launchTypes`,
    };
  }
  if (inc.services || inc.families) {
    const byService = task.serviceName !== undefined && (inc.services?.includes(task.serviceName) ?? false);
    const byFamily = inc.families?.includes(task.family) ?? false;
    if (!byService && !byFamily) {
      const what =
        task.serviceName !== undefined
          ? `service ${task.serviceName}`
          : `standalone task (family ${task.family})`;
      const lists = [
        inc.services ? 'select.services' : undefined,
        inc.families ? 'select.families' : undefined,
      ]
        .filter((x) => x !== undefined)
        .join(' / ');
      return { selected: false, reason: `${what} is not in ${lists}` };
    }
  }
  if (inc.taskTags) {
    const miss = tagsMatch(task, inc.taskTags);
    if (miss) return { selected: false, reason: `select.taskTags: ${miss}` };
  }
  const ex = selection.exclude;
  if (ex) {
    if (ex.clusters && clusterMatches(task, ex.clusters)) {
      return { selected: false, reason: `cluster ${task.clusterName} is in select.exclude.clusters` };
    }
    if (ex.launchTypes && task.launchType !== undefined && ex.launchTypes.includes(task.launchType)) {
      return { selected: false, reason: `launch type ${task.launchType} is in select.exclude.launchTypes` };
    }
    if (ex.services && task.serviceName !== undefined && ex.services.includes(task.serviceName)) {
      return { selected: false, reason: `service ${task.serviceName} is in select.exclude.services` };
    }
    if (ex.families?.includes(task.family)) {
      return { selected: false, reason: `family ${task.family} is in select.exclude.families` };
    }
    if (ex.taskTags) {
      const hit = tagsAnyMatch(task, ex.taskTags);
      if (hit) return { selected: false, reason: `tag ${hit} is in select.exclude.taskTags` };
    }
  }
  return { selected: true, reason: 'matches the selection' };
}

/**
 * Whether the selection can be decided from an event's fields alone (no task tags involved), so
 * the handler can drop events of unselected tasks without calling AWS.
 */
export function selectionNeedsTags(selection: Selection): boolean {
  return selection.taskTags !== undefined || selection.exclude?.taskTags !== undefined;
}
