export type {
  UiHealth,
  UiHealthSample,
  UiNode,
  UiState,
  UiTransaction,
  UiTransactionList,
  UiTransactionQuery,
} from './api/ui-api.js';
export { isUiError, UI_ERROR_CODES, UiError, type UiErrorCode } from './errors.js';
export { findAssetDir, UiAssets } from './http/ui-assets.js';
export { createUiRoutes, type UiRequestHandler, type UiRoutesOptions } from './http/ui-routes.js';
export { startUiServer, type UiServer, type UiServerOptions, uiUrl } from './http/ui-server.js';
export { HealthHistory, type UiHealthReading, type UiHealthSource } from './live/health-history.js';
export { LiveView, type LiveViewOptions } from './live/live-view.js';
export { RecentTransactions } from './live/recent-transactions.js';
