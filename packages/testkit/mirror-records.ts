// Shared by the dedup, identity and HEC tests: the built CLI's `read`, records by type, and the
// mirror-capture rewriter (rewrite-mirror.py, scapy).
import { join } from 'node:path';
import { CLI_BIN, readJsonLines, runCli } from './cli.ts';
import { run } from './proc.ts';
import { SYSTEM_PYTHON } from './rewrite.ts';

export type Rec = Record<string, unknown>;

export const REWRITE_SCRIPT = join(import.meta.dirname, 'rewrite-mirror.py');
export const SAMPLE_MIRROR = join(import.meta.dirname, '../../fixtures/sample-mirror.pcap');

export interface RewriteOptions {
  outerSrc?: string;
  vni?: number;
  mapInner?: Record<string, string>;
  hopDec?: number;
  delayUs?: number;
  withOriginal?: boolean;
  ipv4Only?: boolean;
}

/** Runs rewrite-mirror.py (scapy) on a capture. */
export async function rewriteMirror(input: string, output: string, o: RewriteOptions): Promise<void> {
  const args = [REWRITE_SCRIPT, input, output];
  if (o.outerSrc !== undefined) args.push('--outer-src', o.outerSrc);
  if (o.vni !== undefined) args.push('--vni', String(o.vni));
  for (const [a, b] of Object.entries(o.mapInner ?? {})) args.push('--map-inner', `${a}=${b}`);
  if (o.hopDec !== undefined) args.push('--hop-dec', String(o.hopDec));
  if (o.delayUs !== undefined) args.push('--delay-us', String(o.delayUs));
  if (o.withOriginal) args.push('--with-original');
  if (o.ipv4Only) args.push('--ipv4-only');
  await run(SYSTEM_PYTHON, args);
}

export interface ReadResult {
  records: Rec[];
  summary: Rec;
  stderr: string;
}

/** `fargate-mirror read FILE --records OUT --summary-json ...extra`; throws unless it exits 0. */
export async function readRecords(
  capture: string,
  out: string,
  extra: readonly string[] = [],
  env?: NodeJS.ProcessEnv,
): Promise<ReadResult> {
  const r = env
    ? await run(process.execPath, [CLI_BIN, 'read', capture, '--records', out, '--summary-json', ...extra], {
        env,
        allowFailure: true,
        timeoutMs: 300_000,
      })
    : await runCli(['read', capture, '--records', out, '--summary-json', ...extra]);
  if (r.code !== 0) throw new Error(`fargate-mirror read ${capture} exited ${r.code}:\n${r.stderr}`);
  const line = r.stderr
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`read printed no JSON summary:\n${r.stderr}`);
  return { records: readJsonLines(out), summary: JSON.parse(line) as Rec, stderr: r.stderr };
}

export const ofType = (records: readonly Rec[], type: string): Rec[] =>
  records.filter((r) => r['type'] === type);

/** A record without what depends on which mirror points saw it: for comparing two reads. */
export function withoutMirrorView(r: Rec): string {
  const { mirror_points: _p, direction: _d, ...rest } = r;
  return stableJson(rest);
}

/** JSON with object keys sorted at every level. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function countByType(records: readonly Rec[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[String(r['type'])] = (out[String(r['type'])] ?? 0) + 1;
  return out;
}
