import { createSocket, type Socket } from 'node:dgram';
import {
  ACCEPT_ALL_RULES,
  type DatagramSink,
  ForwarderStats,
  FrameEncapsulator,
  MirrorFilter,
  vniFromTaskArn,
} from '@fargate-mirror/forwarder';
import {
  ETHERNET_HEADER_LENGTH,
  EtherType,
  encodeEthernetHeader,
  encodeVxlanHeader,
  LinkType,
  parseAddress,
  VXLAN_HEADER_LENGTH,
} from '@fargate-mirror/wire';
import type { SessionWatcher } from '../aws/session-watcher.js';
import type { DemoTask } from '../aws/task-watcher.js';
import type { DemoMode } from '../options.js';

/** The VPC router's MAC as mirrored frames show it on the far side of the task's own MAC. */
const ROUTER_MAC = Uint8Array.of(0x02, 0x00, 0x5e, 0x10, 0x00, 0x01);
/** A 9001-byte VPC MTU minus the outer IPv4 (20), UDP (8) and VXLAN (8) headers. */
const MAX_INNER_FRAME = 9001 - 36;

export interface TapStats {
  /** Packets of the simulated traffic. */
  packets: number;
  /** VXLAN datagrams sent to the receiver (one per mirror point that saw a packet). */
  datagrams: number;
  /** Packet copies not mirrored because the task's ENI had no mirror session (native mode). */
  withoutSession: number;
  sendErrors: number;
}

/** One mirrored task: the loopback address its mirror traffic comes from, and its VNI source. */
interface MirrorPoint {
  readonly task: DemoTask;
  readonly loopback: string;
  readonly socket: Socket;
  readonly mac: Uint8Array;
  /** Forwarder mode: the sidecar's own encapsulation code, fed the task's frames. */
  readonly encapsulator: FrameEncapsulator | undefined;
}

export interface MirrorTapOptions {
  readonly mode: DemoMode;
  readonly sessions: SessionWatcher;
  readonly receiverHost: string;
  readonly receiverPort: number;
  readonly onError: (error: unknown) => void;
}

/**
 * Plays the part of VPC Traffic Mirroring (native mode) or of the forwarder sidecar in every task
 * (forwarder mode) for the simulated packets: each packet is seen at the ENI it leaves and at the ENI
 * it reaches, and every one of those mirror points sends it, as VXLAN, from the loopback address that
 * stands for the ENI. Native: only while EC2 has a session on the ENI, with that session's VNI, the
 * frame as is. Forwarder: whenever the task runs, with the forwarder's VNI (from the task ARN) and the
 * forwarder's own FrameEncapsulator.
 */
export class MirrorTap {
  readonly stats: TapStats = { packets: 0, datagrams: 0, withoutSession: 0, sendErrors: 0 };
  readonly forwarderStats = new ForwarderStats();
  private readonly byIp = new Map<string, MirrorPoint>();
  private readonly ipIds = new Map<string, number>();

  constructor(private readonly options: MirrorTapOptions) {}

