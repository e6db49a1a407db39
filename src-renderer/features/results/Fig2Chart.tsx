import Box from '@mui/material/Box';
import { useTheme } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import { Area, CartesianGrid, ComposedChart, ErrorBar, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { StrategyLegend } from '../../shared/StrategyLegend';
import { formatFraction, strategyColour, strategyDash } from '../../shared/strategies';
import { visuallyHidden } from '../../shared/visuallyHidden';
import { formatAuc, formatCi, type Fig2ChartModel } from './results.viewmodel';

/** One Fig 2 panel: AUC against label fraction, a line per strategy with its CI band. Renders the model as given. */
export function Fig2Chart({ model, height = 280 }: { model: Fig2ChartModel; height?: number }) {
  const theme = useTheme();
  const mode = theme.palette.mode;
  const axis = theme.palette.text.secondary;
  return (
    <Box data-testid="fig2-panel" data-panel={model.key} data-series={model.series.length} sx={{ minWidth: 0 }}>
      <Typography variant="h3" component="h3">
        {model.title}
      </Typography>
      <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1 }}>
        {model.subtitle}
      </Typography>
      <Box role="img" aria-label={model.description} sx={{ width: '100%', height }}>
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={model.data} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke={theme.palette.divider} />
            <XAxis
              dataKey="fraction"
              type="number"
              domain={[0, 1]}
              ticks={model.xTicks}
              tickFormatter={(v: number) => formatFraction(v)}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={{ stroke: theme.palette.divider }}
              label={{ value: 'label fraction', position: 'insideBottomRight', offset: -2, fill: axis, fontSize: 12 }}
              height={36}
              padding={{ left: 8, right: 12 }}
            />
            <YAxis
              domain={model.yDomain}
              ticks={model.yTicks}
              tickFormatter={(v: number) => v.toFixed(model.yDecimals)}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={false}
              width={48}
              padding={{ top: 4, bottom: 4 }}
              label={{ value: 'AUC', angle: -90, position: 'insideLeft', fill: axis, fontSize: 12, dy: 14 }}
              allowDataOverflow
            />
            <Tooltip
              contentStyle={{
                background: theme.palette.background.paper,
                border: `1px solid ${theme.palette.divider}`,
                borderRadius: 6,
                fontSize: 13,
              }}
              labelStyle={{ color: theme.palette.text.primary }}
              labelFormatter={(label) => `${formatFraction(Number(label))} of the labels`}
              formatter={(value, name) =>
                Array.isArray(value)
                  ? [formatCi({ lower: Number(value[0]), upper: Number(value[1]) }), `${String(name)} 95% CI`]
                  : [formatAuc(Number(value)), String(name)]
              }
            />
            {model.series
              .filter((s) => s.drawBand)
              .map((s) => (
                <Area
                  key={s.bandKey}
                  dataKey={s.bandKey}
                  name={s.strategy}
                  stroke="none"
                  fill={strategyColour(s.strategy, mode)}
                  fillOpacity={0.16}
                  isAnimationActive={false}
                  connectNulls
                  dot={false}
                  activeDot={false}
                  legendType="none"
                />
              ))}
            {model.series.map((s) => (
              <Line
                key={s.valueKey}
                dataKey={s.valueKey}
                name={s.strategy}
                stroke={strategyColour(s.strategy, mode)}
                strokeWidth={2.25}
                strokeDasharray={strategyDash(s.strategy)}
                dot={{ r: 3.5, fill: strategyColour(s.strategy, mode), strokeDasharray: '0' }}
                isAnimationActive={false}
                connectNulls
              >
                <ErrorBar dataKey={s.errorKey} direction="y" width={6} stroke={strategyColour(s.strategy, mode)} strokeWidth={1.5} />
              </Line>
            ))}
            {model.yDomain[0] < 0.5 && model.yDomain[1] > 0.5 ? (
              <ReferenceLine
                y={0.5}
                stroke={theme.palette.text.disabled}
                strokeDasharray="3 3"
                label={{ value: 'chance', position: 'insideBottomLeft', fill: axis, fontSize: 11 }}
              />
            ) : null}
          </ComposedChart>
        </ResponsiveContainer>
      </Box>
      <Box sx={{ mt: 1 }}>
        <StrategyLegend items={model.series.map((s) => ({ key: s.strategy, strategy: s.strategy, label: s.strategy, band: true }))} />
      </Box>
      <Box sx={visuallyHidden}>{model.description}</Box>
    </Box>
  );
}
