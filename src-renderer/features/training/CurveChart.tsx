import Box from '@mui/material/Box';
import { useTheme } from '@mui/material/styles';
import { CartesianGrid, Legend, Line, LineChart, ReferenceDot, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Axis } from '../../shared/axis.viewmodel';
import { formatMeasure } from '../../shared/format.viewmodel';
import { visuallyHidden } from '../../shared/visuallyHidden';

export interface CurveLine {
  key: string;
  name: string;
  colour: string;
  dash?: string;
}

interface Props {
  data: readonly Record<string, number | null>[];
  lines: readonly CurveLine[];
  yLabel: string;
  /** Value axis range and ticks (computed by the view model). */
  axis: Axis;
  /** A marked point (e.g. the selected epoch). */
  marker?: { x: number; y: number; label: string } | null;
  description: string;
  testId: string;
  height?: number;
}

/** Per-epoch curves of one run (x = epoch). Renders the given series; derives nothing. */
export function CurveChart({ data, lines, yLabel, axis: yAxis, marker, description, testId, height = 220 }: Props) {
  const theme = useTheme();
  const axis = theme.palette.text.secondary;
  return (
    <Box data-testid={testId} data-points={data.length} sx={{ width: '100%', height }}>
      <Box role="img" aria-label={description} sx={{ width: '100%', height: '100%' }}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data as Record<string, number | null>[]} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke={theme.palette.divider} />
            <XAxis
              dataKey="epoch"
              type="number"
              domain={data.length > 1 ? ['dataMin', 'dataMax'] : [0, 2]}
              allowDecimals={false}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={{ stroke: theme.palette.divider }}
              label={{ value: 'epoch', position: 'insideBottomRight', offset: -2, fill: axis, fontSize: 12 }}
              height={36}
            />
            <YAxis
              domain={yAxis.domain}
              ticks={yAxis.ticks}
              padding={{ top: 6, bottom: 6 }}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={false}
              width={52}
              tickFormatter={(v: number) => v.toFixed(yAxis.decimals)}
              label={{ value: yLabel, angle: -90, position: 'insideLeft', fill: axis, fontSize: 12, dy: 30 }}
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
            <Legend wrapperStyle={{ fontSize: 13 }} />
            {lines.map((l) => (
              <Line
                key={l.key}
                dataKey={l.key}
                name={l.name}
                stroke={l.colour}
                strokeWidth={2}
                strokeDasharray={l.dash}
                dot={{ r: data.length > 40 ? 0 : 3, strokeDasharray: '0' }}
                isAnimationActive={false}
                connectNulls
              />
            ))}
            {marker ? (
              <ReferenceDot
                x={marker.x}
                y={marker.y}
                r={6}
                fill="none"
                stroke={theme.palette.text.primary}
                strokeWidth={2}
                label={{ value: marker.label, position: 'top', fill: theme.palette.text.primary, fontSize: 12 }}
              />
            ) : null}
          </LineChart>
        </ResponsiveContainer>
      </Box>
      <Box sx={visuallyHidden}>{description}</Box>
    </Box>
  );
}
