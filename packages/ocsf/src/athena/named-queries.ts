/**
 * The Athena named queries over the OCSF tables (one Glue table per class, named after it), written
 * in the SQL that Athena (Trino) and DuckDB share, so the test runs the very text Athena gets. The
 * workload is the endpoint's `svc_name` (the ECS service), else its address.
 */
export interface NamedQuery {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

export const NAMED_QUERIES: readonly NamedQuery[] = [
  {
    name: 'top-talkers-by-service',
    description: 'Flows, bytes and packets between workloads (ECS service, else address), most bytes first',
    sql: `SELECT coalesce(src_endpoint.svc_name, src_endpoint.ip) AS source,
       coalesce(dst_endpoint.svc_name, dst_endpoint.ip) AS destination,
       count(*) AS flows,
       sum(traffic.bytes) AS bytes,
       sum(traffic.packets) AS packets
FROM network_activity
WHERE metadata.log_name = 'flow'
GROUP BY 1, 2
ORDER BY bytes DESC, source, destination
LIMIT 100`,
  },
  {
    name: 'http-errors-by-service',
    description: 'HTTP responses with a status of 400 or more, by serving workload and status',
    sql: `SELECT coalesce(dst_endpoint.svc_name, dst_endpoint.ip) AS service,
       http_response.code AS status,
       count(*) AS responses
FROM http_activity
WHERE http_response.code >= 400
GROUP BY 1, 2
ORDER BY responses DESC, service, status
LIMIT 100`,
  },
  {
    name: 'dns-failures',
    description: 'DNS answers other than NoError, by name, response code and asking workload',
    sql: `SELECT query.hostname AS name,
       rcode,
       coalesce(src_endpoint.svc_name, src_endpoint.ip) AS client,
       count(*) AS failures
FROM dns_activity
WHERE rcode_id <> 0
GROUP BY 1, 2, 3
ORDER BY failures DESC, name, client
LIMIT 100`,
  },
];
