/**
 * EC2 Query responses: XML whose element names are the model's locationNames
 * (`networkInterfaceSet`, `trafficMirrorSession`, ...), lists as `<item>` children, timestamps
 * in ISO 8601, booleans as `true`/`false`.
 */
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** A wire value: undefined members are left out, arrays become `<item>` lists. */
export type WireValue = string | number | boolean | WireTime | WireObject | WireValue[] | undefined;
export interface WireObject {
  [element: string]: WireValue;
}

/** A timestamp (epoch ms) to be written as ISO 8601. */
export class WireTime {
  readonly epochMs: number;
  constructor(epochMs: number) {
    this.epochMs = epochMs;
  }
}

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`,
  );
}

function renderValue(name: string, value: WireValue, out: string[]): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    out.push(`<${name}>`);
    for (const item of value) renderValue('item', item, out);
    out.push(`</${name}>`);
    return;
  }
  if (value instanceof WireTime) {
    out.push(`<${name}>${new Date(value.epochMs).toISOString()}</${name}>`);
    return;
  }
  if (typeof value === 'object') {
    out.push(`<${name}>`);
    for (const [child, childValue] of Object.entries(value)) renderValue(child, childValue, out);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
}

export function renderEc2Response(action: string, requestId: string, body: WireObject): string {
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<${action}Response xmlns="${EC2_XMLNS}">`,
    `<requestId>${requestId}</requestId>`,
  ];
  for (const [name, value] of Object.entries(body)) renderValue(name, value, out);
  out.push(`</${action}Response>`);
  return out.join('');
}

export function renderEc2Error(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors>` +
    `<RequestID>${requestId}</RequestID></Response>`
  );
}
