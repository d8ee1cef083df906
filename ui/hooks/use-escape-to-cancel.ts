import { useEffect } from 'preact/hooks'

/** Esc cancels the edit under way; `cancel` says whether there was one (only then is the key taken). */
export function useEscapeToCancel(cancel: () => boolean): void {
  useEffect(() => {
    function handleKey(event: KeyboardEvent): void {
      if (event.key === 'Escape' && cancel()) event.preventDefault()
    }
    window.addEventListener('keydown', handleKey)
    return () => window.removeEventListener('keydown', handleKey)
  }, [cancel])
}
