import { Bool, type DataType, Field, Int32, Int64, List, Map_, Schema, Struct, Utf8 } from 'apache-arrow';
import { OcsfError } from '../errors.js';
import { type OcsfSchemaDocument, resolveNode, type SchemaNode } from '../schema/ocsf-schema.js';

/** Turns an event's JSON values into what Arrow's builders take (bigint longs, Map maps), in place. */
export type Prepare = (value: Record<string, unknown>) => void;

/** The Parquet columns of one OCSF class and how to prepare an event for them. */
export interface ArrowLayout {
  readonly schema: Schema;
  readonly struct: Struct;
  readonly prepare: Prepare;
}

const LONG_TYPES = new Set(['long_t', 'timestamp_t']);

/**
 * The Arrow (and so Parquet) layout of an OCSF class, derived from the vendored schema so that the
 * columns are exactly the validated attributes, in schema order: objects become structs, arrays
 * lists, `unmapped` a map<string,string>; long_t and timestamp_t are int64 (epoch milliseconds, as
 * Security Lake stores `time`), integer_t and port_t int32. Every column is nullable: OCSF leaves
 * most attributes optional, and a file's layout must not depend on which records it holds.
 */
export function arrowLayout(doc: OcsfSchemaDocument, className: string): ArrowLayout {
  const root = doc.definitions[className];
  if (root === undefined)
    throw new OcsfError('OCSF_SCHEMA_UNREADABLE', `the OCSF schema has no class ${className}`);
  const { type, prepare } = layoutOf(doc, root, className);
  const struct = type as Struct;
  return {
    schema: new Schema(struct.children),
    struct,
    prepare: prepare === null ? () => {} : (prepare as Prepare),
  };
}

interface NodeLayout {
  readonly type: DataType;
  /** Fixes a value of this node in place (objects) or returns its replacement (leaves, maps). */
  readonly prepare: ((value: unknown) => unknown) | null;
}

function layoutOf(doc: OcsfSchemaDocument, raw: SchemaNode, path: string): NodeLayout {
  const node = resolveNode(doc, raw);
  if (node.ocsf_type === 'map_t') {
    const entries = new Struct([new Field('key', new Utf8(), false), new Field('value', new Utf8(), true)]);
    return {
      type: new Map_(new Field('entries', entries, false)),
      prepare: (v) => new Map(Object.entries(v as Record<string, string>)),
    };
  }
  switch (node.type) {
    case 'object':
      return objectLayout(doc, node, path);
    case 'array': {
      if (node.items === undefined)
        throw new OcsfError('OCSF_SCHEMA_UNREADABLE', `${path}: array without items`);
      const item = layoutOf(doc, node.items, `${path}[]`);
      const fix = item.prepare;
      return {
        type: new List(new Field('element', item.type, true)),
        prepare:
          fix === null
            ? null
            : (v) => {
                const list = v as unknown[];
                for (let i = 0; i < list.length; i++) list[i] = fix(list[i]);
                return list;
              },
      };
    }
    case 'string':
      return { type: new Utf8(), prepare: null };
    case 'boolean':
      return { type: new Bool(), prepare: null };
    case 'integer':
      return LONG_TYPES.has(node.ocsf_type ?? '')
        ? { type: new Int64(), prepare: (v) => BigInt(v as number) }
        : { type: new Int32(), prepare: null };
    default:
      throw new OcsfError('OCSF_SCHEMA_UNREADABLE', `${path}: no Parquet type for schema type ${node.type}`);
  }
}

function objectLayout(doc: OcsfSchemaDocument, node: SchemaNode, path: string): NodeLayout {
  const fields: Field[] = [];
  const fixes: [string, (value: unknown) => unknown][] = [];
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const layout = layoutOf(doc, child, `${path}.${name}`);
    fields.push(new Field(name, layout.type, true));
    if (layout.prepare !== null) fixes.push([name, layout.prepare]);
  }
  return {
    type: new Struct(fields),
    prepare:
      fixes.length === 0
        ? null
        : (v) => {
            const o = v as Record<string, unknown>;
            for (const [name, fix] of fixes) {
              const value = o[name];
              if (value !== undefined && value !== null) o[name] = fix(value);
            }
            return o;
          },
  };
}
