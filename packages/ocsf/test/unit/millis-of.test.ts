// millisOf parses the second of a record's time once and the milliseconds by hand: it must give what
// Date.parse gives for every time a real capture's records carry, and for the edges of the format.
import { join } from 'node:path';
import { type MirrorRecord, readCapture } from '@fargate-mirror/analysis';
import { REPO_ROOT } from '@fargate-mirror/testkit/cli';
import { describe, expect, it } from 'vitest';
import { millisOf } from '../../src/mapping/common.js';

describe('millisOf', () => {
  it('equals Date.parse on every time of a real capture', () => {
    const times: string[] = [];
    readCapture({
      file: join(REPO_ROOT, 'fixtures', 'sample-mirror.pcap'),
      recordSinks: [
        (r: MirrorRecord) => {
          times.push(r.time);
          if (r.type === 'flow') times.push(r.start_time, r.end_time);
        },
      ],
    });
    expect(times.length).toBeGreaterThan(50);
    expect(times.map(millisOf)).toEqual(times.map((t) => Date.parse(t)));
  });

  it('equals Date.parse at the edges, and on times of another form', () => {
    const times = [
      '2026-11-21T05:12:31.999999Z',
      '2026-11-21T05:12:31.000000Z',
      '2026-11-21T05:12:32.000999Z',
      '1969-12-31T23:59:59.999999Z',
      '2028-02-29T23:59:59.500000Z',
      '2026-11-21T05:12:31Z',
      '2026-11-21T05:12:31.123Z',
      '2026-11-21T05:12:31.12345xZ',
      'not a time at all, 27 chars',
    ];
    expect(times.map(millisOf)).toEqual(times.map((t) => Date.parse(t)));
  });
});
