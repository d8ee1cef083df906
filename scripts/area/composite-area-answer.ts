import type { AreaDrift } from '../../shared/area/area-geometry'
import { compositeArea } from '../../shared/area/composite-area'
import { cropRgba } from '../../shared/area/crop-rgba'
import { pasteRgba } from '../../shared/area/paste-rgba'
import { decodePngRgba } from './decode-png-rgba'
import { encodePngRgba } from './encode-png-rgba'
import type { AreaEdit } from './prepare-area-edit'

/** One of the model's answers blended back into the full image: the result as PNG, and the drift measured. */
export function compositeAreaAnswer(edit: AreaEdit, answerPng: Uint8Array): { png: Uint8Array; drift: AreaDrift } {
  const base = cropRgba(edit.frame, edit.crop)
  const { pixels, drift } = compositeArea({ base, answer: decodePngRgba(answerPng), areaInCrop: edit.areaInCrop })
  return { png: encodePngRgba(pasteRgba(edit.frame, pixels, edit.crop.x, edit.crop.y)), drift }
}
