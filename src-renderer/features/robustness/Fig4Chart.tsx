import Box from '@mui/material/Box';
import { useTheme } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import { Bar, BarChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { strategyColour } from '../../shared/strategies';
import { visuallyHidden } from '../../shared/visuallyHidden';
import { formatSigned, severityFill, type Fig4ChartModel } from './robustness.viewmodel';

/** One Fig 4 panel: CL − FS per corruption (rows), a bar per severity (darker = more severe, severityFill). Renders the model as given. */
export function Fig4Chart({ model }: { model: Fig4ChartModel }) {
  const theme = useTheme();
  const colour = strategyColour(model.strategy, theme.palette.mode);
  const axis = theme.palette.text.secondary;
  const fill = (opacity: number) => severityFill(colour, opacity, theme.palette.mode, theme.palette.background.paper);
  return (
    <Box data-testid="fig4-panel" data-panel={model.key} data-rows={model.rows.length} sx={{ minWidth: 0 }}>
      <Typography variant="h3" component="h3" sx={{ mb: 1 }}>
        {model.title}
      </Typography>
      <Box role="img" aria-label={model.description} sx={{ width: '100%', height: model.height }}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={model.rows} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 0 }} barCategoryGap={3} barGap={0}>
            <CartesianGrid stroke={theme.palette.divider} horizontal={false} />
            <XAxis
              type="number"
              domain={model.domain}
              ticks={model.ticks}
              tickFormatter={(v: number) => (v === 0 ? '0' : formatSigned(v, model.decimals))}
              tick={{ fill: axis, fontSize: 12 }}
              tickLine={false}
              axisLine={{ stroke: theme.palette.divider }}
              label={{ value: 'CL − FS, mean P(true class)', position: 'insideBottom', offset: -2, fill: axis, fontSize: 12 }}
              height={40}
              allowDataOverflow
            />
            <YAxis
              type="category"
              dataKey="label"
              width={144}
              interval={0}
              label={{ value: 'corruption', angle: -90, position: 'insideLeft', fill: axis, fontSize: 12, dy: 30 }}
              tick={{ fill: theme.palette.text.primary, fontSize: 12 }}
              tickLine={false}
              axisLine={false}
            />
            <ReferenceLine x={0} stroke={theme.palette.text.secondary} />
            <Tooltip
              cursor={{ fill: theme.palette.action.hover }}
              contentStyle={{
                background: theme.palette.background.paper,
                border: `1px solid ${theme.palette.divider}`,
                borderRadius: 6,
                fontSize: 13,
              }}
              labelStyle={{ color: theme.palette.text.primary }}
              formatter={(value, name) => [value === null || value === undefined ? '—' : formatSigned(Number(value)), String(name)]}
            />
            {model.severities.map((s) => (
              <Bar
                key={s.key}
                dataKey={s.key}
                name={`severity ${s.severity}`}
                fill={fill(s.opacity)}
                stroke={colour}
                strokeOpacity={0.9}
                strokeWidth={1}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </Box>
      <Box component="ul" aria-label="Severities" sx={{ display: 'flex', flexWrap: 'wrap', gap: 2, listStyle: 'none', m: 0, p: 0, mt: 1 }}>
        {model.severities.map((s) => (
          <Box component="li" key={s.key} sx={{ display: 'flex', alignItems: 'center', gap: 0.75 }}>
            <Box
              component="span"
              aria-hidden
              sx={{ width: 14, height: 14, borderRadius: 0.5, border: `1px solid ${colour}`, position: 'relative', overflow: 'hidden' }}
            >
              <Box component="span" sx={{ position: 'absolute', inset: 0, bgcolor: fill(s.opacity) }} />
            </Box>
            <Typography variant="body2" component="span">
              severity {s.severity}
            </Typography>
          </Box>
        ))}
      </Box>
      <Box sx={visuallyHidden}>{model.description}</Box>
    </Box>
  );
}
