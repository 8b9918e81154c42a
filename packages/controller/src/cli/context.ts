import { type AwsClients, createAwsClients } from '../aws/clients.js';
import { Ec2Adapter } from '../aws/ec2-adapter.js';
import { EcsAdapter } from '../aws/ecs-adapter.js';
import { type ControllerConfig, loadConfigFile } from '../config.js';
import { MemoryRefusalCache } from '../core/refusals.js';
import { AwsConfigError, ConfigUnreadableError } from '../errors.js';
import { type LogPort, silentLog } from '../log.js';
import { Reconciler } from '../reconcile/reconciler.js';

/** Flags every controller command takes. */
export interface CommonOptions {
  readonly config?: string;
  readonly endpointUrl?: string;
  readonly region?: string;
}

export interface CliContext {
  readonly config: ControllerConfig;
  readonly clients: AwsClients;
  readonly ec2: Ec2Adapter;
  readonly reconciler: Reconciler;
  close(): void;
}

/** stderr logger for `--verbose`: one JSON line per entry. */
export function stderrLog(err: NodeJS.WritableStream): LogPort {
  const write =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      err.write(`${JSON.stringify(Object.assign({ level, message }, ...extra))}\n`);
    };
  return { debug() {}, info: write('info'), warn: write('warn'), error: write('error') };
}

/**
 * Loads the config and builds the SDK-backed reconciler. The endpoint is `--endpoint-url`, else the
 * SDK's own resolution (AWS_ENDPOINT_URL, then AWS); the region `--region`, the config's `region`,
 * the SDK's (AWS_REGION, profile), or us-east-1 when an endpoint is given (an emulator ignores it).
 */
export async function openContext(options: CommonOptions, log: LogPort = silentLog): Promise<CliContext> {
  if (!options.config)
    throw new ConfigUnreadableError('--config FILE is required (see the controller README)');
  checkEndpoint(options.endpointUrl);
  const config = await loadConfigFile(options.config);
  const endpoint = options.endpointUrl;
  const envRegion = process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
  const usesEndpoint = endpoint !== undefined || process.env['AWS_ENDPOINT_URL'] !== undefined;
  const region = options.region ?? config.region ?? envRegion ?? (usesEndpoint ? 'us-east-1' : undefined);
  const clients = createAwsClients({ endpoint, region });
  try {
    await checkAwsSettings(clients);
  } catch (error) {
    clients.destroy();
    throw error;
  }
  const ec2 = new Ec2Adapter(clients.ec2);
  const reconciler = new Reconciler({
    ec2,
    ecs: new EcsAdapter(clients.ecs),
    config,
    refusals: new MemoryRefusalCache({ ttlMs: config.refusalCacheTtlMs }),
    log,
  });
  return { config, clients, ec2, reconciler, close: () => clients.destroy() };
}

/**
 * An endpoint that is not an http(s) URL fails every call with an SDK message that does not say
 * which setting is wrong: checked before any call, `--endpoint-url` first, then AWS_ENDPOINT_URL.
 */
export function checkEndpoint(flag: string | undefined): void {
  const fromEnv = process.env['AWS_ENDPOINT_URL'];
  const [value, source] = flag !== undefined ? [flag, '--endpoint-url'] : [fromEnv, 'AWS_ENDPOINT_URL'];
  if (value === undefined) return;
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol === 'http:' || protocol === 'https:') return;
  throw new AwsConfigError(
    'AWS_ENDPOINT_INVALID',
    `endpoint '${value}' (${source}) is not a URL: give an http or https URL, e.g. --endpoint-url http://127.0.0.1:4566 for aws-local`,
  );
}

/**
 * The region and credentials the SDK resolved, asked for before the first call: without them the
 * SDK fails that call with `Region is missing` or `Could not load credentials from any providers`,
 * which say neither what to set nor where.
 */
async function checkAwsSettings(clients: AwsClients): Promise<void> {
  try {
    await clients.ec2.config.region();
  } catch (error) {
    throw new AwsConfigError(
      'AWS_REGION_MISSING',
      'no AWS region: pass --region REGION, set AWS_REGION, or put region in the config file',
      { cause: error },
    );
  }
  try {
    await clients.ec2.config.credentials();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new AwsConfigError(
      'AWS_CREDENTIALS_MISSING',
      `no AWS credentials (${detail}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE for a profile of ~/.aws; for aws-local any dummy keys do (AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test)`,
      { cause: error },
    );
  }
}

/** Runs `body` with an opened context, and releases its SDK clients however `body` ends. */
export async function withContext<T>(
  options: CommonOptions,
  log: LogPort | undefined,
  body: (ctx: CliContext) => Promise<T>,
): Promise<T> {
  const ctx = await openContext(options, log);
  try {
    return await body(ctx);
  } finally {
    ctx.close();
  }
}
