import { readFileSync } from 'node:fs';
import { OcsfError } from '../errors.js';

/** OCSF release the events follow (metadata.version) and the vendored schema describes. */
export const OCSF_VERSION = '1.8.0';

/** A node of the vendored JSON Schema: what the Arrow layout and the validating test read. */
export interface SchemaNode {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  /** The OCSF data type (string_t, long_t, timestamp_t, ...), which decides the Parquet column type. */
  readonly ocsf_type?: string;
  readonly $ref?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly items?: SchemaNode;
  readonly required?: readonly string[];
}

export interface OcsfSchemaDocument {
  readonly $id: string;
  readonly ocsf_version: string;
  readonly definitions: Readonly<Record<string, SchemaNode>>;
}

/** The schema file's path: shipped beside dist/ in the package (`schema/`). */
export const OCSF_SCHEMA_URL = new URL('../../schema/ocsf-1.8.0-network.schema.json', import.meta.url);

/** The schema's text, set by a single-file bundle (packages/cdk/scripts/bundle-assets.mjs), which has no schema/ beside it. */
declare const FARGATE_MIRROR_OCSF_SCHEMA: string | undefined;

let cached: OcsfSchemaDocument | undefined;

export function loadOcsfSchema(): OcsfSchemaDocument {
  if (cached !== undefined) return cached;
  try {
    const text =
      typeof FARGATE_MIRROR_OCSF_SCHEMA === 'string'
        ? FARGATE_MIRROR_OCSF_SCHEMA
        : readFileSync(OCSF_SCHEMA_URL, 'utf8');
    cached = JSON.parse(text) as OcsfSchemaDocument;
  } catch (error) {
    throw new OcsfError(
      'OCSF_SCHEMA_UNREADABLE',
      `cannot read the OCSF schema at ${OCSF_SCHEMA_URL.pathname}: ${(error as Error).message} (reinstall @fargate-mirror/ocsf)`,
      { cause: error },
    );
  }
  if (cached.ocsf_version !== OCSF_VERSION) {
    throw new OcsfError(
      'OCSF_SCHEMA_UNREADABLE',
      `the OCSF schema file is version ${cached.ocsf_version}, the mapping writes ${OCSF_VERSION}`,
    );
  }
  return cached;
}

/** Follows a `#/definitions/NAME` reference. */
export function resolveNode(doc: OcsfSchemaDocument, node: SchemaNode): SchemaNode {
  if (node.$ref === undefined) return node;
  const name = node.$ref.slice('#/definitions/'.length);
  const target = doc.definitions[name];
  if (target === undefined)
    throw new OcsfError('OCSF_SCHEMA_UNREADABLE', `schema reference ${node.$ref} is missing`);
  return target;
}
