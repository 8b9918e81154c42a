/** One HTTP request and its response as far as they were seen. */
export interface HttpTransaction {
  /** First byte of the request (or of the response when the request was not seen). */
  startMicros: number;
  endMicros: number;
  method: string | null;
  target: string | null;
  version: string | null;
  host: string | null;
  userAgent: string | null;
  requestContentType: string | null;
  status: number | null;
  responseContentType: string | null;
  /** Request bytes (head and body) from client to server, gaps included. */
  requestBytes: number;
  responseBytes: number;
  requestHeaders: Record<string, string> | null;
  responseHeaders: Record<string, string> | null;
  /** HttpAnomaly bits of the request's and the response's framing. */
  requestAnomalies: number;
  responseAnomalies: number;
  /** MessageCut bits: what the mirror's packet length cut from the request and from the response. */
  requestCut: number;
  responseCut: number;
  /** The request asked for cleartext HTTP/2 (`Upgrade: h2c`). */
  upgradeH2c: boolean;
  /** HTTP/2 stream identifier; -1 for HTTP/1. */
  streamId: number;
  /** gRPC status (`grpc-status` of the trailers, or of a trailers-only response), else null. */
  grpcStatus: number | null;
}

export function newTransaction(startMicros: number): HttpTransaction {
  return {
    startMicros,
    endMicros: startMicros,
    method: null,
    target: null,
    version: null,
    host: null,
    userAgent: null,
    requestContentType: null,
    status: null,
    responseContentType: null,
    requestBytes: 0,
    responseBytes: 0,
    requestHeaders: null,
    responseHeaders: null,
    requestAnomalies: 0,
    responseAnomalies: 0,
    requestCut: 0,
    responseCut: 0,
    upgradeH2c: false,
    streamId: -1,
    grpcStatus: null,
  };
}
