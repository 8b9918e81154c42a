/** Hive partition values: characters other than these are replaced so a path stays one segment. */
function segment(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** `YYYYMMDD` (UTC) of epoch milliseconds: Security Lake's eventDay. */
export function eventDayOf(millis: number): string {
  const d = new Date(millis);
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  return `${d.getUTCFullYear()}${m < 10 ? '0' : ''}${m}${day < 10 ? '0' : ''}${day}`;
}

/** `YYYYMMDDTHHMMSSZ` (UTC): a window's start in a file name. */
export function compactTimeOf(millis: number): string {
  return new Date(millis)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The folder of a class's files: `<class>/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>`, the layout
 * Security Lake custom sources and the Glue tables' partition projection expect.
 */
export function partitionPath(
  className: string,
  region: string,
  accountId: string,
  eventDay: string,
): string {
  return `${className}/region=${segment(region)}/accountId=${segment(accountId)}/eventDay=${eventDay}`;
}
