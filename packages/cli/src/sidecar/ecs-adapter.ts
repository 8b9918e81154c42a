// The only file of the sidecar commands that talks to ECS: the SDK's errors become the CLI's codes
// here, with the fix in the message, and nothing above imports @aws-sdk.
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { withAwsFix } from '../commands/aws-config.js';
import { CliRuntimeError, UsageError } from '../errors.js';

export type { RegisterTaskDefinitionCommandInput, Tag, TaskDefinition };

export interface ServiceTaskDefinition {
  readonly serviceArn: string;
  readonly taskDefinition: TaskDefinition;
  readonly tags: Tag[];
}

export interface SidecarEcs {
  readServiceTaskDefinition(cluster: string, service: string): Promise<ServiceTaskDefinition>;
  register(input: RegisterTaskDefinitionCommandInput): Promise<string>;
  pointServiceAt(cluster: string, service: string, taskDefinitionArn: string): Promise<void>;
}

/** The SDK client from the default configuration (region, endpoint, credentials as the SDK finds them). */
export function sdkSidecarEcs(client = new ECSClient({})): SidecarEcs {
  return {
    async readServiceTaskDefinition(cluster, service) {
      const described = await call('DescribeServices', () =>
        client.send(new DescribeServicesCommand({ cluster, services: [service] })),
      );
      const found = described.services?.find((s) => s.status === 'ACTIVE');
      if (!found?.serviceArn || !found.taskDefinition) {
        const reason = described.failures?.[0]?.reason ?? described.services?.[0]?.status ?? 'MISSING';
        throw new UsageError(
          'ECS_SERVICE_UNKNOWN',
          `service '${service}' in cluster '${cluster}' was not found (${reason}): check --cluster and --service (aws ecs list-services --cluster ${cluster})`,
        );
      }
      const def = await call('DescribeTaskDefinition', () =>
        client.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: found.taskDefinition, include: ['TAGS'] }),
        ),
      );
      if (!def.taskDefinition)
        throw new CliRuntimeError('AWS_CALL_FAILED', 'DescribeTaskDefinition returned no task definition');
      return { serviceArn: found.serviceArn, taskDefinition: def.taskDefinition, tags: def.tags ?? [] };
    },
    async register(input) {
      const out = await call('RegisterTaskDefinition', () =>
        client.send(new RegisterTaskDefinitionCommand(input)),
      );
      const arn = out.taskDefinition?.taskDefinitionArn;
      if (!arn)
        throw new CliRuntimeError(
          'AWS_CALL_FAILED',
          'RegisterTaskDefinition returned no task definition ARN',
        );
      return arn;
    },
    async pointServiceAt(cluster, service, taskDefinitionArn) {
      await call('UpdateService', () =>
        client.send(new UpdateServiceCommand({ cluster, service, taskDefinition: taskDefinitionArn })),
      );
    },
  };
}

async function call<T>(action: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw translate(action, error);
  }
}

function translate(action: string, error: unknown): Error {
  const name = error instanceof Error ? error.name : '';
  const message = withAwsFix(error);
  if (name === 'ClusterNotFoundException') {
    return new UsageError(
      'ECS_SERVICE_UNKNOWN',
      `${action}: ${message}: check --cluster (aws ecs list-clusters)`,
      { cause: error },
    );
  }
  if (name === 'ServiceNotFoundException' || name === 'ServiceNotActiveException') {
    return new UsageError('ECS_SERVICE_UNKNOWN', `${action}: ${message}: check --service`, { cause: error });
  }
  if (
    name === 'CredentialsProviderError' ||
    /Could not load credentials|Region is missing|Invalid URL/i.test(message)
  ) {
    return new UsageError('AWS_CONFIG_INVALID', `${action}: ${message}`, { cause: error });
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnrecognizedClientException') {
    return new CliRuntimeError(
      'AWS_ACCESS_DENIED',
      `${action}: ${message}: the credentials need ecs:DescribeServices, ecs:DescribeTaskDefinition, ecs:RegisterTaskDefinition, ecs:TagResource, ecs:UpdateService and iam:PassRole on the task's roles`,
      { cause: error },
    );
  }
  return new CliRuntimeError('AWS_CALL_FAILED', `${action} failed: ${message}${name ? ` (${name})` : ''}`, {
    cause: error,
  });
}
