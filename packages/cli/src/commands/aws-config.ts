import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export interface AwsFlags {
  region?: string;
  endpointUrl?: string;
}

/**
 * `--region` and `--endpoint-url` feed the SDK's default configuration through the variables it
 * reads, so the main thread, the receive workers (which inherit the environment) and every SDK
 * client see the same values.
 */
export function applyAwsFlags(flags: AwsFlags): void {
  if (flags.region !== undefined) process.env.AWS_REGION = flags.region;
  if (flags.endpointUrl !== undefined) process.env.AWS_ENDPOINT_URL = flags.endpointUrl;
}

/**
 * Checks, before anything starts, what the SDK would otherwise report later and without the fix:
 * a region it cannot find ("Region is missing") and an endpoint that is not a URL ("Invalid URL").
 */
export function checkAwsConfig(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL_ECS']) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (!isHttpUrl(value)) {
      const flag = name === 'AWS_ENDPOINT_URL' ? '--endpoint-url or ' : '';
      throw new UsageError(
        'AWS_CONFIG_INVALID',
        `the AWS endpoint '${value}' (${flag}${name}) is not a URL: give one like http://127.0.0.1:4566 (aws-local) or https://ec2.eu-west-1.amazonaws.com`,
      );
    }
  }
  if (regionOf(env) === undefined) {
    throw new UsageError(
      'AWS_CONFIG_INVALID',
      'no AWS region: give --region, set AWS_REGION, or put region in the profile of ~/.aws/config',
    );
  }
}

/** The fix for an SDK error that does not say it, appended to its message; the message alone otherwise. */
export function withAwsFix(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return `${message}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an instance or task role (aws-local accepts any keys)`;
  }
  if (/Region is missing/i.test(message)) return `${message}: give --region or set AWS_REGION`;
  if (/Invalid URL/i.test(message)) {
    return `${message}: --endpoint-url / AWS_ENDPOINT_URL must be a URL such as http://127.0.0.1:4566`;
  }
  return message;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The region as the SDK's default chain finds it: the environment, then the shared config file. */
function regionOf(env: NodeJS.ProcessEnv): string | undefined {
  if (env.AWS_REGION) return env.AWS_REGION;
  const file = env.AWS_CONFIG_FILE ?? join(homedir(), '.aws', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const profile = env.AWS_PROFILE ?? 'default';
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inSection = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) inSection = wanted.includes(section[1]);
    else if (inSection) {
      const kv = /^region\s*=\s*(\S+)/.exec(line);
      if (kv) return kv[1];
    }
  }
  return undefined;
}
