/**
 * One read-only call of the contract for the open study (e.g. `spectra.list`), re-made when its
 * input or `refreshKey` changes (pages pass a signature of the finished jobs that write what it
 * reads) or on `refresh()`. A later answer never overwrites a newer one; the data is cleared when the
 * input changes, so a page never shows another study's results.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Channel, ChannelInput, ChannelOutput } from '../../src-shared/contract';
import { useClient } from '../app/ClientContext';
import { errorMessage } from './errors.viewmodel';

export interface StudyQuery<T> {
  data: T | null;
  error: string | null;
  refresh(): void;
}

/** `input` null: nothing is fetched (no study open). */
export function useStudyQuery<C extends Channel>(channel: C, input: ChannelInput<C> | null, refreshKey = ''): StudyQuery<ChannelOutput<C>> {
  const client = useClient();
  const [data, setData] = useState<ChannelOutput<C> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const request = useRef(0);
  const inputKey = input === null ? null : JSON.stringify(input);

  const refresh = useCallback(() => {
    const n = ++request.current;
    if (inputKey === null) return;
    client.call(channel, JSON.parse(inputKey) as ChannelInput<C>).then(
      (value) => {
        if (n !== request.current) return;
        setData(value);
        setError(null);
      },
      (err: unknown) => {
        if (n === request.current) setError(errorMessage(err));
      },
    );
  }, [client, channel, inputKey]);

  useEffect(() => {
    setData(null);
    setError(null);
  }, [channel, inputKey]);

  useEffect(() => {
    refresh();
  }, [refresh, refreshKey]);

  return { data, error, refresh };
}
