/**
 * The pages of the left navigation, in order. A capability adds its page here (and its id to
 * RouteId in navigation.tsx).
 */
import type { ComponentType } from 'react';
import type { SvgIconProps } from '@mui/material/SvgIcon';
import {
  ChipIcon,
  DatasetsIcon,
  ExplanationsIcon,
  FundusIcon,
  JobsIcon,
  ModelsIcon,
  ReportIcon,
  ResultsIcon,
  RobustnessIcon,
  SpectraIcon,
  TrainingIcon,
  TrashIcon,
} from '../shared/icons';
import { DatasetsPage } from '../features/datasets/DatasetsPage';
import { StudiesPage } from '../features/study/StudiesPage';
import { ComputePage } from '../features/engine/ComputePage';
import { JobsPage } from '../features/jobs/JobsPage';
import { ModelsPage } from '../features/models/ModelsPage';
import { ResultsPage } from '../features/results/ResultsPage';
import { TrainingPage } from '../features/training/TrainingPage';
import { SpectraPage } from '../features/spectra/SpectraPage';
import { RobustnessPage } from '../features/robustness/RobustnessPage';
import { ExplanationsPage } from '../features/explanations/ExplanationsPage';
import { ReportPage } from '../features/report/ReportPage';
import { TrashPage } from '../features/trash/TrashPage';
import type { RouteId } from './navigation';

export interface PageProps {
  /** True when the page was reached by navigation (not at start-up): it focuses its heading. */
  focusHeading: boolean;
}

export interface RouteDef {
  id: RouteId;
  label: string;
  icon: ComponentType<SvgIconProps>;
  page: ComponentType<PageProps>;
  /** The page works on the open study: the navigation says so while none is open. */
  needsStudy?: boolean;
}

export const ROUTES: readonly RouteDef[] = [
  { id: 'studies', label: 'Studies', icon: FundusIcon, page: StudiesPage },
  { id: 'datasets', label: 'Datasets', icon: DatasetsIcon, page: DatasetsPage, needsStudy: true },
  { id: 'models', label: 'Models', icon: ModelsIcon, page: ModelsPage },
  { id: 'training', label: 'Training', icon: TrainingIcon, page: TrainingPage, needsStudy: true },
  { id: 'results', label: 'Results', icon: ResultsIcon, page: ResultsPage, needsStudy: true },
  { id: 'spectra', label: 'Spectra', icon: SpectraIcon, page: SpectraPage, needsStudy: true },
  { id: 'robustness', label: 'Robustness', icon: RobustnessIcon, page: RobustnessPage, needsStudy: true },
  { id: 'explanations', label: 'Explanations', icon: ExplanationsIcon, page: ExplanationsPage, needsStudy: true },
  { id: 'report', label: 'Report', icon: ReportIcon, page: ReportPage, needsStudy: true },
  { id: 'trash', label: 'Trash', icon: TrashIcon, page: TrashPage, needsStudy: true },
  { id: 'compute', label: 'Compute', icon: ChipIcon, page: ComputePage },
  { id: 'jobs', label: 'Jobs', icon: JobsIcon, page: JobsPage },
];
