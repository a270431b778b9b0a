// The price table: fen per certificate type and service years (index 0 = 1 year).
import type { CertificateType, PriceTable } from '../contract/schemas.js';

export const PRICE_TABLE: Readonly<Record<CertificateType, readonly number[]>> = {
  organisation: [50_000, 90_000, 130_000, 165_000, 200_000],
  'organisation-individual': [30_000, 55_000, 80_000, 100_000, 120_000],
  'natural-person': [10_000, 18_000, 26_000, 33_000, 40_000],
};

export function priceFen(type: CertificateType, years: number): number {
  const p = PRICE_TABLE[type][years - 1];
  if (p === undefined) throw new RangeError(`No price for ${type} over ${years} years (1–5).`);
  return p;
}

export function priceTable(): PriceTable {
  return {
    currency: 'CNY',
    prices: Object.fromEntries(Object.entries(PRICE_TABLE).map(([k, v]) => [k, [...v]])),
  };
}
