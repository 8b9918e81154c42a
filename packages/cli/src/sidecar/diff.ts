import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';

/** One change between two registrations: a task-level field, or a container added, removed or changed. */
export interface Change {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** What changes from `before` to `after`, field by field, containers by name. */
export function registrationDiff(
  before: RegisterTaskDefinitionCommandInput,
  after: RegisterTaskDefinitionCommandInput,
): Change[] {
  const changes: Change[] = [];
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (key === 'containerDefinitions') continue;
    if (JSON.stringify(b[key]) !== JSON.stringify(a[key]))
      changes.push({ path: key, before: b[key], after: a[key] });
  }
  const beforeContainers = new Map((before.containerDefinitions ?? []).map((c) => [c.name ?? '', c]));
  const afterContainers = new Map((after.containerDefinitions ?? []).map((c) => [c.name ?? '', c]));
  for (const [name, container] of beforeContainers) {
    const next = afterContainers.get(name);
    if (next === undefined) changes.push({ path: `containerDefinitions[${name}]`, before: container });
    else {
      const was = container as Record<string, unknown>;
      const is = next as Record<string, unknown>;
      for (const key of new Set([...Object.keys(was), ...Object.keys(is)])) {
        if (JSON.stringify(was[key]) !== JSON.stringify(is[key])) {
          changes.push({ path: `containerDefinitions[${name}].${key}`, before: was[key], after: is[key] });
        }
      }
    }
  }
  for (const [name, container] of afterContainers) {
    if (!beforeContainers.has(name))
      changes.push({ path: `containerDefinitions[${name}]`, after: container });
  }
  return changes;
}

/** The diff as text: `- ` the value before, `+ ` the value after, one field per line. */
export function formatDiff(changes: readonly Change[]): string {
  return changes
    .flatMap((c) => [
      ...(c.before !== undefined ? [`- ${c.path}: ${JSON.stringify(c.before)}`] : []),
      ...(c.after !== undefined ? [`+ ${c.path}: ${JSON.stringify(c.after)}`] : []),
    ])
    .map((line) => `${line}\n`)
    .join('');
}
