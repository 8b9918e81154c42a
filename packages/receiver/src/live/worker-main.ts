// Entry point of a receive worker thread (started by WorkerSupervisor with worker_threads).
import { parentPort, workerData } from 'node:worker_threads';
import { isReceiverError } from '../errors.js';
import { createStderrLogger } from '../logging/stderr-logger.js';
import { ReceiverWorker } from './receiver-worker.js';
import type { MainToWorker, ReceiverWorkerData, WorkerToMain } from './worker-protocol.js';

const data = workerData as ReceiverWorkerData;
const port = parentPort;
if (port === null) throw new Error('worker-main.js must run as a worker thread');

// In the format of the main thread's logs (the receive command chose it), so lines never mix.
const log = createStderrLogger(data.config.logLevel, data.config.logFormat, { worker: data.workerId });
const post = (message: WorkerToMain) => port.postMessage(message);
const worker = new ReceiverWorker(data, post, log);

// The AWS SDK may fail a promise nobody awaits (configuration it cannot load): that is an identity
// failure, counted and reported, not a reason to lose the worker's flows. Anything else still ends
// the thread, as Node would (the main thread restarts it).
process.on('unhandledRejection', (reason) => {
  if (!worker.absorbStrayError(reason)) throw reason;
});

port.on('message', (message: MainToWorker) => {
  if (message.type === 'mirror-point-mac') {
    worker.learnMac(message);
  } else if (message.type === 'stop-reading') {
    void worker.stopReading().then(() => post({ type: 'stopped-reading' }));
  } else if (message.type === 'finish') {
    worker.finish();
    post({ type: 'finished' });
    // Everything is written and posted: end the thread (sockets, timers and ring waits are gone).
    setImmediate(() => process.exit(0));
  }
});

worker.start().catch((error: Error) => {
  // Only the package's own codes cross to the main thread; anything else is a worker failure.
  const code = isReceiverError(error) ? error.code : 'RECEIVER_WORKER_FAILED';
  post({ type: 'fatal', code, message: error.message });
  setImmediate(() => process.exit(1));
});
