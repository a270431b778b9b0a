// Lets TypeBox's Value.Check read the contract schemas: it knows the `date-time` format and the `Unsafe`
// string enums (the contract's `literals()`) only once they are registered.
import { FormatRegistry, TypeRegistry } from '@sinclair/typebox';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function registerContractFormats(): void {
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set('date-time', (v) => ISO_DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)));
  }
  if (!TypeRegistry.Has('Unsafe')) {
    TypeRegistry.Set<{ type?: string; enum?: unknown[] }>('Unsafe', (schema, value) => {
      if (schema.type === 'string' && typeof value !== 'string') return false;
      return schema.enum === undefined || schema.enum.includes(value);
    });
  }
}
