/** Splunk sourcetype of each record type; the add-on in splunk/ maps them to CIM data models. */
export const HEC_SOURCETYPE_PREFIX = 'fargate_mirror:';

export interface EnvelopeOptions {
  /** HEC `index` (must be allowed for the token). Omitted: the token's default index. */
  readonly index?: string;
  /** HEC `source`. @default 'fargate-mirror' */
  readonly source?: string;
  /** HEC `host` for every event; by default the record's `dvc`. */
  readonly host?: string;
}

/**
 * Wraps one record (a JSON object serialised on one line, as the JSON Lines sink writes it) in a HEC
 * event envelope: `time` from the record's `time` (epoch seconds with the microseconds kept exactly),
 * `host` = `dvc`, `sourcetype` = `fargate_mirror:<type>`, and the record itself as `event`. The
 * record's text is reused as it is, not parsed again, when it starts the way our records do.
 */
export function hecEnvelope(line: string, options: EnvelopeOptions = {}): string {
  let type = leadingType(line);
  let time = type === undefined ? undefined : timeField(line);
  // Captured HTTP headers are nested objects whose keys could be anything, "dvc" included.
  const nested = line.includes('_headers":{');
  let host = options.host ?? (nested ? undefined : stringField(line, '"dvc":"', true));
  if (type === undefined || time === undefined || host === undefined) {
    const record = JSON.parse(line) as Record<string, unknown>;
    type = typeof record['type'] === 'string' ? record['type'] : 'record';
    time = typeof record['time'] === 'string' ? epochSeconds(record['time']) : undefined;
    host = options.host ?? (typeof record['dvc'] === 'string' ? record['dvc'] : 'fargate-mirror');
  }
  const index = options.index === undefined ? '' : `,"index":${JSON.stringify(options.index)}`;
  const timePart = time === undefined ? '' : `"time":${time},`;
  return `{${timePart}"host":${JSON.stringify(host)},"source":${JSON.stringify(options.source ?? 'fargate-mirror')},"sourcetype":"${HEC_SOURCETYPE_PREFIX}${type}"${index},"event":${line}}`;
}

/** `2026-11-21T05:12:31.123456Z` -> `1795237951.123456` (a string: no float rounding). */
export function epochSeconds(iso: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(iso);
  if (m === null) {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? undefined : String(ms / 1000);
  }
  const seconds = Date.parse(`${m[1]}Z`) / 1000;
  return m[2] === undefined ? String(seconds) : `${seconds}.${m[2]}`;
}

function leadingType(line: string): string | undefined {
  const prefix = '{"type":"';
  if (!line.startsWith(prefix)) return undefined;
  const end = line.indexOf('"', prefix.length);
  const type = line.slice(prefix.length, end);
  return /^[a-z_]+$/.test(type) ? type : undefined;
}

function timeField(line: string): string | undefined {
  const iso = stringField(line, '"time":"', false);
  return iso === undefined ? undefined : epochSeconds(iso);
}

/** A simple (escape-free) top-level string field; undefined when absent or not simple. */
function stringField(line: string, key: string, last: boolean): string | undefined {
  const at = last ? line.lastIndexOf(key) : line.indexOf(key);
  if (at < 0) return undefined;
  const start = at + key.length;
  const end = line.indexOf('"', start);
  if (end < 0) return undefined;
  const value = line.slice(start, end);
  return value.includes('\\') ? undefined : value;
}
