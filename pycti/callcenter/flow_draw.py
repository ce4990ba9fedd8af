"""Pictures of IVR flows: a layered layout drawn as SVG (and PNG through Pillow).

The layout is the classic layered drawing of a directed graph (Sugiyama, Tagawa and Toda,
IEEE Trans. SMC 11(2), 1981, in simplified form): edges that close a cycle are found by a
depth-first search from the entry points and reversed for layering; each node's layer is the
longest path to it from an entry; nodes within a layer are ordered by a few sweeps of the
barycentre of their neighbours in the layer above; each layer is one row of boxes.  Entry
points (start, DNIS numbers, fallback) are drawn as ovals above the first row.  Boxes show
the node's kind and name; edges are labelled with their digit or condition.  No Graphviz is
needed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from xml.sax.saxutils import escape

from .flow import Flow

__all__ = ["Box", "Edge", "Layout", "layout", "render_png", "render_svg", "write_picture"]

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 150, 44, 30, 70, 30
WAYPOINT_W = 14  #: room a long edge takes in a row it crosses
BACK_LANES_W = 120  #: room on the right for edges that loop back up
LABEL_CHAR_W = 6.5  #: width of a label character at the 12 px font (an estimate, for margins)



@dataclass(frozen=True, slots=True)
class Box:
    """A node's (or entry point's) box: top-left corner, size, two text lines."""

    key: str
    x: float
    y: float
    w: float
    h: float
    title: str
    name: str
    entry: bool = False

    @property
    def cx(self) -> float:
        """Centre x."""
        return self.x + self.w / 2


@dataclass(frozen=True, slots=True)
class Edge:
    """A polyline from one box to another (``back`` when it loops back up), its label's place."""

    src: str
    dst: str
    label: str
    back: bool = False
    dashed: bool = False
    points: tuple[tuple[float, float], ...] = ()
    label_at: tuple[float, float] = (0.0, 0.0)
    label_left: bool = False  #: the label ends at ``label_at`` (the edge runs down to the left)


@dataclass(frozen=True, slots=True)
class Layout:
    """Boxes and edges placed in a ``width`` x ``height`` picture."""

    width: float
    height: float
    boxes: dict[str, Box]
    edges: tuple[Edge, ...]


def _graph(flow: Flow) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, bool]]]:
    """(entry key, label) ovals and (src, dst, label, dashed) edges over node names."""
    entries = [("@start", "start")]
    edges = [("@start", flow.start, "", False)]
    for number, first in flow.entries.items():
        entries.append((f"@dnis:{number}", f"DNIS {number}"))
        edges.append((f"@dnis:{number}", first, "", False))
    if flow.fallback is not None:
        entries.append(("@fallback", "fallback"))
        edges.append(("@fallback", flow.fallback, "on failure", True))
    for node in flow.nodes.values():
        for label, target in node.edges():
            if target in flow.nodes:
                edges.append((node.name, target, label, False))
    merged: dict[tuple[str, str], tuple[str, str, str, bool]] = {}
    for s, d, label, dashed in edges:  # parallel edges become one, labels joined
        if d in flow.nodes:
            prev = merged.get((s, d))
            text = label if prev is None else ", ".join(x for x in (prev[2], label) if x)
            merged[(s, d)] = (s, d, text, dashed)
    return entries, list(merged.values())


def _cycle_edges(roots: list[str], succ: dict[str, list[str]]) -> set[tuple[str, str]]:
    """Edges that reach a node on the depth-first search stack (they close a cycle)."""
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}
    for root in roots:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
    return back


def _layers(keys: list[str], forward: list[tuple[str, str]], nodes: set[str]) -> dict[str, int]:
    """Longest-path layering of the acyclic part; nodes sit below the entry row."""
    layer = {k: 0 if k not in nodes else 1 for k in keys}
    for _ in range(len(keys)):
        changed = False
        for s, d in forward:
            if layer[d] < layer[s] + 1:
                layer[d], changed = layer[s] + 1, True
        if not changed:
            break
    return layer


def _order(rows: dict[int, list[str]], up: dict[str, list[str]], down: dict[str, list[str]],
           sweeps: int = 4) -> None:
    """Reorder each row in place by the barycentre of its neighbours, sweeping down and up."""
    pos = {k: float(i) for row in rows.values() for i, k in enumerate(row)}
    depths = sorted(rows)
    for _ in range(sweeps):
        for order, links in ((depths[1:], up), (depths[-2::-1], down)):
            for depth in order:
                row = rows[depth]
                row.sort(key=lambda k: sum(pos[n] for n in links[k]) / len(links[k]) if links[k] else pos[k])
                pos.update({k: float(i) for i, k in enumerate(row)})


