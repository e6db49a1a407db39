/**
 * The few icons the app needs, drawn here as simple stroked SVG (no icon package, nothing fetched).
 * Decorative by default: give the control that holds them an accessible name.
 */
import SvgIcon, { type SvgIconProps } from '@mui/material/SvgIcon';
import type { ReactNode } from 'react';

function strokeIcon(children: ReactNode, displayName: string) {
  function Icon(props: SvgIconProps) {
    return (
      <SvgIcon aria-hidden {...props} viewBox="0 0 24 24">
        {/* Presentation attributes on the group win over the fill SvgIcon sets on the root. */}
        <g fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round">
          {children}
        </g>
      </SvgIcon>
    );
  }
  Icon.displayName = displayName;
  return Icon;
}

/** An eye fundus: optic disc, the vessel arcades and the macula (the app's mark; also "Studies"). */
export const FundusIcon = strokeIcon(
  <>
    <circle cx="12" cy="12" r="9.5" />
    <circle cx="15.5" cy="12" r="1.9" />
    <path d="M14 10.6C11.5 7.6 8.5 6.8 5.2 8.2M14 13.4c-2.5 3-5.5 3.8-8.8 2.4M15.8 10.1c-.3-2.3-1.6-4.2-3.6-5.6M15.8 13.9c-.3 2.3-1.6 4.2-3.6 5.6" />
    <circle cx="8.6" cy="12" r="0.6" />
  </>,
  'FundusIcon',
);

/** Three layers of connected units ("Models"). */
export const ModelsIcon = strokeIcon(
  <>
    <circle cx="5" cy="7" r="1.8" />
    <circle cx="5" cy="17" r="1.8" />
    <circle cx="12" cy="5" r="1.8" />
    <circle cx="12" cy="12" r="1.8" />
    <circle cx="12" cy="19" r="1.8" />
    <circle cx="19" cy="12" r="1.8" />
    <path d="M6.7 6.4l3.6-.9M6.6 8l3.8 3M6.6 16l3.8-3M6.7 17.6l3.6.9M13.7 5.8l3.8 5M13.8 12h3.4M13.7 18.2l3.8-5" />
  </>,
  'ModelsIcon',
);

/** A stack of image tiles ("Datasets"). */
export const DatasetsIcon = strokeIcon(
  <>
    <rect x="3.5" y="3.5" width="7" height="7" rx="1.2" />
    <rect x="13.5" y="3.5" width="7" height="7" rx="1.2" />
    <rect x="3.5" y="13.5" width="7" height="7" rx="1.2" />
    <rect x="13.5" y="13.5" width="7" height="7" rx="1.2" />
    <circle cx="7" cy="7" r="1.6" />
  </>,
  'DatasetsIcon',
);

export const ChipIcon = strokeIcon(
  <>
    <rect x="6" y="6" width="12" height="12" rx="2" />
    <rect x="9.5" y="9.5" width="5" height="5" rx="0.5" />
    <path d="M9 3v3M15 3v3M9 18v3M15 18v3M3 9h3M3 15h3M18 9h3M18 15h3" />
  </>,
  'ChipIcon',
);

export const JobsIcon = strokeIcon(
  <>
    <path d="M9 6h11M9 12h11M9 18h11" />
    <path d="M3.5 6l1.2 1.2L7 4.8M3.5 12l1.2 1.2L7 10.8" />
    <circle cx="5" cy="18" r="1.4" />
  </>,
  'JobsIcon',
);

export const SunIcon = strokeIcon(
  <>
    <circle cx="12" cy="12" r="4" />
    <path d="M12 2.5v2M12 19.5v2M2.5 12h2M19.5 12h2M5.3 5.3l1.4 1.4M17.3 17.3l1.4 1.4M5.3 18.7l1.4-1.4M17.3 6.7l1.4-1.4" />
  </>,
  'SunIcon',
);

export const MoonIcon = strokeIcon(<path d="M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z" />, 'MoonIcon');

export const MonitorIcon = strokeIcon(
  <>
    <rect x="3" y="4" width="18" height="12" rx="1.5" />
    <path d="M9 20h6M12 16v4" />
  </>,
  'MonitorIcon',
);

export const FolderIcon = strokeIcon(
  <path d="M3 7.5A1.5 1.5 0 0 1 4.5 6h4.2l2 2h8.8A1.5 1.5 0 0 1 21 9.5v8a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z" />,
  'FolderIcon',
);

export const RefreshIcon = strokeIcon(
  <>
    <path d="M19.5 12a7.5 7.5 0 1 1-2.2-5.3" />
    <path d="M19.5 4.5v4h-4" />
  </>,
  'RefreshIcon',
);

