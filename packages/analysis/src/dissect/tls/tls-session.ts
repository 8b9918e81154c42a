import type { BufferPool } from '../../reassembly/buffer-pool.js';
import { HandshakeCollector } from './handshake-collector.js';
import { type ClientHello, parseClientHello, parseServerHello, type ServerHello } from './hello.js';

/** The handshake as far as a record needs it. */
export interface TlsHandshake {
  startMicros: number;
  endMicros: number;
  client: ClientHello;
  server: ServerHello | null;
}

export type TlsHandshakeSink = (slot: number, clientDir: number, hs: TlsHandshake) => void;

/**
 * The start of one TLS connection: the ClientHello (SNI, ALPN, versions, JA4 inputs) and the
 * ServerHello (negotiated version). Reports once, when the ServerHello is read or cannot be, and is
 * then `done`: the rest of the connection is encrypted and not read.
 */
export class TlsSession {
  slot = -1;
  clientDir = 0;
  done = false;
  /** Hellos of this connection that did not parse (not TLS after all, damaged, or over the size limit). */
  malformed = 0;
  private readonly client: HandshakeCollector;
  private readonly server: HandshakeCollector;
  private hello: ClientHello | null = null;
  private startMicros = 0;
  private readonly sink: TlsHandshakeSink;

  constructor(sink: TlsHandshakeSink, pool: BufferPool, maxHandshakeBytes: number) {
    this.sink = sink;
    this.client = new HandshakeCollector(pool, maxHandshakeBytes);
    this.server = new HandshakeCollector(pool, maxHandshakeBytes);
  }

  begin(slot: number, clientDir: number, nowMicros: number): void {
    this.slot = slot;
    this.clientDir = clientDir;
    this.done = false;
    this.malformed = 0;
    this.hello = null;
    this.startMicros = nowMicros;
  }

  data(dir: number, buf: Uint8Array, offset: number, length: number, nowMicros: number): void {
    if (this.done) return;
    if (dir === this.clientDir) {
      if (this.hello !== null || this.client.failed) return;
      if (this.client.data(buf, offset, length)) {
        const m = this.client.message!;
        this.hello = parseClientHello(m, 0, this.client.messageLength);
        this.client.reset();
        if (this.hello === null) {
          this.malformed++;
          this.done = true;
        }
      } else if (this.client.failed) {
        this.malformed++;
        this.done = true;
      }
      return;
    }
    if (this.hello === null) return; // the server speaks first: not a handshake we can read
    if (this.server.data(buf, offset, length)) {
      const server = parseServerHello(this.server.message!, 0, this.server.messageLength);
      this.server.reset();
      if (server === null) this.malformed++;
      this.report(server, nowMicros);
    } else if (this.server.failed) {
      this.malformed++;
      this.report(null, nowMicros);
    }
  }

  gap(dir: number, nowMicros: number): void {
    if (this.done) return;
    if (dir === this.clientDir) {
      if (this.hello === null) {
        this.client.fail();
        this.done = true;
      }
    } else if (this.hello !== null) this.report(null, nowMicros);
  }

  finish(nowMicros: number): void {
    if (!this.done && this.hello !== null) this.report(null, nowMicros);
    this.client.reset();
    this.server.reset();
    this.hello = null;
    this.done = true;
    this.slot = -1;
  }

  private report(server: ServerHello | null, nowMicros: number): void {
    this.done = true;
    const client = this.hello!;
    this.sink(this.slot, this.clientDir, {
      startMicros: this.startMicros,
      endMicros: nowMicros,
      client,
      server,
    });
  }
}
