// Lineage drawn between parent and child: an SVG layer over the image tiles with one curve per link
// whose parent is in the same view (links to other sessions are named in the metadata instead).
// Redrawn when the layout changes size.

const SVG = "http://www.w3.org/2000/svg";

export function drawLineage(container, assets) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "lineage");
  svg.setAttribute("aria-hidden", "true");
  container.prepend(svg);
  const links = assets.filter((asset) => asset.parent && !asset.parent.crossSession);
  const draw = () => {
    const box = container.getBoundingClientRect();
    // sized by CSS to the container (never wider: it must not widen the page on a phone)
    svg.replaceChildren();
    const tiles = new Map([...container.querySelectorAll(".tile")].map((tile) => [tile.dataset.assetId, tile]));
    for (const child of links) {
      const from = tiles.get(child.parent.parentId);
      const to = tiles.get(child.id);
      if (!from || !to) continue;
      const a = from.getBoundingClientRect();
      const b = to.getBoundingClientRect();
      const x1 = a.left + a.width / 2 - box.left;
      const y1 = a.top + a.height / 2 - box.top;
      const x2 = b.left + b.width / 2 - box.left;
      const y2 = b.top + b.height / 2 - box.top;
      const lift = Math.min(60, 18 + Math.abs(x2 - x1) / 6);
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("d", `M${x1},${y1} C${x1},${y1 - lift} ${x2},${y2 - lift} ${x2},${y2}`);
      path.setAttribute("class", `link kind-${child.parent.kind}${child.parent.explicit ? " explicit" : ""}`);
      svg.append(path);
    }
  };
  draw();
  new ResizeObserver(draw).observe(container);
  return svg;
}
