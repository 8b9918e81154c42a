import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';

export interface DemoClients {
  readonly ec2: EC2Client;
  readonly ecs: ECSClient;
  destroy(): void;
}

/**
 * SDK v3 clients aimed at the in-process aws-local. The emulator accepts any signature but refuses
 * unsigned calls, so fixed demo credentials are given: the user's own AWS configuration is never
 * read, and nothing can reach real AWS.
 */
export function createDemoClients(endpoint: string): DemoClients {
  const common = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
    retryMode: 'adaptive',
    maxAttempts: 8,
  } as const;
  const ec2 = new EC2Client(common);
  const ecs = new ECSClient(common);
  return {
    ec2,
    ecs,
    destroy() {
      ec2.destroy();
      ecs.destroy();
    },
  };
}
