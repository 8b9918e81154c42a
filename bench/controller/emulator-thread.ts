// aws-local in a worker thread, so the emulator's CPU is not the benchmark's: the main thread runs
// both designs' SDK clients and handlers, each account's emulator runs here on its own event loop.
// Messages in: {id, op: 'summary' | 'snapshot' | 'sessionEnis' | 'flush' | 'busy' | 'close'}; out: {id, result} replies,
// {ready: url} once listening, {event} for every ECS event delivered (after the account's faults).
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { type AwsLocalOptions, startAwsLocal } from '@fargate-mirror/aws-local';

const port = parentPort;
if (!port) throw new Error('emulator-thread.ts runs as a worker thread');
const options = workerData as AwsLocalOptions & { region: string };
const aws = await startAwsLocal(options);
aws.onEvent((event) => port.postMessage({ event }));

let elu = performance.eventLoopUtilization();

port.on('message', async (message: { id: number; op: string }) => {
  switch (message.op) {
    case 'busy': {
      // Share of time this thread was busy since the previous 'busy' question.
      const now = performance.eventLoopUtilization();
      port.postMessage({ id: message.id, result: performance.eventLoopUtilization(now, elu).utilization });
      elu = now;
      return;
    }
    case 'summary':
      port.postMessage({ id: message.id, result: aws.control.summary() });
      return;
    case 'sessionEnis': {
      // ENIs that carry at least one mirror session now: cheap enough to poll every few ms.
      const region = aws.control.snapshot().regions[options.region];
      const enis = new Set(
        Object.values(region?.trafficMirrorSessions ?? {}).map((s) => s.networkInterfaceId),
      );
      port.postMessage({ id: message.id, result: [...enis] });
      return;
    }
    case 'snapshot':
      port.postMessage({ id: message.id, result: aws.control.snapshot().regions[options.region] });
      return;
    case 'flush':
      await aws.control.flushEvents();
      port.postMessage({ id: message.id, result: null });
      return;
    case 'close':
      await aws.close();
      port.postMessage({ id: message.id, result: null });
      port.close();
      return;
  }
});
port.postMessage({ ready: aws.url });
