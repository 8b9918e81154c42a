import { dnsRcodeName, dnsTypeName } from '../dissect/dns/dns-names.js';
import type { DnsTransaction } from '../dissect/dns/dns-session.js';
import {
  durationMs,
  type FlowEndpoints,
  type TransactionHeader,
  transactionHeader,
} from './flow-endpoints.js';
import type { RecordContext } from './record-context.js';

/** One DNS query and its response (CIM Network_Resolution names). src is the client. */
export interface DnsRecord extends TransactionHeader {
  type: 'dns';
  transaction_id: number;
  query: string | null;
  query_type: string | null;
  /** Response code by name (NOERROR, NXDOMAIN, ...); null when no response was seen. */
  reply_code: string | null;
  reply_code_id: number | null;
  /** Answer section data in presentation form (addresses, names, text), in order. */
  answer: string[];
  answer_types: string[];
  /**
   * Entries of the answer, authority and additional sections of the DNS message (header ANCOUNT,
   * NSCOUNT, ARCOUNT): the response's, or the query's when no response was seen (CIM
   * Network_Resolution counts the sections of the message the event describes). The answer count
   * includes answers whose data is not rendered in `answer`, and those a truncated capture cut off.
   */
  answer_count: number;
  authority_answer_count: number;
  additional_answer_count: number;
  /** The query was seen (false: only the response was). */
  query_seen: boolean;
  /**
   * The response had the TC flag: it was cut to fit UDP, so its answers are incomplete and the client
   * should have retried over TCP. False when no response was seen.
   */
  response_truncated: boolean;
  duration_ms: number | null;
  src: string;
  dest: string;
  app: 'dns';
  dvc: string;
}

export function buildDnsRecord(
  ctx: RecordContext,
  slot: number,
  ends: FlowEndpoints,
  tx: DnsTransaction,
): DnsRecord {
  const q = tx.query ?? tx.response!;
  const r = tx.response;
  const answer: string[] = [];
  const answerTypes: string[] = [];
  if (r !== null) {
    for (const a of r.answers) {
      if (a.data === null) continue;
      answer.push(a.data);
      answerTypes.push(dnsTypeName(a.type));
    }
  }
  return {
    ...transactionHeader('dns', tx.queryMicros, ctx, slot, ends),
    type: 'dns',
    transaction_id: q.id,
    query: q.questionName,
    query_type: q.questionName !== null ? dnsTypeName(q.questionType) : null,
    reply_code: r !== null ? dnsRcodeName(r.rcode) : null,
    reply_code_id: r !== null ? r.rcode : null,
    answer,
    answer_types: answerTypes,
    answer_count: (r ?? q).answerCount,
    authority_answer_count: (r ?? q).authorityCount,
    additional_answer_count: (r ?? q).additionalCount,
    query_seen: tx.query !== null,
    response_truncated: r?.truncated ?? false,
    duration_ms: tx.query !== null && r !== null ? durationMs(tx.queryMicros, tx.responseMicros) : null,
    src: ends.src_ip,
    dest: ends.dest_ip,
    app: 'dns',
    dvc: ctx.dvc,
  };
}
