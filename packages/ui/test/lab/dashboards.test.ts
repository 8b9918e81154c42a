// The dashboards against what really exists. Grafana: every metric each panel queries, and every label
// it groups by, is on the /metrics of a real `receive` (HEC and an identity map configured) while
// `replay` sends it the sample capture. Splunk: the Dashboard Studio JSON is whole (data sources,
// layout, time range), the add-on's view file wraps exactly it, and every field a search names is a
// field of its CIM data model that the add-on produces from real records (read with an identity map).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { run, type Started, start } from '@fargate-mirror/testkit/proc';
import { LOOPBACK_RECEIVE, parseReady, RECEIVE_READY } from '@fargate-mirror/testkit/receive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/chromium.ts';

const CLI = join(REPO, 'packages/cli/dist/bin.js');
const GRAFANA = join(REPO, 'grafana/fargate-mirror-receiver.json');
const ADDON = join(REPO, 'splunk/TA-fargate-mirror');
const DASHBOARD = join(ADDON, 'dashboards/fargate_mirror_traffic.json');
const VIEW = join(ADDON, 'default/data/ui/views/fargate_mirror_traffic.xml');

const IDENTITY = [
  'addresses:',
  '  10.77.1.1: { cluster: shop, service: checkout, task_arn: "arn:aws:ecs:us-east-1:1:task/shop/0a1b", eni_id: eni-1 }',
  '  10.77.1.2: { cluster: shop, service: catalog, task_arn: "arn:aws:ecs:us-east-1:1:task/shop/9f8e", eni_id: eni-2 }',
].join('\n');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fm-dashboards-'));
  writeFileSync(join(dir, 'identity.yaml'), IDENTITY);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Prometheus text to metric name -> label names seen on it. */
function metricLabels(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s/.exec(line);
    if (!m) continue;
    const labels = out.get(m[1] as string) ?? new Set<string>();
    for (const pair of (m[2] ?? '').split(',').filter(Boolean)) labels.add(pair.split('=')[0] as string);
    out.set(m[1] as string, labels);
  }
  return out;
}

interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  targets?: { expr: string }[];
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(GRAFANA, 'utf8')) as {
    panels: GrafanaPanel[];
    templating: { list: { name: string; query: unknown }[] };
  };
  let receiver: Started | undefined;
  afterAll(async () => {
    if (receiver !== undefined && receiver.child.exitCode === null) await receiver.stop('SIGTERM', 30_000);
  });

  it('queries only metrics and labels a real receiver exposes', async () => {
    const token = join(dir, 'hec-token');
    writeFileSync(token, 'a-token-for-a-hec-that-is-not-there\n');
    chmodSync(token, 0o600);
    receiver = start(process.execPath, [
      CLI,
      'receive',
      ...LOOPBACK_RECEIVE,
      '--records',
      join(dir, 'receive.jsonl'),
      '--identity-map',
      join(dir, 'identity.yaml'),
      // A HEC that refuses connections: the HEC series exist and the events wait in the spool.
      '--hec-url',
      'http://127.0.0.1:9/services/collector/event',
      '--hec-token-file',
      token,
      '--hec-spool-dir',
      join(dir, 'spool'),
    ]);
    await receiver.waitForOutput(RECEIVE_READY, 30_000);
    const { port, healthPort } = parseReady(receiver.stderr());
    const sent = await run(process.execPath, [CLI, 'replay', SAMPLE_MIRROR, '--to', `127.0.0.1:${port}`]);
    expect(sent.code, sent.stderr).toBe(0);
    let labels = new Map<string, Set<string>>();
    const deadline = Date.now() + 30_000;
    // Per-VNI series appear once the workers' counters reach the main thread.
    while (!labels.has('fargate_mirror_receiver_vni_packets_total') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      labels = metricLabels(await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text());
    }

    const exprs: { where: string; expr: string }[] = [];
    for (const p of dashboard.panels)
      for (const t of p.targets ?? []) exprs.push({ where: p.title, expr: t.expr });
    for (const v of dashboard.templating.list) {
      if (typeof v.query === 'object' && v.query !== null) {
        exprs.push({ where: `variable ${v.name}`, expr: (v.query as { query: string }).query });
      }
    }
    expect(exprs.length).toBeGreaterThan(20);
    const used = new Set<string>();
    for (const { where, expr } of exprs) {
      const names = [...expr.matchAll(/\bfargate_mirror_[a-z0-9_]+/g)].map((m) => m[0]);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        used.add(name);
        expect(labels.has(name), `${where}: ${name} is not on /metrics`).toBe(true);
      }
      // `by (label)`: a label of the metrics queried, or `instance`, which Prometheus adds at scrape.
      for (const m of expr.matchAll(/\bby \(([^)]*)\)/g)) {
        for (const label of (m[1] as string).split(',').map((s) => s.trim())) {
          if (label === 'instance') continue;
          const has = names.some((n) => labels.get(n)?.has(label));
          expect(has, `${where}: no metric of ${expr} has the label ${label}`).toBe(true);
        }
      }
    }
    // The panels cover the intake, losses and HEC at least.
    for (const name of ['packets_total', 'kernel_drops_total', 'hec_spool_bytes', 'healthy']) {
      expect(used).toContain(`fargate_mirror_receiver_${name}`);
    }
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

