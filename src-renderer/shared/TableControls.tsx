import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import TableCell, { type TableCellProps } from '@mui/material/TableCell';
import TableSortLabel from '@mui/material/TableSortLabel';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { ariaSort, NO_FILTER, type FilterOptions, type RowFilter, type SortState } from './table-sort.viewmodel';

/** One sort button of a header: the label, and the arrow of the direction while it sorts. */
export function SortLabel<K extends string>({
  sortKey,
  sort,
  onSort,
  children,
  testIdPrefix,
}: {
  sortKey: K;
  sort: SortState<K> | null;
  onSort(key: K): void;
  children: React.ReactNode;
  testIdPrefix: string;
}) {
  const active = sort?.key === sortKey;
  return (
    <TableSortLabel
      active={active}
      direction={active ? sort.direction : 'asc'}
      onClick={() => onSort(sortKey)}
      data-testid={`${testIdPrefix}-sort-${sortKey}`}
      sx={{ '& .MuiTableSortLabel-icon': { fontSize: 16, ml: 0.25, mr: 0 } }}
    >
      {children}
    </TableSortLabel>
  );
}

/**
 * A column header that sorts on click (Enter or Space from the keyboard), with aria-sort; `keys` holds
 * several sort buttons when one column shows several values (e.g. strategy · fraction · seed).
 */
export function SortableHeader<K extends string>({
  keys,
  sort,
  onSort,
  testIdPrefix,
  ...cell
}: {
  keys: readonly { key: K; label: string }[];
  sort: SortState<K> | null;
  onSort(key: K): void;
  testIdPrefix: string;
} & Omit<TableCellProps, 'children'>) {
  const sorted = keys.find((k) => sort?.key === k.key);
  return (
    <TableCell {...cell} aria-sort={sorted ? ariaSort(sort, sorted.key) : 'none'} sortDirection={sorted ? sort!.direction : false}>
      {keys.length === 1 ? (
        <SortLabel sortKey={keys[0]!.key} sort={sort} onSort={onSort} testIdPrefix={testIdPrefix}>
          {keys[0]!.label}
        </SortLabel>
      ) : (
        <Box
          sx={{
            display: 'flex',
            flexDirection: 'column',
            alignItems: 'flex-start',
            '& > .MuiTableSortLabel-root': { flexDirection: 'row' },
          }}
        >
          {keys.map((k) => (
            <SortLabel key={k.key} sortKey={k.key} sort={sort} onSort={onSort} testIdPrefix={testIdPrefix}>
              {k.label}
            </SortLabel>
          ))}
        </Box>
      )}
    </TableCell>
  );
}

function FilterSelect({
  label,
  value,
  options,
  onChange,
  testId,
}: {
  label: string;
  value: string;
  options: { value: string; label: string }[];
  onChange(value: string): void;
  testId: string;
}) {
  return (
    <TextField
      select
      size="small"
      label={label}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      sx={{ minWidth: 130 }}
      slotProps={{ select: { SelectDisplayProps: { 'data-testid': testId } as React.HTMLAttributes<HTMLDivElement> } }}
    >
      <MenuItem value="">All</MenuItem>
      {options.map((o) => (
        <MenuItem key={o.value} value={o.value} data-testid={`${testId}-option-${o.value}`}>
          {o.label}
        </MenuItem>
      ))}
    </TextField>
  );
}

/** The filters above a run or results table: text, strategy, label fraction, dataset, and outdated when some row is. */
export function TableFilters({
  filter,
  options,
  onChange,
  datasetLabel,
  shown,
  testIdPrefix,
}: {
  filter: RowFilter;
  options: FilterOptions;
  onChange(filter: RowFilter): void;
  /** `Dataset` (trained on) or `Test set`. */
  datasetLabel: string;
  /** `Showing 2 of 4 runs`. */
  shown: string;
  testIdPrefix: string;
}) {
  const set = (patch: Partial<RowFilter>) => onChange({ ...filter, ...patch });
  const any = JSON.stringify(filter) !== JSON.stringify(NO_FILTER);
  return (
    <Box
      sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'center', mb: 1.5 }}
      role="search"
      aria-label={`Filter the ${testIdPrefix === 'runs' ? 'runs' : 'results'}`}
    >
      <TextField
        size="small"
        label="Search"
        value={filter.text}
        onChange={(e) => set({ text: e.target.value })}
        slotProps={{ htmlInput: { 'data-testid': `${testIdPrefix}-filter-text` } }}
        sx={{ width: 180 }}
      />
      <FilterSelect
        label="Strategy"
        value={filter.strategy}
        options={options.strategies}
        onChange={(v) => set({ strategy: v })}
        testId={`${testIdPrefix}-filter-strategy`}
      />
      <FilterSelect
        label="Fraction"
        value={filter.fraction}
        options={options.fractions}
        onChange={(v) => set({ fraction: v })}
        testId={`${testIdPrefix}-filter-fraction`}
      />
      <FilterSelect
        label={datasetLabel}
        value={filter.dataset}
        options={options.datasets}
        onChange={(v) => set({ dataset: v })}
        testId={`${testIdPrefix}-filter-dataset`}
      />
      {options.anyOutdated || filter.outdated ? (
        <FilterSelect
          label="Outdated"
          value={filter.outdated}
          options={[
            { value: 'current', label: 'Current only' },
            { value: 'outdated', label: 'Outdated only' },
          ]}
          onChange={(v) => set({ outdated: v as RowFilter['outdated'] })}
          testId={`${testIdPrefix}-filter-outdated`}
        />
      ) : null}
      {any ? (
        <Button size="small" onClick={() => onChange(NO_FILTER)} data-testid={`${testIdPrefix}-filter-clear`}>
          Clear filters
        </Button>
      ) : null}
      <Typography variant="body2" sx={{ color: 'text.secondary' }} role="status" data-testid={`${testIdPrefix}-shown`}>
        {shown}
      </Typography>
    </Box>
  );
}
