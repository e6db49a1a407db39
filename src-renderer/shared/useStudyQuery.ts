/**
 * One read-only call of the contract for the open study (e.g. `spectra.list`), re-made when its
 * input or `refreshKey` changes (pages pass a signature of the finished jobs that write what it
 * reads) or on `refresh()`. A later answer never overwrites a newer one; the data belongs to its input
 * and is gone as soon as the input changes, so a page never shows another study's results.
 */
import { useCallback, useEffect, useRef } from 'react';
import type { Channel, ChannelInput, ChannelOutput } from '../../src-shared/contract';
import { useClient } from '../app/ClientContext';
import { errorMessage } from './errors.viewmodel';
import { useKeyedState } from './useKeyedState';

export interface StudyQuery<T> {
  data: T | null;
  error: string | null;
  refresh(): void;
  /** Takes a value obtained otherwise (e.g. the answer of a save) as the data; answers still on their way are dropped. */
  adopt(data: T): void;
}

/** `input` null: nothing is fetched (no study open). */
export function useStudyQuery<C extends Channel>(channel: C, input: ChannelInput<C> | null, refreshKey = ''): StudyQuery<ChannelOutput<C>> {
  const client = useClient();
  const inputKey = input === null ? null : JSON.stringify(input);
  const [state, setState] = useKeyedState<{ data: ChannelOutput<C> | null; error: string | null }>(`${channel} ${inputKey}`, {
    data: null,
    error: null,
  });
  const request = useRef(0);

  const refresh = useCallback(() => {
    const n = ++request.current;
    if (inputKey === null) return;
    client.call(channel, JSON.parse(inputKey) as ChannelInput<C>).then(
      (value) => {
        if (n === request.current) setState({ data: value, error: null });
      },
      (err: unknown) => {
        if (n === request.current) setState((s) => ({ ...s, error: errorMessage(err) }));
      },
    );
  }, [client, channel, inputKey, setState]);

  const adopt = useCallback(
    (data: ChannelOutput<C>) => {
      request.current++;
      setState({ data, error: null });
    },
    [setState],
  );

  useEffect(() => {
    refresh();
  }, [refresh, refreshKey]);

  return { data: state.data, error: state.error, refresh, adopt };
}
