/**
 * Asks before unsaved edits are lost. While `dirty` is true: leaving the page inside the app (the
 * navigation, a link, the browser's back and forward buttons) opens a dialog with `message`, and in
 * browser mode reloading or closing the tab asks through the browser's own prompt (`beforeunload`;
 * browsers show their own text). The desktop window is left free to close: Electron would silently
 * refuse to close it instead of asking.
 */
import { useContext, useEffect } from 'react';
import { useHost } from './ClientContext';
import { GuardContext } from './navigation';

export function useUnsavedChangesGuard(dirty: boolean, message: string): void {
  const register = useContext(GuardContext);
  const host = useHost();
  useEffect(() => {
    if (!dirty || !register) return undefined;
    const release = register(message);
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers ask only when returnValue is set.
      event.returnValue = message;
    };
    if (host === 'browser') window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      release();
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [dirty, message, register, host]);
}
