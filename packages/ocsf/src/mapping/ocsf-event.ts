/** A JSON value as OCSF events hold them (the Parquet layer turns longs into bigint itself). */
export type OcsfValue = string | number | boolean | OcsfObject | OcsfValue[];
export interface OcsfObject {
  [attribute: string]: OcsfValue | undefined;
}

/** The OCSF classes fargate-mirror emits: the Network Activity category's. */
export const OCSF_CLASSES = {
  network_activity: { uid: 4001, name: 'Network Activity' },
  http_activity: { uid: 4002, name: 'HTTP Activity' },
  dns_activity: { uid: 4003, name: 'DNS Activity' },
} as const;
export type OcsfClassName = keyof typeof OCSF_CLASSES;

/** One OCSF event and the class (its schema definition, Parquet file and Glue table) it belongs to. */
export interface OcsfEvent {
  readonly className: OcsfClassName;
  readonly event: OcsfObject;
}
