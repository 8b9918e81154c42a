// Wraps the Dashboard Studio definition (dashboards/fargate_mirror_traffic.json, the source) in the
// view file Splunk loads from the add-on (default/data/ui/views/fargate_mirror_traffic.xml).
// Run after editing the JSON: node splunk/TA-fargate-mirror/dashboards/build-view.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function viewXml(definition) {
  const { title, description } = JSON.parse(definition);
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return (
    `<dashboard version="2" theme="light">\n  <label>${esc(title)}</label>\n  <description>${esc(description)}</description>\n` +
    `  <definition><![CDATA[\n${definition}]]></definition>\n</dashboard>\n`
  );
}

const addon = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const definition = readFileSync(join(addon, 'dashboards', 'fargate_mirror_traffic.json'), 'utf8');
  mkdirSync(join(addon, 'default', 'data', 'ui', 'views'), { recursive: true });
  writeFileSync(
    join(addon, 'default', 'data', 'ui', 'views', 'fargate_mirror_traffic.xml'),
    viewXml(definition),
  );
}
