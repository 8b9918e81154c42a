/**
 * Formats an address held as four 32-bit words (IPv4 mapped as ::ffff:a.b.c.d) the way people write
 * it: dotted quad for IPv4, RFC 5952 compressed form for IPv6. Allocates a string: for records only.
 */
export function formatAddress(words: ArrayLike<number>, base: number, ipVersion: number): string {
  if (ipVersion === 4) return formatIpv4(words[base + 3]);
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = words[base + i] >>> 0;
    groups.push(w >>> 16, w & 0xffff);
  }
  // Longest run of two or more zero groups becomes "::" (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

export function formatIpv4(address: number): string {
  const a = address >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/**
 * Parses an IPv4 or IPv6 address string into four words; returns the IP version (4 or 6) or 0 when
 * the text is not an address. `::ffff:a.b.c.d` comes back as IPv4, so addresses are normalised.
 */
export function parseAddress(text: string, out: Uint32Array, base = 0): number {
  const v4 = parseIpv4(text);
  if (v4 >= 0) {
    out[base] = 0;
    out[base + 1] = 0;
    out[base + 2] = 0xffff;
    out[base + 3] = v4;
    return 4;
  }
  const zone = text.indexOf('%');
  const t = zone >= 0 ? text.slice(0, zone) : text;
  const halves = t.split('::');
  if (halves.length > 2) return 0;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const parts = s.split(':');
    const groups: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes('.')) {
        const tail = parseIpv4(part);
        if (tail < 0) return null;
        groups.push(tail >>> 16, tail & 0xffff);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null;
      groups.push(Number.parseInt(part, 16));
    }
    return groups;
  };
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (head === null || tail === null) return 0;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return 0;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  for (let i = 0; i < 4; i++) out[base + i] = ((groups[i * 2] << 16) | groups[i * 2 + 1]) >>> 0;
  if (out[base] === 0 && out[base + 1] === 0 && out[base + 2] === 0xffff) return 4;
  return 6;
}

function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) return -1;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return -1;
    const n = Number(part);
    if (n > 255) return -1;
    value = value * 256 + n;
  }
  return value;
}
