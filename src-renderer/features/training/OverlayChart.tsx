import Box from '@mui/material/Box';
import { useTheme } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatMeasure } from '../../shared/format.viewmodel';
import { visuallyHidden } from '../../shared/visuallyHidden';
import type { OverlayChartModel } from './runs-compare.viewmodel';

/** One metric of several runs over the epochs, one line per run with its legend entry; renders the model, derives nothing. */
export function OverlayChart({ model, height = 260 }: { model: OverlayChartModel; height?: number }) {
  const theme = useTheme();
  const axis = theme.palette.text.secondary;
  const { data, series, axis: yAxis } = model;
  return (
    <Box data-testid={`compare-chart-${model.metric}`} data-series={series.length} data-points={data.length}>
      <Typography variant="h3" component="h3" gutterBottom>
        {model.title}
      </Typography>
      <Box role="img" aria-label={model.description} sx={{ width: '100%', height }}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
            <CartesianGrid stroke={theme.palette.divider} />
            <XAxis
              dataKey="epoch"
              type="number"
              domain={data.length > 1 ? ['dataMin', 'dataMax'] : [0, 2]}
              allowDecimals={false}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={{ stroke: theme.palette.divider }}
              label={{ value: 'epoch', position: 'insideBottom', offset: -2, fill: axis, fontSize: 12 }}
              height={40}
            />
            <YAxis
              domain={yAxis.domain}
              ticks={yAxis.ticks}
              padding={{ top: 6, bottom: 6 }}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={false}
              width={60}
              tickFormatter={(v: number) => v.toFixed(yAxis.decimals)}
              label={{ value: model.yLabel, angle: -90, position: 'insideLeft', fill: axis, fontSize: 12, dy: 40 }}
            />
            <Tooltip
              contentStyle={{
                background: theme.palette.background.paper,
                border: `1px solid ${theme.palette.divider}`,
                borderRadius: 6,
                fontSize: 13,
              }}
              labelStyle={{ color: theme.palette.text.primary }}
              labelFormatter={(label) => `epoch ${String(label)}`}
              formatter={(value) => (typeof value === 'number' ? formatMeasure(value) : '—')}
            />
            {/* In the order the runs were ticked (recharts sorts by name otherwise). */}
            <Legend
              wrapperStyle={{ fontSize: 13, color: theme.palette.text.primary, paddingTop: 6 }}
              itemSorter={(item) => Number(String(item.dataKey).slice(1))}
            />
            {series.map((s) => (
              <Line
                key={s.key}
                dataKey={s.key}
                name={s.name}
                stroke={s.colour}
                strokeWidth={2}
                strokeDasharray={s.dash}
                dot={{ r: data.length > 40 ? 0 : 3, strokeDasharray: '0' }}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </Box>
      <Box sx={visuallyHidden}>{model.description}</Box>
    </Box>
  );
}
