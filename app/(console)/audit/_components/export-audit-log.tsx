'use client';

import { useState } from 'react';
import { useCan } from '@/components/actor';
import { parseDateInput, rangeEndAhead, toDateInput } from '@/components/format';
import type { AuditExportFormat } from '@/server/ops/export-audit-log';

const formats: { value: AuditExportFormat; label: string }[] = [
  { value: 'csv', label: 'CSV (spreadsheets)' },
  { value: 'ndjson', label: 'NDJSON (one JSON object a line, for a SIEM)' },
];

/**
 * Admins download the audit log of a range. The browser follows a plain link, so the file
 * streams to disk however large it is; the server checks the role again and audits the export.
 */
export function ExportAuditLog() {
  const canExport = useCan('admin');
  const [from, setFrom] = useState(() => toDateInput(new Date(Date.now() - 24 * 3_600_000)));
  const [to, setTo] = useState(() => toDateInput(rangeEndAhead(new Date())));
  const [format, setFormat] = useState<AuditExportFormat>('csv');
  if (!canExport) return null;
  const start = parseDateInput(from);
  const end = parseDateInput(to);
  const problem = !start || !end ? 'Set both ends of the range.' : start >= end ? '“From” must be before “To”.' : null;
  const href = problem ? undefined : `/api/audit/export?${new URLSearchParams({ from: start!.toISOString(), to: end!.toISOString(), format })}`;
  return (
    <details className="panel" data-testid="audit-export">
      <summary>Export the audit log…</summary>
      <div className="row" style={{ marginTop: 8, alignItems: 'flex-end' }}>
        <label className="field">
          From
          <input type="datetime-local" value={from} onChange={(event) => setFrom(event.target.value)} />
        </label>
        <label className="field">
          To (excluded)
          <input type="datetime-local" value={to} onChange={(event) => setTo(event.target.value)} />
        </label>
        <label className="field">
          Format
          <select value={format} onChange={(event) => setFormat(event.target.value as AuditExportFormat)}>
            {formats.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        {href ? (
          <a className="button primary" href={href} download>
            Download
          </a>
        ) : (
          <span role="alert">{problem}</span>
        )}
      </div>
      <p className="muted">Every entry of the range, oldest first, with inputs and results (secrets already removed). The export itself is recorded here.</p>
    </details>
  );
}
