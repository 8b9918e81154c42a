import type { AddressInfo } from 'node:net';
import { type AwsLocalControl, createControl } from './control.js';
import { Emulator } from './emulator.js';
import type { EventSink } from './events/bus.js';
import { fileSink, urlSink } from './events/sinks.js';
import type { EcsEvent } from './events/task-event.js';
import type { FaultConfig } from './faults/faults.js';
import { createApiServer } from './http/server.js';
import type { AwsLocalOptions } from './options.js';
import { resolveOptions } from './resolve-options.js';
import { S3Store } from './s3/s3-store.js';
import { loadState, StateWriter } from './state/persistence.js';
import { StsSessions } from './sts/sts-sessions.js';

export interface AwsLocal {
  /** Base URL for SDK `endpoint` / CLI `--endpoint-url`, e.g. http://127.0.0.1:4566 */
  readonly url: string;
  readonly port: number;
  /** Stops serving, delivers pending events and writes the state file. */
  close(): Promise<void>;
  /** Subscribes to "ECS Task State Change" events (after faults); returns an unsubscribe function. */
  onEvent(listener: (event: EcsEvent) => void | Promise<void>): () => void;
  /** Merges fault settings (rates 0-1, delays in ms); returns the faults now in force. */
  setFaults(faults: Partial<FaultConfig>): FaultConfig;
  readonly control: AwsLocalControl;
  /** S3's buckets and objects (each object names the access key that wrote it). */
  readonly s3: S3Store;
  /** STS AssumeRole: roles that demand an external id, and the sessions issued. */
  readonly sts: StsSessions;
}

/**
 * Starts the emulator: EC2 Query and ECS JSON APIs plus /_admin on one HTTP port.
 *
 * @example
 * const aws = await startAwsLocal({ port: 0, speed: 100 });
 * const ec2 = new EC2Client({ endpoint: aws.url, region: 'us-east-1', credentials });
 * await aws.close();
 */
export async function startAwsLocal(options: AwsLocalOptions = {}): Promise<AwsLocal> {
  const resolved = resolveOptions(options);
  const state = options.stateFile ? await loadState(options.stateFile) : undefined;
  const em = new Emulator(resolved, state);
  const sinks: EventSink[] = [];
  if (options.eventsFile) sinks.push(fileSink(options.eventsFile));
  if (options.eventsUrl) sinks.push(urlSink(options.eventsUrl));
  for (const sink of sinks) em.events.addSink(sink);

  const writer = options.stateFile ? new StateWriter(options.stateFile, () => em.store.state) : undefined;
  if (writer) em.store.onChange(() => writer.schedule());
  // The default region exists from the start, so its default VPC is stable and persisted.
  em.store.region(resolved.defaultRegion);
  await writer?.flush();

  const s3 = new S3Store();
  const sts = new StsSessions();
  const server = createApiServer(em, s3, sts);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    onEvent: (listener) => em.events.addSink(listener),
    setFaults: (faults) => em.setFaults(faults),
    control: createControl(em),
    s3,
    sts,
    close() {
      closed ??= (async () => {
        em.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await em.events.flush();
        await writer?.flush();
      })();
      return closed;
    },
  };
}
