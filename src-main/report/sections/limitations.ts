/** Section 7: what the numbers of this study can and cannot say. */
import type { ReportContext } from '../context';

export function limitationsSection(r: ReportContext): void {
  r.ctx.progress(8, 10, 'Limitations and appendix');
  r.section('7 Limitations');
  const limitations = [
    ...(r.synthetic
      ? [
          'The images are synthetic (FundusLab demo data), and the IFI "pretrained" weights are demo stand-ins derived from a synthetic texture set, not ImageNet: the numbers show that the pipeline works, not how the strategies compare on real fundus photographs.',
        ]
      : []),
    `Seeds: ${[...new Set(r.runs.map((x) => x.spec.seed))].length || 0} per cell. With one seed, the bands show sampling uncertainty of the test set (DeLong), not the variation between training runs.`,
    'Validation and test: the best epoch is chosen by validation AUC on a fixed patient-level split of the training data; test sets must not share patients with training (the table marks overlaps with *).',
    'Referable DR is defined by the chosen grade set; AUCs for {3,4} (the paper) and {2,3,4} (clinical practice) are not comparable.',
    "Reduced models, input sizes or epochs (if used here, see Methods) differ from the paper's ResNet50 at 224 px trained 500 / 50 epochs.",
    'MoCo v2 pretraining runs on a single device without shuffle-BN.',
  ];
  r.writer.bullets(limitations);
}
