// Pure string helpers for ECS ARNs. This file imports nothing, so every ECS module (the lifecycle
// included) can use it without joining an import circle.

/** Where an ARN is minted: the region and account of the request. */
export interface ArnScope {
  readonly regionName: string;
  readonly accountId: string;
}

export function ecsArn(scope: ArnScope, resource: string): string {
  return `arn:aws:ecs:${scope.regionName}:${scope.accountId}:${resource}`;
}

export function clusterName(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? (nameOrArn.split(':cluster/')[1] ?? nameOrArn) : nameOrArn;
}

/** The last path segment of an ARN (a task id, a service name...), or the input when not an ARN. */
export function arnId(value: string): string {
  return value.startsWith('arn:') ? (value.split('/').pop() ?? value) : value;
}

/** Region of an ECS ARN (`arn:aws:ecs:REGION:...`). */
export function arnRegion(arn: string): string {
  return arn.split(':')[3] ?? '';
}
