/** The JSON `scripts/bench.sh scale --json OUT` writes (the test and the chart script read it). */

export interface MemoryReading {
  /** Last reading of the stage, MB. */
  readonly rssMB: number;
  readonly heapUsedMB: number;
  readonly heapTotalMB: number;
  /** Lowest heap-used reading in the stage (closest to the live set), MB. */
  readonly heapFloorMB: number;
  /** Highest RSS in the stage, MB. */
  readonly rssMaxMB: number;
}

export interface Latency { readonly count: number; readonly p50: number; readonly p99: number; readonly max: number }

export interface ScaleReport {
  readonly config: {
    readonly shifts: number; readonly podsPerVersion: number; readonly unrelatedPods: number; readonly levels: readonly number[];
    readonly commands: number; readonly commandRate: number; readonly churnS: number; readonly gateIntervalS: number; readonly leaseDurationS: number; readonly seed: number;
  };
  readonly startedAt: string;
  readonly durationS: number;
  /** Seconds to create and run the pods. */
  readonly setup: Record<string, number>;
  /** Per shift count on the way up: time to activate, memory, command latency (annotation write -> VirtualService write, ms). */
  readonly levels: readonly {
    readonly shifts: number;
    readonly activateS: number;
    readonly memory: MemoryReading;
    readonly commandLatencyMs: Latency & { readonly missed: number; readonly byVerb: Record<string, Latency> };
  }[];
  readonly memory: {
    readonly emptyMesh: MemoryReading;
    readonly withUnrelatedPods: MemoryReading;
    readonly withServicePods: MemoryReading;
    readonly allActive: MemoryReading;
    readonly afterChurn: MemoryReading;
    /** Heap floor per unrelated pod, KB. */
    readonly perUnrelatedPodKB: number;
    /** Heap floor per active shift (with its Service and pods cached before), KB. */
    readonly perShiftKB: number;
    readonly perShiftRssKB: number;
  };
  readonly prometheus: { readonly urls: number; readonly intervalS: number; readonly ticks: number; readonly queriesPerTickMax: number; readonly queriesPerTickMean: number; readonly queriesPerMinute: number };
  readonly api: { readonly windowS: number; readonly requestsPerSecond: number; readonly byMethodPerSecond: Record<string, number>; readonly watches: number };
  readonly churn: {
    readonly durationS: number; readonly commands: number; readonly podRestarts: number; readonly shiftsRecreated: number;
    readonly commandLatencyMs: Latency & { readonly missed: number };
    /** Lowest heap reading per minute of churn, MB, and their least-squares slope. */
    readonly heapFloorsMB: readonly number[];
    readonly heapFloorSlopeMBPerMin: number;
    readonly rssMaxMB: number;
    readonly memoryAfter: MemoryReading;
  };
  /** Writes are those of the new daemon until it reconciled all (+2 s) or sent its first gate query, whichever came first. */
  readonly restart: { readonly reconcileAllS: number; readonly firstGateQueryS: number; readonly routeWrites: number; readonly statusWrites: number; readonly otherWrites: number; readonly memory: MemoryReading };
  readonly failover: { readonly leaseDurationS: number; readonly commandAppliedS: number; readonly commandLatencyMs: number; readonly appliedBy?: string };
}

/** The goals of issue 12, judged on a report (printed, never asserted by a test). */
export const goals = (r: ScaleReport): { readonly goal: string; readonly measured: string; readonly met: boolean }[] => {
  const n = r.levels[r.levels.length - 1]!;
  return [
    { goal: 'command -> VirtualService p99 <= 250 ms', measured: `${n.commandLatencyMs.p99} ms (p50 ${n.commandLatencyMs.p50}, max ${n.commandLatencyMs.max}, ${n.commandLatencyMs.count} commands, ${n.commandLatencyMs.missed} missed)`, met: n.commandLatencyMs.p99 <= 250 && n.commandLatencyMs.missed === 0 },
    { goal: 'RSS <= 250 MB', measured: `${Math.max(r.memory.allActive.rssMaxMB, r.churn.rssMaxMB, r.memory.afterChurn.rssMaxMB)} MB highest (active ${r.memory.allActive.rssMB}, after churn ${r.memory.afterChurn.rssMB})`, met: Math.max(r.memory.allActive.rssMaxMB, r.churn.rssMaxMB, r.memory.afterChurn.rssMaxMB) <= 250 },
    { goal: 'flat heap during churn', measured: `heap floor slope ${r.churn.heapFloorSlopeMBPerMin} MB/min (floors ${r.churn.heapFloorsMB.join(', ')} MB)`, met: Math.abs(r.churn.heapFloorSlopeMBPerMin) <= 1 },
    { goal: 'Prometheus queries per tick <= 2 per URL', measured: `${r.prometheus.queriesPerTickMax} (${r.prometheus.queriesPerMinute}/min)`, met: r.prometheus.queriesPerTickMax <= 2 * r.prometheus.urls },
    { goal: 'restart reconciles all in <= 15 s', measured: `${r.restart.reconcileAllS} s`, met: r.restart.reconcileAllS <= 15 },
    { goal: 'restart: 0 route and status writes', measured: `${r.restart.routeWrites} route, ${r.restart.statusWrites} status`, met: r.restart.routeWrites === 0 && r.restart.statusWrites === 0 },
    { goal: `failover applies a pending command in <= lease + 2 s (${r.failover.leaseDurationS + 2} s)`, measured: `${r.failover.commandAppliedS} s`, met: r.failover.commandAppliedS <= r.failover.leaseDurationS + 2 },
  ];
};
