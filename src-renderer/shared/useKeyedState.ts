/**
 * State that follows an input without an effect. React's "adjusting state when a prop changes": the
 * state is put right during the render that sees the new input, so no frame ever shows a value computed
 * for the previous one, and no effect re-renders after the fact.
 */
import { useCallback, useState } from 'react';

/** Replaces the state, or updates it from its current value. */
export type KeyedSetter<T> = (update: T | ((current: T) => T)) => void;

/**
 * State that belongs to one input, named by `key` (a study path, the parameters of a request, an
 * answer object; compared with Object.is): it starts again from `initial` whenever the key changes.
 * The setter belongs to the key of its render: an update made for an input that is no longer the
 * current one (a late answer) is dropped.
 */
export function useKeyedState<T>(key: unknown, initial: T): [T, KeyedSetter<T>] {
  const [state, setState] = useState({ key, value: initial });
  const current = Object.is(state.key, key);
  if (!current) setState({ key, value: initial });
  const set = useCallback<KeyedSetter<T>>(
    (update) =>
      setState((s) =>
        Object.is(s.key, key) ? { key, value: typeof update === 'function' ? (update as (current: T) => T)(s.value) : update } : s,
      ),
    [key],
  );
  return [current ? state.value : initial, set];
}

/**
 * Whether `value` differs from the one of the previous render (compared with Object.is); true in one
 * render only. The caller adjusts its own state in that render.
 */
export function useChanged(value: unknown): boolean {
  const [seen, setSeen] = useState(value);
  const changed = !Object.is(seen, value);
  if (changed) setSeen(value);
  return changed;
}
