import { mkdirSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, onTestFailed } from 'vitest'
import { DEFAULT_SETTINGS, SETTINGS_STORAGE_KEY, type Settings } from '../../../shared/settings'
import { startFakeRunwareAsync, type FakeRunware, type FakeRunwareOptions } from '../../fakes/runware-server'
import { startRelayAsync, type RunningRelay } from '../../support/start-relay-async'
import { launchChromiumAsync } from '../launch-chromium-async'
import { stopHarnessServerAsync, type FigmaInPage } from './figma-harness'

export const SCREENSHOTS = 'test-output/screenshots'

export interface BrowserSuiteOptions {
  /** The fake Runware each test gets (its key and latency; `answerFor` to make its answers). */
  runware: FakeRunwareOptions
  viewport: { width: number; height: number }
  /** Names a failed test's screenshot: `failed-{prefix}{test name}.png`. */
  screenshotPrefix?: string
  /** The plugin the test has open, if any: its errors and console are printed when the test fails. */
  current(): FigmaInPage | undefined
}

export interface BrowserSuite {
  readonly page: Page
  readonly relay: RunningRelay
  readonly runware: FakeRunware
  /** The panel's settings in clientStorage: the test relay and its token, and `overrides`. */
  settings(overrides?: Partial<Settings>): Record<string, unknown>
  /** Restarts the test's relay with more variables (another host beside the fake Runware); `relay` and `settings` follow. */
  restartRelayAsync(env: Record<string, string>): Promise<RunningRelay>
  /** Another page of the suite's Chromium (the designer opening the plugin again), closed after the test. */
  newPageAsync(): Promise<Page>
}

/**
 * The lifecycle every browser suite shares: one Chromium for the suite; for each test a fresh
 * fake Runware, relay and page, closed after it; on a failure, a screenshot and the plugin's errors.
 */
export function useBrowserSuite(options: BrowserSuiteOptions): BrowserSuite {
  let browser: Browser
  let page: Page
  let relay: RunningRelay
  let runware: FakeRunware
  const extraPages: Page[] = []

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    browser = await launchChromiumAsync()
  })
  afterAll(async () => {
    await browser.close()
    await stopHarnessServerAsync()
  })
  beforeEach(async (context) => {
    onTestFailed(async () => {
      const name = `${options.screenshotPrefix ?? ''}${context.task.name.replace(/\W+/g, '-')}`
      await page.screenshot({ path: `${SCREENSHOTS}/failed-${name}.png` }).catch(() => undefined)
      const figma = options.current()
      if (figma !== undefined) console.error([...(await figma.errors().catch(() => [])), ...figma.console].join('\n'))
    })
    runware = await startFakeRunwareAsync(options.runware)
    relay = await startRelayAsync({ RUNWARE_API_KEY: runware.apiKey, RUNWARE_API_URL: runware.url })
    page = await browser.newPage({ viewport: options.viewport })
  })
  afterEach(async () => {
    for (const extra of extraPages.splice(0)) await extra.close()
    await page.close()
    await relay.close()
    await runware.close()
  })

  const settings = (overrides: Partial<Settings> = {}): Record<string, unknown> => ({
    [SETTINGS_STORAGE_KEY]: { ...DEFAULT_SETTINGS, relayUrl: relay.url, token: relay.token, ...overrides }
  })
  return {
    get page() {
      return page
    },
    get relay() {
      return relay
    },
    get runware() {
      return runware
    },
    settings,
    async restartRelayAsync(env) {
      await relay.close()
      relay = await startRelayAsync({ RUNWARE_API_KEY: runware.apiKey, RUNWARE_API_URL: runware.url, ...env })
      return relay
    },
    async newPageAsync() {
      const extra = await browser.newPage({ viewport: options.viewport })
      extraPages.push(extra)
      return extra
    }
  }
}
