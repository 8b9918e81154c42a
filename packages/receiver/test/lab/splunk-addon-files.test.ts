// The Splunk add-on (splunk/TA-fargate-mirror) against real records: for each CIM data model its
// sourcetype feeds, every field the model requires (pytest-splunk-addon's data model definitions,
// the validator Splunk uses for CIM compliance) is in the records or made by a field alias or eval;
// event types select the sourcetypes, tags carry each model's constraint; timestamps parse; the DNS
// section counts agree with tshark's reading of the same capture.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ofType, type Rec, readRecords, SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { requireTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ADDON = join(import.meta.dirname, '../../../../splunk/TA-fargate-mirror');

type Conf = Map<string, Map<string, string>>;

/** Splunk .conf: [stanza] then key = value; # comments; continuation lines are not used here. */
function readConf(name: string): Conf {
  const conf: Conf = new Map();
  let stanza = new Map<string, string>();
  conf.set('', stanza);
  for (const raw of readFileSync(join(ADDON, name), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      stanza = new Map();
      conf.set(header[1] as string, stanza);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`${name}: not a key = value line: ${line}`);
    stanza.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return conf;
}

/** Field names KV_MODE=json extracts from a record: nested objects dotted, arrays as `name{}`. */
function jsonFields(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) jsonFields(v, `${prefix}{}`, out);
    if (value.length === 0) out.add(`${prefix}{}`);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) jsonFields(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (prefix !== '') out.add(prefix);
  return out;
}

