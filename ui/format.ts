/** Small display helpers for the panel. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} kB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

export function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd < 0.1 ? 3 : 2).replace(/0$/, '')}`
}

export function formatSeconds(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`
}

export function bytesToDataUrl(bytes: Uint8Array, contentType: string): string {
  let binary = ''
  const chunk = 0x8000
  for (let index = 0; index < bytes.length; index += chunk) {
    binary += String.fromCharCode(...bytes.subarray(index, index + chunk))
  }
  return `data:${contentType};base64,${btoa(binary)}`
}
