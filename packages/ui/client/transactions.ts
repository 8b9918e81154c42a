import type { UiState, UiTransactionList } from '../src/api/ui-api.js';
import { cell, formatBytes, formatMs } from './format.js';

/**
 * The recent HTTP transactions with their filters (service, status code or class, path substring);
 * filtering is the server's, so the list covers every transaction held, not only those on screen.
 */
export class TransactionList {
  private readonly body: HTMLTableSectionElement;
  private readonly service: HTMLSelectElement;
  private readonly status: HTMLInputElement;
  private readonly path: HTMLInputElement;
  private readonly statusList: HTMLDataListElement;
  private readonly count: HTMLElement;
  private shownSeq = -1;
  private loading = false;
  private again = false;

  constructor() {
    this.body = document.querySelector('#transactions tbody') as HTMLTableSectionElement;
    this.service = document.getElementById('filter-service') as HTMLSelectElement;
    this.status = document.getElementById('filter-status') as HTMLInputElement;
    this.path = document.getElementById('filter-path') as HTMLInputElement;
    this.statusList = document.getElementById('status-list') as HTMLDataListElement;
    this.count = document.getElementById('tx-count') as HTMLElement;
    for (const el of [this.service, this.status, this.path])
      el.addEventListener('input', () => void this.load());
    document.getElementById('tx-filters')?.addEventListener('submit', (e) => e.preventDefault());
  }

  /** New state: refresh the filter choices, and the list when new transactions arrived. */
  update(state: UiState): void {
    this.setOptions(state.transactionServices);
    this.statusList.replaceChildren(
      ...['2xx', '3xx', '4xx', '5xx', ...state.transactionStatuses.map(String)].map((v) => {
        const o = document.createElement('option');
        o.value = v;
        return o;
      }),
    );
    if (state.latestTransaction !== this.shownSeq) {
      this.shownSeq = state.latestTransaction;
      void this.load();
    }
  }

  private setOptions(services: readonly string[]): void {
    const have = [...this.service.options].slice(1).map((o) => o.value);
    if (have.join('\n') === services.join('\n')) return;
    const chosen = this.service.value;
    const any = this.service.options[0] as HTMLOptionElement;
    this.service.replaceChildren(
      any,
      ...services.map((s) => {
        const o = document.createElement('option');
        o.value = s;
        o.textContent = s;
        return o;
      }),
    );
    this.service.value = services.includes(chosen) ? chosen : '';
  }

  private async load(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      const q = new URLSearchParams({
        service: this.service.value,
        status: this.status.value,
        path: this.path.value,
      });
      const res = await fetch(`api/transactions?${q}`);
      if (res.ok) this.render((await res.json()) as UiTransactionList);
    } finally {
      this.loading = false;
      if (this.again) {
        this.again = false;
        void this.load();
      }
    }
  }

  private render(list: UiTransactionList): void {
    this.count.textContent = `(${list.matched} of ${list.held} held)`;
    this.count.dataset.matched = String(list.matched);
    this.body.replaceChildren(
      ...list.transactions.map((t) => {
        const tr = document.createElement('tr');
        if (t.status !== null && t.status >= 400) tr.className = 'err';
        tr.append(
          cell(t.time === null ? '-' : t.time.slice(11, 23)),
          cell(t.source),
          cell(t.destination),
          cell(t.method ?? '-'),
          cell(t.site ?? '-'),
          cell(t.path ?? '-', 'path'),
          cell(t.status === null ? '-' : String(t.status), 'status num'),
          cell(formatMs(t.durationMs), 'num'),
          cell(formatBytes(t.bytes), 'num'),
        );
        return tr;
      }),
    );
  }
}
