import {
  createUiRoutes,
  LiveView,
  startUiServer,
  type UiRequestHandler,
  type UiServer,
  uiUrl,
} from '@fargate-mirror/ui';
import type { Logger } from 'pino';
import type { ReceiverConfig } from '../config/receiver-config.js';
import type { ReceiverMetricsSource } from '../metrics/receiver-metrics.js';

/**
 * The live page of `receive --ui` / `--ui-port`: a LiveView fed with every batch of records the
 * workers hand the main thread (the same text the records file and HEC get), its health read from
 * what /metrics reads. On the health port it is one more route; with a port of its own, its own
 * server on the health server's address.
 */
export class ReceiverUi {
  readonly view: LiveView;
  private readonly config: ReceiverConfig;
  private readonly log: Logger;
  private server: UiServer | undefined;
  /** Mounted on the health server when the page shares its port. */
  readonly routes: UiRequestHandler | undefined;

  /** Undefined when the configuration asks for no page. */
  static create(config: ReceiverConfig, source: ReceiverMetricsSource, log: Logger): ReceiverUi | undefined {
    return config.ui === false ? undefined : new ReceiverUi(config, source, log);
  }

  private constructor(config: ReceiverConfig, source: ReceiverMetricsSource, log: Logger) {
    this.config = config;
    this.log = log;
    this.view = new LiveView({
      origin: 'receive',
      health: () => {
        const t = source.totals();
        const hec = source.hec;
        return {
          packets: t.mirrored,
          drops: source.kernelDrops + t.handoffDrops + source.sinks.recordsDropped,
          malformed: Object.values(t.malformed).reduce((a, b) => a + b, 0),
          spoolBytes: hec === undefined ? null : hec.spoolBytes,
          spoolEvents: hec === undefined ? null : hec.backlogEvents,
          healthy: source.healthy,
        };
      },
    });
    this.routes = config.ui === true ? createUiRoutes(this.view) : undefined;
  }

  /** Records as JSON Lines, as a worker sent them. */
  records(text: string): void {
    this.view.addLines(text);
  }

  /** Starts sampling, and the page's own server when it has a port of its own; returns the page's URL. */
  async start(healthPort: number): Promise<string> {
    this.view.start();
    const { config } = this;
    let url: string;
    if (typeof config.ui === 'number') {
      this.server = await startUiServer({ host: config.healthBind, port: config.ui, view: this.view });
      url = this.server.url;
    } else {
      url = uiUrl(config.healthBind, healthPort);
    }
    this.log.info({ url }, 'serving the live page (read-only; it shows what records hold)');
    return url;
  }

  async close(): Promise<void> {
    this.view.stop();
    await this.server?.close();
  }
}
