/** The one rule for paths a client sends, against hand-written expectations. */
import { describe, expect, it } from 'vitest';
import { fieldIssues } from '../../../src-shared/errors';
import { AbsolutePath } from '../../../src-shared/study';
import { normaliseUserPath, userPath, userPathProblem } from '../../../src-shared/user-path';

describe('user paths', () => {
  it('normalises repeated separators, "." segments and a trailing separator, keeping the root', () => {
    const cases: [string, string][] = [
      ['/home/me//study/./', '/home/me/study'],
      ['/', '/'],
      ['//', '/'],
      ['C:\\Users\\me\\\\study\\.\\', 'C:\\Users\\me\\study'],
      ['C:/Users/me/study', 'C:\\Users\\me\\study'],
      ['\\\\server\\share\\studies\\a', '\\\\server\\share\\studies\\a'],
    ];
    for (const [input, expected] of cases) expect([input, normaliseUserPath(input)]).toEqual([input, expected]);
    expect(userPath('the study folder').parse('/tmp//s/')).toBe('/tmp/s');
  });

  it('refuses relative paths, "..", NUL and the system folders, with a message naming what was expected', () => {
    const what = 'the study folder';
    expect(userPathProblem('study', what)).toBe('Must be an absolute path to the study folder, got "study"');
    expect(userPathProblem('./study', what)).toBe('Must be an absolute path to the study folder, got "./study"');
    expect(userPathProblem('/tmp/a/../b', what)).toBe('Must be an absolute path to the study folder without "..", got "/tmp/a/../b"');
    expect(userPathProblem('C:\\a\\..\\b', what)).toMatch(/without "\.\."/);
    expect(userPathProblem('/tmp/a\u0000b', what)).toBe('Must be a path to the study folder without NUL characters');
    expect(userPathProblem('', what)).toBe('Enter the path of the study folder');
    expect(userPathProblem('/' + 'a'.repeat(5000), what)).toBe('Must be a path of at most 4096 characters to the study folder');
    for (const p of ['/proc', '/proc/self/cwd/x', '/sys/kernel', '/dev/shm/s', '//proc//self', '/./dev/x'])
      expect([p, userPathProblem(p, what)]).toEqual([
        p,
        expect.stringMatching(/^Must be a path to the study folder outside \/(proc|sys|dev): /),
      ]);
    for (const p of ['/process', '/system/x', '/devices', '/home/proc', '/tmp/..hidden', 'D:\\proc'])
      expect([p, userPathProblem(p, what)]).toEqual([p, null]);
    // The app's forms keep their general messages.
    expect(fieldIssues(AbsolutePath.safeParse('rel').error!)).toEqual([{ path: '(root)', message: 'Must be an absolute path' }]);
    expect(fieldIssues(AbsolutePath.safeParse('').error!)).toEqual([{ path: '(root)', message: 'Enter a folder path' }]);
    expect(AbsolutePath.safeParse(42).success).toBe(false);
    expect(userPath('x', { allowEmpty: true }).parse('')).toBe('');
  });
});