def layout(flow: Flow) -> Layout:
    """Place the boxes of ``flow`` in layers (see the module docstring)."""
    entries, edges = _graph(flow)
    titles = dict(entries)
    keys = [k for k, _ in entries] + list(flow.nodes)
    succ: dict[str, list[str]] = {k: [] for k in keys}
    for s, d, _, _ in edges:
        succ[s].append(d)
    back = _cycle_edges(keys, succ)
    forward = [(s, d) for s, d, _, _ in edges if (s, d) not in back and s != d]
    layer = _layers(keys, forward, set(flow.nodes))
    # long edges pass through one waypoint per layer they cross (Sugiyama's dummy vertices)
    chains: dict[tuple[str, str], list[str]] = {}
    up: dict[str, list[str]] = {k: [] for k in keys}
    down: dict[str, list[str]] = {k: [] for k in keys}
    for s, d in forward:
        hops = [f"~{s}~{d}~{i}" for i in range(layer[s] + 1, layer[d])]
        chains[(s, d)] = hops
        path = [s, *hops, d]
        for h, depth in zip(hops, range(layer[s] + 1, layer[d])):
            layer[h] = depth
            up.setdefault(h, [])
            down.setdefault(h, [])
        for u, v in zip(path, path[1:]):
            down[u].append(v)
            up[v].append(u)
    rows: dict[int, list[str]] = {}
    for k in layer:
        rows.setdefault(layer[k], []).append(k)
    _order(rows, up, down)

    def width_of(k: str) -> float:
        return WAYPOINT_W if k.startswith("~") else BOX_W

    row_w = {d: sum(width_of(k) for k in row) + GAP_X * (len(row) - 1) for d, row in rows.items()}
    width = 2 * MARGIN + max(row_w.values()) + BACK_LANES_W
    boxes: dict[str, Box] = {}
    waypoints: dict[str, tuple[float, float]] = {}
    for depth, row in rows.items():
        x = MARGIN + (width - BACK_LANES_W - 2 * MARGIN - row_w[depth]) / 2
        y = MARGIN + depth * (BOX_H + GAP_Y)
        for k in row:
            if k.startswith("~"):
                waypoints[k] = (x + WAYPOINT_W / 2, y)
            elif k in titles:
                boxes[k] = Box(k, x + 15, y + 6, BOX_W - 30, BOX_H - 12, titles[k], "", entry=True)
            else:
                boxes[k] = Box(k, x, y, BOX_W, BOX_H, flow.nodes[k].kind, k)
            x += width_of(k) + GAP_X
    height = 2 * MARGIN + (max(rows) + 1) * (BOX_H + GAP_Y) - GAP_Y
    drawn = []
    lane = 0
    for s, d, label, dashed in edges:
        a, b = boxes[s], boxes[d]
        if (s, d) in chains:
            pts = [(a.cx, a.y + a.h)]
            for h in chains[(s, d)]:
                wx, wy = waypoints[h]
                pts += [(wx, wy), (wx, wy + BOX_H)]
            pts.append((b.cx, b.y))
            (x0, y0), (x1, y1) = pts[0], pts[1]
            left = x1 < x0 - 1
            at = (x0 + 0.35 * (x1 - x0) + (-4 if left else 4), y0 + 0.35 * (y1 - y0) + 4)
            drawn.append(Edge(s, d, label, back=False, dashed=dashed, points=tuple(pts), label_at=at,
                              label_left=left))
        else:  # a loop back up: along its own lane on the right-hand side
            lane += 1
            x = width - MARGIN - BACK_LANES_W + 10 * lane
            ya, yb = a.y + a.h / 2, b.y + b.h / 2
            pts = [(a.x + a.w, ya), (x, ya), (x, yb), (b.x + b.w, yb)]
            drawn.append(Edge(s, d, label, back=True, dashed=dashed, points=tuple(pts),
                              label_at=(x + 4, (ya + yb) / 2)))
    return _fit(Layout(width, height, boxes, tuple(drawn)))


def _fit(lay: Layout) -> Layout:
    """Shift the picture right, and widen it, so that every label is inside it."""
    lefts = [e.label_at[0] - (LABEL_CHAR_W * len(e.label) if e.label_left else 0) for e in lay.edges if e.label]
    rights = [e.label_at[0] + (0 if e.label_left else LABEL_CHAR_W * len(e.label)) for e in lay.edges if e.label]
    dx = max(0.0, MARGIN / 2 - min(lefts, default=0.0))
    width = max(lay.width + dx, max(rights, default=0.0) + dx + MARGIN / 2)
    if dx == 0 and width == lay.width:
        return lay
    boxes = {k: replace(b, x=b.x + dx) for k, b in lay.boxes.items()}
    edges = tuple(replace(e, points=tuple((x + dx, y) for x, y in e.points),
                          label_at=(e.label_at[0] + dx, e.label_at[1])) for e in lay.edges)
    return Layout(width, lay.height, boxes, edges)


