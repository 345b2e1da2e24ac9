'use client';

export function LoadingRows({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="panel muted" role="status" aria-busy="true">
      {label}
    </div>
  );
}

export function QueryError({ error, onRetry }: { error: { message: string }; onRetry?: () => void }) {
  return (
    <div className="error-box" role="alert">
      Could not load this: {error.message}{' '}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
