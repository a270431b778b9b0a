// fetch that trusts one CA only: central's TLS certificate must chain to the CA the configuration pins, not
// to any CA the operating system happens to trust (undici's Agent with `connect.ca` replaces the default list).
import { Agent, fetch as undiciFetch } from 'undici';

export function pinnedFetch(caPem: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: caPem } });
  return ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}
