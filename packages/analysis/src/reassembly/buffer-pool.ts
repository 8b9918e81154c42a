// Size classes: 256 B .. 64 KiB, powers of two. A TCP segment (even a 64 KB super-frame from the
// sidecar) or a protocol head being assembled always fits one class.
const MIN_CLASS_BITS = 8;
const MAX_CLASS_BITS = 16;
const CLASS_COUNT = MAX_CLASS_BITS - MIN_CLASS_BITS + 1;

/** Largest buffer the pool hands out. */
export const MAX_POOLED_BUFFER = 1 << MAX_CLASS_BITS;

export interface BufferPoolStats {
  /** Bytes held by the pool: handed out plus kept for reuse. Never above the budget. */
  allocatedBytes: number;
  inUseBytes: number;
  acquired: number;
  reused: number;
  /** Requests refused because the budget was spent. */
  refused: number;
}

/**
 * Buffers for the bytes that must outlive their packet: out-of-order TCP segments and protocol heads
 * split across segments. Freed buffers are kept per size class and reused, so a steady state
 * allocates nothing; the total held is bounded by `budgetBytes`, and a request beyond it is refused
 * (the caller then gives up on that data and counts it) instead of growing memory.
 */
export class BufferPool {
  readonly budgetBytes: number;
  readonly stats: BufferPoolStats = { allocatedBytes: 0, inUseBytes: 0, acquired: 0, reused: 0, refused: 0 };
  private readonly free: Buffer[][] = [];

  constructor(budgetBytes: number) {
    if (!Number.isFinite(budgetBytes) || budgetBytes < MAX_POOLED_BUFFER)
      throw new RangeError(`buffer budget must be >= ${MAX_POOLED_BUFFER} bytes, got ${budgetBytes}`);
    this.budgetBytes = budgetBytes;
    for (let i = 0; i < CLASS_COUNT; i++) this.free.push([]);
  }

  /** A buffer of at least `size` bytes (its length is the class size), or undefined over budget. */
  acquire(size: number): Buffer | undefined {
    if (size > MAX_POOLED_BUFFER) {
      this.stats.refused++;
      return undefined;
    }
    const cls = classOf(size);
    const classSize = 1 << (cls + MIN_CLASS_BITS);
    const list = this.free[cls];
    const stats = this.stats;
    let buf = list.pop();
    if (buf !== undefined) {
      stats.reused++;
    } else {
      if (stats.allocatedBytes + classSize > this.budgetBytes) this.dropFreeBuffers(classSize);
      if (stats.allocatedBytes + classSize > this.budgetBytes) {
        stats.refused++;
        return undefined;
      }
      buf = Buffer.allocUnsafeSlow(classSize);
      stats.allocatedBytes += classSize;
    }
    stats.acquired++;
    stats.inUseBytes += classSize;
    return buf;
  }

  release(buf: Buffer): void {
    const cls = classOf(buf.length);
    this.stats.inUseBytes -= buf.length;
    this.free[cls].push(buf);
  }

  /**
   * Copies `used` bytes of `buf` into a buffer of at least `size` bytes and releases `buf`; returns
   * undefined (with `buf` still owned by the caller) when the budget refuses.
   */
  grow(buf: Buffer, used: number, size: number): Buffer | undefined {
    const bigger = this.acquire(size);
    if (bigger === undefined) return undefined;
    buf.copy(bigger, 0, 0, used);
    this.release(buf);
    return bigger;
  }

  /** Lets kept buffers of other sizes go, so the budget can serve a size that is needed now. */
  private dropFreeBuffers(needed: number): void {
    for (let cls = CLASS_COUNT - 1; cls >= 0; cls--) {
      const list = this.free[cls];
      const size = 1 << (cls + MIN_CLASS_BITS);
      while (list.length > 0 && this.stats.allocatedBytes + needed > this.budgetBytes) {
        list.pop();
        this.stats.allocatedBytes -= size;
      }
    }
  }
}

function classOf(size: number): number {
  if (size <= 1 << MIN_CLASS_BITS) return 0;
  return 32 - Math.clz32(size - 1) - MIN_CLASS_BITS;
}
