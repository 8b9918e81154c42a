import { sidecarContainerDefinition } from '@fargate-mirror/forwarder';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { describe, expect, it } from 'vitest';
import { MirrorSidecar, PropsValidationError } from '../../src/index.js';
import { buildAllOptions, newStack } from '../support/stacks.js';

describe('MirrorSidecar', () => {
  const all = buildAllOptions();

  it('adds a non-essential, small forwarder container that sends to the NLB on 4789, with no added capabilities', () => {
    const task = Object.values(all.template.findResources('AWS::ECS::TaskDefinition'))[0] as {
      Properties: { ContainerDefinitions: Record<string, unknown>[] };
    };
    const sidecar = task.Properties.ContainerDefinitions.find((c) => c['Name'] === 'mirror')!;
    expect(sidecar).toMatchObject({
      Essential: false,
      Cpu: 64,
      Memory: 128,
      MemoryReservation: 32,
      Image: 'public.ecr.aws/example/fargate-mirror-forwarder:1',
    });
    expect(sidecar['LinuxParameters']).toBeUndefined();
    // The forwarder's own container definition: the image's entrypoint, its user, the destination
    // and the extra arguments as the command (never a second "forward"), no environment.
    const definition = sidecarContainerDefinition({ to: 'x:1', image: 'x', args: ['--interface', 'eth1'] });
    expect(sidecar).toMatchObject({
      EntryPoint: definition.entryPoint,
      User: '10001:10001',
      HealthCheck: {
        Command: definition.healthCheck.command,
        Interval: 30,
        Timeout: 5,
        Retries: 3,
        StartPeriod: 15,
      },
    });
    const command = sidecar['Command'] as unknown[];
    expect(command[0]).toBe('--to');
    expect(JSON.stringify(command[1])).toMatch(/TargetLoadBalancer[0-9A-F]{8}","DNSName"\]\},":4789"/);
    expect(command.slice(2)).toEqual(['--interface', 'eth1']);
    expect(sidecar['Environment']).toBeUndefined();
    // the application container stays essential.
    expect(task.Properties.ContainerDefinitions.find((c) => c['Name'] === 'app')!['Essential']).toBe(true);
  });

  it('logs to its own log group with retention', () => {
    all.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({ Name: 'mirror', LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }) }),
      ]),
    });
    all.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('fails on a destination that is not HOST:PORT and on reservation above limit, together', () => {
    const stack = newStack();
    const task = new ecs.FargateTaskDefinition(stack, 'Task');
    let error: unknown;
    try {
      MirrorSidecar.addTo(task, {
        destination: 'no-port',
        image: ecs.ContainerImage.fromRegistry('x'),
        memoryLimitMiB: 64,
        memoryReservationMiB: 128,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PropsValidationError);
    expect((error as PropsValidationError).issues).toEqual([
      expect.stringMatching(/^destination: must be HOST:PORT.*"no-port"/),
      expect.stringMatching(/^memoryReservationMiB: must not exceed memoryLimitMiB \(64\), but 128/),
    ]);
    expect(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition')).not.toEqual({});
  });
});
