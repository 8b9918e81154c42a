import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { type AwsLocal, type AwsLocalOptions, startAwsLocal } from '../../src/index.js';

export const REGION = 'us-east-1';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

export interface Harness {
  aws: AwsLocal;
  ec2: EC2Client;
  ecs: ECSClient;
  close(): Promise<void>;
}

/** An emulator on a free port with SDK v3 clients pointed at it (no SDK retries: tests see every answer). */
export async function harness(options: AwsLocalOptions = {}): Promise<Harness> {
  const aws = await startAwsLocal({ port: 0, ...options });
  const config = { endpoint: aws.url, region: REGION, credentials, maxAttempts: 1 };
  const ec2 = new EC2Client(config);
  const ecs = new ECSClient(config);
  return {
    aws,
    ec2,
    ecs,
    async close() {
      ec2.destroy();
      ecs.destroy();
      await aws.close();
    },
  };
}

/** The error code and HTTP status an SDK call failed with (fails the test if it succeeded). */
export async function failure(
  call: Promise<unknown>,
): Promise<{ code: string; status?: number; message: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { code: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
