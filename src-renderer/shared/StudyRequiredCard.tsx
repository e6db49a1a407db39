import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Typography from '@mui/material/Typography';
import { useNavigation } from '../app/navigation';

/** What a study page shows while no study is open. */
export function StudyRequiredCard({ testId, text }: { testId: string; text: string }) {
  const { navigate } = useNavigation();
  return (
    <Card data-testid={testId}>
      <CardContent>
        <Typography variant="h2" gutterBottom>
          Open or create a study first
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '75ch' }}>
          {text}
        </Typography>
        <Button variant="contained" onClick={() => navigate('studies')}>
          Go to Studies
        </Button>
      </CardContent>
    </Card>
  );
}
