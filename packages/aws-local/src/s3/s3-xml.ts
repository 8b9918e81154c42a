const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

/** `<Root xmlns=...>` with the given children (already rendered). */
export function document(root: string, children: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NS}">${children}</${root}>`;
}

export function element(name: string, value: string | number | boolean): string {
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function errorDocument(
  code: string,
  message: string,
  resource: string,
  requestId: string,
  condition?: string,
): string {
  const named = condition === undefined ? '' : element('Condition', condition);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${element('Code', code)}${element('Message', message)}${named}${element('Resource', resource)}${element('RequestId', requestId)}</Error>`;
}

/** The (PartNumber, ETag) pairs of a CompleteMultipartUpload body. */
export function completedParts(xml: string): { partNumber: number; etag: string }[] {
  const parts: { partNumber: number; etag: string }[] = [];
  for (const match of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const number = /<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(match[1]);
    const etag = /<ETag>([\s\S]*?)<\/ETag>/.exec(match[1]);
    if (number === null || etag === null) continue;
    parts.push({ partNumber: Number(number[1]), etag: etag[1].replace(/&quot;/g, '"').trim() });
  }
  return parts;
}

/** The keys of a DeleteObjects body. */
export function deleteKeys(xml: string): string[] {
  return [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) =>
    m[1]
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}
