import { appendFile } from 'node:fs/promises';
import type { EventSink } from './bus.js';

/** Appends each event as one JSON line; writes are chained so lines never interleave. */
export function fileSink(path: string): EventSink {
  let chain: Promise<void> = Promise.resolve();
  return (event) => {
    chain = chain.then(() => appendFile(path, `${JSON.stringify(event)}\n`, { mode: 0o600 }));
    return chain;
  };
}

/** POSTs each event as JSON, in order; a non-2xx answer counts as a sink error (no retry). */
export function urlSink(url: string): EventSink {
  let chain: Promise<void> = Promise.resolve();
  return (event) => {
    chain = chain
      .catch(() => undefined)
      .then(async () => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(event),
        });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`event sink ${url} answered HTTP ${response.status}`);
      });
    return chain;
  };
}
