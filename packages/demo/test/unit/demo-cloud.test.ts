// Setting up the demo account against a real in-process aws-local: an AWS refusal comes out as the
// demo's own DEMO_SETUP_FAILED, with AWS's error kept as the cause.
import { type AwsLocal, startAwsLocal } from '@fargate-mirror/aws-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoClients, type DemoClients } from '../../src/aws/clients.ts';
import { createMirrorResources, createServices } from '../../src/aws/demo-cloud.ts';
import { isDemoError } from '../../src/index.ts';

describe('demo account setup', () => {
  let aws: AwsLocal;
  let clients: DemoClients;
  beforeAll(async () => {
    aws = await startAwsLocal({ port: 0 });
    clients = createDemoClients(aws.url);
  });
  afterAll(async () => {
    clients.destroy();
    await aws.close();
  });

  it('turns an AWS refusal into DEMO_SETUP_FAILED naming the step', async () => {
    const cloud = await createMirrorResources(clients);
    // No cluster yet: ECS answers ClusterNotFoundException.
    const error = await createServices(clients, cloud, 'native').catch((e: unknown) => e);
    expect(isDemoError(error) && error.code).toBe('DEMO_SETUP_FAILED');
    expect((error as Error).message).toContain('create the demo services');
    expect(((error as Error).cause as Error).name).toBe('ClusterNotFoundException');
  });
});