/** What FIELDALIAS-* (`a AS b c AS d`) and EVAL-* keys of a props stanza create, and the alias sources. */
function derived(stanza: Map<string, string>): { created: Set<string>; aliasSources: string[] } {
  const created = new Set<string>();
  const aliasSources: string[] = [];
  for (const [key, value] of stanza) {
    if (key.startsWith('EVAL-')) created.add(key.slice(5));
    if (key.startsWith('FIELDALIAS-')) {
      const re = /("[^"]+"|\S+)\s+AS\s+("[^"]+"|\S+)/gi;
      for (const m of value.matchAll(re)) {
        aliasSources.push((m[1] as string).replace(/"/g, ''));
        created.add((m[2] as string).replace(/"/g, ''));
      }
    }
  }
  return { created, aliasSources };
}

// Required fields by data model (pytest-splunk-addon standard_lib/data_models/*.json; Appendix B).
const MODELS = {
  Network_Traffic: {
    sourcetype: 'fargate_mirror:flow',
    type: 'flow',
    tags: ['network', 'communicate'],
    required: ['action', 'app', 'dest', 'dvc', 'src', 'transport'],
  },
  Web: {
    sourcetype: 'fargate_mirror:http',
    type: 'http',
    tags: ['web'],
    required: [
      'action',
      'app',
      'dest',
      'dest_port',
      'src',
      'status',
      'uri_path',
      'url',
      'url_length',
      'category',
      'bytes',
      'bytes_in',
      'bytes_out',
      'http_user_agent',
      'http_user_agent_length',
    ],
  },
  Network_Resolution: {
    sourcetype: 'fargate_mirror:dns',
    type: 'dns',
    tags: ['network', 'resolution', 'dns'],
    required: [
      'additional_answer_count',
      'answer',
      'answer_count',
      'authority_answer_count',
      'dest',
      'message_type',
      'query',
      'query_count',
      'query_type',
      'record_type',
      'reply_code',
      'reply_code_id',
      'response_time',
      'src',
      'transaction_id',
      'transport',
    ],
  },
} as const;

describe('the Splunk add-on', () => {
  let dir: string;
  let records: Rec[];
  let rawLines: string[];
  const props = readConf('default/props.conf');
  const eventtypes = readConf('default/eventtypes.conf');
  const tags = readConf('default/tags.conf');

  beforeAll(async () => {
    requireTools(['tshark']);
    dir = mkdtempSync(join(tmpdir(), 'fm-splunk-'));
    const out = join(dir, 'records.jsonl');
    records = (await readRecords(SAMPLE_MIRROR, out)).records;
    rawLines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [model, m] of Object.entries(MODELS)) {
    it(`${model}: every required field is in the ${m.type} records or made by the add-on`, () => {
      const ofThisType = ofType(records, m.type);
      expect(ofThisType.length).toBeGreaterThan(0);
      const stanza = props.get(m.sourcetype);
      expect(stanza, `props.conf has no [${m.sourcetype}]`).toBeDefined();
      const fromRecords = new Set<string>();
      for (const r of ofThisType) for (const f of jsonFields(r)) fromRecords.add(f);
      const { created, aliasSources } = derived(stanza as Map<string, string>);
      // An alias whose source no record has would silently create nothing.
      for (const source of aliasSources) expect(fromRecords, `alias source ${source}`).toContain(source);
      const missing = m.required.filter((f) => !fromRecords.has(f) && !created.has(f));
      expect(missing).toEqual([]);
    });

    it(`${model}: an event type selects ${m.sourcetype} and carries the tags ${m.tags.join(', ')}`, () => {
      const names = [...eventtypes]
        .filter(([, s]) => s.get('search') === `sourcetype="${m.sourcetype}"`)
        .map(([n]) => n);
      expect(names).toHaveLength(1);
      const tagged = tags.get(`eventtype=${names[0]}`);
      for (const t of m.tags) expect(tagged?.get(t)).toBe('enabled');
    });
  }

  it("Network_Resolution: the section counts are the DNS header's, as tshark reads them", () => {
    // tshark (Wireshark's DNS dissector) over the same capture: each response's id, name and counts.
    const rows = execFileSync(
      'tshark',
      [
        '-r',
        SAMPLE_MIRROR,
        '-Y',
        'dns.flags.response == 1',
        '-T',
        'fields',
        '-e',
        'dns.id',
        '-e',
        'dns.qry.name',
        '-e',
        'dns.count.answers',
        '-e',
        'dns.count.auth_rr',
        '-e',
        'dns.count.add_rr',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    )
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
    const expected = rows
      .map(([id, name, an, ns, ar]) => [Number(id), name, Number(an), Number(ns), Number(ar)])
      .sort();
    const got = ofType(records, 'dns')
      .map((r) => [
        r['transaction_id'],
        r['query'],
        r['answer_count'],
        r['authority_answer_count'],
        r['additional_answer_count'],
      ])
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(got).toEqual(expected);
  });

  it('extracts JSON at search time and reads the record time (TIME_PREFIX, TIME_FORMAT) of every record', () => {
    for (const type of ['flow', 'http', 'dns', 'tls']) {
      const stanza = props.get(`fargate_mirror:${type}`) as Map<string, string>;
      expect(stanza.get('KV_MODE')).toBe('json');
      expect(stanza.get('TIME_FORMAT')).toBe('%Y-%m-%dT%H:%M:%S.%6N%Z');
      const prefix = new RegExp(stanza.get('TIME_PREFIX') as string);
      const lookahead = Number(stanza.get('MAX_TIMESTAMP_LOOKAHEAD'));
      for (const line of rawLines.filter((l) => l.startsWith(`{"type":"${type}"`))) {
        const m = prefix.exec(line);
        expect(m).not.toBeNull();
        const text = line.slice((m?.index ?? 0) + (m?.[0].length ?? 0)).slice(0, lookahead);
        // %Y-%m-%dT%H:%M:%S.%6N%Z: the record's time as written, microseconds and the Z zone.
        const t = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z/.exec(text);
        expect(t, text).not.toBeNull();
        const rec = JSON.parse(line) as Rec;
        expect(`${t?.slice(1, 4).join('-')}T${t?.slice(4, 7).join(':')}.${t?.[7]}Z`).toBe(rec['time']);
      }
    }
  });

  it('has the files of an add-on, each sourcetype in props.conf and exported to all apps', () => {
    const app = readConf('default/app.conf');
    expect(app.get('package')?.get('id')).toBe('TA-fargate-mirror');
    expect([...props.keys()].filter((k) => k !== '').sort()).toEqual([
      'fargate_mirror:dns',
      'fargate_mirror:flow',
      'fargate_mirror:http',
      'fargate_mirror:tls',
    ]);
    expect(readConf('metadata/default.meta').get('')?.get('export')).toBe('system');
  });
});
