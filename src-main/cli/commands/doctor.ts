import { DoctorReport, SelfTestParams } from '../../../src-shared/engine';
import { parseOrThrow } from '../../../src-shared/errors';
import { collectDoctorReport, formatDoctorReport } from '../../engine/doctor';
import { initEngine } from '../../engine/backend';
import { APP_VERSION, ELECTRON_VERSION } from '../../version';
import { parseCommandArgs } from '../args';
import { stderrProgress } from '../progress';

/** `funduslab doctor`: backend ladder, versions, GPU visibility and a short training self-test. Exit 1 if a check fails. */
export async function runDoctor(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    size: { type: 'string' },
    batch: { type: 'string' },
    steps: { type: 'string' },
  });
  const selfTest = parseOrThrow(
    SelfTestParams,
    {
      ...(values.size !== undefined ? { size: Number(values.size) } : {}),
      ...(values.batch !== undefined ? { batch: Number(values.batch) } : {}),
      ...(values.steps !== undefined ? { steps: Number(values.steps) } : {}),
    },
    'doctor options',
  );
  await initEngine({ preference: 'auto' });
  const progress = stderrProgress('self-test', !values.json);
  const report = DoctorReport.parse(
    await collectDoctorReport({
      appVersion: APP_VERSION,
      electronVersion: ELECTRON_VERSION,
      selfTest,
      ctx: { progress: progress.update, log: () => {}, signal: new AbortController().signal },
    }),
  );
  progress.end();
  if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(formatDoctorReport(report) + '\n');
  return report.selfTest.passed ? 0 : 1;
}
