import { useEffect, useState } from 'react';
import type { Lesion } from '../../../src-shared/datasets';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { useKeyedState } from '../../shared/useKeyedState';

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
  const key = masks.join(',');
  // The previous image stays until the next one arrives; an error belongs to its request only.
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useKeyedState<string | null>(JSON.stringify([studyPath, datasetId, itemId, variant, size, key]), null);
  useEffect(() => {
    let live = true;
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
        (r) => {
          if (!live) return;
          setUrl(r.dataUrl);
          setError(null);
        },
        (err: unknown) => {
          if (!live) return;
          setUrl(null);
          setError(errorMessage(err));
        },
      );
    return () => {
      live = false;
    };
  }, [client, studyPath, datasetId, itemId, variant, size, key, setError]);
  return { url, error };
}
