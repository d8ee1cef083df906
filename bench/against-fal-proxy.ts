import { startChildAsync } from './children'
import { editOnFalQueueAsync, editThroughRelayAsync, HOST_KEY, relayClient, runLoadAsync, type FalRoute } from './clients'
import { oneMegapixelReference, startHostAsync, startRelayChildAsync } from './fixtures'
import { measureWaveAsync, type WaveMemory } from './memory-wave'
import type { Section } from './report'
import { median, megabytes, ms, quantile } from './stats'

const FAL_LATENCY_MS = 450
const PROXY_TOKEN = 'bench-proxy-token-0123456789'
const EDITS_AT_16 = 64
const WAVE = 256

type Path = 'direct' | 'proxy' | 'relay'

export async function measureFalProxyAsync(): Promise<Section> {
  const reference = oneMegapixelReference()
  const host = await startHostAsync(500, FAL_LATENCY_MS)
  const relayProcess = await startRelayChildAsync(host.ready.url)
  const proxyProcess = await startChildAsync<{ url: string }>('fal-proxy-process', { FAL_KEY: HOST_KEY, BENCH_PROXY_TOKEN: PROXY_TOKEN })
  try {
    const relay = relayClient(relayProcess.ready.url)
    const directRoute: FalRoute = { queueUrl: host.ready.url }
    const proxyRoute: FalRoute = { queueUrl: host.ready.url, proxy: { url: `${proxyProcess.ready.url}/api/fal/proxy`, token: PROXY_TOKEN } }
    const edits: Record<Path, () => Promise<unknown>> = {
      direct: () => editOnFalQueueAsync(directRoute, reference),
      proxy: () => editOnFalQueueAsync(proxyRoute, reference),
      relay: () => editThroughRelayAsync(relay, reference, 'fal')
    }
    const paths: Path[] = ['direct', 'proxy', 'relay']
    for (const path of paths) await runLoadAsync(16, 16, edits[path])

    const at16: Record<Path, number[]> = { direct: [], proxy: [], relay: [] }
    for (let block = 0; block < 2; block += 1) {
      for (const path of block === 0 ? paths : [...paths].reverse())
        at16[path].push(...(await runLoadAsync(EDITS_AT_16 / 2, 16, edits[path], 500)))
    }
    const direct256 = await runLoadAsync(WAVE, WAVE, edits.direct)
    const proxyWave: WaveMemory = await measureWaveAsync(proxyProcess, WAVE, edits.proxy)
    const relayWave: WaveMemory = await measureWaveAsync(relayProcess, WAVE, edits.relay)
    const at256: Record<Path, number[]> = { direct: direct256, proxy: proxyWave.latencies, relay: relayWave.latencies }

    const latencyRow = (label: string, samples: Record<Path, number[]>) => {
      const added = (path: Path, q: number) => quantile(samples[path], q) - quantile(samples.direct, q)
      return [
        label,
        ms(median(samples.direct)),
        ms(median(samples.proxy)),
        ms(median(samples.relay)),
        `${ms(added('proxy', 0.5))} / ${ms(added('proxy', 0.99))}`,
        `${ms(added('relay', 0.5))} / ${ms(added('relay', 0.99))}`
      ]
    }
    const perEdit = (wave: WaveMemory) => (wave.peak - wave.baseline) / WAVE
    const kept = (wave: WaveMemory) => (wave.after - wave.baseline) / WAVE
    return {
      title: "Against a peer: fal's @fal-ai/server-proxy",
      method:
        `fal's official proxy (@fal-ai/server-proxy, its Hono adapter on @hono/node-server, configured as its README asks for production: allowed endpoints, a caller check, the key on the server) and the relay's fal path, each in its own process, forward to the same fixed-latency fake of fal's queue (done ${FAL_LATENCY_MS} ms after the submit; every path polls at once and then every 500 ms, so each learns of it at the 0.5 s poll). ` +
        `Direct = a client calling the fake queue itself. Through the proxy, the client makes the same calls with \`x-fal-target-url\` (the reference as a base64 data URI in the JSON, the image downloaded straight from the CDN as a browser does with fal.media). Through the relay: the panel's relay client (multipart upload, long-poll, download from the relay). Same 1 MP reference, same loads, same run: 16 concurrent clients started spread over half a second, then ${WAVE} edits started at once, with memory read as in Memory.`,
      tables: [
        {
          caption: 'Latency (ms). Added = path − direct, median / p99.',
          headers: ['Load', 'Direct median', 'Proxy median', 'Relay median', 'Proxy added', 'Relay added'],
          rows: [latencyRow(`16 concurrent, ${EDITS_AT_16} edits each`, at16), latencyRow(`${WAVE} at once`, at256)]
        },
        {
          caption: `Resident memory during the ${WAVE}-edit wave.`,
          headers: ['', 'RSS before', 'RSS peak', 'Per in-flight edit', 'RSS after, per edit'],
          rows: [
            [
              '@fal-ai/server-proxy',
              megabytes(proxyWave.baseline),
              megabytes(proxyWave.peak),
              megabytes(perEdit(proxyWave)),
              megabytes(kept(proxyWave))
            ],
            [
              'relay (fal path)',
              megabytes(relayWave.baseline),
              megabytes(relayWave.peak),
              megabytes(perEdit(relayWave)),
              megabytes(kept(relayWave))
            ]
          ]
        }
      ],
      targets: [
        {
          name: 'added latency at 16 concurrent, median (proxy / relay)',
          target: 'reported',
          measured: `${ms(median(at16.proxy) - median(at16.direct))} ms / ${ms(median(at16.relay) - median(at16.direct))} ms`,
          pass: 'reported'
        },
        {
          name: `RSS per in-flight edit, ${WAVE} at once (proxy / relay)`,
          target: 'reported',
          measured: `${megabytes(perEdit(proxyWave))} / ${megabytes(perEdit(relayWave))}`,
          pass: 'reported'
        }
      ],
      notes: [
        "The two do different jobs. The proxy only forwards the panel's queue calls with the key added: the client still submits, polls and downloads from fal's CDN itself, and the proxy never holds a result. The relay runs the whole edit: it checks the images, polls the host for the panel, downloads the result at once and keeps it (in its data folder) for an hour so a paid result survives a closed panel; it holds the reference and the result in memory while it works on them.",
        'Peak resident memory depends on when the garbage collector runs; from run to run the per-edit figures here have varied by a factor of about three for both.',
        'The proxy re-serializes each JSON body it forwards (`JSON.stringify(await c.req.json())`), so the base64 reference crosses it as text; the relay receives raw bytes and writes the base64 itself for the host.'
      ]
    }
  } finally {
    await proxyProcess.stopAsync()
    await relayProcess.stopAsync()
    await host.stopAsync()
  }
}
