/**
 * The check behind study-layout.test.ts: where a source file spells a study folder or file name
 * inside a path expression. Only services/study-folder/layout.ts may.
 */
import ts from 'typescript';

/** Names only the layout may spell in a path. */
export const STUDY_NAMES = new Set([
  'study.json',
  'study-plan.json',
  'grid.json',
  'datasets',
  'runs',
  'pretrain',
  'evaluations',
  'spectra',
  'robustness',
  'explanations',
  'reports',
  'jobs',
  'analyses',
  'demo-data',
  'manifest.json',
  'validation.json',
  'cache',
  'spec.json',
  'log.ndjson',
  'metrics.json',
  'normalisation.json',
  'best',
  'checkpoint',
  'checkpoint.prev',
  'model.safetensors',
  'optimizer.safetensors',
  'moco.safetensors',
  'state.json',
  '.lock',
  'encoder.safetensors',
  'summary.json',
  'split.json',
  'inputs.json',
  'result.json',
  'predictions.csv',
  'gallery',
  '.trash',
  'trash-entry.json',
]);

/** Where a file spells a study name inside a path expression: "line: text". */
export function layoutSpellings(source: string, fileName = 'file.ts'): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const where = (node: ts.Node) => `${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText(sf).slice(0, 120)}`;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(sf);
      const isPathCall = /(^|\.)(join|resolve)$/.test(callee) && !/\]\s*\.join$/.test(callee);
      const isSlashJoin =
        ts.isPropertyAccessExpression(node.expression) &&
        node.expression.name.text === 'join' &&
        ts.isArrayLiteralExpression(node.expression.expression) &&
        node.arguments.length === 1 &&
        ts.isStringLiteral(node.arguments[0]!) &&
        node.arguments[0].text === '/';
      const args = isSlashJoin
        ? (node.expression as ts.PropertyAccessExpression).expression.getChildren(sf).flatMap((c) => c.getChildren(sf))
        : isPathCall
          ? [...node.arguments]
          : [];
      if (args.some((a) => ts.isStringLiteralLike(a) && a.text.split('/').some((seg) => STUDY_NAMES.has(seg)))) found.push(where(node));
    }
    if (ts.isTemplateExpression(node)) {
      const text = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('\n');
      if (
        text.split('\n').some(
          (part) =>
            part
              .split('/')
              .slice(1)
              .some((seg) => STUDY_NAMES.has(seg)) && part.startsWith('/'),
        )
      )
        found.push(where(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}
