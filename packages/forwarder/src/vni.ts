/** VNI used when no task identity is known (not running in ECS, or the metadata endpoint failed). */
export const FALLBACK_VNI = 1;
export const MAX_VNI = 0xff_ffff;

/**
 * A stable VNI for a task: 32-bit FNV-1a over the UTF-8 bytes of the task ARN, folded to 24 bits by
 * XOR of the high byte into the low 24 bits; 0 (which some receivers treat as "unset") becomes 1. The
 * same task always gets the same VNI, and a receiver can recompute it from the ARN.
 */
export function vniFromTaskArn(taskArn: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(taskArn, 'utf8')) h = Math.imul(h ^ byte, 0x01000193);
  h >>>= 0;
  const vni = ((h >>> 24) ^ h) & MAX_VNI;
  return vni === 0 ? FALLBACK_VNI : vni;
}