type Conf = Map<string, Map<string, string>>;

function readConf(name: string): Conf {
  const conf: Conf = new Map();
  let stanza = new Map<string, string>();
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
    stanza.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return conf;
}

/** Fields KV_MODE=json extracts from a record, plus those the stanza's aliases and evals make. */
function producedFields(records: Record<string, unknown>[], stanza: Map<string, string>): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, prefix: string) => {
    if (Array.isArray(v)) for (const x of v) walk(x, `${prefix}{}`);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, prefix === '' ? k : `${prefix}.${k}`);
    } else if (prefix !== '') out.add(prefix);
  };
  for (const r of records) walk(r, '');
  for (const [key, value] of stanza) {
    if (key.startsWith('EVAL-')) out.add(key.slice(5));
    if (key.startsWith('FIELDALIAS-')) {
      for (const m of value.matchAll(/("[^"]+"|\S+)\s+AS\s+("[^"]+"|\S+)/gi))
        out.add((m[2] as string).replace(/"/g, ''));
    }
  }
  return out;
}

// The data models the dashboard searches: their dataset prefix, the sourcetype this add-on feeds
// them from, and the fields of the model (Splunk CIM reference) the searches may name.
const MODELS = {
  Network_Traffic: {
    prefix: 'All_Traffic',
    sourcetype: 'fargate_mirror:flow',
    type: 'flow',
    fields: [
      'action',
      'app',
      'bytes',
      'bytes_in',
      'bytes_out',
      'dest',
      'dest_port',
      'dvc',
      'src',
      'src_port',
      'transport',
      'protocol',
      'vendor_product',
    ],
  },
  Web: {
    prefix: 'Web',
    sourcetype: 'fargate_mirror:http',
    type: 'http',
    fields: [
      'action',
      'app',
      'bytes',
      'dest',
      'http_method',
      'site',
      'src',
      'status',
      'uri_path',
      'url',
      'duration',
      'response_time',
      'vendor_product',
    ],
  },
  Network_Resolution: {
    prefix: 'DNS',
    sourcetype: 'fargate_mirror:dns',
    type: 'dns',
    fields: [
      'answer',
      'dest',
      'message_type',
      'query',
      'query_type',
      'record_type',
      'reply_code',
      'response_time',
      'src',
      'vendor_product',
    ],
  },
} as const;

const STUDIO_TYPES = new Set([
  'splunk.singlevalue',
  'splunk.sankey',
  'splunk.bar',
  'splunk.column',
  'splunk.area',
  'splunk.line',
  'splunk.table',
  'splunk.pie',
  'splunk.linkgraph',
  'splunk.markdown',
]);

interface Studio {
  title: string;
  inputs: Record<string, { type: string; options: { token: string } }>;
  dataSources: Record<
    string,
    { type: string; options: { query: string; queryParameters: Record<string, string> } }
  >;
  visualizations: Record<string, { type: string; dataSources: { primary: string } }>;
  layout: { globalInputs: string[]; structure: { item: string }[] };
}

describe('the Splunk dashboard', () => {
  const text = readFileSync(DASHBOARD, 'utf8');
  const dash = JSON.parse(text) as Studio;

  it('is a whole Dashboard Studio definition, and the add-on view wraps exactly it', () => {
    const sources = Object.keys(dash.dataSources);
    expect(sources.length).toBeGreaterThanOrEqual(4);
    for (const [id, v] of Object.entries(dash.visualizations)) {
      expect(STUDIO_TYPES.has(v.type), `${id}: ${v.type}`).toBe(true);
      expect(sources, id).toContain(v.dataSources.primary);
    }
    const placed = dash.layout.structure.map((s) => s.item);
    expect(new Set(placed)).toEqual(new Set(Object.keys(dash.visualizations)));
    for (const i of dash.layout.globalInputs) expect(dash.inputs[i]).toBeDefined();
    const token = Object.values(dash.inputs).find((i) => i.type === 'input.timerange')?.options.token;
    expect(token).toBe('global_time');
    for (const [id, ds] of Object.entries(dash.dataSources)) {
      expect(ds.type, id).toBe('ds.search');
      expect(ds.options.queryParameters, id).toEqual({
        earliest: `$${token}.earliest$`,
        latest: `$${token}.latest$`,
      });
      // Over the data models, never a sourcetype or an index (the CIM macros choose the indexes).
      expect(ds.options.query, id).toMatch(/datamodel[= ](Network_Traffic|Web|Network_Resolution)\b/);
      expect(ds.options.query, id).not.toMatch(/\b(sourcetype|index)\s*=/);
    }
    const view = readFileSync(VIEW, 'utf8');
    const cdata = /<definition><!\[CDATA\[\n([\s\S]*)\]\]><\/definition>/.exec(view);
    expect(cdata?.[1]).toBe(text);
    expect(view).toContain(`<label>${dash.title}</label>`);
    expect(view.startsWith('<dashboard version="2"')).toBe(true);
  });

  it('names only data model fields the add-on produces from real records', async () => {
    const out = join(dir, 'read.jsonl');
    const r = await run(process.execPath, [
      CLI,
      'read',
      SAMPLE_MIRROR,
      '--records',
      out,
      '--identity-map',
      join(dir, 'identity.yaml'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const records = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const props = readConf('default/props.conf');
    const searched = new Set<string>();
    for (const [id, ds] of Object.entries(dash.dataSources)) {
      const q = ds.options.query;
      const model = (
        /datamodel[= ](Network_Traffic|Web|Network_Resolution)\b/.exec(q) as RegExpExecArray
      )[1] as keyof typeof MODELS;
      searched.add(model);
      const m = MODELS[model];
      expect(q, id).toMatch(new RegExp(`datamodel[= ]${model}[. ]${m.prefix}\\b`));
      const ofType = records.filter((rec) => rec.type === m.type);
      expect(ofType.length, m.type).toBeGreaterThan(0);
      const produced = producedFields(ofType, props.get(m.sourcetype) as Map<string, string>);
      const fields = [...q.matchAll(new RegExp(`\\b${m.prefix}\\.([a-z_]+)`, 'g'))].map(
        (x) => x[1] as string,
      );
      expect(fields.length, id).toBeGreaterThan(0);
      for (const f of fields) {
        expect(m.fields as readonly string[], `${id}: ${m.prefix}.${f} is not a field of ${model}`).toContain(
          f,
        );
        expect(produced.has(f), `${id}: the add-on does not produce ${f} for ${m.sourcetype}`).toBe(true);
      }
      // Fields of the records beyond the model's (the ECS workload), read from the events themselves.
      for (const x of q.matchAll(/\b((?:src|dest)_ecs_[a-z_]+)\b/g)) {
        expect(produced.has(x[1] as string), `${id}: ${x[1]} in no ${m.type} record`).toBe(true);
      }
    }
    expect([...searched].sort()).toEqual(['Network_Resolution', 'Network_Traffic', 'Web']);
  });
});
