/**
 * Asks before unsaved edits are lost. While `dirty` is true: leaving the page inside the app (the
 * navigation, a link, the browser's back and forward buttons) opens a dialog with `message`, and in
 * reloading or closing asks too (`beforeunload`): browsers show their own prompt, and the desktop
 * window a native question (src-main/electron/ipc.ts createUnloadQuestion).
 */
import { useContext, useEffect } from 'react';
import { GuardContext } from './navigation';

export function useUnsavedChangesGuard(dirty: boolean, message: string): void {
  const register = useContext(GuardContext);
  useEffect(() => {
    if (!dirty || !register) return undefined;
    const release = register(message);
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers ask only when returnValue is set.
      event.returnValue = message;
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      release();
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [dirty, message, register]);
}
