/**
 * The Models page's state: for each weights slot (IFI-FS, IFI-CL) the typed path, the target
 * architecture and the last inspection. Kept above the routes so it survives navigation; not yet
 * saved with the study (the training wizard will read the chosen paths from here, then from the study).
 */
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import type { WeightsInspection } from '../../../src-shared/weights';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { DEFAULT_TARGET, TARGET_ARCHS, type WeightsSlot } from './models.viewmodel';

export interface SlotState {
  path: string;
  target: string;
  classes: number;
  status: 'idle' | 'inspecting' | 'done' | 'error';
  inspection: WeightsInspection | null;
  error: string | null;
}

interface ModelsValue {
  slots: Record<WeightsSlot, SlotState>;
  update(slot: WeightsSlot, patch: Partial<Pick<SlotState, 'path' | 'target' | 'classes'>>): void;
  /** Inspects the slot's file: `path` when given (a file just chosen, not yet in the state), else the slot's path. */
  inspect(slot: WeightsSlot, path?: string): void;
}

const INITIAL: SlotState = { path: '', target: DEFAULT_TARGET, classes: 5, status: 'idle', inspection: null, error: null };

const ModelsContext = createContext<ModelsValue | null>(null);

export function ModelsProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const [slots, setSlots] = useState<Record<WeightsSlot, SlotState>>({ fs: INITIAL, cl: INITIAL });
  const requests = useRef<Record<WeightsSlot, number>>({ fs: 0, cl: 0 });

  const set = useCallback(
    (slot: WeightsSlot, patch: Partial<SlotState>) => setSlots((prev) => ({ ...prev, [slot]: { ...prev[slot], ...patch } })),
    [],
  );

  const inspect = useCallback(
    (slot: WeightsSlot, chosen?: string) => {
      const { classes } = slots[slot];
      const path = chosen ?? slots[slot].path;
      const id = ++requests.current[slot];
      set(slot, { status: 'inspecting', error: null });
      client.call('weights.inspect', { path: path.trim(), classes, archs: [...TARGET_ARCHS] }).then(
        (inspection) => {
          if (id === requests.current[slot]) set(slot, { status: 'done', inspection, error: null });
        },
        (err: unknown) => {
          if (id === requests.current[slot]) set(slot, { status: 'error', inspection: null, error: errorMessage(err) });
        },
      );
    },
    [client, set, slots],
  );

  const update = useCallback(
    (slot: WeightsSlot, patch: Partial<Pick<SlotState, 'path' | 'target' | 'classes'>>) => {
      // A new path or class count makes the shown inspection stale; the target only picks another plan.
      const stale = patch.path !== undefined || patch.classes !== undefined;
      if (stale) requests.current[slot]++;
      set(slot, stale ? { ...patch, status: 'idle', inspection: null, error: null } : patch);
    },
    [set],
  );

  const value = useMemo(() => ({ slots, update, inspect }), [slots, update, inspect]);
  return <ModelsContext.Provider value={value}>{children}</ModelsContext.Provider>;
}

export function useModels(): ModelsValue {
  const value = useContext(ModelsContext);
  if (!value) throw new Error('useModels() needs a <ModelsProvider> above it');
  return value;
}
