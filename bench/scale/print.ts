/** The report as a person reads it at the end of a run. */
import { goals, ScaleReport } from './report';

export const printReport = (r: ScaleReport): void => {
  const c = r.config;
  const lines: string[] = [];
  lines.push('', `sluice at scale: ${c.shifts} shifts (${c.podsPerVersion} pod per version), ${c.unrelatedPods} unrelated pods, gate every ${c.gateIntervalS} s; run took ${Math.round(r.durationS)} s`, '');
  lines.push('command -> VirtualService write (ms):');
  for (const l of r.levels) lines.push(`  ${String(l.shifts).padStart(6)} shifts  p50 ${l.commandLatencyMs.p50}  p99 ${l.commandLatencyMs.p99}  max ${l.commandLatencyMs.max}  (${l.commandLatencyMs.count} commands${l.commandLatencyMs.missed ? `, ${l.commandLatencyMs.missed} missed` : ''}; RSS ${l.memory.rssMB} MB)`);
  lines.push(`  during churn   p50 ${r.churn.commandLatencyMs.p50}  p99 ${r.churn.commandLatencyMs.p99}  max ${r.churn.commandLatencyMs.max}  (${r.churn.commandLatencyMs.count} commands)`);
  const m = r.memory;
  lines.push('', 'memory (RSS / heap floor, MB):');
  for (const [name, x] of [['empty mesh', m.emptyMesh], ['+ unrelated pods', m.withUnrelatedPods], ['+ service pods', m.withServicePods], ['all shifts active', m.allActive], ['after churn', m.afterChurn], ['restarted daemon', r.restart.memory]] as const)
    lines.push(`  ${name.padEnd(18)} ${String(x.rssMB).padStart(7)} / ${x.heapFloorMB}  (heap total ${x.heapTotalMB})`);
  lines.push(`  per unrelated pod ${m.perUnrelatedPodKB} KB heap; per shift ${m.perShiftKB} KB heap, ${m.perShiftRssKB} KB RSS`);
  lines.push(`  churn ${r.churn.durationS} s: ${r.churn.commands} commands, ${r.churn.podRestarts} pod restarts, ${r.churn.shiftsRecreated} shifts deleted and created; heap floors ${r.churn.heapFloorsMB.join(', ')} MB`);
  lines.push('', `Prometheus: ${r.prometheus.queriesPerTickMax} queries per tick at most (mean ${r.prometheus.queriesPerTickMean}), ${r.prometheus.queriesPerMinute} per minute`);
  lines.push(`API server: ${r.api.requestsPerSecond} requests/s in steady state (${Object.entries(r.api.byMethodPerSecond).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}), ${r.api.watches} watches held`);
  lines.push(`restart: all reconciled ${r.restart.reconcileAllS} s after SIGKILL (first gate query at ${r.restart.firstGateQueryS} s); ${r.restart.routeWrites} route, ${r.restart.statusWrites} status, ${r.restart.otherWrites} other writes before either`);
  lines.push(`failover: pending command applied ${r.failover.commandAppliedS} s after the leader was killed (lease ${r.failover.leaseDurationS} s)`, '');
  lines.push('goals:');
  for (const g of goals(r)) lines.push(`  ${g.met ? 'met ' : 'MISS'}  ${g.goal}: ${g.measured}`);
  console.log(lines.join('\n'));
};