  /** Opens the task's mirror socket on its loopback address. */
  async attach(task: DemoTask, loopback: string): Promise<void> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: loopback, port: 0 }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (error) => {
      this.stats.sendErrors++;
      this.options.onError(error);
    });
    const mac = macBytes(task.mac);
    const encapsulator =
      this.options.mode === 'forwarder' ? this.forwarderEncapsulator(task, mac, socket) : undefined;
    this.byIp.set(task.eniIp, { task, loopback, socket, mac, encapsulator });
  }

  /** The task stopped: its mirror point sends nothing more. */
  detach(task: DemoTask): void {
    const point = this.byIp.get(task.eniIp);
    if (point === undefined || point.task.taskArn !== task.taskArn) return;
    this.byIp.delete(task.eniIp);
    point.socket.close();
  }

  close(): void {
    for (const point of this.byIp.values()) point.socket.close();
    this.byIp.clear();
  }

  /** The VNI a task's mirror traffic carries now (undefined: not mirrored at the moment). */
  vniOf(task: DemoTask): number | undefined {
    if (this.options.mode === 'forwarder') return vniFromTaskArn(task.taskArn);
    return this.options.sessions.sessionOf(task.eniId)?.vni;
  }

  /** Next IPv4 identification of a sending host. */
  readonly ipId = (ip: string): number => {
    const id = ((this.ipIds.get(ip) ?? Math.floor(Math.random() * 0xffff)) + 1) & 0xffff;
    this.ipIds.set(ip, id);
    return id;
  };

  /** One IPv4 packet of the simulated traffic, mirrored at whichever of its two ENIs are mirrored. */
  readonly packet = (ip: Buffer): void => {
    this.stats.packets++;
    const src = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
    const dst = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
    const egress = this.byIp.get(src);
    const ingress = this.byIp.get(dst);
    if (egress !== undefined) this.mirror(egress, ip, egress.mac, ROUTER_MAC);
    if (ingress !== undefined) this.mirror(ingress, ip, ROUTER_MAC, ingress.mac);
  };

  private mirror(point: MirrorPoint, ip: Buffer, srcMac: Uint8Array, dstMac: Uint8Array): void {
    const frame = Buffer.alloc(ETHERNET_HEADER_LENGTH + ip.length);
    const macs = new Uint8Array(12);
    macs.set(dstMac, 0);
    macs.set(srcMac, 6);
    encodeEthernetHeader(frame, 0, macs, 0, EtherType.IPV4);
    frame.set(ip, ETHERNET_HEADER_LENGTH);
    if (point.encapsulator !== undefined) {
      point.encapsulator.process(frame, 0, frame.length, frame.length, LinkType.ETHERNET);
      return;
    }
    const session = this.options.sessions.sessionOf(point.task.eniId);
    if (session === undefined) {
      this.stats.withoutSession++;
      return;
    }
    // What AWS sends: a VXLAN header with the session's VNI, then the frame as it was.
    const datagram = Buffer.alloc(VXLAN_HEADER_LENGTH + frame.length);
    encodeVxlanHeader(datagram, 0, session.vni);
    datagram.set(frame, VXLAN_HEADER_LENGTH);
    this.send(point.socket, datagram, datagram.length);
  }

  private send(socket: Socket, buf: Buffer, length: number): void {
    this.stats.datagrams++;
    socket.send(buf, 0, length, this.options.receiverPort, this.options.receiverHost, (error) => {
      if (error) {
        this.stats.sendErrors++;
        this.options.onError(error);
      }
    });
  }

  private forwarderEncapsulator(task: DemoTask, mac: Uint8Array, socket: Socket): FrameEncapsulator {
    const words = new Uint32Array(4);
    parseAddress(task.eniIp, words, 0);
    const capacity = VXLAN_HEADER_LENGTH + MAX_INNER_FRAME;
    // The sidecar's bounded buffer pool is its concern; here every datagram gets its own buffer.
    const sink: DatagramSink = {
      capacity,
      acquire: () => Buffer.alloc(capacity),
      send: (slot, length) => this.send(socket, slot, length),
    };
    return new FrameEncapsulator(
      {
        vni: vniFromTaskArn(task.taskArn),
        maxInnerFrame: MAX_INNER_FRAME,
        interfaceMtu: 9001,
        truncateSuperframes: false,
        filter: new MirrorFilter(ACCEPT_ALL_RULES),
        taskAddressWords: [words],
        taskMac: mac,
        peerMac: ROUTER_MAC,
      },
      sink,
      this.forwarderStats,
    );
  }
}

function macBytes(mac: string): Uint8Array {
  const parts = mac.split(':').map((h) => Number.parseInt(h, 16));
  if (parts.length !== 6 || parts.some((p) => Number.isNaN(p))) return Uint8Array.of(2, 0, 0, 0, 0, 1);
  return Uint8Array.from(parts);
}
