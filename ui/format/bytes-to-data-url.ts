export function bytesToDataUrl(bytes: Uint8Array, contentType: string): string {
  let binary = ''
  const chunk = 0x8000
  for (let index = 0; index < bytes.length; index += chunk) {
    binary += String.fromCharCode(...bytes.subarray(index, index + chunk))
  }
  return `data:${contentType};base64,${btoa(binary)}`
}
