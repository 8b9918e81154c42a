// The pure part of `sidecar add`: what counts as the same sidecar, and the task size it needs.
import { sidecarContainerDefinition } from '@fargate-mirror/forwarder';
import { describe, expect, it } from 'vitest';
import { smallestFargateSize } from '../../src/sidecar/fargate-size.ts';
import { currentRegistration, sameSidecar, withSidecar } from '../../src/sidecar/registration.ts';

const wanted = sidecarContainerDefinition({ to: 'nlb.example:4789', image: 'repo/forwarder:1' });

describe('sameSidecar', () => {
  it('ignores the empty lists and defaults ECS adds and the order of keys', () => {
    // Prepare: the definition as DescribeTaskDefinition returns it from real ECS.
    const described = {
      portMappings: [],
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
      ...Object.fromEntries(Object.entries(wanted).reverse()),
    };
    // Act, Assess
    expect(sameSidecar(described, wanted)).toBe(true);
  });

  it('sees another destination, image or limit as a different sidecar', () => {
    expect(sameSidecar({ ...wanted, command: ['--to', 'other:4789'] }, wanted)).toBe(false);
    expect(sameSidecar({ ...wanted, image: 'repo/forwarder:2' }, wanted)).toBe(false);
    expect(sameSidecar({ ...wanted, memory: 512 }, wanted)).toBe(false);
    expect(sameSidecar({ ...wanted, logConfiguration: { logDriver: 'awslogs' } }, wanted)).toBe(false);
  });
});

describe('withSidecar', () => {
  const current = currentRegistration({
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop/web',
    taskDefinition: {
      family: 'web',
      revision: 3,
      status: 'ACTIVE',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'nginx', cpu: 200, memory: 400 }],
    },
    tags: [],
  });

  it('keeps the fields RegisterTaskDefinition takes and drops those ECS sets itself', () => {
    expect(Object.keys(current).sort()).toEqual(
      ['containerDefinitions', 'cpu', 'family', 'memory', 'networkMode', 'requiresCompatibilities'].sort(),
    );
  });

  it('raises the task to the smallest Fargate size that fits and says so', () => {
    const { input, resized } = withSidecar(current, wanted);
    expect(input.cpu).toBe('512');
    expect(input.memory).toBe('1024');
    // The app's 200 CPU units and 400 MiB plus the sidecar's defaults.
    const sidecarCpu = wanted.cpu ?? 0;
    const sidecarMemory = wanted.memory ?? wanted.memoryReservation ?? 0;
    expect(resized).toBe(
      `task cpu 256 -> 512 (containers need ${200 + sidecarCpu}), task memory 512 -> 1024 MiB (containers need ${400 + sidecarMemory})`,
    );
    expect(input.containerDefinitions?.map((c) => c.name)).toEqual(['app', 'fargate-mirror-forwarder']);
  });

  it('leaves a task that has room as it is', () => {
    const roomy = { ...current, cpu: '1024', memory: '2048' };
    expect(withSidecar(roomy, wanted)).toEqual({
      input: { ...roomy, containerDefinitions: [...(roomy.containerDefinitions ?? []), wanted] },
    });
  });
});

describe('smallestFargateSize', () => {
  it('picks the first CPU size whose memory range reaches the need', () => {
    expect(smallestFargateSize(128, 256)).toEqual({ cpu: 256, memory: 512 });
    expect(smallestFargateSize(256, 3000)).toEqual({ cpu: 512, memory: 3072 });
    expect(smallestFargateSize(16_384, 200_000)).toBeUndefined();
  });
});
