// Package entry: the contract, the sync agent and the durable store (no Fastify, no SQLite), so the
// appliance can import it cheaply. The central service is the separate `@certkiosk/sync/central` entry.
export * from './agent/index.js';
export * from './contract/index.js';
export * from './durable/index.js';
export * from './http/close-promptly.js';
