// Request latencies in an HdrHistogram (microsecond resolution, 3 significant digits): p50/p99/max over any
// number of requests in fixed memory, mergeable across steps or workers.
import hdr from 'hdr-histogram-js';

export class LatencyHistogram {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });

  /** Record one request's latency in milliseconds. */
  record(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** The latency (ms) at percentile q (0–100); 0 when nothing was recorded. */
  percentileMs(q: number): number {
    return this.count === 0 ? 0 : this.h.getValueAtPercentile(q) / 1000;
  }

  maxMs(): number {
    return this.count === 0 ? 0 : this.h.maxValue / 1000;
  }

  merge(other: LatencyHistogram): void {
    this.h.add(other.h);
  }
}