export const ChevronDownIcon = strokeIcon(<path d="M6 9l6 6 6-6" />, 'ChevronDownIcon');

export const PlayIcon = strokeIcon(<path d="M8 5.5v13l10-6.5z" />, 'PlayIcon');

export const StopIcon = strokeIcon(<rect x="6.5" y="6.5" width="11" height="11" rx="1.5" />, 'StopIcon');

export const RetryIcon = strokeIcon(
  <>
    <path d="M4.5 12a7.5 7.5 0 1 0 2.2-5.3" />
    <path d="M4.5 4.5v4h4" />
  </>,
  'RetryIcon',
);

export const CheckIcon = strokeIcon(<path d="M5 12.5l4.5 4.5L19 7.5" />, 'CheckIcon');

export const CrossIcon = strokeIcon(<path d="M6.5 6.5l11 11M17.5 6.5l-11 11" />, 'CrossIcon');

/** A rising learning curve over axes ("Training"). */
export const TrainingIcon = strokeIcon(
  <>
    <path d="M4 4v16h16" />
    <path d="M7 16c2.5-5 4.5-7.5 7-8.5s3.5-.8 5-.5" />
    <circle cx="11" cy="11.2" r="0.6" />
  </>,
  'TrainingIcon',
);

/** Bars with a ROC-like arc ("Results"). */
export const ResultsIcon = strokeIcon(
  <>
    <path d="M4 20h16" />
    <path d="M6.5 20v-5M11 20v-9M15.5 20v-7M20 20V6" />
    <path d="M4 4.5h5" />
  </>,
  'ResultsIcon',
);

/** An arrow into a tray ("Download", "Export"). */
export const DownloadIcon = strokeIcon(
  <>
    <path d="M12 4v11M7.5 10.5L12 15l4.5-4.5" />
    <path d="M4.5 16.5v2a1.5 1.5 0 0 0 1.5 1.5h12a1.5 1.5 0 0 0 1.5-1.5v-2" />
  </>,
  'DownloadIcon',
);

/** A pencil ("Edit"). */
export const EditIcon = strokeIcon(
  <>
    <path d="M4.5 19.5l1-4L16 5a1.8 1.8 0 0 1 2.5 0l.5.5a1.8 1.8 0 0 1 0 2.5L8.5 18.5z" />
    <path d="M14 7l3 3" />
  </>,
  'EditIcon',
);

/** A decaying eigen-spectrum over axes ("Spectra"). */
export const SpectraIcon = strokeIcon(
  <>
    <path d="M4 4v16h16" />
    <path d="M6.5 5.5c.8 6.5 3.2 10.2 13 11.5" />
    <path d="M6.5 19v-2M9.5 19v-4.5M12.5 19v-2.8M15.5 19v-1.6" />
  </>,
  'SpectraIcon',
);

/** A shield ("Robustness"). */
export const RobustnessIcon = strokeIcon(
  <>
    <path d="M12 3l7 2.8v5.4c0 4.4-2.9 7.9-7 9.8-4.1-1.9-7-5.4-7-9.8V5.8z" />
    <path d="M8.8 12.2l2.2 2.2 4.2-4.4" />
  </>,
  'RobustnessIcon',
);

/** An eye with a highlighted region ("Explanations"). */
export const ExplanationsIcon = strokeIcon(
  <>
    <path d="M2.5 12s3.4-6.5 9.5-6.5 9.5 6.5 9.5 6.5-3.4 6.5-9.5 6.5S2.5 12 2.5 12z" />
    <circle cx="12" cy="12" r="3" />
    <circle cx="13" cy="11" r="0.8" />
  </>,
  'ExplanationsIcon',
);

/** A document with lines ("Report"). */
export const ReportIcon = strokeIcon(
  <>
    <path d="M6 3.5h8l4 4v13H6z" />
    <path d="M14 3.5v4h4" />
    <path d="M8.8 12h6.4M8.8 15h6.4M8.8 18h4" />
  </>,
  'ReportIcon',
);

/** A box with an arrow leaving it ("Open with the system"). */
export const OpenExternalIcon = strokeIcon(
  <>
    <path d="M13.5 4.5h6v6" />
    <path d="M19.5 4.5l-8 8" />
    <path d="M17.5 13.5v5a1.5 1.5 0 0 1-1.5 1.5H6a1.5 1.5 0 0 1-1.5-1.5V8A1.5 1.5 0 0 1 6 6.5h5" />
  </>,
  'OpenExternalIcon',
);

/** A waste bin ("Trash"). */
export const TrashIcon = strokeIcon(<path d="M4.5 7h15M9.5 7V4.5h5V7M6.5 7l1 12.5h9l1-12.5M10 10.5v6M14 10.5v6" />, 'TrashIcon');
