import { createController } from './controller'

// Entry only: show the panel and wire the real platform objects into the controller.
figma.showUI(__html__, { themeColors: true, width: 360, height: 600, title: 'Kontext Edit' })
createController<SceneNode, RectangleNode, PageNode>(figma, {
  log: (message, detail) => console.warn(`Kontext Edit: ${message}`, detail),
  schedule: (callback, ms) => {
    const handle = setTimeout(callback, ms)
    return () => clearTimeout(handle)
  }
}).start()
