import { isSceneNode, pageOf, type FigmaPort, type PortPage, type PortRectangle, type PortSceneNode } from '../figma-port'

/**
 * Selects the nodes that still exist and scrolls to them; returns how many it selected. A page's
 * selection may only hold that page's nodes (Figma throws "The selection of a page can only
 * include nodes in that page"), so it goes to the first node's page first, as Figma's own go-to
 * sample does (figma/plugin-samples go-to/code.ts), and selects the nodes on that page.
 */
export async function selectNodesAsync<N extends PortSceneNode, R extends N & PortRectangle, P extends PortPage<N>>(
  figma: FigmaPort<N, R, P>,
  ids: ReadonlyArray<string>
): Promise<number> {
  const nodes = (await Promise.all(ids.map((id) => figma.getNodeByIdAsync(id)))).filter(
    (node): node is N => isSceneNode<N>(node) && !node.removed
  )
  const page = nodes.map((node) => pageOf<P>(node)).find((found) => found !== undefined)
  if (page === undefined) return 0
  const onPage = nodes.filter((node) => pageOf<P>(node)?.id === page.id)
  if (page.id !== figma.currentPage.id) await figma.setCurrentPageAsync(page)
  figma.currentPage.selection = onPage
  figma.viewport.scrollAndZoomIntoView(onPage)
  return onPage.length
}
