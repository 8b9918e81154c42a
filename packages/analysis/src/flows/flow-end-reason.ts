/** Why a flow record was emitted. Interim records (active timeout) leave the flow open. */
export const FlowEndReason = {
  FIN: 0,
  RST: 1,
  IDLE: 2,
  ACTIVE_TIMEOUT: 3,
  EVICTED: 4,
  SHUTDOWN: 5,
} as const;

export const flowEndReasonNames = ['fin', 'rst', 'idle', 'active_timeout', 'evicted', 'end'] as const;
