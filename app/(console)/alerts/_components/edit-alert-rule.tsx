'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import type { AlertRuleView } from '@/server/ops/alert-rules';

/**
 * The admin's dialog for one alert rule: on/off, and its threshold and duration where the rule
 * has them. Render it with `key` set to the rule, so each opening starts from the rule's values.
 */
export function EditAlertRuleDialog({ rule, onClose }: { rule: AlertRuleView | null; onClose(): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const updateRule = useMutation(trpc.alerts.updateRule.mutationOptions());
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const [threshold, setThreshold] = useState(rule?.threshold == null ? '' : String(rule.threshold));
  const [forMinutes, setForMinutes] = useState(rule?.forMinutes == null ? '' : String(rule.forMinutes));
  const [invalid, setInvalid] = useState<string | null>(null);

  function confirm(reason: string, requestId: string) {
    if (!rule) return;
    const wholeNumber = (value: string, max: number) => (/^\d+$/.test(value.trim()) && Number(value) >= 1 && Number(value) <= max ? Number(value) : null);
    const newThreshold = rule.threshold === null ? undefined : wholeNumber(threshold, 2_000_000_000);
    const newForMinutes = rule.forMinutes === null ? undefined : wholeNumber(forMinutes, 24 * 60);
    if (newThreshold === null) return setInvalid(`Threshold: give a whole number of ${rule.thresholdUnit}, 1 or more.`);
    if (newForMinutes === null) return setInvalid('For: give a whole number of minutes from 1 to 1440.');
    setInvalid(null);
    updateRule.mutate(
      { rule: rule.rule, enabled, threshold: newThreshold, forMinutes: newForMinutes, reason, requestId },
      {
        onSuccess: () => {
          onClose();
          void queryClient.invalidateQueries({ queryKey: trpc.alerts.rules.queryKey() });
        },
      },
    );
  }

  return (
    <ReasonDialog
      open={rule !== null}
      title={`Edit rule: ${rule?.label ?? ''}`}
      preview={
        rule && (
          <div style={{ display: 'grid', gap: 12 }}>
            <label className="row">
              <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} /> Enabled (a disabled rule raises no alerts)
            </label>
            {rule.threshold !== null && (
              <label className="field">
                Threshold ({rule.thresholdUnit})
                <input type="number" min={1} step={1} inputMode="numeric" value={threshold} onChange={(event) => setThreshold(event.target.value)} />
              </label>
            )}
            {rule.forMinutes !== null && (
              <label className="field">
                For (minutes the condition must hold)
                <input type="number" min={1} max={24 * 60} step={1} inputMode="numeric" value={forMinutes} onChange={(event) => setForMinutes(event.target.value)} />
              </label>
            )}
            <p className="muted" style={{ margin: 0 }}>Takes effect at the next evaluation (within a minute).</p>
          </div>
        )
      }
      confirmLabel="Save rule"
      busy={updateRule.isPending}
      error={invalid ?? updateRule.error?.message ?? null}
      onCancel={onClose}
      onConfirm={confirm}
    />
  );
}