def render_svg(lay: Layout) -> str:
    """The layout as an SVG 1.1 document."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" height="{lay.height:.0f}" '
           f'viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" font-family="sans-serif" font-size="12">',
           '<defs><marker id="arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto">'
           '<path d="M0,0 L10,4 L0,8 z" fill="#333"/></marker></defs>',
           f'<rect width="{lay.width:.0f}" height="{lay.height:.0f}" fill="white"/>']
    for e in lay.edges:
        pts, (lx, ly) = e.points, e.label_at
        dash = ' stroke-dasharray="5,4"' if e.dashed else ""
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline class="edge" points="{d}" fill="none" stroke="#333"{dash} marker-end="url(#arrow)"/>')
        if e.label:
            anchor = ' text-anchor="end"' if e.label_left else ""
            out.append(f'<text class="label" x="{lx:.1f}" y="{ly:.1f}"{anchor} fill="#a33">{escape(e.label)}</text>')
    for b in lay.boxes.values():
        if b.entry:
            out.append(f'<ellipse class="entry" cx="{b.cx:.1f}" cy="{b.y + b.h / 2:.1f}" rx="{b.w / 2:.1f}" '
                       f'ry="{b.h / 2:.1f}" fill="#eef" stroke="#336"/>')
            out.append(f'<text x="{b.cx:.1f}" y="{b.y + b.h / 2 + 4:.1f}" text-anchor="middle">{escape(b.title)}</text>')
        else:
            out.append(f'<rect class="node" x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.0f}" height="{b.h:.0f}" '
                       f'rx="6" fill="#ffd" stroke="#333"/>')
            out.append(f'<text x="{b.cx:.1f}" y="{b.y + 17:.1f}" text-anchor="middle" font-style="italic">'
                       f'{escape(b.title)}</text>')
            out.append(f'<text x="{b.cx:.1f}" y="{b.y + 34:.1f}" text-anchor="middle" font-weight="bold">'
                       f'{escape(b.name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_png(lay: Layout, path: str | Path) -> None:
    """Draw the layout into a PNG file with Pillow."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (int(lay.width), int(lay.height)), "white")
    draw = ImageDraw.Draw(img)
    for e in lay.edges:
        pts, (lx, ly) = list(e.points), e.label_at
        draw.line(pts, fill=(120, 120, 120) if e.dashed else (40, 40, 40), width=1)
        (x1, y1), (x2, y2) = pts[-2], pts[-1]
        _arrow_head(draw, x1, y1, x2, y2)
        if e.label:
            draw.text((lx, ly), e.label, fill=(170, 50, 50), anchor="rs" if e.label_left else "ls")
    for b in lay.boxes.values():
        if b.entry:
            draw.ellipse([b.x, b.y, b.x + b.w, b.y + b.h], fill=(238, 238, 255), outline=(50, 50, 100))
            draw.text((b.cx, b.y + b.h / 2), b.title, fill="black", anchor="mm")
        else:
            draw.rounded_rectangle([b.x, b.y, b.x + b.w, b.y + b.h], radius=6, fill=(255, 255, 221),
                                   outline=(40, 40, 40))
            draw.text((b.cx, b.y + 13), b.title, fill=(60, 60, 60), anchor="mm")
            draw.text((b.cx, b.y + 30), b.name, fill="black", anchor="mm")
    img.save(path, format="PNG")


def _arrow_head(draw: object, x1: float, y1: float, x2: float, y2: float) -> None:
    import math

    from PIL import ImageDraw

    assert isinstance(draw, ImageDraw.ImageDraw)
    angle = math.atan2(y2 - y1, x2 - x1)
    left = (x2 - 9 * math.cos(angle - 0.4), y2 - 9 * math.sin(angle - 0.4))
    right = (x2 - 9 * math.cos(angle + 0.4), y2 - 9 * math.sin(angle + 0.4))
    draw.polygon([(x2, y2), left, right], fill=(40, 40, 40))


def write_picture(flow: Flow, path: str | Path) -> str:
    """Write ``flow``'s picture to ``path``: PNG for a ``.png`` name, SVG otherwise; returns
    the format written."""
    lay = layout(flow)
    if str(path).lower().endswith(".png"):
        render_png(lay, path)
        return "png"
    Path(path).write_text(render_svg(lay), encoding="utf-8")
    return "svg"
