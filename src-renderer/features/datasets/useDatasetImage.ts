import { useEffect, useState } from 'react';
import type { Lesion } from '../../../src-shared/datasets';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';

/** One cached image as a PNG data URL (null while loading). */
export function useDatasetImage(
  studyPath: string,
  datasetId: string,
  itemId: string,
  variant: 'input' | 'overlay',
  size: number | undefined,
  masks: readonly Lesion[],
) {
  const client = useClient();
  const [state, setState] = useState<{ url: string | null; error: string | null }>({ url: null, error: null });
  const key = masks.join(',');
  useEffect(() => {
    let live = true;
    setState((s) => ({ url: s.url, error: null }));
    client
      .call('datasets.image', {
        studyPath,
        datasetId,
        itemId,
        variant,
        ...(size ? { size } : {}),
        ...(key ? { masks: key.split(',') as Lesion[] } : {}),
      })
      .then(
        (r) => live && setState({ url: r.dataUrl, error: null }),
        (err: unknown) => live && setState({ url: null, error: errorMessage(err) }),
      );
    return () => {
      live = false;
    };
  }, [client, studyPath, datasetId, itemId, variant, size, key]);
  return state;
}
