import Box from '@mui/material/Box';
import { useTheme } from '@mui/material/styles';
import { CartesianGrid, Line, LineChart, ReferenceDot, ReferenceLine, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { StrategyLegend } from '../../shared/StrategyLegend';
import { strategyColour, variantDash } from '../../shared/strategies';
import type { RocSeriesModel } from './results.viewmodel';

/**
 * ROC curves (FPR → TPR) with each curve's operating point ringed; AUC in the legend. Renders the
 * series as given. No hover tooltip: the curves have their own x values, so a shared tooltip would
 * pair points of different thresholds.
 */
export function RocChart({ series, height = 360 }: { series: readonly RocSeriesModel[]; height?: number }) {
  const theme = useTheme();
  const mode = theme.palette.mode;
  const axis = theme.palette.text.secondary;
  const description = `ROC curves: ${series.map((s) => s.legend).join('; ')}. Operating points are ringed.`;
  return (
    <Box data-testid="roc-chart" data-curves={series.length}>
      <Box role="img" aria-label={description} sx={{ width: '100%', maxWidth: 560, height, mx: 'auto' }}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke={theme.palette.divider} />
            <XAxis
              dataKey="fpr"
              type="number"
              domain={[0, 1]}
              ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={{ stroke: theme.palette.divider }}
              label={{ value: '1 − specificity (FPR)', position: 'insideBottom', offset: -2, fill: axis, fontSize: 12 }}
              height={40}
              padding={{ left: 8, right: 8 }}
              allowDuplicatedCategory={false}
            />
            <YAxis
              type="number"
              domain={[0, 1]}
              ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={false}
              width={48}
              padding={{ top: 8, bottom: 8 }}
              label={{ value: 'sensitivity (TPR)', angle: -90, position: 'insideLeft', fill: axis, fontSize: 12, dy: 50 }}
            />
            <ReferenceLine
              segment={[
                { x: 0, y: 0 },
                { x: 1, y: 1 },
              ]}
              stroke={theme.palette.text.disabled}
              strokeDasharray="3 3"
              ifOverflow="hidden"
            />
            {series.map((s) => (
              <Line
                key={s.key}
                data={s.points}
                dataKey="tpr"
                name={s.legend}
                type="linear"
                stroke={strategyColour(s.strategy, mode)}
                strokeWidth={2}
                strokeDasharray={variantDash(s.strategy, s.variant)}
                dot={false}
                isAnimationActive={false}
              />
            ))}
            {series.map((s) => (
              <ReferenceDot
                key={`${s.key} op`}
                x={s.operatingPoint.fpr}
                y={s.operatingPoint.tpr}
                r={5}
                fill={theme.palette.background.paper}
                stroke={strategyColour(s.strategy, mode)}
                strokeWidth={2.5}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </Box>
      <Box sx={{ mt: 1 }}>
        <StrategyLegend
          testId="roc-legend"
          items={series.map((s) => ({ key: s.key, strategy: s.strategy, label: s.legend, variant: s.variant }))}
        />
      </Box>
    </Box>
  );
}
