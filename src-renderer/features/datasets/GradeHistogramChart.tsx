import Box from '@mui/material/Box';
import { useTheme } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { visuallyHidden } from '../../shared/visuallyHidden';
import type { GradeHistogramModel } from './datasets.viewmodel';

/** Images per DR grade with axis titles; referable grades (3-4) in the warning colour, named by a legend. Renders the model as given. */
export function GradeHistogramChart({ model, height = 150, testId }: { model: GradeHistogramModel; height?: number; testId?: string }) {
  const theme = useTheme();
  const axis = theme.palette.text.secondary;
  if (model.noGrades) {
    return (
      <Box data-testid={testId} sx={{ py: 1.5, px: 2, border: 1, borderColor: 'divider', borderRadius: 1, borderStyle: 'dashed' }}>
        <Typography variant="body2" sx={{ color: 'text.secondary' }}>
          {model.description}
        </Typography>
      </Box>
    );
  }
  return (
    <Box data-testid={testId} sx={{ width: '100%' }}>
      <Box role="img" aria-label={model.description} sx={{ width: '100%', height }}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={model.bars} margin={{ top: 18, right: 8, bottom: 6, left: 0 }}>
            <CartesianGrid vertical={false} stroke={theme.palette.divider} />
            <XAxis
              dataKey="tick"
              tickLine={false}
              axisLine={{ stroke: theme.palette.divider }}
              tick={{ fill: axis, fontSize: 12 }}
              interval={0}
              height={38}
              label={{ value: 'DR grade', position: 'insideBottom', offset: 2, fill: axis, fontSize: 12 }}
            />
            <YAxis
              allowDecimals={false}
              tickLine={false}
              axisLine={false}
              tick={{ fill: axis, fontSize: 11 }}
              width={48}
              label={{ value: 'images', angle: -90, position: 'insideLeft', fill: axis, fontSize: 12, dy: 22 }}
            />
            <Tooltip
              cursor={{ fill: theme.palette.action.hover }}
              contentStyle={{
                background: theme.palette.background.paper,
                border: `1px solid ${theme.palette.divider}`,
                borderRadius: 6,
                fontSize: 13,
              }}
              labelStyle={{ color: theme.palette.text.primary }}
              formatter={(value, _name, item) => [
                `${String(value)} (${String((item.payload as { percent: number }).percent)} %)`,
                'Images',
              ]}
              labelFormatter={(_label, payload) => String((payload?.[0]?.payload as { name?: string } | undefined)?.name ?? '')}
            />
            <Bar dataKey="count" radius={[3, 3, 0, 0]} isAnimationActive={false}>
              {model.bars.map((b) => (
                <Cell key={b.key} fill={b.referable ? theme.palette.warning.main : theme.palette.primary.main} />
              ))}
              <LabelList dataKey="count" position="top" style={{ fill: theme.palette.text.primary, fontSize: 11 }} />
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </Box>
      <HistogramLegend />
      <Box sx={visuallyHidden}>{model.description}</Box>
    </Box>
  );
}

/** The histogram's legend in HTML (it wraps): which bar colour means referable. */
function HistogramLegend() {
  const theme = useTheme();
  const items = [
    { label: 'non-referable (grades 0–2)', colour: theme.palette.primary.main },
    { label: 'referable (grades 3–4)', colour: theme.palette.warning.main },
  ];
  return (
    <Box
      component="ul"
      aria-label="Bar colours"
      sx={{ display: 'flex', flexWrap: 'wrap', columnGap: 2, rowGap: 0.25, listStyle: 'none', m: 0, mt: 0.5, p: 0 }}
    >
      {items.map((item) => (
        <Box component="li" key={item.label} sx={{ display: 'flex', alignItems: 'center', gap: 0.75 }}>
          <Box component="span" aria-hidden sx={{ width: 12, height: 12, borderRadius: 0.5, bgcolor: item.colour, flexShrink: 0 }} />
          <Typography variant="caption" component="span" sx={{ color: 'text.secondary' }}>
            {item.label}
          </Typography>
        </Box>
      ))}
    </Box>
  );
}
