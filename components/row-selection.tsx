'use client';

interface SelectionProps<Id> {
  /** The ids ticked so far. */
  selected: Id[];
  onChange(next: Id[]): void;
}

/** The header cell whose checkbox ticks, or unticks, every row listed. */
export function SelectAllCell<Id>({ label, rowIds, selected, onChange }: SelectionProps<Id> & { label: string; rowIds: Id[] }) {
  return (
    <th>
      <input
        type="checkbox"
        aria-label={label}
        checked={rowIds.length > 0 && rowIds.every((id) => selected.includes(id))}
        onChange={(event) => onChange(event.target.checked ? rowIds : [])}
      />
    </th>
  );
}

/** The cell whose checkbox ticks one row. */
export function SelectRowCell<Id>({ label, id, selected, onChange }: SelectionProps<Id> & { label: string; id: Id }) {
  return (
    <td>
      <input
        type="checkbox"
        aria-label={label}
        checked={selected.includes(id)}
        onChange={(event) => onChange(event.target.checked ? [...selected, id] : selected.filter((other) => other !== id))}
      />
    </td>
  );
}
