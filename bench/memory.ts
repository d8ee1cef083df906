import { editThroughRelayAsync, relayClient, runLoadAsync } from './clients'
import { oneMegapixelReference, startHostAsync, startRelayChildAsync } from './fixtures'
import { measureWaveAsync } from './memory-wave'
import type { Section } from './report'
import { megabytes } from './stats'

const CONCURRENCY = 256
const TARGET_RATIO = 3

export async function measureMemoryAsync(): Promise<Section> {
  const reference = oneMegapixelReference()
  const host = await startHostAsync(500)
  // A fresh relay with its production settings: results kept an hour, swept every minute.
  const relayProcess = await startRelayChildAsync(host.ready.url)
  try {
    const relay = relayClient(relayProcess.ready.url)
    const edit = () => editThroughRelayAsync(relay, reference, 'runware')
    await runLoadAsync(16, 16, edit)
    const wave = await measureWaveAsync(relayProcess, CONCURRENCY, edit)
    const imageBytes = reference.bytes.byteLength + host.ready.resultBytes
    const perEdit = (wave.peak - wave.baseline) / CONCURRENCY
    const keptPerEdit = (wave.after - wave.baseline) / CONCURRENCY
    const ratio = perEdit / imageBytes
    return {
      title: 'Memory',
      method:
        `A fresh relay process as \`npm start\` runs it (dist/relay.mjs: jobs and results in its data folder, kept for an hour), behind the fixed-latency host (500 ms, Runware's API). After 16 warm-up edits and a forced GC, ${CONCURRENCY} edits start at once, each with the 1 MP reference (${megabytes(reference.bytes.byteLength)}) and a 1 MP result (${megabytes(host.ready.resultBytes)}). ` +
        "The relay's resident memory is read from /proc/<pid>/status by the benchmark process (VmRSS every 20 ms and the kernel's high-water mark, VmHWM, reset before the wave), never from inside the relay, so the load generator's own memory is not in it. Per in-flight edit = (peak − baseline) ÷ edits. \"Image bytes\" is an edit's reference plus its result: both must be in the relay at some point (the reference until the host has it, the result until the panel fetches it).",
      tables: [
        {
          headers: [
            'RSS before',
            'RSS peak',
            'Peak − before',
            'Per in-flight edit',
            'Image bytes per edit',
            'Ratio',
            'RSS after the wave and a GC, per edit'
          ],
          rows: [
            [
              megabytes(wave.baseline),
              megabytes(wave.peak),
              megabytes(wave.peak - wave.baseline),
              megabytes(perEdit),
              megabytes(imageBytes),
              `${ratio.toFixed(2)}×`,
              megabytes(keptPerEdit)
            ]
          ]
        }
      ],
      targets: [
        {
          name: `relay RSS per in-flight edit at ${CONCURRENCY} concurrent, ÷ image bytes`,
          target: `≤ ${TARGET_RATIO}×`,
          measured: `${ratio.toFixed(2)}×`,
          pass: ratio <= TARGET_RATIO
        }
      ],
      notes: [
        'This is the Runware path (one POST, the result in its answer). The same wave through the relay\'s fal path (submit, poll, download from the host) is in "Against a peer". Peak RSS depends on when the garbage collector runs; it varies from run to run.'
      ]
    }
  } finally {
    await relayProcess.stopAsync()
    await host.stopAsync()
  }
}
