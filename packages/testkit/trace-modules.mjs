// Preloaded with `node --import`: records the URL of every module the process loads and writes them,
// one per line, to $TRACE_MODULES_OUT when the process exits. Used to check which packages a command
// or an import really loads (e.g. that `read` never loads the AWS SDK).
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  if (process.env.TRACE_MODULES_OUT) writeFileSync(process.env.TRACE_MODULES_OUT, [...loaded].join('\n'));
});
