// The sidecar's container definition: the fields ECS needs, matching the image's constants, and
// every invalid input named at once.
import { describe, expect, it } from 'vitest';
import {
  ForwarderError,
  IMAGE_NODE_FLAGS,
  parseForwardArgs,
  SIDECAR_BUNDLE,
  SIDECAR_ENTRYPOINT,
  sidecarContainerDefinition,
} from '../../src/index.ts';

/** What a CDK string token looks like before synth. */
const TOKEN = ['$', '{Token[TOKEN.1]}'].join('');

describe('sidecarContainerDefinition', () => {
  it('is a non-essential container running the image entrypoint as 10001, the destination its command', () => {
    const d = sidecarContainerDefinition({
      to: 'nlb.example.internal:4789',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fargate-mirror-forwarder:0.1.0',
      args: ['--packet-length', '256'],
      environment: { FARGATE_MIRROR_LOG_LEVEL: 'info' },
      awslogs: { group: '/ecs/shop/fargate-mirror', region: 'eu-west-1' },
    });
    expect(d).toEqual({
      name: 'fargate-mirror-forwarder',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fargate-mirror-forwarder:0.1.0',
      essential: false,
      // node's memory bounded by V8 flags (bench/forwarder measured it)
      entryPoint: [
        '/usr/bin/tini',
        '--',
        '/usr/local/bin/node',
        '--max-old-space-size=32',
        '--max-semi-space-size=1',
        '--single-threaded',
        '--jitless',
        '/opt/fargate-mirror/forward.mjs',
      ],
      command: ['--to', 'nlb.example.internal:4789', '--packet-length', '256'],
      environment: [{ name: 'FARGATE_MIRROR_LOG_LEVEL', value: 'info' }],
      user: '10001:10001',
      // the defaults bench/forwarder's figures give (README "Cost")
      cpu: 128,
      memory: 128,
      memoryReservation: 64,
      healthCheck: {
        command: ['CMD', '/usr/local/bin/node', ...IMAGE_NODE_FLAGS, SIDECAR_BUNDLE, '--health-check'],
        interval: 30,
        timeout: 5,
        retries: 3,
        startPeriod: 15,
      },
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': '/ecs/shop/fargate-mirror',
          'awslogs-region': 'eu-west-1',
          'awslogs-stream-prefix': 'fargate-mirror',
        },
      },
    });
    expect(d.entryPoint).toEqual(SIDECAR_ENTRYPOINT);
    // No capability is added, nothing privileged: Fargate allows adding only SYS_PTRACE anyway.
    expect(Object.keys(d)).not.toContain('linuxParameters');
    expect(Object.keys(d)).not.toContain('privileged');
  });

  it('its command and environment are what the forwarder program accepts', () => {
    const d = sidecarContainerDefinition({ to: 'h:4789', image: 'i', args: ['--vni', '5'] });
    const env = Object.fromEntries(d.environment.map((e) => [e.name, e.value]));
    expect(parseForwardArgs(d.command, env)).toMatchObject({
      kind: 'run',
      options: { to: 'h:4789', vni: 5 },
    });
    // And its health check command, after the program path.
    expect(parseForwardArgs(d.healthCheck.command.slice(3 + IMAGE_NODE_FLAGS.length))).toEqual({
      kind: 'health-check',
    });
  });

  it('names every invalid field at once', () => {
    let error: unknown;
    try {
      sidecarContainerDefinition({
        to: 'no-port',
        image: ' ',
        cpu: -1,
        memory: 64,
        memoryReservation: 128,
        environment: { FARGATE_MIRROR_TO: 'x:1', OTHER: 'y' },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ForwarderError);
    expect((error as ForwarderError).code).toBe('FORWARDER_BAD_OPTION');
    const message = (error as Error).message;
    for (const part of [
      /to: must be HOST:PORT.*"no-port"/,
      /image: must be/,
      /cpu: must be 0-10240/,
      /memoryReservation: must not exceed memory \(64\)/,
      /FARGATE_MIRROR_TO is not/,
      /OTHER is not/,
    ]) {
      expect(message).toMatch(part);
    }
    // A CDK token is not checked as HOST:PORT.
    expect(sidecarContainerDefinition({ to: TOKEN, toIsToken: true, image: 'i' }).command).toEqual([
      '--to',
      TOKEN,
    ]);
  });
});
