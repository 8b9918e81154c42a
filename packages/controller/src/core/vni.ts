/**
 * VNI policy. AWS picks a random account-unique VNI when none is given; a fixed VNI or a VNI per
 * service lets receivers label traffic by VNI without a lookup.
 */

export type VniPolicy =
  | { readonly kind: 'random' }
  | { readonly kind: 'fixed'; readonly vni: number }
  | { readonly kind: 'per-service'; readonly map: Readonly<Record<string, number>> };

/** VXLAN VNIs are 24 bits; 0 is avoided because AWS's accepted range is not documented to include it. */
export const VNI_MIN = 1;
export const VNI_MAX = 16_777_215;

/** FNV-1a 32-bit: small, stable across Node versions and processes (unlike any runtime hash). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A VNI derived from a key, stable forever for that key (same input, same VNI, in every process). */
export function stableVni(key: string): number {
  return VNI_MIN + (fnv1a(key) % (VNI_MAX - VNI_MIN + 1));
}

/**
 * The VNI a new session should carry, or undefined to let AWS choose (random).
 * `per-service` looks the service name (or `cluster/service`) up in the map first, then falls
 * back to a hash of the source's `vniKey`, so an unmapped service still gets one stable VNI.
 */
export function desiredVni(
  policy: VniPolicy,
  source: { readonly vniKey: string; readonly serviceName: string | undefined; readonly clusterName: string },
): number | undefined {
  switch (policy.kind) {
    case 'random':
      return undefined;
    case 'fixed':
      return policy.vni;
    case 'per-service': {
      if (source.serviceName !== undefined) {
        const qualified = policy.map[`${source.clusterName}/${source.serviceName}`];
        if (qualified !== undefined) return qualified;
        const plain = policy.map[source.serviceName];
        if (plain !== undefined) return plain;
      }
      return stableVni(source.vniKey);
    }
  }
}
