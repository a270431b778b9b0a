// Package entry: the contract only (no Fastify, no SQLite), so the appliance can import it cheaply.
export * from './contract/index.js';
