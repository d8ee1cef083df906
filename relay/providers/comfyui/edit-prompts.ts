import type { ComfyEvent, ComfyEventListener } from './progress-socket'

/**
 * The prompts of one edit: every id it may have at the host (the relay's, and the host's own on an
 * older build), the ones whose submit is still on the wire, and who hears each one's websocket frames.
 */
export class EditPrompts {
  /** Every id to stop at the host when the edit stops. */
  readonly started: string[] = []
  /** Ids whose `POST /prompt` has not answered yet: they may be queued after a first cancel. */
  readonly submitting = new Set<string>()
  private readonly listeners = new Map<string, ComfyEventListener>()

  add(promptId: string, listener: ComfyEventListener): void {
    this.listeners.set(promptId, listener)
    this.started.push(promptId)
  }

  route(event: ComfyEvent): void {
    this.listeners.get(event.promptId)?.(event)
  }
}
