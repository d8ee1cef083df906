import { AppError } from '../../../shared/errors'
import type { ReferenceImage } from '../provider'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { Asset, AssetUpload } from './runflow-answers'
import type { RunflowApi } from './runflow-api'

const EXTENSIONS: Record<ReferenceImage['contentType'], string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' }

/** https anywhere, plain http only on the host's own origin (a test fake, a LAN proxy). */
function isAllowedUploadUrl(value: string, hostOrigin: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || (url.protocol === 'http:' && url.origin === hostOrigin)
  } catch {
    return false
  }
}

function originOf(value: string): string {
  try {
    return new URL(value).origin
  } catch {
    return '(not a URL)'
  }
}

/** The presigned PUT: the URL carries its own credentials, so no Authorization header (the SDK's `rawFetch`). */
async function putBytesAsync(api: RunflowApi, uploadUrl: string, reference: ReferenceImage, signal: AbortSignal): Promise<void> {
  const put = await hostFetchAsync(
    api.deps.fetch,
    uploadUrl,
    { method: 'PUT', headers: { 'content-type': reference.contentType }, body: reference.bytes.slice() },
    signal
  )
  if (put.kind === 'network')
    throw new AppError('provider_unavailable', undefined, { detail: `runflow asset PUT: ${put.detail}`, cause: put.error })
  if (!put.response.ok) {
    const text = await readTextAsync(put.response, signal)
    const status = put.response.status
    throw new AppError(status >= 500 ? 'provider_unavailable' : 'provider_error', undefined, {
      detail: `runflow asset PUT answered ${status}${status === 403 ? ' (presigned URL expired?)' : ''}: ${text.ok ? text.text.slice(0, 200) : text.detail}`
    })
  }
  await readTextAsync(put.response, signal)
}

/**
 * The SDK's upload (packages/sdk/src/assets.ts): create, PUT the bytes without auth, confirm. Returns
 * the asset's `runflow://assets/{id}`, the SDK's `UploadedAsset.ref`, which its CHANGELOG (0.1.1)
 * recommends as model input because the API resolves it at dispatch.
 */
export async function uploadRunflowReferenceAsync(
  api: RunflowApi,
  reference: ReferenceImage,
  index: number,
  signal: AbortSignal
): Promise<string> {
  const created = AssetUpload.safeParse(
    await api.createAsync(
      '/v1/asset-uploads',
      {
        filename: `reference-${index + 1}.${EXTENSIONS[reference.contentType]}`,
        mime_type: reference.contentType,
        size_bytes: reference.bytes.byteLength
      },
      signal,
      'provider.upload',
      { reference: index + 1, bytes: reference.bytes.byteLength }
    )
  )
  if (!created.success)
    throw new AppError('provider_error', undefined, {
      detail: 'runflow asset-upload answer lacks asset_id/upload_url',
      cause: created.error
    })
  const { asset_id: assetId, upload_url: uploadUrl } = created.data
  if (!isAllowedUploadUrl(uploadUrl, new URL(api.baseUrl).origin)) {
    throw new AppError('provider_error', undefined, { detail: `runflow upload_url refused (not https): ${originOf(uploadUrl)}` })
  }
  await putBytesAsync(api, uploadUrl, reference, signal)
  const asset = Asset.safeParse(
    await api.createAsync(`/v1/asset-uploads/${encodeURIComponent(assetId)}/confirmations`, {}, signal, 'provider.upload_confirm', {
      reference: index + 1
    })
  )
  if (!asset.success)
    throw new AppError('provider_error', undefined, { detail: 'runflow asset confirmation is not an Asset', cause: asset.error })
  return `runflow://assets/${asset.data.id ?? assetId}`
}
