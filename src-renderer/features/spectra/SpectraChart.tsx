import Box from '@mui/material/Box';
import { useTheme } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { StrategyLegend } from '../../shared/StrategyLegend';
import { strategyColour } from '../../shared/strategies';
import { visuallyHidden } from '../../shared/visuallyHidden';
import { formatKappa, formatPowerOfTen, type LineChartModel } from './spectra.viewmodel';

/** One Fig 3 panel (κ per layer on a log axis, or the mirrored density). Renders the model as given. */
export function SpectraChart({ model, height = 280, testId }: { model: LineChartModel; height?: number; testId: string }) {
  const theme = useTheme();
  const mode = theme.palette.mode;
  const axis = theme.palette.text.secondary;
  const log = model.yScale === 'log';
  const dots = model.data.length <= 60;
  const formatY = (v: number) => (log ? formatPowerOfTen(v) : v.toFixed(model.yDecimals));
  return (
    <Box data-testid={testId} data-panel={model.key} data-series={model.series.length} sx={{ minWidth: 0 }}>
      <Typography variant="h3" component="h3" sx={{ mb: 1 }}>
        {model.title}
      </Typography>
      <Box role="img" aria-label={model.description} sx={{ width: '100%', height }}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={model.data} margin={{ top: 8, right: 16, bottom: 4, left: 4 }}>
            <CartesianGrid stroke={theme.palette.divider} />
            <XAxis
              dataKey="x"
              type="number"
              domain={model.xDomain}
              ticks={model.xTicks}
              allowDecimals={false}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={{ stroke: theme.palette.divider }}
              label={{ value: model.xLabel, position: 'insideBottom', offset: -2, fill: axis, fontSize: 12 }}
              height={40}
            />
            <YAxis
              scale={log ? 'log' : 'linear'}
              domain={model.yDomain}
              ticks={model.yTicks}
              tickFormatter={formatY}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={false}
              width={56}
              allowDataOverflow
              label={{ value: model.yLabel, angle: -90, position: 'insideLeft', fill: axis, fontSize: 12, dy: 40, dx: 0 }}
            />
            <Tooltip
              contentStyle={{
                background: theme.palette.background.paper,
                border: `1px solid ${theme.palette.divider}`,
                borderRadius: 6,
                fontSize: 13,
              }}
              labelStyle={{ color: theme.palette.text.primary }}
              labelFormatter={(label) => {
                const x = Number(label);
                return model.xNames.length ? `layer ${x}: ${model.xNames[x] ?? ''}` : `rank ${x}`;
              }}
              formatter={(value, name) => [log ? formatKappa(Number(value)) : Number(value).toPrecision(3), String(name)]}
            />
            {model.series.map((s) => (
              <Line
                key={s.key}
                dataKey={s.key}
                name={s.label}
                type="linear"
                stroke={strategyColour(s.strategy, mode)}
                strokeWidth={2}
                strokeDasharray={s.dash}
                dot={dots ? { r: 2.5, fill: strategyColour(s.strategy, mode), strokeDasharray: '0' } : false}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </Box>
      <Box sx={{ mt: 1 }}>
        <StrategyLegend items={model.series.map((s) => ({ key: s.key, strategy: s.strategy, label: s.label }))} />
      </Box>
      <Box sx={visuallyHidden}>{model.description}</Box>
    </Box>
  );
}
