// What a test's `fargate-mirror receive` is started with, and how its ready line is read: the
// set-up the receive tests of the receiver, the CLI, the UI and the CDK's bundle share.

import { run } from './proc.ts';

/** The GENEVE and health ports ephemeral and no drain at the stop: a receiver whose VXLAN port the test fixes (a mirror lab's 4789). */
export const EPHEMERAL_SIDE_PORTS: readonly string[] = [
  '--geneve-port',
  '0',
  '--health-port',
  '0',
  '--drain-seconds',
  '0',
];

/** Every port ephemeral and no drain at the stop, so parallel test files never meet. */
export const EPHEMERAL_RECEIVE: readonly string[] = ['--vxlan-port', '0', ...EPHEMERAL_SIDE_PORTS];

/** `receive` on loopback with ephemeral ports and no drain: the base of most receive tests. */
export const LOOPBACK_RECEIVE: readonly string[] = ['--bind', '127.0.0.1', ...EPHEMERAL_RECEIVE];

/** The ports a receiver took, from its ready line (0: GENEVE off). */
export interface ReadyLine {
  port: number;
  genevePort: number;
  healthPort: number;
}

/** `receive`'s ready line on stderr: wait for it (Started.waitForOutput), then `parseReady`. */
export const RECEIVE_READY =
  /ready: vxlan udp \S+:(\d+), (?:geneve off|geneve udp \S+:(\d+)), health http port (\d+)/;

export function parseReady(stderr: string): ReadyLine {
  const m = RECEIVE_READY.exec(stderr);
  if (!m) throw new Error(`no ready line in receive's stderr:\n${stderr}`);
  return { port: Number(m[1]), genevePort: Number(m[2] ?? 0), healthPort: Number(m[3]) };
}

/**
 * `fargate-mirror replay PCAP` to a receiver on loopback at `rate` datagrams/s: the datagrams it sent
 * (its `--summary-json` line), for a test to wait until the receiver counted them all.
 */
export async function replayToReceiver(
  cli: string,
  pcap: string,
  port: number,
  rate = 5000,
): Promise<number> {
  const replay = await run(process.execPath, [
    cli,
    'replay',
    pcap,
    '--to',
    `127.0.0.1:${port}`,
    '--rate',
    String(rate),
    '--summary-json',
  ]);
  return (JSON.parse(replay.stderr.trim().split('\n').pop() as string) as { datagrams: number }).datagrams;
}
