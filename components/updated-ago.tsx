'use client';

import { useEffect, useState } from 'react';

/** "updated 3 s ago" for a query's dataUpdatedAt, ticking every second. */
export function UpdatedAgo({ at }: { at: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (!at) return null;
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  return <span className="updated">updated {seconds < 2 ? 'just now' : `${seconds} s ago`}</span>;
}
