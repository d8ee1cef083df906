export interface Box {
  x: number
  y: number
  width: number
  height: number
}

function overlaps(a: Box, b: Box, gap: number): boolean {
  return a.x < b.x + b.width + gap && b.x - gap < a.x + a.width && a.y < b.y + b.height + gap && b.y - gap < a.y + a.height
}

/**
 * Moves `box` right, past anything within `gap` of it, until it sits on free canvas. Only ever
 * steps right, so results line up beside their source and the loop ends.
 */
export function findFreeSpot(box: Box, obstacles: ReadonlyArray<Box>, gap: number): Box {
  let candidate = { ...box }
  for (;;) {
    const blocking = obstacles.filter((obstacle) => overlaps(candidate, obstacle, gap))
    if (blocking.length === 0) return candidate
    // Stryker disable next-line MethodExpression: stepping past the nearest blocker first only adds turns: the loop then steps past the rest to the same spot
    candidate = { ...candidate, x: Math.max(...blocking.map((obstacle) => obstacle.x + obstacle.width)) + gap }
  }
}
