import { events, type EventName, type EventPayload } from '../../src-shared/contract';

export type EventListener = (event: EventName, payload: unknown) => void;

/** Fan-out of contract events from services to every connected transport (IPC windows, bridge SSE clients). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const checked = events[event].parse(payload);
    for (const listener of this.listeners) {
      try {
        listener(event, checked);
      } catch {
        // a broken transport must not stop the others
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
