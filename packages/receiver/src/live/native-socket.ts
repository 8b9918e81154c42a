import { ReceiverError } from '../errors.js';
import { NATIVE_META_WORDS, type NativeIntakeBinding } from './native-intake.js';
import { formatHostPort } from './udp-socket.js';

/** Datagrams one recvmmsg takes. */
export const NATIVE_BATCH = 64;
/** Bytes per datagram slot: above the largest UDP payload, so nothing is ever cut. */
export const NATIVE_SLOT_BYTES = 65_536;

/**
 * A mirror socket of the native intake: a non-blocking UDP socket the addon owns and a batch buffer
 * it fills (datagram i at `i * NATIVE_SLOT_BYTES`, its length and sender in `meta`), reused for
 * every batch. 4 MiB of slots, of which only what datagrams fill is ever touched.
 */
export class NativeMirrorSocket {
  readonly data = Buffer.alloc(NATIVE_BATCH * NATIVE_SLOT_BYTES);
  readonly meta = new Int32Array(NATIVE_BATCH * NATIVE_META_WORDS);
  private open_ = true;

  private constructor(
    private readonly binding: NativeIntakeBinding,
    readonly fd: number,
    readonly kind: number,
    readonly recvBufferBytes: number,
  ) {}

  /** Binds as openMirrorSocket does (dual-stack for ::, SO_REUSEPORT), or RECEIVER_BIND_FAILED. */
  static open(
    binding: NativeIntakeBinding,
    bind: string,
    port: number,
    recvBufferBytes: number,
    reusePort: boolean,
    kind: number,
  ): NativeMirrorSocket {
    try {
      const [fd, granted] = binding.openSocket(bind, port, recvBufferBytes, reusePort);
      return new NativeMirrorSocket(binding, fd, kind, granted);
    } catch (error) {
      throw new ReceiverError(
        'RECEIVER_BIND_FAILED',
        `cannot receive on udp ${formatHostPort(bind, port)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Takes what is queued (up to a batch) without waiting; returns how many datagrams. */
  receive(): number {
    if (!this.open_) return 0;
    return this.binding.receiveBatch(this.fd, this.data, this.meta, NATIVE_SLOT_BYTES, NATIVE_BATCH, 0);
  }

  close(): void {
    if (!this.open_) return;
    this.open_ = false;
    this.binding.closeSocket(this.fd);
  }
}
