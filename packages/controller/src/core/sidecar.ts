import type { ContainerView, TaskView } from './types.js';

/**
 * The forwarder sidecar's container name, as `sidecarContainerDefinition` in packages/forwarder
 * names it (the controller stands alone, so the name is repeated here; a unit test checks the two
 * agree). A container with another name still counts when its image is the forwarder's.
 */
export const FORWARDER_CONTAINER_NAME = 'fargate-mirror-forwarder';
const FORWARDER_IMAGE_NAME = 'fargate-mirror-forwarder';

/** `registry/path/NAME:tag` or `...@sha256:...` -> NAME. */
function imageName(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon >= 0 ? last.slice(0, colon) : last;
}

export function isForwarderContainer(c: ContainerView): boolean {
  return (
    c.name === FORWARDER_CONTAINER_NAME ||
    (c.image !== undefined && imageName(c.image) === FORWARDER_IMAGE_NAME)
  );
}

export type SidecarCoverage =
  | { readonly kind: 'none' }
  | { readonly kind: 'running'; readonly container: ContainerView }
  | { readonly kind: 'stopped'; readonly container: ContainerView; readonly reason: string };

/**
 * Whether a forwarder sidecar mirrors this task: one whose container is RUNNING covers it; one that
 * is not (exited, or not started yet) does not, with the exit code and ECS's reason.
 */
export function sidecarCoverageOf(task: TaskView): SidecarCoverage {
  const forwarders = (task.containers ?? []).filter(isForwarderContainer);
  if (forwarders.length === 0) return { kind: 'none' };
  const running = forwarders.find((c) => c.lastStatus === 'RUNNING');
  if (running) return { kind: 'running', container: running };
  const c = forwarders[0] as ContainerView;
  const exit = c.exitCode === undefined ? '' : `, exit code ${c.exitCode}`;
  const why = c.reason === undefined ? '' : `, reason: ${c.reason}`;
  return {
    kind: 'stopped',
    container: c,
    reason: `forwarder sidecar container ${c.name} is ${c.lastStatus}${exit}${why}`,
  };
}
