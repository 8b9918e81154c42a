import { LiveView, startUiServer, type UiServer } from '@fargate-mirror/ui';
import type { DemoReceiver } from '../receiver/demo-receiver.js';

export interface DemoUi {
  readonly view: LiveView;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The live page of the demo, on 127.0.0.1 only: the demo's records as they are made, and the
 * in-process receiver's counters (no kernel drops or HEC spool here: one socket, no HEC).
 */
export async function startDemoUi(port: number, receiver: DemoReceiver): Promise<DemoUi> {
  const stats = receiver.pipeline.stats;
  const view = new LiveView({
    origin: 'demo',
    health: () => ({
      packets: stats.mirrored,
      drops: 0,
      malformed: stats.malformedTotal,
      spoolBytes: null,
      spoolEvents: null,
      healthy: null,
    }),
  });
  view.start();
  let server: UiServer;
  try {
    server = await startUiServer({ host: '127.0.0.1', port, view });
  } catch (error) {
    view.stop();
    throw error;
  }
  return {
    view,
    url: server.url,
    close: async () => {
      view.stop();
      await server.close();
    },
  };
}
