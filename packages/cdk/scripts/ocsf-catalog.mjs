// The OCSF lake catalog the OcsfLake construct reads at synth (assets/lake/ocsf-catalog.json), derived
// at build time from @fargate-mirror/ocsf itself so the Glue tables and Athena queries cannot drift
// from what the receivers write: each class's columns from `arrowLayout` (the Arrow schema the
// Parquet writer uses) in Hive/Glue type syntax, and the named queries from `NAMED_QUERIES` verbatim.
// An installed @fargate-mirror/cdk then needs neither the ocsf package nor apache-arrow.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DataType } from 'apache-arrow';

/** Hive DDL type of an Arrow type, as Glue and Athena's Parquet reader expect it. */
function glueType(type, path) {
  if (DataType.isMap(type)) {
    const [key, value] = type.children[0].type.children;
    return `map<${glueType(key.type, `${path}.key`)},${glueType(value.type, `${path}.value`)}>`;
  }
  if (DataType.isStruct(type))
    return `struct<${type.children.map((f) => `${f.name}:${glueType(f.type, `${path}.${f.name}`)}`).join(',')}>`;
  if (DataType.isList(type)) return `array<${glueType(type.children[0].type, `${path}[]`)}>`;
  if (DataType.isUtf8(type)) return 'string';
  if (DataType.isBool(type)) return 'boolean';
  if (DataType.isInt(type) && type.isSigned && type.bitWidth === 64) return 'bigint';
  if (DataType.isInt(type) && type.isSigned && type.bitWidth === 32) return 'int';
  throw new Error(`ocsf-catalog: ${path}: no Glue type for Arrow type ${String(type)}`);
}

/** Writes the catalog under `assetsDir`/lake; `repo` is the monorepo root. */
export async function writeOcsfCatalog(repo, assetsDir) {
  const ocsf = await import(pathToFileURL(join(repo, 'packages', 'ocsf', 'dist', 'index.js')).href);
  const doc = ocsf.loadOcsfSchema();
  const tables = Object.entries(ocsf.OCSF_CLASSES).map(([name, cls]) => ({
    name,
    classUid: cls.uid,
    className: cls.name,
    columns: ocsf
      .arrowLayout(doc, name)
      .schema.fields.map((f) => ({ name: f.name, type: glueType(f.type, `${name}.${f.name}`) })),
  }));
  const catalog = {
    ocsfVersion: ocsf.OCSF_VERSION,
    tables,
    namedQueries: ocsf.NAMED_QUERIES.map((q) => ({ name: q.name, description: q.description, sql: q.sql })),
  };
  mkdirSync(join(assetsDir, 'lake'), { recursive: true });
  writeFileSync(join(assetsDir, 'lake', 'ocsf-catalog.json'), `${JSON.stringify(catalog, null, 2)}\n`);
}
