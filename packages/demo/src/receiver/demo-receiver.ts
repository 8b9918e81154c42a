import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { JsonLinesWriter, MirrorPipeline, type MirrorRecord } from '@fargate-mirror/analysis';
import { RotatingPcapSink } from '@fargate-mirror/receiver';
import { parseAddress } from '@fargate-mirror/wire';

export interface DemoReceiverOptions {
  /** Run directory: records.jsonl and pcap/ go here. */
  readonly dir: string;
  /** The pipeline's identity hook (workload identity). */
  readonly enrich: (record: MirrorRecord) => void;
  /** Told about every record after it was written (the live summary counts them). */
  readonly onRecord: (record: MirrorRecord) => void;
}

/**
 * Shorter than the receiver's defaults (5 s after FIN, 60 s idle for UDP) so that flow records show
 * up in the live summary within a short demo, and a DNS exchange's flow ends while its task still runs.
 */
const FLOW_TIMEOUTS = { closeLingerSeconds: 1, udpIdleSeconds: 5 };

/**
 * The receiver, in process and on one thread: a UDP socket on 127.0.0.1 (a free port) feeding the
 * receiver's own MirrorPipeline (decapsulation, de-duplication, flows, TCP reassembly, HTTP/DNS/TLS
 * records, workload identity), its rotating pcap sink and its JSON Lines writer. The same data path
 * as `fargate-mirror receive`, without its worker threads, health server and metrics.
 */
export class DemoReceiver {
  readonly recordsPath: string;
  readonly pcapDir: string;
  readonly pipeline: MirrorPipeline;
  private readonly socket: Socket = createSocket('udp4');
  private readonly pcap: RotatingPcapSink;
  private readonly records: JsonLinesWriter;
  private readonly source = new Uint32Array(4);
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: DemoReceiverOptions) {
    this.recordsPath = join(options.dir, 'records.jsonl');
    this.pcapDir = join(options.dir, 'pcap');
    this.records = JsonLinesWriter.open(this.recordsPath);
    // Owner-only: pcap files hold raw payload.
    mkdirSync(this.pcapDir, { recursive: true, mode: 0o700 });
    this.pcap = new RotatingPcapSink({
      dir: this.pcapDir,
      workerId: 0,
      rotateBytes: 64 * 1024 * 1024,
      rotateMs: 60_000,
    });
    this.pipeline = new MirrorPipeline({
      onRecord: (record) => {
        this.records.write(record);
        options.onRecord(record);
      },
      innerFrames: this.pcap,
      flows: FLOW_TIMEOUTS,
      dvc: 'fargate-mirror-demo',
      enrich: options.enrich,
    });
  }

  /** Binds 127.0.0.1 on a free port; returns the port. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind({ address: '127.0.0.1', port: 0 }, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    this.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
    // Flows expire on packet time; an idle second still has to end them, and records reach the disk.
    this.timer = setInterval(() => {
      this.pipeline.tick(Date.now() * 1000);
      this.pcap.maintain();
      this.records.flush();
    }, 500);
    return this.socket.address().port;
  }

  /** Stops reading, ends every open flow (their records are written) and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    this.pipeline.finish();
    this.pcap.close();
    this.records.close();
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    // The sender is the mirror point's outer source address.
    const version = parseAddress(rinfo.address, this.source, 0);
    const now = Date.now();
    const sec = Math.floor(now / 1000);
    this.pipeline.handleVxlanPayload(msg, 0, msg.length, this.source, version, sec, (now % 1000) * 1_000_000);
  }
}
