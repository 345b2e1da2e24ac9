'use client';

import { useState } from 'react';

/** A stack of cursors for keyset pagination: the current page's cursor is the last one. */
export function useCursorStack<Cursor>() {
  const [cursors, setCursors] = useState<Cursor[]>([]);
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length + 1,
    reset: () => setCursors([]),
    back: () => setCursors((current) => current.slice(0, -1)),
    next: (cursor: Cursor) => setCursors((current) => [...current, cursor]),
    canGoBack: cursors.length > 0,
  };
}

export function CursorPager<Cursor>({ stack, nextCursor }: { stack: ReturnType<typeof useCursorStack<Cursor>>; nextCursor: Cursor | null | undefined }) {
  return (
    <div className="pager">
      <span className="muted">Page {stack.page}</span>
      <button type="button" disabled={!stack.canGoBack} onClick={stack.back}>
        Previous
      </button>
      <button type="button" disabled={nextCursor === null || nextCursor === undefined} onClick={() => nextCursor != null && stack.next(nextCursor)}>
        Next
      </button>
    </div>
  );
}
