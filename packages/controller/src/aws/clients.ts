import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsClientOptions {
  /** Overrides the SDK's endpoint resolution (`--endpoint-url`); else AWS_ENDPOINT_URL or AWS. */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** @default 8: throttling on a burst needs more than the SDK's default of 3 attempts. */
  readonly maxAttempts?: number | undefined;
}

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly ecs: ECSClient;
  readonly sqs: SQSClient;
  destroy(): void;
}

/**
 * SDK v3 clients with `adaptive` retries: standard retries plus client-side rate limiting, which
 * paces a burst of creates against EC2's mutating token bucket (~5/s) instead of hammering it.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const common = {
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 8,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
  } as const;
  const ec2 = new EC2Client(common);
  const ecs = new ECSClient(common);
  const sqs = new SQSClient(common);
  return {
    ec2,
    ecs,
    sqs,
    destroy() {
      ec2.destroy();
      ecs.destroy();
      sqs.destroy();
    },
  };
}
