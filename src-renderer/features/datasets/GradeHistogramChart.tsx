import Box from '@mui/material/Box';
import { useTheme } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { visuallyHidden } from '../../shared/visuallyHidden';
import type { GradeHistogramModel } from './datasets.viewmodel';

/** Images per DR grade; referable grades (3-4) in the warning colour. Renders the model as given. */
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
    <Box data-testid={testId} sx={{ width: '100%', height }}>
      <Box role="img" aria-label={model.description} sx={{ width: '100%', height: '100%' }}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={model.bars} margin={{ top: 18, right: 8, bottom: 0, left: -18 }}>
            <CartesianGrid vertical={false} stroke={theme.palette.divider} />
            <XAxis
              dataKey="tick"
              tickLine={false}
              axisLine={{ stroke: theme.palette.divider }}
              tick={{ fill: axis, fontSize: 12 }}
              interval={0}
            />
            <YAxis allowDecimals={false} tickLine={false} axisLine={false} tick={{ fill: axis, fontSize: 11 }} width={48} />
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
      <Box sx={visuallyHidden}>{model.description}</Box>
    </Box>
  );
}
