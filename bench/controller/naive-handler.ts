// A small, faithful model of the event handler the AWS samples and their descendants ship
// (aws-samples/aws-vpc-traffic-mirroring-source-automation, and Arkime aws-aio's ECS path; see
// /work/shared/reference/control-plane-anchors.md §1 and §6):
//   - one invocation per EventBridge event, no reserved concurrency, no pacing, no resync;
//   - `lastStatus: RUNNING` -> CreateTrafficMirrorSession on the ENI named in the event, with a
//     hard-coded session number (aws-samples: 100), the VNI left to AWS, and no check for an
//     existing session and no re-read afterwards;
//   - `lastStatus: STOPPED` -> look the session up (DescribeTrafficMirrorSessions filtered by the
//     ENI) and delete what is found on our target and filter;
//   - boto3's default (`legacy`) retries: 5 attempts, sleeping rand() x 2^(n-1) s between them,
//     one ClientToken per call (botocore fills it once, its retries reuse it);
//   - every ClientError is caught and logged, so the invocation "succeeds" and Lambda never retries.
// Its waits go through the run's time scale, like everything else in the benchmark.
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import {
  CreateTrafficMirrorSessionCommand,
  DeleteTrafficMirrorSessionCommand,
  DescribeTrafficMirrorSessionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { TimeScale } from './time-scale.ts';

/** The aws-samples code hard-codes this number on every session it creates. */
export const NAIVE_SESSION_NUMBER = 100;
const LEGACY_MAX_ATTEMPTS = 5;
/** botocore's legacy retries cover throttling, 5xx and socket errors (the SDK names those TimeoutError). */
const RETRYABLE = new Set([
  'RequestLimitExceeded',
  'InternalError',
  'ServiceUnavailable',
  'Unavailable',
  'TimeoutError',
]);

export interface NaiveStats {
  invocations: number;
  creates: number;
  deletes: number;
  /** Errors the handler caught and logged (the event is then lost for good), by AWS error code. */
  swallowed: Record<string, number>;
  /** Attempts answered RequestLimitExceeded, retried or not. */
  throttledAttempts: number;
  /** Successful creates: ENI and emulated time, for the RUNNING-to-session latency. */
  created: { eniId: string; at: number }[];
}

export interface NaiveHandler {
  (event: unknown): Promise<void>;
  readonly stats: NaiveStats;
  destroy(): void;
}

interface EventDetail {
  lastStatus?: string;
  attachments?: { type?: string; details?: { name?: string; value?: string }[] }[];
}

function eniOf(detail: EventDetail): string | undefined {
  const eni = detail.attachments?.find((a) => a.type === 'eni');
  return eni?.details?.find((d) => d.name === 'networkInterfaceId')?.value;
}

function codeOf(error: unknown): string {
  const e = error as { name?: string; Code?: string };
  return e.Code ?? e.name ?? 'Error';
}

export function createNaiveHandler(options: {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  targetId: string;
  filterId: string;
  scale: TimeScale;
}): NaiveHandler {
  // boto3's retries are modelled below, so the SDK makes exactly one attempt per send. One client
  // stands for every Lambda container: enough sockets that it never queues calls the containers
  // would have sent at once.
  const ec2 = new EC2Client({
    endpoint: options.endpoint,
    region: options.region,
    credentials: options.credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 2000 }) }),
  });
  const stats: NaiveStats = {
    invocations: 0,
    creates: 0,
    deletes: 0,
    swallowed: {},
    throttledAttempts: 0,
    created: [],
  };

  /** botocore's legacy retry loop around one call. */
  async function withLegacyRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const code = codeOf(error);
        if (code === 'RequestLimitExceeded') stats.throttledAttempts++;
        if (!RETRYABLE.has(code) || attempt >= LEGACY_MAX_ATTEMPTS) throw error;
        await options.scale.sleep(Math.random() * 2 ** (attempt - 1) * 1000);
      }
    }
  }

  async function onRunning(eniId: string): Promise<void> {
    const clientToken = randomUUID();
    await withLegacyRetries(() =>
      ec2.send(
        new CreateTrafficMirrorSessionCommand({
          NetworkInterfaceId: eniId,
          TrafficMirrorTargetId: options.targetId,
          TrafficMirrorFilterId: options.filterId,
          SessionNumber: NAIVE_SESSION_NUMBER,
          ClientToken: clientToken,
          TagSpecifications: [
            { ResourceType: 'traffic-mirror-session', Tags: [{ Key: 'Name', Value: `mirror-${eniId}` }] },
          ],
        }),
      ),
    );
    stats.creates++;
    stats.created.push({ eniId, at: options.scale.now() });
  }

  async function onStopped(eniId: string): Promise<void> {
    const found = await withLegacyRetries(() =>
      ec2.send(
        new DescribeTrafficMirrorSessionsCommand({
          Filters: [{ Name: 'network-interface-id', Values: [eniId] }],
        }),
      ),
    );
    for (const s of found.TrafficMirrorSessions ?? []) {
      if (s.TrafficMirrorTargetId !== options.targetId || s.TrafficMirrorFilterId !== options.filterId)
        continue;
      const sessionId = s.TrafficMirrorSessionId ?? '';
      await withLegacyRetries(() =>
        ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: sessionId })),
      );
      stats.deletes++;
    }
  }

  const handler = async (event: unknown): Promise<void> => {
    stats.invocations++;
    const detail = ((event as { detail?: EventDetail }).detail ?? {}) as EventDetail;
    const eniId = eniOf(detail);
    if (!eniId) return;
    try {
      if (detail.lastStatus === 'RUNNING') await onRunning(eniId);
      else if (detail.lastStatus === 'STOPPED') await onStopped(eniId);
    } catch (error) {
      // The samples log the ClientError and return: the invocation succeeds, nothing retries it.
      const code = codeOf(error);
      stats.swallowed[code] = (stats.swallowed[code] ?? 0) + 1;
    }
  };
  return Object.assign(handler, { stats, destroy: () => ec2.destroy() });
}
