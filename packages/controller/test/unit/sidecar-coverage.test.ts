import { describe, expect, it } from 'vitest';
import { SIDECAR_CONTAINER_NAME } from '../../../forwarder/src/sidecar/container-definition.js';
import { taskViewOf } from '../../src/aws/task-view.js';
import { FORWARDER_CONTAINER_NAME, isForwarderContainer, sidecarCoverageOf } from '../../src/core/sidecar.js';

const base = {
  taskArn: 'arn:aws:ecs:us-east-1:1:task/shop/abc',
  clusterArn: 'arn:aws:ecs:us-east-1:1:cluster/shop',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:1:task-definition/web:3',
  group: 'service:web',
  launchType: 'FARGATE',
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
};
const app = { name: 'app', image: 'nginx:1.27', lastStatus: 'RUNNING' };

function viewWith(containers: NonNullable<Parameters<typeof taskViewOf>[0]['containers']>) {
  const view = taskViewOf({ ...base, containers });
  if (!view) throw new Error('task view expected');
  return view;
}

describe('sidecarCoverageOf', () => {
  it('uses the same container name as the forwarder sidecar definition', () => {
    expect(FORWARDER_CONTAINER_NAME).toBe(SIDECAR_CONTAINER_NAME);
  });

  it('a RUNNING forwarder container (by name) covers the task', () => {
    const out = sidecarCoverageOf(
      viewWith([app, { name: 'fargate-mirror-forwarder', image: 'x/y:1', lastStatus: 'RUNNING' }]),
    );
    expect(out.kind).toBe('running');
  });

  it('recognises the forwarder by image when the container has another name', () => {
    expect(
      isForwarderContainer({
        name: 'mirror',
        image: '123.dkr.ecr.us-east-1.amazonaws.com/fargate-mirror-forwarder:0.4@sha256:ab',
        lastStatus: 'RUNNING',
        exitCode: undefined,
        reason: undefined,
      }),
    ).toBe(true);
    expect(
      isForwarderContainer({
        name: 'app',
        image: 'nginx',
        lastStatus: 'RUNNING',
        exitCode: undefined,
        reason: undefined,
      }),
    ).toBe(false);
  });

  it('a stopped forwarder does not cover the task and says the exit code and reason', () => {
    const out = sidecarCoverageOf(
      viewWith([
        app,
        {
          name: 'fargate-mirror-forwarder',
          image: 'fargate-mirror-forwarder:1',
          lastStatus: 'STOPPED',
          exitCode: 137,
          reason: 'OutOfMemoryError: Container killed due to memory usage',
        },
      ]),
    );
    expect(out).toMatchObject({
      kind: 'stopped',
      reason:
        'forwarder sidecar container fargate-mirror-forwarder is STOPPED, exit code 137, reason: OutOfMemoryError: Container killed due to memory usage',
    });
  });

  it('a task without a forwarder container (or without containers[]) has none', () => {
    expect(sidecarCoverageOf(viewWith([app])).kind).toBe('none');
    const bare = taskViewOf(base);
    expect(bare && sidecarCoverageOf(bare).kind).toBe('none');
  });
});
