import { Bool, type DataType, Field, Int32, Int64, List, Map_, Schema, Struct, Utf8 } from 'apache-arrow';
import { OcsfError } from '../errors.js';
import { type OcsfSchemaDocument, resolveNode, type SchemaNode } from '../schema/ocsf-schema.js';

/** The Parquet columns of one OCSF class: the schema, and the struct of one event. */
export interface ArrowLayout {
  readonly schema: Schema;
  readonly struct: Struct;
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
  const struct = layoutOf(doc, root, className) as Struct;
  return { schema: new Schema(struct.children), struct };
}

function layoutOf(doc: OcsfSchemaDocument, raw: SchemaNode, path: string): DataType {
  const node = resolveNode(doc, raw);
  if (node.ocsf_type === 'map_t') {
    const entries = new Struct([new Field('key', new Utf8(), false), new Field('value', new Utf8(), true)]);
    return new Map_(new Field('entries', entries, false));
  }
  switch (node.type) {
    case 'object':
      return new Struct(
        Object.entries(node.properties ?? {}).map(
          ([name, child]) => new Field(name, layoutOf(doc, child, `${path}.${name}`), true),
        ),
      );
    case 'array':
      if (node.items === undefined)
        throw new OcsfError('OCSF_SCHEMA_UNREADABLE', `${path}: array without items`);
      return new List(new Field('element', layoutOf(doc, node.items, `${path}[]`), true));
    case 'string':
      return new Utf8();
    case 'boolean':
      return new Bool();
    case 'integer':
      return LONG_TYPES.has(node.ocsf_type ?? '') ? new Int64() : new Int32();
    default:
      throw new OcsfError('OCSF_SCHEMA_UNREADABLE', `${path}: no Parquet type for schema type ${node.type}`);
  }
}
