import type { UiHealth } from '../src/api/ui-api.js';
import { formatBytes, formatCount } from './format.js';

function setCounter(id: string, value: number, text = formatCount(value)): void {
  const el = document.getElementById(id);
  if (el === null) return;
  el.textContent = text;
  el.dataset.value = String(value);
}

/** The receiver's own counters and a two-minute packets/s line. */
export function renderHealth(health: UiHealth): void {
  const c = health.current;
  setCounter('packets-per-second', c.packetsPerSecond, formatCount(c.packetsPerSecond));
  setCounter('packets', c.packets);
  setCounter('records', c.records);
  setCounter('drops', c.drops);
  setCounter('malformed', c.malformed);
  const spool = document.getElementById('spool');
  if (spool !== null) {
    spool.textContent =
      c.spoolBytes === null
        ? 'off'
        : `${formatBytes(c.spoolBytes)} (${formatCount(c.spoolEvents ?? 0)} events)`;
  }
  const healthy = document.getElementById('healthy');
  if (healthy !== null) {
    healthy.textContent = c.healthy === null ? 'n/a' : c.healthy ? 'ok' : 'unhealthy';
    healthy.className = c.healthy === false ? 'bad' : 'ok';
  }
  const line = document.querySelector('#rate-chart polyline');
  if (line !== null) {
    const h = health.history;
    const max = Math.max(1, ...h.map((s) => s.packetsPerSecond));
    const step = 240 / Math.max(1, h.length - 1);
    line.setAttribute(
      'points',
      h
        .map((s, i) => `${(i * step).toFixed(1)},${(46 - (s.packetsPerSecond / max) * 44).toFixed(1)}`)
        .join(' '),
    );
  }
}
