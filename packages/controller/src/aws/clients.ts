import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Ec2Pacing, paceEc2Client, sharedEc2Pacing } from './pacing.js';

export interface AwsClientOptions {
  /** Overrides the SDK's endpoint resolution (`--endpoint-url`); else AWS_ENDPOINT_URL or AWS. */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** @default 8: throttling on a burst needs more than the SDK's default of 3 attempts. */
  readonly maxAttempts?: number | undefined;
  /**
   * The SDK's retry mode. `standard` when the caller paces itself (the batch worker: its buckets
   * already send at EC2's rate, and adaptive's own limiter, cut after one throttle and recovering
   * slowly, would only slow a storm's creates). @default 'adaptive'
   */
  readonly retryMode?: 'standard' | 'adaptive' | undefined;
  /** Client-side EC2 token buckets; false sends unpaced. @default the process's shared buckets */
  readonly ec2Pacing?: Ec2Pacing | false | undefined;
}

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly ecs: ECSClient;
  readonly sqs: SQSClient;
  destroy(): void;
}

/**
 * SDK v3 clients with `adaptive` retries, and EC2 calls paced by client-side token buckets at EC2's
 * published rates (pacing.ts), shared by the process: a burst of creates waits for its tokens
 * instead of retrying into throttles.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const common = {
    retryMode: options.retryMode ?? 'adaptive',
    maxAttempts: options.maxAttempts ?? 8,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
  } as const;
  const ec2 = new EC2Client(common);
  const pacing = options.ec2Pacing ?? sharedEc2Pacing();
  if (pacing !== false) paceEc2Client(ec2, pacing);
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
