import {
  Bool,
  type Data,
  type DataType,
  Int32,
  Int64,
  List,
  Map_,
  makeData,
  Struct,
  Utf8,
} from 'apache-arrow';
import { OcsfError } from '../errors.js';

/**
 * Arrow columns built from events by hand: plain arrays per leaf, packed into Arrow buffers once per
 * row group. Arrow JS's own builders cost ~100 µs per OCSF event (a call chain per nested field);
 * these cost a few, which is what keeps Parquet near the JSON Lines path's speed.
 */
export interface ColumnBuilder {
  /** Appends one value (undefined or null: a null). */
  append(value: unknown): void;
  /** The column so far as Arrow data; the builder starts again empty. */
  flush(): Data;
}

/** Validity bits, one per value appended, with the null count (a byte a value until packed). */
class Validity {
  private bytes = new Uint8Array(1024);
  length = 0;
  nulls = 0;

  push(valid: boolean): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = valid ? 1 : 0;
    if (!valid) this.nulls++;
  }

  /** The packed bitmap (undefined when nothing is null, as Arrow allows), and reset. */
  take(): { bitmap: Uint8Array | undefined; nullCount: number; length: number } {
    const { bytes, nulls, length } = this;
    let bitmap: Uint8Array | undefined;
    if (nulls > 0) {
      bitmap = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) if (bytes[i] === 1) bitmap[i >> 3] |= 1 << (i & 7);
    }
    this.length = 0;
    this.nulls = 0;
    return { bitmap, nullCount: nulls, length };
  }
}

const absent = (v: unknown) => v === undefined || v === null;

class Utf8Builder implements ColumnBuilder {
  private readonly validity = new Validity();
  private values: string[] = [];
  private bytes = 0;

  append(value: unknown): void {
    const valid = !absent(value);
    this.validity.push(valid);
    const s = valid ? String(value) : '';
    this.values.push(s);
    // An upper bound (UTF-16 code unit -> at most 3 bytes); the exact length comes from the encoder.
    this.bytes += s.length * 3;
  }

  flush(): Data {
    const { bitmap, nullCount, length } = this.validity.take();
    const offsets = new Int32Array(length + 1);
    const values = this.values;
    // One encode of the whole column: when it is all ASCII (the usual case: addresses, names, ids),
    // bytes and UTF-16 units coincide and the offsets are the string lengths; else string by string.
    const joined = values.join('');
    let data = Buffer.from(joined, 'utf8');
    if (data.length === joined.length) {
      let at = 0;
      for (let i = 0; i < length; i++) {
        at += values[i].length;
        offsets[i + 1] = at;
      }
    } else {
      data = Buffer.allocUnsafe(Math.max(1, this.bytes));
      let at = 0;
      for (let i = 0; i < length; i++) {
        const s = values[i];
        if (s.length > 0) at += data.write(s, at, 'utf8');
        offsets[i + 1] = at;
      }
      data = data.subarray(0, at);
    }
    this.values = [];
    this.bytes = 0;
    return makeData({
      type: new Utf8(),
      length,
      nullCount,
      nullBitmap: bitmap,
      valueOffsets: offsets,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    });
  }
}

class NumberBuilder implements ColumnBuilder {
  private readonly validity = new Validity();
  // Kept across row groups: one buffer a column, grown when a row group outgrows it.
  private values = new Float64Array(1024);

  constructor(private readonly type: Int32 | Int64) {}

