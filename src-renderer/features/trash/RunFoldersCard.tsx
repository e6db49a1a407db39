import { useJobs } from '../jobs/JobsStore';
import { trainJobsSignature } from '../training/run-status.viewmodel';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { StudyItemsCard } from './StudyItemsCard';

/**
 * Every run folder of the study (runs.list: also the ones the current grid no longer has) with
 * Delete, re-read when a training job changes.
 */
export function RunFoldersCard({ studyPath, onDeleted }: { studyPath: string; onDeleted(): void }) {
  const { jobs } = useJobs();
  const runs = useStudyQuery('runs.list', { studyPath }, trainJobsSignature(jobs, studyPath));
  if (!runs.data) return null;
  return (
    <StudyItemsCard
      studyPath={studyPath}
      kind="run"
      title="Run folders"
      names={runs.data.map((r) => r.runId)}
      onDeleted={() => {
        runs.refresh();
        onDeleted();
      }}
    />
  );
}
