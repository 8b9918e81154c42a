// Output files are made owner-only, but nothing else is touched: as root, `--records /dev/null` once
// made /dev/null mode 0600 for the whole machine. Root, to own files as another user and to be the
// user that could do the damage.
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { restrictOpenFile } from '../../src/private-file.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('owner-only output files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-private-'));
  beforeAll(() => requireRootAndTools([]));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tightens a file of ours, new or existing', () => {
    const existing = join(dir, 'ours.jsonl');
    writeFileSync(existing, '', { mode: 0o644 });
    const fd = openSync(existing, 'a');
    expect(restrictOpenFile(fd)).toBe(true);
    closeSync(fd);
    expect(modeOf(existing)).toBe(0o600);
    PcapWriter.open(join(dir, 'new.pcap')).close();
    expect(modeOf(join(dir, 'new.pcap'))).toBe(0o600);
  });

  it("leaves devices and other users' files alone", () => {
    const before = modeOf('/dev/null');
    try {
      PcapWriter.open('/dev/null').close();
      const fd = openSync('/dev/null', 'a');
      expect(restrictOpenFile(fd)).toBe(false);
      closeSync(fd);
      expect(modeOf('/dev/null')).toBe(before);
    } finally {
      // Should it ever regress, put the machine back as it was.
      if (modeOf('/dev/null') !== before) chmodSync('/dev/null', before);
    }
    const theirs = join(dir, 'theirs.jsonl');
    writeFileSync(theirs, '', { mode: 0o644 });
    chownSync(theirs, 65534, 65534);
    const fd = openSync(theirs, 'a');
    expect(restrictOpenFile(fd)).toBe(false);
    closeSync(fd);
    expect(modeOf(theirs)).toBe(0o644);
  });
});
