import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { ReceiverConfig } from '../../config/receiver-config.js';
import type { SpooledFile } from './s3-spool.js';

export type S3Config = NonNullable<ReceiverConfig['s3']>;
type SecurityLake = NonNullable<S3Config['securityLake']>;
type Destination = NonNullable<SecurityLake['destinations'][keyof SecurityLake['destinations']]>;

/** One place a completed file goes: our bucket, or a Security Lake custom source's location. */
export interface DeliveryTarget {
  /** `s3://bucket/key`, for logs and errors. */
  readonly uri: string;
  readonly bucket: string;
  readonly key: string;
  readonly client: S3Client;
}

/** The client settings every target shares: path-style for an endpoint of its own, one attempt. */
export function clientSettings(config: S3Config, region: string | undefined): S3ClientConfig {
  return {
    region,
    endpoint: config.endpoint,
    // An endpoint of its own (aws-local, MinIO) takes path-style requests: BUCKET is no host name.
    forcePathStyle: config.endpoint !== undefined,
    // The delivery retries on its own schedule, file by file; one SDK attempt each.
    maxAttempts: 1,
    requestHandler: { requestTimeout: config.requestTimeoutMs, connectionTimeout: 5000 },
  };
}

/**
 * Where each file goes. Every file to our bucket; an OCSF file of a class with a Security Lake
 * destination also to that source's location, keyed as Security Lake expects
 * (`ext/SOURCE/region=…/accountId=…/eventDay=…/FILE`: the class folder dropped, since the source
 * is the class), signed by a session of the provider role (STS AssumeRole with its external id;
 * the SDK asks for a new session before the current one expires).
 */
export class DeliveryTargets {
  private readonly lakeClients = new Map<string, S3Client>();

  private constructor(
    private readonly config: S3Config,
    private readonly main: S3Client,
    private readonly securityLake: SecurityLake | undefined,
    makeLakeClient: (destination: Destination) => S3Client,
  ) {
    for (const [className, destination] of Object.entries(securityLake?.destinations ?? {}))
      if (destination !== undefined) this.lakeClients.set(className, makeLakeClient(destination));
  }

  /** Loads the SDK (and the STS credential provider only when Security Lake is configured). */
  static async open(config: S3Config): Promise<DeliveryTargets> {
    const { S3Client } = await import('@aws-sdk/client-s3');
    const main = new S3Client(clientSettings(config, config.region));
    const lake = config.securityLake;
    if (lake === undefined || Object.keys(lake.destinations).length === 0)
      return new DeliveryTargets(config, main, lake, () => main);
    const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
    return new DeliveryTargets(config, main, lake, (d) => {
      const region = d.region ?? config.region;
      return new S3Client({
        ...clientSettings(config, region),
        credentials: fromTemporaryCredentials({
          params: {
            RoleArn: d.roleArn,
            ExternalId: d.externalId,
            RoleSessionName: 'fargate-mirror-receiver',
            DurationSeconds: lake.sessionSeconds,
          },
          clientConfig: { region, endpoint: lake.stsEndpoint, maxAttempts: 3 },
        }),
      });
    });
  }

  of(file: SpooledFile): DeliveryTarget[] {
    const targets: DeliveryTarget[] = [
      {
        uri: `s3://${this.config.bucket}/${file.key}`,
        bucket: this.config.bucket,
        key: file.key,
        client: this.main,
      },
    ];
    if (file.source.kind !== 'ocsf' || this.securityLake === undefined) return targets;
    const slash = file.relativePath.indexOf('/');
    const className = file.relativePath.slice(0, slash);
    const destination = this.securityLake.destinations[className as keyof SecurityLake['destinations']];
    const client = this.lakeClients.get(className);
    if (slash < 0 || destination === undefined || client === undefined) return targets;
    const key = `${destination.prefix}${file.relativePath.slice(slash + 1)}`;
    targets.push({ uri: `s3://${destination.bucket}/${key}`, bucket: destination.bucket, key, client });
    return targets;
  }

  destroy(): void {
    this.main.destroy();
    for (const client of this.lakeClients.values()) client.destroy();
  }
}
