/**
 * One line for stderr: our packages' messages may list several problems on several lines (a config
 * with three bad keys), and a wrapped message is harder to grep and to read in a log.
 */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('; ');
}
