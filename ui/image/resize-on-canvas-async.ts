import type { ImageResizer } from './fit-for-figma-async'

/** The browser's decoder and a canvas: the invert-image sample's "UI as image worker" idea. */
export const resizeOnCanvasAsync: ImageResizer = async (image, width, height) => {
  const bitmap = await createImageBitmap(new Blob([image.bytes.slice()], { type: image.contentType }))
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const context = canvas.getContext('2d')
  if (context === null) throw new Error('no 2d canvas')
  context.imageSmoothingQuality = 'high'
  context.drawImage(bitmap, 0, 0, width, height)
  bitmap.close()
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((value) => (value === null ? reject(new Error('toBlob failed')) : resolve(value)), 'image/png')
  )
  return { bytes: new Uint8Array(await blob.arrayBuffer()), contentType: 'image/png', width, height }
}
