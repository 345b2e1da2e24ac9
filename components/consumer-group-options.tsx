import { groupLabel, groupLabels } from './format';

/** The `<option>`s of a consumer-group picker: a first "all" choice, then every group by its plain name. */
export function ConsumerGroupOptions({ allLabel }: { allLabel: string }) {
  return (
    <>
      <option value="">{allLabel}</option>
      {Object.keys(groupLabels).map((group) => (
        <option key={group} value={group}>
          {groupLabel(group)}
        </option>
      ))}
    </>
  );
}
