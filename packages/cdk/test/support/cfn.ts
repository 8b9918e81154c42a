/** Small helpers over synthesized CloudFormation JSON. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Resolves the intrinsics a user-data script contains (Fn::Join, Ref, Fn::GetAtt, Fn::Select,
 * Fn::Split, Fn::Sub without variables) to a string, giving each reference a readable stand-in,
 * as CloudFormation would at deploy time.
 */
export function resolveToString(value: Json, refs: (name: string) => string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || Array.isArray(value)) throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  const [key] = Object.keys(value);
  const arg = value[key!]!;
  switch (key) {
    case 'Fn::Join': {
      const [sep, parts] = arg as [string, Json[]];
      return parts.map((p) => resolveToString(p, refs)).join(sep);
    }
    case 'Fn::Base64':
      return resolveToString(arg, refs);
    case 'Ref':
      return refs(arg as string);
    case 'Fn::GetAtt': {
      const [res, attr] = arg as [string, string];
      return refs(`${res}.${attr}`);
    }
    case 'Fn::Sub':
      return (arg as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => refs(name));
    default:
      throw new Error(`cannot resolve intrinsic ${key}`);
  }
}

/** Asset hashes change with every code change; snapshots keep the shape, not the hash. */
export function scrubAssetHashes(template: Json): Json {
  const text = JSON.stringify(template).replace(/[0-9a-f]{64}(\.(zip|mjs|json))?/g, 'ASSET-HASH$1');
  return JSON.parse(text) as Json;
}
