import type { RunStatus } from './api.ts';
import { statusClass } from './statuses.ts';

export function StatusBadge({ status, compact = false }: { status: RunStatus; compact?: boolean }) {
  return (
    <span className={`status ${statusClass(status)}${compact ? ' compact' : ''}`} title={status} data-status={status}>
      <span className="dot" />
      {compact ? null : status}
    </span>
  );
}
