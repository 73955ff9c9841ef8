/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered
 * in the text exposition format. Names follow Garage's (api_s3_request_counter, ...).
 */

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${names.map((n) => `${n}="${escape(labels[n]!)}"`).join(',')}}`;
}

interface Metric {
  render(): string[];
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, v] of this.values) lines.push(`${this.name}${key} ${v}`);
    return lines;
  }
}

export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => Array<[Labels, number]> | number,
  ) {}

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const v = this.read();
    if (typeof v === 'number') lines.push(`${this.name} ${v}`);
    else for (const [labels, n] of v) lines.push(`${this.name}${labelKey(labels)} ${n}`);
    return lines;
  }
}

/** Latency histogram in seconds. */
export class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ) {}

  observe(labels: Labels, seconds: number): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    this.bounds.forEach((b, i) => {
      if (seconds <= b) s.buckets[i]!++;
    });
    s.sum += seconds;
    s.count++;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.bounds.forEach((b, i) => lines.push(`${this.name}_bucket${labelKey({ ...s.labels, le: String(b) })} ${s.buckets[i]}`));
      lines.push(`${this.name}_bucket${labelKey({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelKey(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelKey(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  gauge(name: string, help: string, read: () => Array<[Labels, number]> | number): Gauge {
    return this.add(new Gauge(name, help, read));
  }

  histogram(name: string, help: string): Histogram {
    return this.add(new Histogram(name, help));
  }

  private add<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }

  render(): string {
    return `${this.metrics.flatMap((m) => m.render()).join('\n')}\n`;
  }
}

/** Per-API request metrics: counter, error counter and duration histogram. */
export class ApiMetrics {
  private readonly requests: Counter;
  private readonly errors: Counter;
  private readonly duration: Histogram;

  /** `prefix` names the series (Garage's web endpoint uses `web_*`, not `api_web_*`). */
  constructor(registry: Registry, api: string, prefix = `api_${api}`) {
    this.requests = registry.counter(`${prefix}_request_counter`, `Requests to the ${api} API`);
    this.errors = registry.counter(`${prefix}_error_counter`, `Requests to the ${api} API answered with an error`);
    this.duration = registry.histogram(`${prefix}_request_duration`, `Duration of ${api} API requests in seconds`);
  }

  record(endpoint: string, status: number, durationMs: number): void {
    this.requests.inc({ api_endpoint: endpoint });
    if (status >= 400) this.errors.inc({ api_endpoint: endpoint, status_code: String(status) });
    this.duration.observe({ api_endpoint: endpoint }, durationMs / 1000);
  }
}
