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
    const data = Buffer.allocUnsafe(Math.max(1, this.bytes));
    let at = 0;
    for (let i = 0; i < length; i++) {
      const s = this.values[i];
      if (s.length > 0) at += data.write(s, at, 'utf8');
      offsets[i + 1] = at;
    }
    this.values = [];
    this.bytes = 0;
    return makeData({
      type: new Utf8(),
      length,
      nullCount,
      nullBitmap: bitmap,
      valueOffsets: offsets,
      data: new Uint8Array(data.buffer, data.byteOffset, at),
    });
  }
}

class NumberBuilder implements ColumnBuilder {
  private readonly validity = new Validity();
  private values: number[] = [];

  constructor(private readonly type: Int32 | Int64) {}

  append(value: unknown): void {
    const valid = !absent(value);
    this.validity.push(valid);
    this.values.push(valid ? (value as number) : 0);
  }

  flush(): Data {
    const { bitmap, nullCount, length } = this.validity.take();
    const values = this.values;
    this.values = [];
    if (this.type instanceof Int32) {
      return makeData({
        type: this.type,
        length,
        nullCount,
        nullBitmap: bitmap,
        data: Int32Array.from(values),
      });
    }
    const data = new BigInt64Array(length);
    for (let i = 0; i < length; i++) data[i] = BigInt(values[i]);
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

class StructBuilder implements ColumnBuilder {
  private readonly validity = new Validity();
  private readonly names: string[];
  private readonly children: ColumnBuilder[];

  constructor(private readonly type: Struct) {
    this.names = type.children.map((f) => f.name);
    this.children = type.children.map((f) => columnBuilder(f.type));
  }

  append(value: unknown): void {
    const valid = !absent(value);
    this.validity.push(valid);
    const o = value as Record<string, unknown>;
    for (let i = 0; i < this.names.length; i++) this.children[i].append(valid ? o[this.names[i]] : undefined);
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

/** map<string,string> from a plain object's entries. */
class MapBuilder implements ColumnBuilder {
  private readonly validity = new Validity();
  private offsets: number[] = [0];
  private readonly entries: StructBuilder;

  constructor(private readonly type: Map_) {
    this.entries = new StructBuilder(type.children[0].type as Struct);
  }

  append(value: unknown): void {
    const valid = !absent(value);
    this.validity.push(valid);
    let end = this.offsets[this.offsets.length - 1];
    if (valid) {
      for (const key in value as Record<string, unknown>) {
        this.entries.append({ key, value: (value as Record<string, unknown>)[key] });
        end++;
      }
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
      child: this.entries.flush() as Data<Struct>,
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
