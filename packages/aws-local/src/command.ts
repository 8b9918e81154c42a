import { Command, InvalidArgumentError, Option } from 'commander';
import type { FaultConfig } from './faults/faults.js';
import type { AwsLocalOptions } from './options.js';
import { startAwsLocal } from './server.js';

function number(kind: 'rate' | 'ms' | 'positive' | 'integer') {
  return (value: string): number => {
    const parsed = Number(value);
    const ok =
      Number.isFinite(parsed) &&
      (kind === 'rate'
        ? parsed >= 0 && parsed <= 1
        : kind === 'ms'
          ? parsed >= 0
          : kind === 'positive'
            ? parsed > 0
            : Number.isInteger(parsed) && parsed >= 0);
    if (!ok) {
      const expected = {
        rate: 'a rate between 0 and 1',
        ms: 'milliseconds >= 0',
        positive: 'a number > 0',
        integer: 'an integer >= 0',
      }[kind];
      throw new InvalidArgumentError(`expected ${expected}, got '${value}'`);
    }
    return parsed;
  };
}

interface CommandOptions {
  port: number;
  host: string;
  state?: string;
  speed: number;
  clock: 'real' | 'manual';
  taskEniSources: 'reject' | 'accept';
  awsvpcTrunking?: boolean;
  clientTokenAfterDelete: 'original' | 'mismatch';
  describeLagMs?: number;
  clientTokenTtlMs?: number;
  eventsUrl?: string;
  eventsFile?: string;
  eventDuplicateRate?: number;
  eventLossRate?: number;
  eventReorderRate?: number;
  eventDelayMs?: number;
  apiErrorRate?: number;
  apiThrottleRate?: number;
  latencyMs?: number;
  throttling: boolean;
  seed?: number;
  accountId: string;
  region: string;
}

export function commandOptionsToAwsLocal(opts: CommandOptions): AwsLocalOptions {
  const faults: Partial<FaultConfig> = {};
  for (const key of [
    'eventDuplicateRate',
    'eventLossRate',
    'eventReorderRate',
    'eventDelayMs',
    'apiErrorRate',
    'apiThrottleRate',
    'latencyMs',
  ] as const) {
    if (opts[key] !== undefined) faults[key] = opts[key];
  }
  return {
    port: opts.port,
    host: opts.host,
    stateFile: opts.state,
    speed: opts.speed,
    clock: opts.clock,
    taskEniSources: opts.taskEniSources,
    awsvpcTrunking: opts.awsvpcTrunking === true,
    clientTokenAfterDelete: opts.clientTokenAfterDelete,
    ...(opts.describeLagMs !== undefined ? { describeLagMs: opts.describeLagMs } : {}),
    ...(opts.clientTokenTtlMs !== undefined ? { clientTokenTtlMs: opts.clientTokenTtlMs } : {}),
    eventsUrl: opts.eventsUrl,
    eventsFile: opts.eventsFile,
    faults,
    throttling: opts.throttling,
    seed: opts.seed,
    accountId: opts.accountId,
    defaultRegion: opts.region,
  };
}

/**
 * `aws-local`: runs the EC2/ECS emulator until SIGINT/SIGTERM. Prints one JSON line
 * `{"url": ..., "port": ...}` on stdout once it listens.
 */
export function createAwsLocalCommand(): Command {
  return new Command('aws-local')
    .description('Run a local emulator of the EC2 (Query) and ECS (JSON 1.1) APIs fargate-mirror uses')
    .addOption(
      new Option('--port <port>', 'TCP port (0 picks a free one)').default(4566).argParser(number('integer')),
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--state <file>', 'persist the emulated account in this JSON file (mode 0600)')
    .addOption(
      new Option('--speed <factor>', 'task lifecycle speed factor').default(1).argParser(number('positive')),
    )
    .addOption(
      new Option('--clock <mode>', '\'manual\' stops time; POST /_admin/advance {"ms": N} moves it')
        .choices(['real', 'manual'])
        .default('real'),
    )
    .addOption(
      new Option('--task-eni-sources <mode>', 'whether task ENIs may be mirror sources')
        .choices(['reject', 'accept'])
        .default('reject'),
    )
    .option(
      '--awsvpc-trunking',
      "ECS's awsvpcTrunking setting: awsvpc tasks on EC2 instances get branch ENIs (interface type branch)",
    )
    .addOption(
      new Option(
        '--client-token-after-delete <mode>',
        'what a ClientToken repeated after its session was deleted gets',
      )
        .choices(['original', 'mismatch'])
        .default('original'),
    )
    .addOption(
      new Option(
        '--client-token-ttl-ms <ms>',
        'how long a ClientToken is remembered after its first use (default 24 hours)',
      ).argParser(number('ms')),
    )
    .addOption(
      new Option(
        '--describe-lag-ms <ms>',
        'eventual consistency: Describe shows a created session this long after, a deleted one this long after',
      ).argParser(number('ms')),
    )
    .option('--events-url <url>', 'POST each ECS Task State Change event as JSON to this URL')
    .option('--events-file <file>', 'append each ECS Task State Change event as a JSON line to this file')
    .addOption(
      new Option('--event-duplicate-rate <rate>', 'fault: duplicate events').argParser(number('rate')),
    )
    .addOption(new Option('--event-loss-rate <rate>', 'fault: lose events').argParser(number('rate')))
    .addOption(new Option('--event-reorder-rate <rate>', 'fault: reorder events').argParser(number('rate')))
    .addOption(new Option('--event-delay-ms <ms>', 'fault: delay event delivery').argParser(number('ms')))
    .addOption(
      new Option('--api-error-rate <rate>', 'fault: answer API calls with a 5xx').argParser(number('rate')),
    )
    .addOption(
      new Option('--api-throttle-rate <rate>', 'fault: throttle API calls').argParser(number('rate')),
    )
    .addOption(new Option('--latency-ms <ms>', 'fault: delay every API response').argParser(number('ms')))
    .option('--no-throttling', "turn off EC2's token-bucket throttling")
    .addOption(new Option('--seed <n>', 'seed for fault decisions').argParser(number('integer')))
    .option('--account-id <id>', 'account id of the emulated account', '123456789012')
    .option('--region <region>', 'region when a request is not signed for one', 'us-east-1')
    .action(async (opts: CommandOptions) => {
      const aws = await startAwsLocal(commandOptionsToAwsLocal(opts));
      process.stdout.write(`${JSON.stringify({ url: aws.url, port: aws.port })}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await aws.close();
    });
}
