import type { RunStatus } from './api.ts';

export function StatusBadge({ status, compact = false }: { status: RunStatus; compact?: boolean }) {
  return (
    <span className={`status status-${status}${compact ? ' compact' : ''}`} title={status}>
      <span className="dot" />
      {compact ? null : status}
    </span>
  );
}