  append(value: unknown): void {
    const at = this.validity.length;
    const valid = !absent(value);
    this.validity.push(valid);
    if (at === this.values.length) {
      const grown = new Float64Array(at * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[at] = valid ? (value as number) : 0;
  }

  flush(): Data {
    const { bitmap, nullCount, length } = this.validity.take();
    const values = this.values;
    if (this.type instanceof Int32) {
      return makeData({
        type: this.type,
        length,
        nullCount,
        nullBitmap: bitmap,
        data: Int32Array.from(values.subarray(0, length)),
      });
    }
    // Two's-complement halves (little-endian) of each safe integer: a BigInt per value costs more
    // than the rest of the column.
    const halves = new Int32Array(length * 2);
    for (let i = 0; i < length; i++) {
      const v = values[i];
      const high = Math.floor(v / 4294967296);
      halves[2 * i] = v - high * 4294967296;
      halves[2 * i + 1] = high;
    }
    const data = new BigInt64Array(halves.buffer);
    return makeData({ type: this.type, length, nullCount, nullBitmap: bitmap, data });
  }
}

class BoolBuilder implements ColumnBuilder {
  private readonly validity = new Validity();
  private values: boolean[] = [];

  append(value: unknown): void {
    const valid = !absent(value);
    this.validity.push(valid);
    this.values.push(value === true);
  }

  flush(): Data {
    const { bitmap, nullCount, length } = this.validity.take();
    const data = new Uint8Array((length + 7) >> 3);
    for (let i = 0; i < length; i++) if (this.values[i]) data[i >> 3] |= 1 << (i & 7);
    this.values = [];
    return makeData({ type: new Bool(), length, nullCount, nullBitmap: bitmap, data });
  }
}

/**
 * Appends an object's attributes to the child builders: generated per struct, so that each attribute
 * is read at its own property access site (one object shape each) instead of one keyed load over
 * every name, which V8 leaves megamorphic and slow.
 */
type AppendChildren = (children: readonly ColumnBuilder[], o: Record<string, unknown>) => void;

function appendChildrenOf(names: readonly string[]): AppendChildren {
  const lines = names.map((name, i) => `c[${i}].append(o[${JSON.stringify(name)}]);`);
  return new Function('c', 'o', lines.join('\n')) as AppendChildren;
}

class StructBuilder implements ColumnBuilder {
  private readonly validity = new Validity();
  private readonly children: ColumnBuilder[];
  private readonly appendChildren: AppendChildren;

  constructor(private readonly type: Struct) {
    this.children = type.children.map((f) => columnBuilder(f.type));
    this.appendChildren = appendChildrenOf(type.children.map((f) => f.name));
  }

  append(value: unknown): void {
    if (absent(value)) {
      this.validity.push(false);
      for (const child of this.children) child.append(undefined);
      return;
    }
    this.validity.push(true);
    this.appendChildren(this.children, value as Record<string, unknown>);
  }

  flush(): Data {
    const { bitmap, nullCount, length } = this.validity.take();
    return makeData({
      type: this.type,
      length,
      nullCount,
      nullBitmap: bitmap,
      children: this.children.map((c) => c.flush()),
    });
  }
}

class ListBuilder implements ColumnBuilder {
  private readonly validity = new Validity();
  private offsets: number[] = [0];
  private readonly child: ColumnBuilder;

  constructor(private readonly type: List) {
    this.child = columnBuilder(type.children[0].type);
  }

  append(value: unknown): void {
    const valid = Array.isArray(value);
    this.validity.push(valid);
    let end = this.offsets[this.offsets.length - 1];
    if (valid) {
      for (const item of value) this.child.append(item);
      end += value.length;
    }
    this.offsets.push(end);
  }

  flush(): Data {
    const { bitmap, nullCount, length } = this.validity.take();
    const offsets = Int32Array.from(this.offsets);
    this.offsets = [0];
    return makeData({
      type: this.type,
      length,
      nullCount,
      nullBitmap: bitmap,
      valueOffsets: offsets,
      child: this.child.flush(),
    });
  }
}

/** map<string,string> from a plain object's entries (keys and values straight into their columns). */
class MapBuilder implements ColumnBuilder {
  private readonly validity = new Validity();
  private offsets: number[] = [0];
  private readonly keys = new Utf8Builder();
  private readonly values = new Utf8Builder();

  constructor(private readonly type: Map_) {}

  append(value: unknown): void {
    const valid = !absent(value);
    this.validity.push(valid);
    let end = this.offsets[this.offsets.length - 1];
    if (valid) {
      const o = value as Record<string, unknown>;
      for (const key in o) {
        this.keys.append(key);
        this.values.append(o[key]);
        end++;
      }
    }
    this.offsets.push(end);
  }

  flush(): Data {
    const { bitmap, nullCount, length } = this.validity.take();
    const offsets = Int32Array.from(this.offsets);
    this.offsets = [0];
    const keys = this.keys.flush();
    const entries = makeData({
      type: this.type.children[0].type as Struct,
      length: keys.length,
      nullCount: 0,
      children: [keys, this.values.flush()],
    });
    return makeData({
      type: this.type,
      length,
      nullCount,
      nullBitmap: bitmap,
      valueOffsets: offsets,
      child: entries,
    });
  }
}

/** The builder of a column of the given Arrow type (the types arrowLayout produces). */
export function columnBuilder(type: DataType): ColumnBuilder {
  if (type instanceof Utf8) return new Utf8Builder();
  if (type instanceof Int32 || type instanceof Int64) return new NumberBuilder(type);
  if (type instanceof Bool) return new BoolBuilder();
  if (type instanceof Struct) return new StructBuilder(type);
  if (type instanceof Map_) return new MapBuilder(type);
  if (type instanceof List) return new ListBuilder(type);
  throw new OcsfError('OCSF_SCHEMA_UNREADABLE', `no column builder for Arrow type ${String(type)}`);
}
