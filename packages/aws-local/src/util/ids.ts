import { hex, uuid } from './random.js';

/** EC2 ids: a prefix and 17 lower-case hex digits, as current AWS accounts get. */
export function ec2Id(prefix: string): string {
  return `${prefix}-${hex(17)}`;
}

/** ECS task and container-instance ids: 32 hex digits. */
export function ecsId(): string {
  return hex(32);
}

export function attachmentId(): string {
  return uuid();
}

/** A locally administered unicast MAC, like the 0a:/02:/06:/0e: ones AWS hands out. */
export function macAddress(): string {
  const first = ['02', '06', '0a', '0e'][Number.parseInt(hex(1), 16) % 4];
  const rest = hex(10).match(/../g) ?? [];
  return [first, ...rest].join(':');
}

const EC2_ID = /^[a-z]+(-[a-z]+)*-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** True when `id` looks like `<prefix>-<8 or 17 hex>`. */
export function isWellFormedEc2Id(id: string, prefix: string): boolean {
  return id.startsWith(`${prefix}-`) && EC2_ID.test(id);
}
