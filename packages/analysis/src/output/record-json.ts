/**
 * One record as JSON text, exactly as `JSON.stringify(record)` writes it, faster for the records `read`
 * writes most: short flows make flow records the bulk of the output, and JSON.stringify walking each
 * one showed at the top of read's profile. A flow record whose fields come in the order and with the
 * types buildFlowRecord gives them is written from fixed fragments; fields after them (workload
 * identity, fields added later) are written one by one with JSON.stringify; anything else (another
 * order, another type, a missing field) falls back to JSON.stringify of the whole record, so records
 * from other sources or of a newer shape still come out right, only slower.
 */
export function recordJson(record: object): string {
  if ((record as { type?: unknown }).type === 'flow') {
    const text = flowRecordJson(record as Record<string, unknown>);
    if (text !== undefined) return text;
  }
  return JSON.stringify(record);
}

// The flow record's fields in order (FlowRecord, records/flow-record.ts), with the kind of value each
// must hold for the fast path: s string, n finite number, t string or number, m mirror points.
const FLOW_FIELDS: readonly (readonly [string, 's' | 'n' | 't' | 'm'])[] = [
  ['type', 's'],
  ['schema_version', 's'],
  ['time', 's'],
  ['vni', 'n'],
  ['mirror_points', 'm'],
  ['direction', 's'],
  ['transport', 't'],
  ['src_ip', 's'],
  ['src_port', 'n'],
  ['dest_ip', 's'],
  ['dest_port', 'n'],
  ['packets_out', 'n'],
  ['bytes_out', 'n'],
  ['packets_in', 'n'],
  ['bytes_in', 'n'],
  ['packets', 'n'],
  ['bytes', 'n'],
  ['start_time', 's'],
  ['end_time', 's'],
  ['duration', 'n'],
  ['tcp_flag', 's'],
  ['community_id', 's'],
  ['truncated_packets', 'n'],
  ['missed_bytes', 'n'],
  ['flow_end_reason', 's'],
  ['src', 's'],
  ['dest', 's'],
  ['action', 's'],
  ['app', 's'],
  ['dvc', 's'],
];
const FLOW_KEYS = FLOW_FIELDS.map(([key]) => key);
const FLOW_KINDS = FLOW_FIELDS.map(([, kind]) => kind);
/** `{"type":` then `,"schema_version":` ...: the text before each field's value. */
const FLOW_PREFIXES = FLOW_KEYS.map((key, i) => `${i === 0 ? '{' : ','}${JSON.stringify(key)}:`);
const POINT_KEYS = ['vni', 'eni_id', 'mirror_session_id', 'outer_src_ip'];

// Characters JSON.stringify writes escaped: quote, backslash, control characters, lone surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** The flow record's JSON, or undefined when it is not of the shape the fast path knows. */
function flowRecordJson(r: Record<string, unknown>): string | undefined {
  let out = '';
  let i = 0;
  const known = FLOW_KEYS.length;
  for (const key in r) {
    if (i < known) {
      if (key !== FLOW_KEYS[i]) return undefined;
      const value = r[key];
      const kind = FLOW_KINDS[i];
      let text: string | undefined;
      if (typeof value === 'string') text = kind === 's' || kind === 't' ? quote(value) : undefined;
      else if (typeof value === 'number')
        text = (kind === 'n' || kind === 't') && Number.isFinite(value) ? String(value) : undefined;
      else if (kind === 'm') text = mirrorPointsJson(value);
      if (text === undefined) return undefined;
      out += FLOW_PREFIXES[i] + text;
    } else {
      if (!Object.hasOwn(r, key)) return undefined;
      // JSON.stringify leaves out fields whose value it cannot write (undefined, functions).
      const text = JSON.stringify(r[key]) as string | undefined;
      if (text !== undefined) out += `,${JSON.stringify(key)}:${text}`;
    }
    i++;
  }
  return i < known ? undefined : `${out}}`;
}

function mirrorPointsJson(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  let out = '[';
  for (let p = 0; p < value.length; p++) {
    const point = value[p] as Record<string, unknown> | null;
    if (typeof point !== 'object' || point === null) return undefined;
    let i = 0;
    for (const key in point) if (key !== POINT_KEYS[i++]) return undefined;
    if (i !== POINT_KEYS.length) return undefined;
    const vni = point['vni'];
    const outer = point['outer_src_ip'];
    const eni = nullableString(point['eni_id']);
    const session = nullableString(point['mirror_session_id']);
    if (typeof vni !== 'number' || !Number.isFinite(vni) || typeof outer !== 'string') return undefined;
    if (eni === undefined || session === undefined) return undefined;
    out += `${p === 0 ? '' : ','}{"vni":${vni},"eni_id":${eni},"mirror_session_id":${session},"outer_src_ip":${quote(outer)}}`;
  }
  return `${out}]`;
}

function nullableString(value: unknown): string | undefined {
  return value === null ? 'null' : typeof value === 'string' ? quote(value) : undefined;
}
