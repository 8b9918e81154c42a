import { DEMO_MODES, type DemoMode, runDemo } from '@fargate-mirror/demo';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ensureOutputDirectory } from './out-dir.js';

interface DemoFlags {
  duration: number;
  out: string;
  mode: DemoMode;
  uiPort: number | false;
}

export function createDemoCommand(): Command {
  return new Command('demo')
    .summary('The whole system on this machine, no AWS')
    .description(
      'The whole system on this machine, no AWS: aws-local (EC2 and ECS), the controller ' +
        '(task events and a periodic resync), the receiver, and a cluster with services web and api whose ' +
        'tasks exchange real HTTP and DNS on loopback, mirrored as VXLAN from one loopback address per task ' +
        'ENI. Scales api up and web down midway. Prints a live summary, then where the outputs are: each run ' +
        'writes records.jsonl, pcap/, tasks.json and summary.json into its own new directory under --out.',
    )
    .option('--duration <seconds>', 'seconds of traffic once the services run', parseDuration, 30)
    .option(
      '--out <dir>',
      'base directory; each run gets a fresh demo-<UTC time> subdirectory',
      'fargate-mirror-out',
    )
    .addOption(
      new Option(
        '--mode <mode>',
        'native: mirror sessions on task ENIs; forwarder: the sidecar, task ENIs refused',
      )
        .choices([...DEMO_MODES])
        .default('native'),
    )
    .option(
      '--ui-port <port|off>',
      'TCP port of the live page on 127.0.0.1 (its URL is printed at start); 0 picks one, off for none',
      parseUiPort,
      0,
    )
    .action(async (flags: DemoFlags) => {
      ensureOutputDirectory(flags.out, '--out');
      // Ctrl-C ends the traffic early; the outputs are still completed and the summary printed.
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await runDemo({
          durationSeconds: flags.duration,
          outDir: flags.out,
          mode: flags.mode,
          uiPort: flags.uiPort,
          signal: abort.signal,
        });
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
    });
}

function parseDuration(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 3 || n > 86_400) {
    throw new InvalidArgumentError(`expected a number of seconds from 3 to 86400, got '${value}'`);
  }
  return n;
}

function parseUiPort(value: string): number | false {
  if (value === 'off') return false;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) {
    throw new InvalidArgumentError(`expected a TCP port from 0 to 65535, or off, got '${value}'`);
  }
  return n;
}
