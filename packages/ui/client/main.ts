import type { UiState } from '../src/api/ui-api.js';
import { renderHealth } from './health-panel.js';
import { ServiceMap } from './service-map.js';
import { renderSummaryTable } from './summary-table.js';
import { TransactionList } from './transactions.js';

// The page follows the server's state over Server-Sent Events (EventSource reconnects by itself);
// every address is relative, so the page works under whatever prefix serves it.
function start(): void {
  const map = new ServiceMap(
    document.getElementById('map') as HTMLElement,
    document.getElementById('nodes') as HTMLUListElement,
  );
  const table = document.querySelector('#edges tbody') as HTMLTableSectionElement;
  const transactions = new TransactionList();
  const badge = document.getElementById('connection') as HTMLElement;
  const origin = document.getElementById('origin') as HTMLElement;
  const since = document.getElementById('since') as HTMLElement;
  const latencyNote = document.getElementById('latency-note') as HTMLElement;

  const apply = (state: UiState) => {
    origin.textContent = state.origin;
    since.textContent = `since ${state.startedAt.slice(0, 19).replace('T', ' ')} UTC`;
    renderHealth(state.health);
    map.update(state.nodes, state.summary.edges);
    renderSummaryTable(table, state.summary.edges, state.edgesTotal);
    const error = state.summary.latencyRelativeError;
    latencyNote.textContent =
      error > 0 ? `(latency percentiles within ${(error * 100).toPrecision(2)} % of exact)` : '';
    transactions.update(state);
    document.body.dataset.updates = String(Number(document.body.dataset.updates ?? '0') + 1);
  };

  const events = new EventSource('api/events');
  events.addEventListener('update', (e) => {
    badge.textContent = 'live';
    badge.className = 'badge live';
    apply(JSON.parse((e as MessageEvent<string>).data) as UiState);
  });
  events.addEventListener('error', () => {
    badge.textContent = 'reconnecting';
    badge.className = 'badge lost';
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
