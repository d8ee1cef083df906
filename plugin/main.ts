import * as z from 'zod/mini'
import { LaunchCommand } from '../shared/messages'
import { PRESETS } from '../shared/presets'
import { createController } from './controller'

// Entry only: wire the real platform objects into the controller.
const QUICK_SUGGESTIONS = PRESETS.map((preset) => preset.template.replace(/[{}]/g, ''))

figma.parameters.on('input', ({ query, result }) => {
  const matching = QUICK_SUGGESTIONS.filter((text) => text.toLowerCase().includes(query.toLowerCase()))
  // Freeform instructions are the point; the typed text comes first so Enter runs it as written.
  result.setSuggestions(query.trim().length >= 2 ? [query, ...matching] : matching)
})

figma.on('run', ({ command, parameters }) => {
  const launch = {
    command: z.catch(LaunchCommand, 'open').parse(command),
    instruction: typeof parameters?.instruction === 'string' ? parameters.instruction : undefined
  }
  // The quick action runs the edit in a hidden panel (network calls live in the iframe) and
  // reports through notifications.
  figma.showUI(__html__, { themeColors: true, width: 360, height: 640, title: 'Kontext Edit', visible: launch.command !== 'quick' })
  createController<SceneNode, RectangleNode, PageNode>(figma, {
    log: (message, detail) => console.warn(`Kontext Edit: ${message}`, detail),
    schedule: (callback, ms) => {
      const handle = setTimeout(callback, ms)
      return () => clearTimeout(handle)
    },
    now: () => Date.now(),
    randomId: () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
    launch
  }).start()
})
