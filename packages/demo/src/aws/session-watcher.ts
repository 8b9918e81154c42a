import { DescribeTrafficMirrorSessionsCommand } from '@aws-sdk/client-ec2';
import type { DemoClients } from './clients.js';

/** A mirror session as EC2 reports it: what the emulated VPC mirrors, and with which VNI. */
export interface ActiveSession {
  readonly sessionId: string;
  readonly eniId: string;
  readonly vni: number;
  readonly sessionNumber: number;
}

/**
 * Reads the mirror sessions on the demo target from EC2 (DescribeTrafficMirrorSessions), as the VPC
 * does when deciding what to mirror: in native mode, a task's packets are mirrored only while a
 * session exists on its ENI, with that session's VNI. Each ENI's lowest-numbered session wins, as in AWS.
 */
export class SessionWatcher {
  private byEni = new Map<string, ActiveSession>();
  /** Every session id seen on the target during the run. */
  readonly everSeen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly clients: DemoClients,
    private readonly targetId: string,
    private readonly onError: (error: unknown) => void,
    /** Called after a read that found sessions come or go. */
    private readonly onChange: () => void = () => {},
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    void this.refresh();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  sessionOf(eniId: string): ActiveSession | undefined {
    return this.byEni.get(eniId);
  }

  get count(): number {
    return this.byEni.size;
  }

  refresh(): Promise<void> {
    this.reading ??= this.read()
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  private async read(): Promise<void> {
    const next = new Map<string, ActiveSession>();
    let NextToken: string | undefined;
    do {
      const page = await this.clients.ec2.send(
        new DescribeTrafficMirrorSessionsCommand({
          Filters: [{ Name: 'traffic-mirror-target-id', Values: [this.targetId] }],
          NextToken,
        }),
      );
      for (const s of page.TrafficMirrorSessions ?? []) {
        if (!s.TrafficMirrorSessionId || !s.NetworkInterfaceId || s.VirtualNetworkId === undefined) continue;
        const session: ActiveSession = {
          sessionId: s.TrafficMirrorSessionId,
          eniId: s.NetworkInterfaceId,
          vni: s.VirtualNetworkId,
          sessionNumber: s.SessionNumber ?? 0,
        };
        const held = next.get(session.eniId);
        if (held === undefined || session.sessionNumber < held.sessionNumber)
          next.set(session.eniId, session);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    const before = [...this.byEni.values()].map((s) => s.sessionId).sort();
    const after = [...next.values()].map((s) => s.sessionId).sort();
    for (const s of next.values()) this.everSeen.add(s.sessionId);
    this.byEni = next;
    if (before.join() !== after.join()) this.onChange();
  }
}
